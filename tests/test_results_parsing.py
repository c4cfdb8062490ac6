"""Results files of all four shapes (DESIGN.md §3) and the scores computed from them (§4).

The documents here are small, hand-written copies of the real layouts; the expected scores
are worked out by hand (or with the formula written out in the test), never by calling the
code under test a second time.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from leaderboard.domain import Precision, ResultFormat, parse_results
from leaderboard.errors import ParseError
from leaderboard.suites import V1, V2, normalize, score_benchmark, score_result
from leaderboard.suites.v1 import MMLU_SUBJECTS
from leaderboard.suites.v2 import BBH_CHOICES, MUSR_CHOICES

# DESIGN.md §4, copied here so that a typo in the suite's own table shows.
DESIGN_BBH_CHOICES = {
    "sports_understanding": 2,
    "tracking_shuffled_objects_three_objects": 3,
    "navigate": 2,
    "snarks": 2,
    "date_understanding": 6,
    "reasoning_about_colored_objects": 18,
    "object_counting": 19,
    "logical_deduction_seven_objects": 7,
    "geometric_shapes": 11,
    "web_of_lies": 2,
    "movie_recommendation": 6,
    "logical_deduction_five_objects": 5,
    "salient_translation_error_detection": 6,
    "disambiguation_qa": 3,
    "temporal_sequences": 4,
    "hyperbaton": 2,
    "logical_deduction_three_objects": 3,
    "causal_judgement": 2,
    "formal_fallacies": 2,
    "tracking_shuffled_objects_seven_objects": 7,
    "ruin_names": 6,
    "penguins_in_a_table": 5,
    "boolean_expressions": 2,
    "tracking_shuffled_objects_five_objects": 5,
}


def by_hand(value: float, num_choices: int | None) -> float:
    """DESIGN.md §4's formula, written out independently of `normalize`."""
    lo = 1 / num_choices if num_choices else 0.0
    return max(0.0, (value - lo) / (1 - lo)) * 100


def lmeval04(results: dict, *, n_shot: dict | None = None, **extra) -> dict:
    """An lm-eval 0.4 document with `,none` metric keys, stderr and alias entries."""
    spelled = {
        task: {
            **{f"{name},none": value for name, value in metrics.items()},
            **{f"{name}_stderr,none": 0.01 for name in metrics},
            "alias": task,
        }
        for task, metrics in results.items()
    }
    doc = {
        "results": spelled,
        "n-shot": n_shot or {},
        "config": {"model": "hf", "model_args": "pretrained=org/model,dtype=bfloat16"},
    }
    doc.update(extra)
    return doc


def lmeval03(results: dict, shots: int) -> dict:
    """An lm-eval 0.3 document: plain metric names, one `num_fewshot` for the whole run."""
    return {"results": results, "config": {"model_args": "pretrained=o/m", "num_fewshot": shots}}


def leaderboard_v1(results: dict) -> dict:
    """An archived-leaderboard document: `config_general` + `harness|task|shots` keys."""
    return {"config_general": {"model_name": "o/m"}, "results": results}


def scores_v1(doc: dict, path: str = "") -> dict[str, float]:
    return {k: s.normalized for k, s in score_result(parse_results(doc, path=path), V1).items()}


def scores_v2(doc: dict, path: str = "") -> dict[str, float]:
    return {k: s.normalized for k, s in score_result(parse_results(doc, path=path), V2).items()}


# ---------------------------------------------------------------------------------------------
# The four shapes

