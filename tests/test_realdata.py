"""The parsers and the scoring against real public files (/work/shared/realdata, README.txt).

Every file of the collection is read. Expected values come from the files themselves (the raw
metrics, a wrapper's own normalized scores, the published boards' columns), so a wrong
normalization, metric, few-shot rule or parser shows here against numbers we did not write.
Skipped when the data folder is absent.
"""

from __future__ import annotations

import json
import math
import shutil
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from leaderboard.config import Settings
from leaderboard.domain import (
    EvalRequest,
    ModelType,
    Precision,
    ResultFormat,
    Status,
    parse_results,
)
from leaderboard.errors import ParseError
from leaderboard.stores.local import LocalStore
from leaderboard.suites import V1, V2, normalize, score_result
from leaderboard.suites.v1 import MMLU_SUBJECTS
from leaderboard.table import TableLoader

RESULT_FOLDERS = (
    "results_raw_lmeval_v03",
    "results_raw_lmeval_v04_oll_v1_settings",
    "results_raw_lmeval_v04_leaderboard_v2_tasks",
    "results_template_format",
)
OLL_V1_SETTINGS = "results_raw_lmeval_v04_oll_v1_settings"
V2_FILE = "mattdepaolis_Qwen3-8B_2025-10-09_150315_results.json"
SUMMARY = "summary_openllm.json"  # saucam's run summaries: an elapsed time, no results
INCOMPLETE_MODEL = "saucam/mistral-orpo-beta-NeuralBeagle14-7B-dare-ties"  # no mmlu.json


