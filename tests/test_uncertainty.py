"""The standard error of every benchmark score (issue 12, section 1): read from a results file,
estimated from the benchmark's number of items where the file gives none, and carried through
normalization. Checked against hand arithmetic, against lm-eval's own stderr function, and
against the stderrs of real lm-eval files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from leaderboard.domain import parse_results
from leaderboard.suites import V1, V2, score_benchmark
from leaderboard.suites.model import binomial_stderr, normalized_stderr
from leaderboard.suites.sample import SAMPLE
from leaderboard.table.build import interval_ranks

REALDATA = REPO.parent / "shared" / "realdata" / "results_raw_lmeval_v04_oll_v1_settings"


def lmeval04(results: dict[str, dict[str, float | str]]) -> dict:
    """An lm-eval 0.4 document; metrics spelled as given (`acc,none`, `acc_stderr,none`)."""
    return {
        "results": {task: {**metrics, "alias": task} for task, metrics in results.items()},
        "config": {"model": "hf", "model_args": "pretrained=org/model,dtype=bfloat16"},
    }


def benchmark(suite, key):
    return next(b for b in suite.benchmarks if b.key == key)


def scored(suite, key, results):
    return score_benchmark(parse_results(lmeval04(results)), benchmark(suite, key))


MUSR = "leaderboard_musr_"
# (suite, benchmark, results, raw stderr, normalized stderr, estimated), by hand.
CASES = [
    pytest.param(
        V1, "arc", {"arc_challenge": {"acc_norm,none": 0.6, "acc_norm_stderr,none": 0.014}},
        0.014, 1.4, False, id="single, the file's stderr, v1 (no baseline)",
    ),
    pytest.param(
        V1, "arc", {"arc_challenge": {"acc_norm,none": 0.6}},
        math.sqrt(0.6 * 0.4 / 1171), 100 * math.sqrt(0.6 * 0.4 / 1171), True,
        id="single, estimated from ARC's 1,172 questions",
    ),
    pytest.param(
        V2, "mmlu_pro", {"leaderboard_mmlu_pro": {"acc,none": 0.4, "acc_stderr,none": "N/A"}},
        math.sqrt(0.4 * 0.6 / 12031), math.sqrt(0.4 * 0.6 / 12031) * 100 / 0.9, True,
        id="single, N/A estimated, scaled by 1/(1 - 1/10)",
    ),
    pytest.param(
        V2, "gpqa", {"leaderboard_gpqa": {"acc_norm,none": 0.3, "acc_norm_stderr,none": 0.013}},
        0.013, 0.013 * 100 / 0.75, False, id="single, scaled by 1/(1 - 1/4)",
    ),
    pytest.param(
        V2, "ifeval",
        {"leaderboard_ifeval": {
            "prompt_level_strict_acc,none": 0.5, "prompt_level_strict_acc_stderr,none": 0.02,
            "inst_level_strict_acc,none": 0.6, "inst_level_strict_acc_stderr,none": "N/A",
        }},
        math.hypot(0.02, math.sqrt(0.6 * 0.4 / 833)) / 2,
        100 * math.hypot(0.02, math.sqrt(0.6 * 0.4 / 833)) / 2, True,
        id="mean of two parts, one estimated from 834 instructions",
    ),
    pytest.param(
        V2, "musr",
        {
            MUSR + "murder_mysteries": {"acc_norm,none": 0.6, "acc_norm_stderr,none": 0.03},
            MUSR + "object_placements": {"acc_norm,none": 0.3, "acc_norm_stderr,none": 0.028},
            MUSR + "team_allocation": {"acc_norm,none": 0.4, "acc_norm_stderr,none": 0.031},
        },
        math.sqrt(0.03**2 + 0.028**2 + 0.031**2) / 3,
        math.sqrt((0.03 * 200) ** 2 + (0.028 * 125) ** 2 + (0.031 * 150) ** 2) / 3,
        False, id="normalized mean: each part scaled by its own baseline",
    ),
    pytest.param(
        V2, "musr",
        {
            MUSR + "murder_mysteries": {"acc_norm,none": 0.6},
            MUSR + "object_placements": {"acc_norm,none": 0.3},
            MUSR + "team_allocation": {"acc_norm,none": 0.4},
        },
        math.sqrt(0.6 * 0.4 / 249 + 0.3 * 0.7 / 255 + 0.4 * 0.6 / 249) / 3,
        math.sqrt(0.24 / 249 * 200**2 + 0.21 / 255 * 125**2 + 0.24 / 249 * 150**2) / 3,
        True, id="normalized mean, every part estimated (250, 256, 250 items)",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("suite", "key", "results", "raw", "normalized", "estimated"), CASES)
def test_stderr_is_read_or_estimated_and_carried_through_normalization(
    suite, key, results, raw, normalized, estimated
):
    score = scored(suite, key, results)
    assert score.stderr == pytest.approx(raw, rel=1e-12)
    assert score.normalized_stderr == pytest.approx(normalized, rel=1e-12)
    assert score.estimated is estimated


def test_a_benchmark_read_from_its_group_uses_the_groups_items():
    mmlu = scored(V1, "mmlu", {"mmlu": {"acc,none": 0.65}})  # no subject, only the group
    assert mmlu.stderr == pytest.approx(math.sqrt(0.65 * 0.35 / 14_041))
    assert mmlu.estimated


def test_no_stderr_without_items_to_estimate_it_from():
    from dataclasses import replace

    from leaderboard.suites.model import Part

    arc = benchmark(V1, "arc")
    (part,) = arc.parts
    unsized = replace(arc, parts=(Part(part.name, part.sources, part.num_choices),))
    result = parse_results(lmeval04({"arc_challenge": {"acc_norm,none": 0.6}}))
    score = score_benchmark(result, unsized)
    assert score.stderr is None and score.normalized_stderr is None and not score.estimated


@pytest.mark.parametrize(("correct", "items"), [(703, 1172), (1, 50), (49, 50), (6141, 12032)])
def test_the_binomial_estimate_is_lm_evals_own_stderr_of_a_mean(correct, items):
    from lm_eval.api.metrics import mean_stderr

    answers = [1] * correct + [0] * (items - correct)
    assert binomial_stderr(correct / items, items) == pytest.approx(mean_stderr(answers))


def test_normalized_stderr_scales_with_the_normalization():
    assert normalized_stderr(0.01, 0.0) == pytest.approx(1.0)
    assert normalized_stderr(0.01, 0.5) == pytest.approx(2.0)
    assert normalized_stderr(0.01, 0.25) == pytest.approx(4 / 3)


def test_every_part_of_every_suite_knows_its_number_of_items():
    sizes = {}
    for suite in (V1, V2, SAMPLE):
        for bench in suite.benchmarks:
            for part in (*bench.parts, *((bench.aggregate,) if bench.aggregate else ())):
                assert part.items and part.items > 1, (suite.name, bench.key, part.name)
            sizes[(suite.name, bench.key)] = sum(part.items for part in bench.parts)
    assert sizes[("v1", "mmlu")] == benchmark(V1, "mmlu").aggregate.items == 14_042
    assert sizes[("v2", "bbh")] == benchmark(V2, "bbh").aggregate.items == 5_761
    assert sizes[("v2", "musr")] == benchmark(V2, "musr").aggregate.items == 756
    assert {key: sizes[("v1", key)] for key in ("arc", "hellaswag", "truthfulqa", "winogrande",
            "gsm8k")} == {"arc": 1_172, "hellaswag": 10_042, "truthfulqa": 817,
                          "winogrande": 1_267, "gsm8k": 1_319}  # fmt: skip


def real_files() -> list[Path]:
    return sorted(REALDATA.glob("*/*/openllm/*.json"))


# Benchmarks whose metric is 0/1 per item: there the estimate must be the file's own stderr.
ZERO_ONE = {"arc": "arc_challenge", "hellaswag": "hellaswag", "winogrande": "winogrande",
            "gsm8k": "gsm8k"}  # fmt: skip


def test_estimates_equal_the_stderrs_of_real_lm_eval_files():
    """Every real lm-eval 0.4 file of the v1 benchmarks: its value scored without its stderr
    gives back the stderr the harness wrote (so each benchmark's number of items is right)."""
    compared = 0
    for path in real_files():
        document = json.loads(path.read_text())
        for key, task in ZERO_ONE.items():
            if task not in document.get("results", {}):
                continue
            as_written = score_benchmark(parse_results(document), benchmark(V1, key))
            stripped = json.loads(json.dumps(document))
            metrics = stripped["results"][task]
            for name in [n for n in metrics if "_stderr" in n]:
                del metrics[name]
            estimated = score_benchmark(parse_results(stripped), benchmark(V1, key))
            assert not as_written.estimated and estimated.estimated
            assert estimated.stderr == pytest.approx(as_written.stderr, rel=1e-9), path
            compared += 1
    assert compared >= 60, f"only {compared} real files compared"


def test_the_results_frame_keeps_each_scores_stderr_and_whether_it_was_estimated():
    from leaderboard.table.entries import result_entries
    from leaderboard.table.frames import results_frame

    document = lmeval04({
        "arc_challenge": {"acc_norm,none": 0.6, "acc_norm_stderr,none": 0.014},
        "hellaswag": {"acc_norm,none": 0.8},
    })  # fmt: skip
    result = parse_results(document)
    entries = result_entries(result, "org/model/results_2024-01-01T00-00-00.json", "1")
    (row,) = results_frame([e for e in entries if e.suite == "v1"]).to_dict("records")
    assert row["v1.arc_se"] == pytest.approx(1.4) and row["v1.arc_estimated"] == 0.0
    assert row["v1.hellaswag_se"] == pytest.approx(100 * math.sqrt(0.8 * 0.2 / 10_041))
    assert row["v1.hellaswag_estimated"] == 1.0
    assert math.isnan(row["v1.mmlu_se"])  # not in the file


def test_the_board_shows_each_scores_95_percent_interval_and_the_averages(tmp_path):
    """A v1 file with two benchmarks' stderrs and four estimated: every `_ci` column is
    1.96 standard errors of its score, the Average's is sqrt(sum se_i^2) / 6 of them."""
    from leaderboard.config import Settings
    from leaderboard.stores import LocalStore
    from leaderboard.table import TableLoader

    values = {"arc": 0.6, "hellaswag": 0.8, "winogrande": 0.7, "gsm8k": 0.3, "truthfulqa": 0.5}
    document = lmeval04({
        "arc_challenge": {"acc_norm,none": 0.6, "acc_norm_stderr,none": 0.014},
        "hellaswag": {"acc_norm,none": 0.8, "acc_norm_stderr,none": 0.004},
        "winogrande": {"acc,none": 0.7},
        "gsm8k": {"exact_match,strict-match": 0.3},
        "truthfulqa_mc2": {"acc,none": 0.5},
        "mmlu": {"acc,none": 0.65},
    })  # fmt: skip
    results, queue = tmp_path / "results", tmp_path / "queue"
    LocalStore(results).write(
        "org/model/results_2024-01-01T00-00-00.json", json.dumps(document).encode()
    )
    settings = Settings(queue=str(queue), results=str(results), cache_dir=str(tmp_path / "c"))
    board = TableLoader(LocalStore(results), LocalStore(queue), settings).load().board("v1")
    row = board.iloc[0]
    se = {
        "arc": 1.4,
        "hellaswag": 0.4,
        "winogrande": 100 * math.sqrt(0.7 * 0.3 / 1266),
        "gsm8k": 100 * math.sqrt(0.3 * 0.7 / 1318),
        "truthfulqa": 100 * math.sqrt(0.5 * 0.5 / 816),
        "mmlu": 100 * math.sqrt(0.65 * 0.35 / 14_041),
    }
    for key, error in se.items():
        assert row[f"{key}_ci"] == pytest.approx(1.959964 * error), key
    average = 1.959964 * math.sqrt(sum(e**2 for e in se.values())) / 6
    assert row["average_ci"] == pytest.approx(average)
    assert row["average"] == pytest.approx((sum(values.values()) + 0.65) / 6 * 100)


# (scores, half-widths, ranks): by hand, from 1 + the intervals wholly above each one.
RANK_CASES = [
    ([80.0, 70.0, 60.0], [1.0, 1.0, 1.0], [1, 2, 3]),  # apart: the plain order
    ([80.0, 79.5, 79.0], [1.0, 1.0, 0.2], [1, 1, 1]),  # [79, 81], [78.5, 80.5], [78.8, 79.2]
    ([80.0, 78.5, 77.0], [1.0, 1.0, 1.0], [1, 1, 2]),  # 79 > 78 only for the third
    ([80.0, 79.0, 70.0, 69.5], [0.4, 0.4, 0.1, 5.0], [1, 2, 3, 3]),  # wide: shares the 3rd
    ([80.0, 80.0, 79.99], [float("nan")] * 3, [1, 1, 3]),  # no interval: equal scores tie
    ([80.0, float("nan"), 70.0], [1.0, 1.0, 1.0], [1, None, 2]),  # no score, no rank
    ([75.0, 74.0], [0.5, 0.5], [1, 1]),  # touching bounds (74.5 = 74.5) overlap
    ([], [], []),
]


@pytest.mark.parametrize(("scores", "widths", "ranks"), RANK_CASES)
def test_ranks_follow_the_interval_rule(scores, widths, ranks):
    got = interval_ranks(np.array(scores, dtype="float64"), np.array(widths, dtype="float64"))
    assert [None if value is pd.NA else int(value) for value in got] == ranks