LMEVAL_04 = {
    "results": {
        "leaderboard_gpqa": {
            "acc_norm,none": 0.3,
            "acc_norm_stderr,none": 0.01,
            "alias": " - gpqa",
        },
        "leaderboard_mmlu_pro": {"acc,none": 0.4, "acc_stderr,none": "N/A", "alias": "mmlu_pro"},
        "leaderboard_ifeval": {
            "prompt_level_strict_acc,none": 0.5,
            "inst_level_strict_acc,none": 0.6,
            "prompt_level_loose_acc,none": 0.55,
        },
        "gsm8k": {"exact_match,strict-match": 0.25, "exact_match,flexible-extract": 0.3},
    },
    "groups": {"leaderboard_gpqa": {"acc_norm,none": 0.3}},
    "group_subtasks": {"leaderboard_gpqa": ["leaderboard_gpqa_main"], "gsm8k": []},
    "n-shot": {"leaderboard_mmlu_pro": 5, "leaderboard_ifeval": 0, "gsm8k": 5},
    "n-samples": {
        "leaderboard_mmlu_pro": {"original": 12032, "effective": 12032},
        "leaderboard_ifeval": {"original": 541, "effective": 100},
    },
    "config": {
        "model": "hf",
        "model_args": "pretrained=org/from-args,dtype=float16",
        "model_dtype": "torch.bfloat16",
        "model_sha": "b968826d9c46dd6066d109eabc6255188de91218",
    },
    "lm_eval_version": "0.4.9.1",
    "git_hash": "3e091a1",
    "date": 1760022195.9798203,
    "total_evaluation_time_seconds": "5234.25",
}

TEMPLATE = {
    "config": {
        "model_dtype": "torch.float16",
        "model_name": "demo-leaderboard/gpt2-demo",
        "model_sha": "ac3299b02780836378b9e1e68c6eead546e89f90",
    },
    "results": {"task_name1": {"metric_name": 0}, "task_name2": {"metric_name": 0.9}},
}

LEADERBOARD_V1 = {
    "config_general": {
        "lighteval_sha": "494ee12240e716e804ae9ea834f84a2c864c07ca",
        "model_name": "org/v1-model",
        "model_sha": "abc123",
        "model_dtype": "torch.bfloat16",
        "start_time": 1234.5,
        "total_evaluation_time_secondes": "4512.5",
    },
    "results": {
        "harness|arc:challenge|25": {"acc": 0.5, "acc_stderr": 0.01, "acc_norm": 0.55},
        "harness|hellaswag|10": {"acc": 0.6, "acc_norm": 0.8, "acc_norm_stderr": 0.004},
        "harness|truthfulqa:mc|0": {"mc1": 0.3, "mc1_stderr": 0.01, "mc2": 0.45},
        "harness|winogrande|5": {"acc": 0.7, "acc_stderr": 0.01},
        "harness|gsm8k|5": {"acc": 0.2, "acc_stderr": 0.01},
        **{f"harness|hendrycksTest-{s}|5": {"acc": 0.4, "acc_norm": 0.1} for s in MMLU_SUBJECTS},
        "all": {"acc": 0.99, "acc_norm": 0.99, "mc2": 0.99},
    },
}

LMEVAL_03 = {
    "results": {
        "arc_challenge": {
            "acc": 0.4,
            "acc_stderr": 0.01,
            "acc_norm": 0.45,
            "acc_norm_stderr": 0.01,
        },
        "hellaswag": {"acc": 0.5, "acc_norm": 0.7},
    },
    "versions": {"arc_challenge": 0, "hellaswag": 0},
    "config": {
        "model": "hf-causal-experimental",
        "model_args": "pretrained=bigscience/bloom-1b1,use_accelerate=True",
        "num_fewshot": 25,
        "batch_size": "auto",
    },
}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (LMEVAL_04, ResultFormat.LM_EVAL_04),
        (TEMPLATE, ResultFormat.TEMPLATE),
        (LEADERBOARD_V1, ResultFormat.LEADERBOARD_V1),
        (LMEVAL_03, ResultFormat.LM_EVAL_03),
        # 0.4 detected from its top-level keys even without a `,filter` metric key.
        (
            {"results": {"t": {"acc": 0.5}}, "n-shot": {"t": 0}, "config": {}},
            ResultFormat.LM_EVAL_04,
        ),
        ({"results": {"t": {"acc": 0.5}}, "configs": {}, "config": {}}, ResultFormat.LM_EVAL_04),
    ],
    ids=["lm-eval-0.4", "template", "leaderboard-v1", "lm-eval-0.3", "0.4-n-shot", "0.4-configs"],
)
def test_format_detection(doc, expected):
    assert parse_results(doc, path="org/model/results_2024-01-01T00-00-00.json").format is expected


