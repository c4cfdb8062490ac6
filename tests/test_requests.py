"""Request files, timestamps and model ids: the tolerant readers at the edge of the queue.

Request files in the wild are old, hand-edited or written by other tools (DESIGN.md §3), so
every case here is a spelling that has been seen and must be read without crashing, or a
malformed value that must be refused with a message instead of silently accepted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leaderboard.domain import (
    EvalRequest,
    ModelType,
    Precision,
    Status,
    WeightType,
    parse_timestamp,
    repo_id_problem,
    request_file_path,
)
from leaderboard.errors import ParseError

FULL_RECORD = {
    "model": "org/model",
    "base_model": "org/base",
    "revision": "0123456789abcdef0123456789abcdef01234567",
    "private": False,
    "precision": "bfloat16",
    "weight_type": "Original",
    "status": "FINISHED",
    "submitted_time": "2024-06-26T12:00:00Z",
    "model_type": "💬 chat models (RLHF, DPO, IFT, ...)",
    "likes": 42,
    "params": 7.24,
    "license": "apache-2.0",
    "architectures": "LlamaForCausalLM",
    "use_chat_template": True,
    "sender": "hf-username",
    "job_id": 17,
    "job_start_time": "2024-06-26T12:05:00Z",
}


def read(**fields) -> EvalRequest:
    """A request with just `model` plus the given fields."""
    return EvalRequest.from_json({"model": "org/model", **fields})


# ---------------------------------------------------------------------------------------------
# EvalRequest.from_json


@pytest.mark.parametrize(
    "data",
    [{}, {"model": ""}, {"model": "   "}, {"model": None}, {"model": 3}, {"status": "PENDING"}],
    ids=["empty", "blank", "spaces", "null", "number", "no-model-key"],
)
def test_a_request_without_a_model_name_is_refused(data):
    with pytest.raises(ParseError, match="no `model` name"):
        EvalRequest.from_json(data, path="org/x_eval_request_False_float16_Original.json")


@pytest.mark.parametrize("data", [[], "text", None, 3.5], ids=["list", "str", "null", "float"])
def test_a_request_that_is_not_an_object_is_refused_naming_the_file(data):
    with pytest.raises(ParseError) as caught:
        EvalRequest.from_json(data, path="org/x.json")
    assert "org/x.json" in str(caught.value)
    assert type(data).__name__ in str(caught.value)


def test_a_request_with_only_a_model_gets_the_documented_defaults():
    """Files written by old template versions miss most keys; none of them is required."""
    request = EvalRequest.from_json({"model": "  org/model  "})
    assert request.model == "org/model"
    assert request.status is Status.PENDING
    assert request.precision is Precision.UNKNOWN
    assert request.weight_type is WeightType.ORIGINAL
    assert request.model_type is ModelType.UNKNOWN
    assert request.revision == "main"
    assert request.private is False
    assert request.params is None
    assert request.submitted_time is None
    assert request.likes == 0
    assert request.job_id == -1
    assert request.still_on_hub is True
    assert dict(request.extra) == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([], ModelType.UNKNOWN),
        ("", ModelType.UNKNOWN),
        (None, ModelType.UNKNOWN),
        (["🟢 : pretrained"], ModelType.PRETRAINED),
        ("🟢 : pretrained", ModelType.PRETRAINED),
        ("pretrained", ModelType.PRETRAINED),
        ("🟩 continuously pretrained", ModelType.CONTINUOUSLY_PRETRAINED),
        ("🔶 : fine-tuned", ModelType.FINE_TUNED),
        ("fine-tuned on domain-specific datasets", ModelType.FINE_TUNED),
        ("⭕ : instruction-tuned", ModelType.CHAT),
        ("💬 chat models (RLHF, DPO, IFT, ...)", ModelType.CHAT),
        ("🟦 : RL-tuned", ModelType.CHAT),
        ("🤝 base merges and moerges", ModelType.MERGE),
        ("🌸 multimodal", ModelType.MULTIMODAL),
        ("something else", ModelType.UNKNOWN),
    ],
)
def test_model_type_spellings(raw, expected):
    assert read(model_type=raw).model_type is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PENDING", Status.PENDING),
        ("RERUN", Status.PENDING),
        ("PENDING_NEW_EVAL", Status.PENDING),
        (" rerun ", Status.PENDING),
        ("", Status.PENDING),
        (None, Status.PENDING),
        ("RUNNING", Status.RUNNING),
        ("FINISHED", Status.FINISHED),
        ("finished", Status.FINISHED),
        ("FINISHED_PENDING_UPLOAD", Status.FINISHED),
        ("FINISHED*", Status.FINISHED),
        ("FAILED", Status.FAILED),
        ("FAILED_TO_LOAD", Status.FAILED),
        ("failed-oom", Status.FAILED),
    ],
)
def test_legacy_statuses_map_to_the_four_states(raw, expected):
    assert read(status=raw).status is expected


@pytest.mark.parametrize("raw", ["DONE", "CANCELLED", "unknown", "3", 3, "ERROR"])
def test_an_unknown_status_is_a_parse_error_naming_the_file_and_value(raw):
    with pytest.raises(ParseError) as caught:
        EvalRequest.from_json({"model": "org/m", "status": raw}, path="org/m_eval_request.json")
    message = str(caught.value)
    assert "org/m_eval_request.json" in message
    assert repr(raw) in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("float16", Precision.FLOAT16),
        ("torch.float16", Precision.FLOAT16),
        ("fp16", Precision.FLOAT16),
        ("bfloat16", Precision.BFLOAT16),
        ("torch.bfloat16", Precision.BFLOAT16),
        ("bf16", Precision.BFLOAT16),
        ("float32", Precision.FLOAT32),
        ("8bit", Precision.INT8),
        ("4bit", Precision.INT4),
        ("GPTQ", Precision.GPTQ),
        ("gptq", Precision.GPTQ),
        ("junk", Precision.UNKNOWN),
        ("", Precision.UNKNOWN),
        (None, Precision.UNKNOWN),
        ("Unknown", Precision.UNKNOWN),
    ],
)
def test_precision_spellings(raw, expected):
    assert read(precision=raw).precision is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0, None),
        (0.0, None),
        ("0", None),
        ("junk", None),
        (None, None),
        ([], None),
        (-3, None),
        ("nan", None),
        ("inf", None),
        (7.24, 7.24),
        ("7.24", 7.24),
        (70, 70.0),
    ],
)
def test_params_zero_or_junk_mean_unknown(raw, expected):
    assert read(params=raw).params == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), ("true", True), ("False", False), (0, False), (1, True), (None, False)],
)
def test_private_flag_spellings(raw, expected):
    assert read(private=raw).private is expected


@pytest.mark.parametrize("raw", ["maybe", 2, -1, 0.5, [], {}])
def test_a_flag_that_is_neither_true_nor_false_is_a_parse_error_naming_the_field(raw):
    with pytest.raises(ParseError, match="field `private` should be true or false"):
        read(private=raw)


def test_architectures_list_and_likes_string_are_normalised():
    request = read(architectures=["LlamaForCausalLM", "Other"], likes="12", job_id=None)
    assert request.architectures == "LlamaForCausalLM;Other"
    assert request.likes == 12
    assert request.job_id == -1


def test_unknown_keys_are_kept_in_extra_and_written_back():
    """Another tool's fields survive a read-modify-write of the file."""
    data = {
        "model": "org/model",
        "status": "PENDING",
        "lease_owner": "worker-3",
        "other_tool_stamp": "2024-06-26T12:00:00Z",
        "nested": {"a": [1, 2]},
    }
    request = EvalRequest.from_json(data)
    assert dict(request.extra) == {
        "lease_owner": "worker-3",
        "other_tool_stamp": "2024-06-26T12:00:00Z",
        "nested": {"a": [1, 2]},
    }
    written = request.with_changes(status=Status.RUNNING).to_json()
    assert written["lease_owner"] == "worker-3"
    assert written["nested"] == {"a": [1, 2]}
    assert written["status"] == "RUNNING"
    # Unknown keys come after the standard ones, never in their place.
    assert list(written)[: len(FULL_RECORD)] == list(FULL_RECORD)