@cache
def load(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def json_files(root: Path) -> list[tuple[Path, str]]:
    """(file, path relative to its folder) for every .json under `root`."""
    return [(f, f.relative_to(root).as_posix()) for f in sorted(root.rglob("*.json"))]


# ---------------------------------------------------------------------------------------------
# Every results file


def test_every_results_file_parses_except_the_run_summaries(realdata):
    parsed, refused, total = [], {}, 0
    for folder in RESULT_FOLDERS:
        for file, relative in json_files(realdata / folder):
            total += 1
            try:
                result = parse_results(load(file), path=relative)
            except ParseError as exc:
                refused[f"{folder}/{relative}"] = str(exc)
                continue
            parsed.append(result)
            assert result.model, relative
            assert result.metrics, relative
    summaries = {
        f"{OLL_V1_SETTINGS}/{relative}"
        for _, relative in json_files(realdata / OLL_V1_SETTINGS)
        if relative.endswith(f"/{SUMMARY}")
    }
    assert set(refused) == summaries, f"refused {len(refused)} of {total} files"
    assert all("no `results` object" in reason for reason in refused.values())
    assert (total, len(parsed), len(refused)) == (281, 263, 18)
    formats = pd.Series([r.format.value for r in parsed]).value_counts().to_dict()
    assert formats == {
        ResultFormat.LM_EVAL_03.value: 166,
        ResultFormat.LM_EVAL_04.value: 96,
        ResultFormat.TEMPLATE.value: 1,
    }


# ---------------------------------------------------------------------------------------------
# lm-eval 0.4 with the OLL v1 settings (saucam/model_evals)


def _result_metric(raw: dict, task: str, metric: str) -> float:
    return raw["results"][task][metric]


# file name -> (benchmark, independent reader of the expected raw value)
V1_TASK_FILES = {
    "arc.json": ("arc", lambda raw: _result_metric(raw, "arc_challenge", "acc_norm,none")),
    "hellaswag.json": ("hellaswag", lambda raw: _result_metric(raw, "hellaswag", "acc_norm,none")),
    "truthfulqa.json": (
        "truthfulqa",
        lambda raw: _result_metric(raw, "truthfulqa_mc2", "acc,none"),
    ),
    "winogrande.json": ("winogrande", lambda raw: _result_metric(raw, "winogrande", "acc,none")),
    "gsm8k.json": ("gsm8k", lambda raw: _result_metric(raw, "gsm8k", "exact_match,strict-match")),
    "mmlu.json": (
        "mmlu",
        lambda raw: sum(raw["results"][f"mmlu_{s}"]["acc,none"] for s in MMLU_SUBJECTS) / 57,
    ),
}


FILE_DTYPES = {
    None: Precision.UNKNOWN,
    "torch.bfloat16": Precision.BFLOAT16,
    "torch.float16": Precision.FLOAT16,
}


def test_oll_v1_settings_scores_equal_the_files_values(realdata):
    root = realdata / OLL_V1_SETTINGS
    checked = dict.fromkeys(V1_TASK_FILES, 0)
    for file, relative in json_files(root):
        if file.name == SUMMARY:
            continue
        benchmark, expected_raw = V1_TASK_FILES[file.name]
        raw = load(file)
        result = parse_results(raw, path=relative)
        scores = score_result(result, V1)
        assert set(scores) == {benchmark}, relative
        assert scores[benchmark].normalized == pytest.approx(expected_raw(raw) * 100, rel=1e-12)
        assert score_result(result, V2) == {}, relative
        org, model = relative.split("/")[:2]
        assert result.model == f"{org}/{model}"  # from `pretrained=`, not the store path
        # dtype=auto everywhere; newer lm-eval runs also record the dtype the weights loaded in.
        assert result.precision is FILE_DTYPES[raw["config"].get("model_dtype")], relative
        checked[file.name] += 1
    assert checked == {**dict.fromkeys(V1_TASK_FILES, 16), "mmlu.json": 15}


def test_oll_v1_settings_mmlu_plain_mean_is_close_to_the_weighted_group(realdata):
    """The v1 board averaged subjects; lm-eval weights them by size. Close, not equal.

    The plain mean is above the weighted one in every file (large subjects such as
    professional_law score low); the widest gap is 1.97 points (saucam/Saga-8B).
    """
    gaps = {}
    for file, relative in json_files(realdata / OLL_V1_SETTINGS):
        if file.name != "mmlu.json":
            continue
        raw = load(file)
        ours = score_result(parse_results(raw, path=relative), V1)["mmlu"].normalized
        weighted = raw["groups"]["mmlu"]["acc,none"] * 100
        gaps[relative] = ours - weighted
    assert len(gaps) == 15
    assert all(0 < gap < 2.0 for gap in gaps.values()), gaps
    assert sum(gap < 1.5 for gap in gaps.values()) == 14, gaps


# ---------------------------------------------------------------------------------------------
# lm-eval 0.3 (EleutherAI's results folder)

# benchmark -> (task, metric, few-shot count the v1 board used)
V1_IN_03 = {
    "arc": ("arc_challenge", "acc_norm", 25),
    "hellaswag": ("hellaswag", "acc_norm", 10),
    "truthfulqa": ("truthfulqa_mc", "mc2", 0),
    "winogrande": ("winogrande", "acc", 5),
    "gsm8k": ("gsm8k", "acc", 5),
}


def expected_03(raw: dict) -> dict[str, float]:
    """What the v1 board may take from an 0.3 file: only values at the benchmark's shots."""
    shots, results = raw["config"]["num_fewshot"], raw["results"]
    expected = {
        key: results[task][metric] * 100
        for key, (task, metric, wanted) in V1_IN_03.items()
        if task in results and shots == wanted
    }
    subjects = [f"hendrycksTest-{s}" for s in MMLU_SUBJECTS]
    if shots == 5 and all(s in results for s in subjects):
        expected["mmlu"] = sum(results[s]["acc"] for s in subjects) / 57 * 100
    return expected


def test_lmeval_03_scores_only_at_the_benchmarks_shots(realdata):
    root = realdata / "results_raw_lmeval_v03"
    picked, seen_at_other_shots = {}, 0
    for file, relative in json_files(root):
        raw = load(file)
        scores = score_result(parse_results(raw, path=relative), V1)
        ours = {key: score.normalized for key, score in scores.items()}
        expected = expected_03(raw)
        assert ours == pytest.approx(expected, rel=1e-12), relative
        for key in ours:
            picked[key] = picked.get(key, 0) + 1
        seen_at_other_shots += sum(
            task in raw["results"] and raw["config"]["num_fewshot"] != wanted
            for task, _, wanted in V1_IN_03.values()
        )
    # ARC, HellaSwag and Winogrande were only run 0-shot there: never on the v1 board.
    assert picked == {"mmlu": 4, "truthfulqa": 7, "gsm8k": 11}, picked
    assert seen_at_other_shots > 50


def test_lmeval_03_model_names_and_precision(realdata):
    root = realdata / "results_raw_lmeval_v03"
    models, precisions = set(), {}
    for file, relative in json_files(root):
        result = parse_results(load(file), path=relative)
        models.add(result.model)
        precisions[relative] = result.precision
    # Local checkpoints (LLaMA) fall back to the folder names; the rest are Hub ids.
    assert {
        "llama/llama-7B",
        "bigscience/bloom-1b1",
        "facebook/opt-125m",
        "mosaicml/mpt-7b",
    } <= models
    assert precisions["mpt/mpt-7b/mpt-7b_mmlu_5-shot.json"] is Precision.BFLOAT16  # dtype=bfloat16


# ---------------------------------------------------------------------------------------------
# lm-eval 0.4 `leaderboard` group (the v2 tasks)

V2_NORMALIZED_KEYS = {
    "ifeval": "normalized_leaderboard_ifeval",
    "bbh": "normalized_bbh_average",
    "math_lvl5": "normalized_leaderboard_math_hard",
    "mmlu_pro": "normalized_leaderboard_mmlu_pro",
    "musr": "normalized_musr_average",
}


def test_v2_scores_equal_the_wrappers_normalized_scores(realdata):
    raw = load(realdata / "results_raw_lmeval_v04_leaderboard_v2_tasks" / V2_FILE)
    result = parse_results(raw, path=V2_FILE)
    scores = score_result(result, V2)
    assert set(scores) == {b.key for b in V2.benchmarks}
    for key, theirs in V2_NORMALIZED_KEYS.items():
        assert scores[key].normalized == pytest.approx(
            raw["normalized_scores"][theirs], rel=1e-6, abs=1e-6
        ), key
    # The wrapper averaged GPQA's three subsets after normalizing each (33.33 here); the
    # leaderboard normalizes lm-eval's own `leaderboard_gpqa` value, computed over all of
    # GPQA's questions, with 4 choices. With limit=1 the two differ widely (11.11 vs 33.33).
    gpqa = raw["results"]["leaderboard_gpqa"]["acc_norm,none"]
    assert scores["gpqa"].normalized == pytest.approx(normalize(gpqa, 0.25), rel=1e-12)
    assert scores["gpqa"].normalized == pytest.approx(100 / 9)
    assert raw["normalized_scores"]["normalized_gpqa_average"] == pytest.approx(100 / 3)


def test_v2_file_metadata(realdata):
    raw = load(realdata / "results_raw_lmeval_v04_leaderboard_v2_tasks" / V2_FILE)
    result = parse_results(raw, path=V2_FILE)
    assert result.format is ResultFormat.LM_EVAL_04
    assert result.model == "Qwen/Qwen3-8B"
    assert result.precision is Precision.INT4  # load_in_4bit beats model_dtype bfloat16
    assert result.model_sha == "b968826d9c46dd6066d109eabc6255188de91218"
    assert result.harness_version == "lm-eval 0.4.9.1"
    assert result.evaluated_at.isoformat().startswith("2025-10-09T15:03:15")
    assert result.n_samples["leaderboard_mmlu_pro"] == 1  # limit=1: effective, not original
    assert {"leaderboard", "leaderboard_bbh", "leaderboard_musr"} <= result.groups
    # stderr values are the string "N/A" there: dropped, never a metric.
    assert all("stderr" not in name for values in result.metrics.values() for name in values)


# ---------------------------------------------------------------------------------------------
# Template request and results files


def test_template_request_files_parse(realdata):
    root = realdata / "requests_template_format" / "eval-queue"
    requests = {
        relative: EvalRequest.from_json(load(f), path=relative) for f, relative in json_files(root)
    }
    assert len(requests) == 2
    sharath = requests["Sharathhebbar24/Instruct_GPT_eval_request_False_float16_Original.json"]
    assert sharath.model == "Sharathhebbar24/Instruct_GPT"
    assert sharath.model_type is ModelType.UNKNOWN  # "model_type": []
    assert sharath.private is False  # no "private" key
    assert sharath.params is None  # "params": 0
    assert sharath.status is Status.PENDING
    assert sharath.path == "Sharathhebbar24/Instruct_GPT_eval_request_False_float16_Original.json"
    demo = requests["demo-leaderboard/gpt2-demo_eval_request_False_bfloat16_Original.json"]
    assert demo.model_type is ModelType.PRETRAINED  # "🟢 : pretrained"
    assert demo.status is Status.FINISHED
    assert demo.params == 0.1
    # The file's name and content disagree (gpt2/bfloat16 vs gpt3/float16): content wins.
    assert (demo.model, demo.precision) == ("demo-leaderboard/gpt3-demo", Precision.FLOAT16)


def test_template_results_file(realdata):
    root = realdata / "results_template_format" / "eval-results"
    [(file, relative)] = json_files(root)
    result = parse_results(load(file), path=relative)
    assert result.format is ResultFormat.TEMPLATE
    assert result.model == "demo-leaderboard/gpt3-demo"  # config.model_name beats the path
    assert result.precision is Precision.FLOAT16
    assert result.evaluated_at.isoformat() == "2023-11-21T18:10:08+00:00"
    assert score_result(result, V1) == {} and score_result(result, V2) == {}


# ---------------------------------------------------------------------------------------------
# Published boards (snapshots)

V2_NORMALIZATION = {"gpqa": 0.25, "mmlu_pro": 0.1, "math": 0.0, "ifeval": 0.0}
V2_SIX = ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro")
V1_SIX = ["arc", "hellaswag", "mmlu", "truthfulqa", "winogrande", "gsm8k"]


def mismatches(ours: pd.Series, published: pd.Series, tolerance: float) -> pd.Series:
    close = (ours - published).abs() <= tolerance + tolerance * published.abs()
    return ~close


@pytest.mark.parametrize("key", list(V2_NORMALIZATION))
def test_v2_board_normalization_reproduces_every_published_row(realdata, key):
    board = pd.read_csv(realdata / "snapshots" / "fboulnois_oll_v2_api_formatted_2025-03-21.csv")
    lower = V2_NORMALIZATION[key]
    ours = board[f"evaluations_{key}_value"].map(lambda v: normalize(v, lower))
    published = board[f"evaluations_{key}_normalized_score"]
    bad = mismatches(ours, published, 1e-6)
    assert len(board) == 4576
    assert not bad.any(), (
        f"{bad.sum()} of {len(board)} rows differ: {board.loc[bad, 'model_name'].head().tolist()}"
    )


def test_v2_board_average_is_the_mean_of_the_six_normalized_scores(realdata):
    board = pd.read_csv(realdata / "snapshots" / "fboulnois_oll_v2_api_formatted_2025-03-21.csv")
    columns = [f"evaluations_{b}_normalized_score" for b in V2_SIX]
    bad = mismatches(board[columns].mean(axis=1), board["model_average_score"], 1e-6)
    assert not bad.any(), f"{bad.sum()} of {len(board)} rows differ"


def test_v2_board_types_and_precisions_parse(realdata):
    board = pd.read_csv(realdata / "snapshots" / "fboulnois_oll_v2_api_formatted_2025-03-21.csv")
    types = board["model_type"].map(ModelType.parse)
    unknown = board.loc[types == ModelType.UNKNOWN, "model_type"]
    assert set(unknown) == {"❓other"}, f"{len(unknown)} of {len(board)} unknown: {set(unknown)}"
    assert (types != ModelType.UNKNOWN).sum() == len(board) - 7
    assert set(types) == set(ModelType)  # every member appears on the board
    precisions = board["model_precision"].map(Precision.parse)
    assert (precisions != Precision.UNKNOWN).all(), set(
        board.loc[precisions == Precision.UNKNOWN, "model_precision"]
    )
    # Our Precision spells what it parses the way the board does.
    assert (precisions == board["model_precision"]).all()


def test_v2_gradio_table_average_is_the_mean_of_the_six(realdata):
    board = pd.read_csv(realdata / "snapshots" / "fboulnois_oll_v2_gradio_table_2024-12-10.csv")
    six = ["ifeval", "bbh", "math_lvl_5", "gpqa", "musr", "mmlupro"]
    bad = mismatches(board[six].mean(axis=1).round(2), board["average"], 0.011)
    assert not bad.any(), f"{bad.sum()} of {len(board)} rows differ"
    assert (board["type"].map(ModelType.parse) != ModelType.UNKNOWN).all()


@pytest.mark.parametrize(
    "name", ["fboulnois_oll_v1_final_archived.csv", "fboulnois_oll_v1_live_2024-06-19.csv"]
)
def test_v1_board_average_is_the_plain_mean_of_the_six(realdata, name):
    board = pd.read_csv(realdata / "snapshots" / name)
    complete = board[V1_SIX].notna().all(axis=1)
    rows = board[complete]
    ours = rows[V1_SIX].mean(axis=1).round(2)
    bad = (ours - rows["average"]).abs() > 0.011  # published values are rounded to 2 decimals
    assert len(rows) > 7000, f"only {len(rows)} complete rows"
    assert not bad.any(), f"{bad.sum()} of {len(rows)} rows differ"


@pytest.mark.parametrize(
    "name", ["fboulnois_oll_v1_final_archived.csv", "fboulnois_oll_v1_live_2024-06-19.csv"]
)
def test_v1_board_types_and_precisions_parse(realdata, name):
    board = pd.read_csv(realdata / "snapshots" / name)
    typed = board["type"].dropna()
    typed = typed[typed.str.strip() != ""]
    unknown = typed[typed.map(ModelType.parse) == ModelType.UNKNOWN]
    assert len(typed) > 6800
    assert unknown.empty, f"{len(unknown)} of {len(typed)} types unknown: {set(unknown)}"
    precisions = board["precision"].map(Precision.parse)
    assert (precisions != Precision.UNKNOWN).all()
    assert set(precisions) == {
        Precision.FLOAT16,
        Precision.BFLOAT16,
        Precision.INT4,
        Precision.INT8,
        Precision.GPTQ,
    }


def test_dsdanielpark_average_is_the_mean_of_the_four(realdata):
    rows = load(realdata / "snapshots" / "dsdanielpark_oll_v1_2023-09-15.json")
    bad = [row for row in rows if abs(sum(row[2:6]) / 4 - row[1]) > 0.011]
    assert len(rows) == 1240
    assert not bad, f"{len(bad)} of {len(rows)} rows differ, e.g. {bad[:3]}"


def test_dsdanielpark_csv_is_the_json_rounded(realdata):
    table = pd.read_csv(
        realdata / "snapshots" / "dsdanielpark_oll_v1_2023-09-15.csv", encoding="utf-8-sig"
    )
    rows = load(realdata / "snapshots" / "dsdanielpark_oll_v1_2023-09-15.json")
    assert table["Model"].tolist() == [row[0] for row in rows]
    assert table["Average"].tolist() == [row[1] for row in rows]
    columns = ["ARC(25-shot)", "HellaSwag(10-shot)", "MMLU(5-shot)", "TruthfulQA(0-shot)"]
    for index, column in enumerate(columns, start=2):
        gaps = (table[column] - pd.Series([row[index] for row in rows])).abs()
        assert gaps.max() <= 0.05 + 1e-9, column


# ---------------------------------------------------------------------------------------------
# A board built end to end from the OLL-v1-settings files


def test_board_from_the_oll_v1_settings_folder(realdata, tmp_path):
    source = realdata / OLL_V1_SETTINGS
    results_dir = tmp_path / "results"
    shutil.copytree(source, results_dir)
    loader = TableLoader(
        LocalStore(results_dir),
        LocalStore(tmp_path / "queue"),
        Settings(cache_dir=str(tmp_path / "cache")),
    )
    snapshot = loader.load()

    models = {
        f"{d.parent.parent.name}/{d.parent.name}": sorted(p.name for p in d.glob("*.json"))
        for d in source.glob("*/*/openllm")
    }
    assert len(models) == 16
    board = snapshot.board("v1")
    assert snapshot.board_order == ("v1",)
    assert sorted(board["model"]) == sorted(models), "one row per model folder with task files"
    assert board["precision"].value_counts().to_dict() == {
        "Unknown": 13,
        "bfloat16": 2,
        "float16": 1,
    }

    by_model = board.set_index("model")
    complete = 0
    for model, files in models.items():
        row = by_model.loc[model]
        if len(files) < 6:
            assert model == INCOMPLETE_MODEL and "mmlu.json" not in files
            assert math.isnan(row["average"]) and math.isnan(row["mmlu"])
            assert not math.isnan(row["arc"])
            continue
        folder = source / model / "openllm"
        six = [
            V1_TASK_FILES[name][1](load(folder / name)) * 100
            for name in (
                "arc.json",
                "hellaswag.json",
                "mmlu.json",
                "truthfulqa.json",
                "winogrande.json",
                "gsm8k.json",
            )
        ]
        assert row["average"] == pytest.approx(sum(six) / 6, rel=1e-12), model
        assert [row[key] for key in V1_SIX] == pytest.approx(six, rel=1e-12), model
        complete += 1
    assert complete == 15
    # Ranked by average, the incomplete row last.
    assert board["model"].iloc[-1] == INCOMPLETE_MODEL
    assert board["average"].iloc[:-1].is_monotonic_decreasing

    skipped = {s.path: s.reason for s in snapshot.skipped}
    summaries = {relative for _, relative in json_files(source) if relative.endswith(f"/{SUMMARY}")}
    assert set(skipped) == summaries and len(summaries) == 18
    assert all("no `results` object" in reason for reason in skipped.values())