def test_lmeval_04_metrics_lose_the_none_filter_and_keep_other_filters():
    result = parse_results(LMEVAL_04)
    assert dict(result.metrics["leaderboard_gpqa"]) == {"acc_norm": 0.3}
    assert dict(result.metrics["leaderboard_mmlu_pro"]) == {"acc": 0.4}
    assert dict(result.metrics["gsm8k"]) == {
        "exact_match,strict-match": 0.25,
        "exact_match,flexible-extract": 0.3,
    }
    assert result.metric("leaderboard_ifeval", "prompt_level_loose_acc") == 0.55


def test_lmeval_04_metadata():
    result = parse_results(LMEVAL_04, path="org/from-path/results_x.json")
    assert result.model == "org/from-args"
    assert result.model_sha == "b968826d9c46dd6066d109eabc6255188de91218"
    assert result.n_shot == {"leaderboard_mmlu_pro": 5, "leaderboard_ifeval": 0, "gsm8k": 5}
    assert result.n_samples == {"leaderboard_mmlu_pro": 12032, "leaderboard_ifeval": 100}
    assert result.groups == {"leaderboard_gpqa"}  # gsm8k has no subtasks: not a group
    assert result.harness_version == "lm-eval 0.4.9.1"
    assert result.evaluation_seconds == 5234.25
    assert result.model_args == "pretrained=org/from-args,dtype=float16"
    # No timestamp in the name: the run's own `date` (epoch seconds) is used.
    assert result.evaluated_at == datetime(2025, 10, 9, 15, 3, 15, 979820, tzinfo=UTC)


def test_lmeval_04_group_values_only_in_groups_are_read():
    """lm-eval 0.4.0-0.4.2 put group aggregates in `groups`, not in `results`."""
    doc = {
        "results": {"mmlu_anatomy": {"acc,none": 0.5}},
        "groups": {"mmlu": {"acc,none": 0.61, "acc_stderr,none": 0.01, "alias": "mmlu"}},
        "config": {"model_args": "pretrained=org/m"},
    }
    result = parse_results(doc)
    assert dict(result.metrics["mmlu"]) == {"acc": 0.61}
    assert "mmlu" in result.groups


def test_template_format():
    result = parse_results(
        TEMPLATE, path="demo-leaderboard/gpt2-demo/results_2023-11-21T18-10-08.json"
    )
    assert result.model == "demo-leaderboard/gpt2-demo"
    assert result.precision is Precision.FLOAT16
    assert result.model_sha == "ac3299b02780836378b9e1e68c6eead546e89f90"
    assert dict(result.metrics) == {
        "task_name1": {"metric_name": 0.0},
        "task_name2": {"metric_name": 0.9},
    }
    assert result.evaluated_at == datetime(2023, 11, 21, 18, 10, 8, tzinfo=UTC)


def test_leaderboard_v1_format_keys_shots_and_all_ignored():
    result = parse_results(
        LEADERBOARD_V1, path="org/v1-model/results_2023-10-16T12-54-17.123456.json"
    )
    assert "all" not in result.metrics
    assert dict(result.metrics["arc:challenge"]) == {"acc": 0.5, "acc_norm": 0.55}
    assert dict(result.metrics["truthfulqa:mc"]) == {"mc1": 0.3, "mc2": 0.45}
    assert result.n_shot["arc:challenge"] == 25
    assert result.n_shot["hendrycksTest-anatomy"] == 5
    assert result.n_shot["truthfulqa:mc"] == 0
    assert len(result.metrics) == 5 + 57
    assert result.model == "org/v1-model"
    assert result.precision is Precision.BFLOAT16
    assert result.model_sha == "abc123"
    assert result.evaluation_seconds == 4512.5  # lighteval's `..._secondes`
    assert result.harness_version == "lighteval @494ee122"
    assert result.evaluated_at == datetime(2023, 10, 16, 12, 54, 17, 123456, tzinfo=UTC)


