"""Every field of every file format, fed wrong types and extreme values (issue 9, part 1).

A file in a store may hold anything. Whatever one field holds, parsing that file either reads
it or refuses it with a ParseError naming the field; it never raises anything else, and the
table built from a store full of such files still holds every good file's row. Property-style:
a table of hostile values crossed with every field, then random JSON from hypothesis.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import eval_request, write_json
from leaderboard.config import Settings
from leaderboard.domain import EvalRequest
from leaderboard.domain.requests import OWN_KEYS, STANDARD_KEYS
from leaderboard.errors import ParseError
from leaderboard.stores import LocalStore
from leaderboard.table import TableLoader
from leaderboard.table.entries import (
    RequestEntry,
    Skipped,
    parse_request_file,
    parse_result_file,
)
from test_results_parsing import LMEVAL_04

HOSTILE = [
    5,
    -1,
    True,
    1.5,
    1e308,
    -1e308,
    2**63,
    "inf",
    "Infinity",
    "-Infinity",
    "NaN",
    "",
    "²",
    "x" * 100_000,
    "<img src=//evil.example/t.png>",
    "../../../etc/passwd",
    [],
    [1, "a", None],
    {},
    {"done": "inf", "nested": {"deep": [1e308]}},
    None,
]
HOSTILE_IDS = [f"{type(v).__name__}-{i}" for i, v in enumerate(HOSTILE)]
REQUEST_FIELDS = [*STANDARD_KEYS, *OWN_KEYS]
PROGRESS_FIELDS = ["stage", "done", "total", "elapsed_seconds", "eta_seconds"]

# One good document of each results format the table reads (DESIGN.md §3), each covering a
# benchmark of some suite.
RESULTS_DOCS = {
    "lm-eval 0.4": LMEVAL_04,
    "template": {
        "config": {"model_name": "fuzz/template", "model_sha": "ac32", "model_dtype": "float16"},
        "results": {"arc:challenge": {"acc_norm": 0.6}, "hellaswag": {"acc_norm": 0.8}},
    },
    "leaderboard v1": {
        "config_general": {
            "model_name": "fuzz/v1",
            "model_sha": "abc",
            "model_dtype": "torch.float16",
            "start_date": 1700000000.5,
            "lighteval_sha": "deadbeef",
        },
        "results": {
            "harness|arc:challenge|25": {"acc_norm": 0.6, "acc_norm_stderr": 0.01},
            "harness|hellaswag|10": {"acc_norm": 0.8},
            "all": {"acc": 0.5},
        },
    },
    "lm-eval 0.3": {
        "results": {"arc_challenge": {"acc_norm": 0.5}},
        "versions": {"arc_challenge": 0},
        "config": {
            "model": "hf-causal",
            "model_args": "pretrained=fuzz/lmeval03",
            "num_fewshot": 25,
        },
    },
}


def field_paths(doc: object, prefix: tuple = ()) -> list[tuple]:
    """Every key path of a document, objects inside objects included."""
    paths = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            paths.append((*prefix, key))
            paths += field_paths(value, (*prefix, key))
    return paths


def with_value(doc: dict, path: tuple, value: object) -> dict:
    changed = copy.deepcopy(doc)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


RESULTS_CASES = [
    (name, path) for name, doc in RESULTS_DOCS.items() for path in field_paths(doc)
] + [
    ("leaderboard v1", ("results", "harness|arc:challenge|²")),
    ("leaderboard v1", ("results", "harness|arc:challenge|99999999999999999999")),
    ("lm-eval 0.4", ("n-shot", "leaderboard_mmlu_pro")),
]


def encoded(doc: object) -> bytes:
    return json.dumps(doc).encode()


# --- request files ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
@pytest.mark.parametrize("field", REQUEST_FIELDS + [f"progress.{f}" for f in PROGRESS_FIELDS])
def test_any_value_in_any_request_field_is_read_or_refused_naming_the_field(field, value):
    data = eval_request("fuzz/model")
    if field.startswith("progress."):
        data["progress"] = {"stage": "loglikelihood", "done": 1, "total": 2, "elapsed_seconds": 3}
        data["progress"][field.removeprefix("progress.")] = value
    else:
        data[field] = value
    try:
        request = EvalRequest.from_json(data)
    except ParseError as exc:
        name = "`model`" if field == "model" else f"`{field}"
        assert name in str(exc), str(exc)
        assert len(str(exc)) < 400, "a refusal quotes a bounded preview of the value"
    else:
        EvalRequest.from_json(request.to_json())  # what was read can be written back and re-read


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
@pytest.mark.parametrize(("shape", "path"), RESULTS_CASES, ids=lambda p: str(p))
def test_any_value_in_any_results_field_gives_entries_or_a_skip(shape, path, value):
    doc = with_value(RESULTS_DOCS[shape], path, value)
    outcome = parse_result_file("fuzz/m/results_2024-01-01T00-00-00.json", "v1", encoded(doc))
    if isinstance(outcome, Skipped):
        assert outcome.reason and len(outcome.reason) < 600
    else:
        assert outcome and all(entry.result.model for entry in outcome)


@pytest.mark.parametrize("shape", list(RESULTS_DOCS))
def test_each_good_results_document_gives_a_row(shape):
    outcome = parse_result_file(
        "fuzz/m/results_2024-01-01T00-00-00.json", "v", encoded(RESULTS_DOCS[shape])
    )
    assert isinstance(outcome, list) and outcome, outcome


# --- a whole store of hostile files ------------------------------------------------------------


def test_a_store_full_of_hostile_files_still_shows_every_good_file(tmp_path, demo_stores):
    """Every hostile request and results file above at once, beside the embedded data: the
    board holds exactly the rows it holds without them, each unreadable file is skipped with
    its reason, and the count of skipped files is what the parsers refuse."""
    queue, results = demo_stores
    clean = TableLoader(
        LocalStore(results), LocalStore(queue), Settings(cache_dir=str(tmp_path / "c1"))
    ).load()
    refused = set()
    for index, (field, value) in enumerate(
        (field, value) for field in REQUEST_FIELDS for value in HOSTILE
    ):
        data = {**eval_request(f"fuzz{index}/model"), field: value}
        path = f"fuzz{index}/model_eval_request_False_float16_Original.json"
        write_json(queue, path, data)
        if isinstance(parse_request_file(path, "", encoded(data)), Skipped):
            refused.add(path)
    for index, (shape, key_path) in enumerate(RESULTS_CASES):
        for number, value in enumerate(HOSTILE):
            doc = with_value(RESULTS_DOCS[shape], key_path, value)
            path = f"fuzzr{index}/m{number}/results_2024-01-01T00-00-00.json"
            write_json(results, path, doc)
            if isinstance(parse_result_file(path, "", encoded(doc)), Skipped):
                refused.add(path)
    snapshot = TableLoader(
        LocalStore(results), LocalStore(queue), Settings(cache_dir=str(tmp_path / "c2"))
    ).load()
    assert {s.path for s in snapshot.skipped} == refused
    assert all(s.reason for s in snapshot.skipped)
    assert {s.store for s in snapshot.skipped} <= {"queue", "results"}
    board = snapshot.board("v1")
    clean_board = clean.board("v1")
    good = board[board["model"].isin(clean_board["model"])]
    assert sorted(good["model"]) == sorted(clean_board["model"])
    assert list(good["average"].round(6)) == list(clean_board["average"].round(6))


# --- random JSON -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(REQUEST_FIELDS), value=json_values)
def test_random_json_in_a_request_field_never_raises_past_the_parser(field, value):
    outcome = parse_request_file("o/m.json", "v", encoded({**eval_request("o/m"), field: value}))
    assert isinstance(outcome, RequestEntry | Skipped)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(RESULTS_CASES), value=json_values)
def test_random_json_in_a_results_field_never_raises_past_the_parser(case, value):
    shape, path = case
    doc = with_value(RESULTS_DOCS[shape], path, value)
    outcome = parse_result_file("o/m/results_2024-01-01T00-00-00.json", "v", encoded(doc))
    assert isinstance(outcome, list | Skipped)