def test_a_full_record_round_trips_byte_for_byte():
    data = {
        **FULL_RECORD,
        "tags": ["merge", "moe"],
        "still_on_hub": False,
        "flagged": "https://example.org/discussion/1",
        "failure_reason": "CUDA out of memory",
        "lease_owner": "worker-3",
    }
    request = EvalRequest.from_json(data)
    assert request.to_json() == data
    assert list(request.to_json()) == list(data)
    assert EvalRequest.from_json(request.to_json()) == request
    assert request.submitted_time == datetime(2024, 6, 26, 12, tzinfo=UTC)
    assert request.model_type is ModelType.CHAT
    assert request.precision is Precision.BFLOAT16


def test_to_json_writes_the_standard_keys_in_the_oll_order_with_unknown_params_as_zero():
    written = EvalRequest(model="org/model").to_json()
    assert list(written) == list(FULL_RECORD)
    assert written["params"] == 0
    assert written["submitted_time"] == ""
    assert written["model_type"] == ModelType.UNKNOWN.value


def test_legacy_spellings_are_written_back_in_the_canonical_form():
    written = read(status="RERUN", precision="torch.float16", model_type=[]).to_json()
    assert (written["status"], written["precision"]) == ("PENDING", "float16")
    assert written["model_type"] == "❓ other"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"precision": "float16"}, "org/model_eval_request_False_float16_Original.json"),
        (
            {"precision": "bfloat16", "private": True},
            "org/model_eval_request_True_bfloat16_Original.json",
        ),
        (
            {"precision": "4bit", "weight_type": "Adapter"},
            "org/model_eval_request_False_4bit_Adapter.json",
        ),
        (
            {"precision": "GPTQ", "weight_type": "delta"},
            "org/model_eval_request_False_GPTQ_Delta.json",
        ),
    ],
)
def test_request_file_path_naming(fields, expected):
    assert read(**fields).path == expected