def test_leaderboard_v1_format_scores():
    assert scores_v1(LEADERBOARD_V1) == pytest.approx(
        {
            "arc": 55.0,
            "hellaswag": 80.0,
            "mmlu": 40.0,
            "truthfulqa": 45.0,
            "winogrande": 70.0,
            "gsm8k": 20.0,
        }
    )


def test_lmeval_03_format():
    result = parse_results(LMEVAL_03, path="bloom/bloom-1b1/bloom-1b1_arc_25-shot.json")
    assert result.model == "bigscience/bloom-1b1"
    assert result.precision is Precision.UNKNOWN
    assert result.n_shot == {"arc_challenge": 25, "hellaswag": 25}  # num_fewshot applies to all
    assert dict(result.metrics["arc_challenge"]) == {"acc": 0.4, "acc_norm": 0.45}
    assert result.evaluated_at is None
    # ARC ran 25-shot as the benchmark asks; HellaSwag (10-shot) did not.
    assert scores_v1(LMEVAL_03) == pytest.approx({"arc": 45.0})


# ---------------------------------------------------------------------------------------------
# Model name, precision, evaluation time


@pytest.mark.parametrize(
    ("config", "top", "path", "expected"),
    [
        (
            {"model_name": "a/explicit", "model_args": "pretrained=b/args"},
            {},
            "c/path/r.json",
            "a/explicit",
        ),
        ({"model_name": "  a/explicit  "}, {}, "", "a/explicit"),
        ({"model_args": "pretrained=b/args,dtype=auto"}, {}, "c/path/r.json", "b/args"),
        (
            {"model_args": {"pretrained": "b/dict-args", "dtype": "auto"}},
            {},
            "c/p/r.json",
            "b/dict-args",
        ),
        ({"model_args": "pretrained=/data/llama/7B"}, {}, "c/path/results_x.json", "c/path"),
        ({"model_args": "pretrained=/data/llama/7B"}, {}, "results.json", "/data/llama/7B"),
        ({}, {"model_name": "d/top-level"}, "c/path/r.json", "d/top-level"),
        ({}, {}, "store/org/model/results_x.json", "org/model"),
    ],
    ids=[
        "config-name-first",
        "config-name-stripped",
        "pretrained-hub-id",
        "model-args-dict",
        "local-path-then-store-path",
        "local-path-as-last-resort",
        "top-level-model-name",
        "store-path",
    ],
)
def test_model_name_resolution_order(config, top, path, expected):
    doc = {"results": {"t": {"acc": 0.5}}, "config": config, **top}
    assert parse_results(doc, path=path).model == expected


def test_no_model_name_anywhere_is_a_parse_error():
    with pytest.raises(ParseError, match="cannot tell which model"):
        parse_results({"results": {"t": {"acc": 0.5}}}, path="results.json")


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"model_args": "pretrained=o/m,load_in_4bit=True", "model_dtype": "torch.bfloat16"},
            Precision.INT4,
        ),
        ({"model_args": "pretrained=o/m,load_in_8bit=True,dtype=float16"}, Precision.INT8),
        ({"model_args": {"pretrained": "o/m", "load_in_8bit": True}}, Precision.INT8),
        ({"model_args": "pretrained=o/m,load_in_4bit=False,dtype=bfloat16"}, Precision.BFLOAT16),
        ({"model_args": "pretrained=TheBloke/Llama-2-7B-GPTQ"}, Precision.GPTQ),
        ({"model_args": "pretrained=o/m,autogptq=True"}, Precision.GPTQ),
        ({"model_args": "pretrained=o/m,gptqmodel=True,dtype=float16"}, Precision.GPTQ),
        (  # a name that says GPTQ does not override the dtype the run states
            {"model_args": "pretrained=o/m-gptqmodel-4bit", "model_dtype": "torch.bfloat16"},
            Precision.BFLOAT16,
        ),
        ({"model_args": "pretrained=o/m", "model_dtype": "torch.float16"}, Precision.FLOAT16),
        ({"model_args": "pretrained=o/m,dtype=bfloat16"}, Precision.BFLOAT16),
        ({"model_args": "pretrained=o/m,dtype=auto"}, Precision.UNKNOWN),
        ({"model_name": "o/m", "model_dtype": "bf16"}, Precision.BFLOAT16),
        ({"model_name": "o/m"}, Precision.UNKNOWN),
    ],
)
def test_precision_from_quantization_flags_then_dtype(config, expected):
    doc = {"results": {"t": {"acc,none": 0.5}}, "config": config}
    assert parse_results(doc).precision is expected


@pytest.mark.parametrize(
    ("path", "date", "expected"),
    [
        (
            "o/m/results_2024-01-26T09-06-03.123456.json",
            0,
            datetime(2024, 1, 26, 9, 6, 3, 123456, tzinfo=UTC),
        ),
        ("o/m/results_2024-01-26T09:06:03.json", None, datetime(2024, 1, 26, 9, 6, 3, tzinfo=UTC)),
        ("o/m/results.json", 1713527677, datetime(2024, 4, 19, 11, 54, 37, tzinfo=UTC)),
        ("o/m/results.json", None, None),
    ],
    ids=["name-beats-date", "colons-in-name", "date-fallback", "none"],
)
def test_evaluated_at_comes_from_the_file_name_first(path, date, expected):
    doc = {"results": {"t": {"acc,none": 0.5}}, "config": {"model_name": "o/m"}, "date": date}
    assert parse_results(doc, path=path).evaluated_at == expected


def test_stderr_alias_non_numeric_bool_and_non_finite_values_are_dropped():
    doc = {
        "results": {
            "t": {
                "acc,none": 0.5,
                "acc_stderr,none": 0.01,
                "alias": "t",
                "note": "N/A",
                "as_text,none": "0.7",
                "flag,none": True,
                "nan,none": math.nan,
                "inf,none": math.inf,
                "minus_inf,none": -math.inf,
                "nested,none": {"x": 1},
                "count,none": 3,
            },
            "only_junk": {"acc_stderr,none": 0.01, "alias": "only_junk", "x": "N/A"},
            "not_a_dict": 0.5,
        },
        "config": {"model_name": "o/m"},
    }
    result = parse_results(doc)
    assert dict(result.metrics) == {"t": {"acc": 0.5, "count": 3.0}}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "not a JSON object"),
        ("results", "not a JSON object"),
        (None, "not a JSON object"),
        ({}, "no `results` object"),
        ({"config": {"model_name": "o/m"}}, "no `results` object"),
        ({"results": [1, 2]}, "no `results` object"),
        ({"elapsed_time": "02:42:01", "gpu": "NVIDIA A100 80GB PCIe"}, "no `results` object"),
        ({"results": {}}, "no numeric metric"),
        ({"results": {"t": {"acc_stderr,none": 0.1, "alias": "t"}}}, "no numeric metric"),
        ({"results": {"t": {"acc": math.nan}}}, "no numeric metric"),
        ({"results": {"t": "0.5"}}, "no numeric metric"),
    ],
)
def test_unusable_documents_raise_a_readable_parse_error(doc, message):
    with pytest.raises(ParseError) as caught:
        parse_results(doc, path="org/model/results_x.json")
    assert message in str(caught.value)
    assert "org/model/results_x.json" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5234.25", 5234.25), (12, 12.0), ("junk", None), (-1, None), ("nan", None), (None, None)],
)
def test_evaluation_seconds(value, expected):
    doc = {"results": {"t": {"acc,none": 0.5}}, "config": {"model_name": "o/m"}}
    doc["total_evaluation_time_seconds"] = value
    assert parse_results(doc).evaluation_seconds == expected


# ---------------------------------------------------------------------------------------------
# Normalization (DESIGN.md §4)


@pytest.mark.parametrize(
    ("value", "lower", "expected"),
    [
        (0.25, 0.25, 0.0),
        (0.2, 0.25, 0.0),  # below random: clamped, never negative
        (1.0, 0.25, 100.0),
        (0.625, 0.25, 50.0),
        (0.55, 0.1, 50.0),
        (0.5, 0.0, 50.0),
        (0.0, 0.0, 0.0),
        # Real rows of the published v2 board (0-hero/Matter-0.2-7B-DPO).
        (0.259228187919463, 0.25, 1.23042505592841),
        (0.116356382978723, 0.1, 1.81737588652482),
    ],
)
def test_normalize_worked_examples(value, lower, expected):
    assert normalize(value, lower) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("lower", [1.0, 1.5])