def test_request_file_path_function_matches_the_oll_pattern():
    path = request_file_path(
        "org/model", private=False, precision=Precision.FLOAT16, weight_type=WeightType.ORIGINAL
    )
    assert path == "org/model_eval_request_False_float16_Original.json"


@pytest.mark.parametrize(
    ("fields", "merged", "moe"),
    [
        ({}, False, False),
        ({"model_type": "🤝 base merges and moerges"}, True, False),
        ({"tags": ["mergekit"]}, True, False),
        ({"tags": ["Merge", "text-generation"]}, True, False),
        ({"tags": ["MoE"]}, False, True),
        ({"model": "org/Mixtral-8x7B-MoE"}, False, True),
        ({"model_type": "🔶 fine-tuned", "tags": ["llama"]}, False, False),
    ],
)
def test_is_merged_and_is_moe(fields, merged, moe):
    request = EvalRequest.from_json({"model": "org/model", **fields})
    assert (request.is_merged, request.is_moe) == (merged, moe)


# ---------------------------------------------------------------------------------------------
# parse_timestamp


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-26T09:06:03Z", datetime(2024, 1, 26, 9, 6, 3, tzinfo=UTC)),
        ("2023-10-16 12:54:17", datetime(2023, 10, 16, 12, 54, 17, tzinfo=UTC)),
        ("2024-01-26T09-06-03.123456", datetime(2024, 1, 26, 9, 6, 3, 123456, tzinfo=UTC)),
        ("2024-01-26T09-06-03", datetime(2024, 1, 26, 9, 6, 3, tzinfo=UTC)),
        ("2024-01-26T11:06:03+02:00", datetime(2024, 1, 26, 9, 6, 3, tzinfo=UTC)),
        ("2024-01-26T04:06:03-05:00", datetime(2024, 1, 26, 9, 6, 3, tzinfo=UTC)),
        ("2024-01-26T09:06:03.5+00:00", datetime(2024, 1, 26, 9, 6, 3, 500000, tzinfo=UTC)),
        (1713527677.0036986, datetime(2024, 4, 19, 11, 54, 37, 3699, tzinfo=UTC)),
        (1713527677, datetime(2024, 4, 19, 11, 54, 37, tzinfo=UTC)),
        ("1713527677.5", datetime(2024, 4, 19, 11, 54, 37, 500000, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_reads_real_spellings(raw, expected):
    parsed = parse_timestamp(raw)
    assert parsed is not None
    assert parsed.utcoffset() is not None, "results must be timezone-aware"
    assert abs(parsed - expected) < timedelta(microseconds=2)


def test_an_offset_is_kept_as_the_same_instant():
    parsed = parse_timestamp("2024-01-26T11:06:03+02:00")
    assert parsed.utcoffset() == timedelta(hours=2)
    assert parsed.astimezone(UTC).hour == 9


@pytest.mark.parametrize(
    "raw",
    [
        "junk",
        "",
        None,
        "2024-13-45T00:00:00",
        "26/01/2024",
        "nan",
        float("nan"),
        float("inf"),
        "1e30",
        [2024, 1, 26],
        {"date": "2024-01-26"},
        True,
    ],
)
def test_parse_timestamp_returns_none_for_junk(raw):
    assert parse_timestamp(raw) is None


# ---------------------------------------------------------------------------------------------
# repo_id_problem


@pytest.mark.parametrize(
    "repo_id",
    [
        "org/model",
        "meta-llama/Meta-Llama-3-8B-Instruct",
        "Qwen/Qwen2.5-7B-Instruct",
        "EleutherAI/gpt-neo-1.3B",
        "a/b",
        "org_1/model.v2",
        "o/" + "m" * 94,  # exactly 96 characters, the Hub's maximum
    ],
)
def test_good_repo_ids_have_no_problem(repo_id):
    assert repo_id_problem(repo_id) is None


@pytest.mark.parametrize(
    "repo_id",
    [
        "",
        "a",
        "../../etc/passwd",
        "../model",
        "org/..",
        "org/model/extra",
        "org//model",
        "/model",
        "org/",
        "o/" + "m" * 95,  # 97 characters
        "org/" + "m" * 196,  # 200 characters
        "org/-bad",
        "-org/model",
        "org/bad.",
        ".org/model",
        "org/a..b",
        "org/a--b",
        "оrg/model",  # Cyrillic "о"
        "org/mоdel",  # Cyrillic "о"
        "org/modеl",  # Cyrillic "е"
        "ｏrg/model",  # fullwidth "ｏ"
        "org/mo\u200bdel",  # zero-width space
        "org/model;rm -rf ~",
        "org/$(whoami)",
        "org/`id`",
        "org/a|b",
        "org/a&b",
        "org/a>b",
        "org/a b",
        " org/model",
        "org/model ",
        "org/model\n",
        "org/model\nother",
        "org\t/model",
        "<script>alert(1)</script>",
        "org/<img src=x onerror=alert(1)>",
        "org/a&quot;b",
        'org/"model"',
        "org\\model",
    ],
)
def test_bad_repo_ids_are_explained(repo_id):
    problem = repo_id_problem(repo_id)
    assert problem is not None, f"{repo_id!r} was accepted"
    assert len(problem) > 20


def test_the_length_message_states_the_length_and_the_limit():
    problem = repo_id_problem("org/" + "m" * 196)
    assert "200" in problem and "96" in problem


def test_worker_fields_round_trip():
    """The worker's additive fields: lease owner, heartbeat, attempts, progress, paths."""
    from leaderboard.domain.requests import Progress

    progress = Progress("loglikelihood", 120, 200, 35.0, 20.0)
    request = EvalRequest(
        model="org/model",
        status=Status.RUNNING,
        worker="gpu-1:42",
        heartbeat=datetime(2024, 6, 26, 12, 0, tzinfo=UTC),
        attempts=2,
        suite="sample",
        log_path="org/model/logs/eval.log",
        progress=progress,
    )
    again = EvalRequest.from_json(request.to_json())
    assert (again.worker, again.heartbeat, again.attempts, again.suite) == (
        "gpu-1:42",
        datetime(2024, 6, 26, 12, 0, tzinfo=UTC),
        2,
        "sample",
    )
    assert again.progress == progress
    assert progress.describe() == "loglikelihood 120/200 · 35 s elapsed · about 20 s left"
    assert "worker" not in EvalRequest(model="org/model").to_json()  # absent until set