def test_normalize_refuses_a_lower_bound_of_one_or_more(lower):
    with pytest.raises(ValueError, match="below 1"):
        normalize(0.5, lower)


def test_gpqa_and_mmlu_pro_from_a_file_match_the_published_board():
    doc = lmeval04(
        {
            "leaderboard_gpqa": {"acc_norm": 0.259228187919463},
            "leaderboard_mmlu_pro": {"acc": 0.116356382978723},
        },
        n_shot={"leaderboard_mmlu_pro": 5},
    )
    scores = score_result(parse_results(doc), V2)
    assert set(scores) == {"gpqa", "mmlu_pro"}
    assert scores["gpqa"].raw == 0.259228187919463
    assert scores["gpqa"].normalized == pytest.approx(1.23042505592841, rel=1e-12)
    assert scores["mmlu_pro"].normalized == pytest.approx(1.81737588652482, rel=1e-12)


def test_math_is_exact_match_times_100():
    doc = lmeval04({"leaderboard_math_hard": {"exact_match": 0.0143504531722054}})
    assert scores_v2(doc) == pytest.approx({"math_lvl5": 1.43504531722054}, rel=1e-12)


def test_ifeval_is_the_mean_of_prompt_and_instruction_level_strict_accuracy():
    doc = lmeval04(
        {
            "leaderboard_ifeval": {
                "prompt_level_strict_acc": 0.4,
                "inst_level_strict_acc": 0.5,
                "prompt_level_loose_acc": 0.9,  # loose variants are not part of the score
                "inst_level_loose_acc": 0.9,
            }
        },
        n_shot={"leaderboard_ifeval": 0},
    )
    scores = score_result(parse_results(doc), V2)
    assert set(scores) == {"ifeval"}
    assert scores["ifeval"].normalized == pytest.approx(45.0)
    assert scores["ifeval"].raw == pytest.approx(0.45)


def bbh_doc(values: dict[str, float], **extra) -> dict:
    return lmeval04(
        {f"leaderboard_bbh_{name}": {"acc_norm": v} for name, v in values.items()},
        n_shot={f"leaderboard_bbh_{name}": 3 for name in values},
        **extra,
    )


def test_bbh_and_musr_choices_are_those_of_the_design():
    assert BBH_CHOICES == DESIGN_BBH_CHOICES
    assert MUSR_CHOICES == {"murder_mysteries": 2, "object_placements": 5, "team_allocation": 3}


def test_bbh_is_normalized_per_subtask_with_its_own_choices_then_averaged():
    # 0.4 everywhere: below chance for 2-choice tasks (clamped to 0), above it for the others.
    choices = DESIGN_BBH_CHOICES
    values = dict.fromkeys(choices, 0.4)
    expected = sum(by_hand(0.4, n) for n in choices.values()) / len(choices)
    mean_lo = sum(1 / n for n in choices.values()) / len(choices)
    normalizing_the_mean = by_hand(0.4, round(1 / mean_lo))
    assert abs(expected - normalizing_the_mean) > 1, "the input must tell the two methods apart"
    assert abs(expected - 40.0) > 1

    score = score_benchmark(parse_results(bbh_doc(values)), V2.benchmark("bbh"))
    assert score is not None
    assert score.normalized == pytest.approx(expected, rel=1e-12)
    assert score.raw == pytest.approx(0.4)


def test_bbh_raw_is_the_sample_weighted_mean_or_the_files_own_aggregate():
    names = list(BBH_CHOICES)
    values = {name: (1.0 if i == 0 else 0.0) for i, name in enumerate(names)}
    weights = {
        f"leaderboard_bbh_{name}": {"effective": 100 if i == 0 else 50}
        for i, name in enumerate(names)
    }
    weighted = score_benchmark(
        parse_results(bbh_doc(values, **{"n-samples": weights})), V2.benchmark("bbh")
    )
    assert weighted.raw == pytest.approx(100 / (100 + 50 * 23))
    assert weighted.normalized == pytest.approx(100 / 24)

    doc = bbh_doc(values)
    doc["results"]["leaderboard_bbh"] = {"acc_norm,none": 0.123}
    with_aggregate = score_benchmark(parse_results(doc), V2.benchmark("bbh"))
    assert with_aggregate.raw == 0.123
    assert with_aggregate.normalized == pytest.approx(100 / 24)  # the aggregate never scores BBH


def test_musr_is_normalized_per_subtask_then_averaged():
    values = {"murder_mysteries": 0.55, "object_placements": 0.3, "team_allocation": 0.4}
    doc = lmeval04(
        {f"leaderboard_musr_{name}": {"acc_norm": v} for name, v in values.items()},
        n_shot={f"leaderboard_musr_{name}": 0 for name in values},
    )
    expected = (by_hand(0.55, 2) + by_hand(0.3, 5) + by_hand(0.4, 3)) / 3  # (10 + 12.5 + 10) / 3
    assert expected == pytest.approx(32.5 / 3)
    assert scores_v2(doc) == pytest.approx({"musr": expected}, rel=1e-12)
    assert abs(expected - by_hand(sum(values.values()) / 3, 3)) > 1


@pytest.mark.parametrize(
    ("doc", "missing"),
    [
        (bbh_doc({name: 0.5 for name in list(BBH_CHOICES)[:-1]}), "bbh"),
        (
            lmeval04(
                {
                    "leaderboard_musr_murder_mysteries": {"acc_norm": 0.6},
                    "leaderboard_musr_team_allocation": {"acc_norm": 0.6},
                    "leaderboard_musr": {"acc_norm": 0.6},
                }
            ),
            "musr",
        ),
        (lmeval04({"leaderboard_ifeval": {"prompt_level_strict_acc": 0.5}}), "ifeval"),
    ],
    ids=["bbh-23-of-24", "musr-2-of-3-with-aggregate", "ifeval-prompt-only"],
)
def test_a_benchmark_with_a_missing_subtask_gets_no_score(doc, missing):
    result = parse_results(doc)
    assert score_benchmark(result, V2.benchmark(missing)) is None
    assert missing not in score_result(result, V2)


# ---------------------------------------------------------------------------------------------
# v1 scoring


def mmlu_values(step: float = 0.01) -> dict[str, float]:
    """Different values per subject, so that a wrong mean would show."""
    return {s: round(0.2 + step * i, 4) for i, s in enumerate(MMLU_SUBJECTS)}


@pytest.mark.parametrize("spelling", ["mmlu_{}", "hendrycksTest-{}"])
def test_v1_mmlu_is_the_plain_mean_of_the_57_subjects(spelling):
    values = mmlu_values()
    doc = lmeval03({spelling.format(s): {"acc": v, "acc_norm": 0.0} for s, v in values.items()}, 5)
    # The file's sample-weighted aggregate differs from the plain mean and must not win.
    doc["results"]["mmlu"] = {"acc": 0.9}
    assert len(values) == 57
    expected = sum(values.values()) / 57 * 100
    assert scores_v1(doc) == pytest.approx({"mmlu": expected}, rel=1e-12)


def test_v1_mmlu_falls_back_to_the_aggregate_only_when_subjects_are_absent():
    only_aggregate = lmeval04(
        {"mmlu": {"acc": 0.6504}}, n_shot={"mmlu": 0}, groups={"mmlu": {"acc,none": 0.6504}}
    )
    assert scores_v1(only_aggregate) == pytest.approx({"mmlu": 65.04})


def test_v1_mmlu_with_a_missing_subject_and_no_aggregate_gets_no_score():
    values = mmlu_values()
    values.pop("virology")
    doc = lmeval04({f"mmlu_{s}": {"acc": v} for s, v in values.items()})
    assert "mmlu" not in scores_v1(doc)


@pytest.mark.parametrize("shots", [0, 25])
def test_v1_mmlu_run_with_other_shots_is_not_rescued_by_the_aggregate(shots):
    """A 0-shot MMLU run must not enter the 5-shot column through its group value."""
    values = mmlu_values()
    doc = lmeval04(
        {**{f"mmlu_{s}": {"acc": v} for s, v in values.items()}, "mmlu": {"acc": 0.5}},
        n_shot={**{f"mmlu_{s}": shots for s in values}, "mmlu": 0},
        groups={"mmlu": {"acc,none": 0.5}},
        group_subtasks={"mmlu": [f"mmlu_{s}" for s in values]},
    )
    assert "mmlu" not in scores_v1(doc)


def test_v1_mmlu_aggregate_of_an_lmeval_03_run_with_other_shots_is_not_used():
    assert scores_v1(lmeval03({"mmlu": {"acc": 0.6}}, shots=0)) == {}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            lmeval04(
                {
                    "truthfulqa_mc2": {"acc": 0.4393},
                    "truthfulqa_mc1": {"acc": 0.268},
                    "truthfulqa": {"acc": 0.35},
                },
                n_shot={"truthfulqa_mc2": 0, "truthfulqa_mc1": 0, "truthfulqa": 0},
            ),
            43.93,
        ),
        (leaderboard_v1({"harness|truthfulqa:mc|0": {"mc1": 0.3, "mc2": 0.45}}), 45.0),
        (lmeval03({"truthfulqa_mc": {"mc1": 0.2, "mc2": 0.39}}, shots=0), 39.0),
    ],
    ids=["lm-eval-0.4-mc2-acc", "leaderboard-v1-mc2", "lm-eval-0.3-mc2"],
)
def test_v1_truthfulqa_sources(doc, expected):
    assert scores_v1(doc) == pytest.approx({"truthfulqa": expected})


@pytest.mark.parametrize(
    ("doc", "scored"),
    [
        (lmeval04({"gsm8k": {"exact_match,strict-match": 0.3}}, n_shot={"gsm8k": 5}), True),
        (lmeval04({"gsm8k": {"exact_match,strict-match": 0.3}}, n_shot={"gsm8k": 8}), False),
        (lmeval03({"gsm8k": {"acc": 0.3}}, shots=5), True),
        (lmeval03({"gsm8k": {"acc": 0.3}}, shots=8), False),
        (leaderboard_v1({"harness|gsm8k|5": {"acc": 0.3}}), True),
        (leaderboard_v1({"harness|gsm8k|8": {"acc": 0.3}}), False),
        # A template file says nothing about shots: its value is taken as is.
        ({"config": {"model_name": "o/m"}, "results": {"gsm8k": {"acc": 0.3}}}, True),
    ],
    ids=["0.4-5", "0.4-8", "0.3-5", "0.3-8", "v1-5", "v1-8", "template"],
)
def test_a_value_run_with_other_shots_than_the_benchmark_is_not_used(doc, scored):
    assert scores_v1(doc) == (pytest.approx({"gsm8k": 30.0}) if scored else {})


def test_gsm8k_prefers_strict_match_over_flexible_extract():
    doc = lmeval04({"gsm8k": {"exact_match,strict-match": 0.3}}, n_shot={"gsm8k": 5})
    doc["results"]["gsm8k"]["exact_match,flexible-extract"] = 0.9
    assert scores_v1(doc) == pytest.approx({"gsm8k": 30.0})


@pytest.mark.parametrize(
    ("is_group", "scored"), [(True, True), (False, False)], ids=["group", "plain-task"]
)
def test_group_tasks_whose_n_shot_reads_0_are_still_accepted(is_group, scored):
    """lm-eval reports 0 shots for groups whatever their members ran with."""
    extra = {"groups": {"leaderboard_math_hard": {"exact_match,none": 0.3}}} if is_group else {}
    doc = lmeval04(
        {"leaderboard_math_hard": {"exact_match": 0.3}},
        n_shot={"leaderboard_math_hard": 0},
        **extra,
    )
    assert scores_v2(doc) == (pytest.approx({"math_lvl5": 30.0}) if scored else {})


def test_a_file_covering_nothing_scores_nothing():
    assert score_result(parse_results(TEMPLATE), V1) == {}
    assert score_result(parse_results(TEMPLATE), V2) == {}
