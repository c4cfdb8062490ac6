"""The model page's record (`profile.py`), its HTML (`ui/model_page.py`) and the comparison
(`comparison.py`), in process: real files (the embedded board, a real lm-eval v2 file), hand
arithmetic, and hostile text."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from conftest import copy_demo_stores, write_json
from leaderboard.comparison import compare_scores, parse_names, task_metric
from leaderboard.config import Settings
from leaderboard.domain.provenance import MAX_PROVENANCE_TEXT, read_provenance
from leaderboard.errors import LeaderboardError
from leaderboard.profile import ModelNotFound, load_profile
from leaderboard.suites import CI_Z, SUITES, V1, V2, lower_bound, normalize
from leaderboard.table import TableLoader
from leaderboard.ui.compare_page import render_comparison
from leaderboard.ui.model_page import render_profile
from leaderboard.ui.store_files import file_url
from test_realdata import V2_FILE

TOP = "jeonsworld/CarbonVillain-en-10.7B-v4"
IMG = '<img src=x onerror="alert(1)">'


def loaded(root, queue=None, results=None):
    queue, results = queue or root / "queue", results or root / "results"
    settings = Settings(queue=str(queue), results=str(results), cache_dir=str(root / "cache"))
    loader = TableLoader.from_settings(settings)
    return loader, loader.load()


@pytest.fixture
def demo(tmp_path):
    return loaded(tmp_path, *copy_demo_stores(tmp_path))


@pytest.fixture
def real_v2(tmp_path, realdata):
    source = realdata / "results_raw_lmeval_v04_leaderboard_v2_tasks" / V2_FILE
    target = tmp_path / "results" / "Qwen" / "Qwen3-8B" / "results_2025-10-09T15-03-15.json"
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    (tmp_path / "queue").mkdir()
    loader, snapshot = loaded(tmp_path)
    raw = json.loads(source.read_text())
    return loader, snapshot, raw


def test_each_subtask_is_normalized_with_its_own_baseline(real_v2):
    loader, snapshot, raw = real_v2
    profile = load_profile(snapshot, V2, "Qwen/Qwen3-8B", "", loader.results_store)
    bbh = next(line for line in profile.benchmarks if line.key == "bbh")
    assert len(bbh.subtasks) == 24
    benchmark = V2.benchmark("bbh")
    for part, line in zip(benchmark.parts, bbh.subtasks, strict=True):
        value = raw["results"][part.sources[0].tasks[0]]["acc_norm,none"]
        assert line.label == part.name
        assert line.raw == value
        assert line.score == pytest.approx(normalize(value, lower_bound(part.num_choices)))
        assert line.estimated  # the file says "N/A": estimated from the part's items
    # The benchmark's score is the mean of its normalized subtasks, as on the board.
    assert bbh.score == pytest.approx(np.mean([line.score for line in bbh.subtasks]))
    assert [line.label for line in profile.benchmarks[0].subtasks] == [
        "prompt-level strict",
        "instruction-level strict",
    ]


def test_the_provenance_of_a_real_lm_eval_file(real_v2):
    loader, snapshot, raw = real_v2
    profile = load_profile(snapshot, V2, "Qwen/Qwen3-8B", "4bit", loader.results_store)
    provenance = profile.provenance
    assert provenance.harness == "lm-eval 0.4.9.1"
    assert provenance.git_hash == raw["git_hash"] == "3e091a1"
    assert provenance.transformers == "4.57.0"
    assert provenance.model_args == "pretrained=Qwen/Qwen3-8B,load_in_4bit=True"
    tasks = {task.task: task for task in provenance.tasks}
    assert tasks["leaderboard_bbh_snarks"].n_shot == 3
    assert tasks["leaderboard_bbh_snarks"].version == "1.0"
    assert profile.results_path.endswith("results_2025-10-09T15-03-15.json")
    assert "load_in_4bit=True" in profile.command  # its own precision, not the generic one
    assert "revision=b968826d9c46dd6066d109eabc6255188de91218" in profile.command


def test_read_provenance_takes_only_what_is_well_typed():
    assert read_provenance([1, 2]) == read_provenance({})
    hostile = read_provenance(
        {
            "lm_eval_version": "x" * 10_000,
            "git_hash": {"nested": "object"},
            "versions": {"a": 1, "b": [1]},
            "n-shot": {"a": "five", "b": 3},
            "total_evaluation_time_seconds": "-5",
            "config": "not an object",
        }
    )
    assert len(hostile.harness) == len("lm-eval ") + MAX_PROVENANCE_TEXT
    assert hostile.git_hash == "" and hostile.evaluation_seconds is None
    assert [(t.task, t.version, t.n_shot) for t in hostile.tasks] == [
        ("a", "1", None),
        ("b", "", 3),
    ]


def test_ranks_among_its_type_and_size_follow_the_interval_rule(demo):
    loader, snapshot = demo
    profile = load_profile(snapshot, V1, TOP, "", loader.results_store)
    board = snapshot.board("v1")
    assert [s.group for s in profile.standings] == [
        "all models",
        "💬 chat models (RLHF, DPO, IFT, ...)",
        "Mid-range (7-65B)",
    ]
    for standing, members in zip(
        profile.standings,
        [board, board[board["model_type"] == board.iloc[0]["model_type"]], board],
        strict=True,
    ):
        averages = [round(a * 100 + 1e-9) / 100 for a in members["average"]]
        bounds = list(zip(averages, members["average_ci"], strict=True))
        mine = members.reset_index(drop=True).index[members["model"].to_numpy() == TOP][0]
        low_high = [(a - w, a + w) for a, w in bounds]
        expected = 1 + sum(low > low_high[mine][1] for low, _ in low_high)
        assert (standing.rank, standing.of) == (expected, len(members))


def test_an_unknown_model_or_precision_says_what_there_is(demo):
    loader, snapshot = demo
    with pytest.raises(ModelNotFound, match="No model `nobody/x` on the Open LLM Leaderboard v1"):
        load_profile(snapshot, V1, "nobody/x", "", loader.results_store)
    with pytest.raises(ModelNotFound, match=r"has no 8bit row .* it has: float16"):
        load_profile(snapshot, V1, TOP, "8bit", loader.results_store)


def test_history_lists_every_results_file_newest_first(tmp_path):
    queue, results = copy_demo_stores(tmp_path)
    [newest] = (results / TOP).glob("results_*.json")
    data = json.loads(newest.read_text())
    data["results"]["arc:challenge"]["acc_norm"] = 0.5
    write_json(results, f"{TOP}/results_2023-01-01T00-00-00.000000.json", data)
    loader, snapshot = loaded(tmp_path, queue, results)
    profile = load_profile(snapshot, V1, TOP, "", loader.results_store)
    assert [entry.file for entry in profile.history] == [
        f"{TOP}/{newest.name}",
        f"{TOP}/results_2023-01-01T00-00-00.000000.json",
    ]
    arc = [dict(entry.scores)["ARC"] for entry in profile.history]
    assert arc == [pytest.approx(71.25), pytest.approx(50.0)]
    assert "<h3>History</h3>" in render_profile(profile, file_url)


def test_hostile_text_on_the_model_page_is_text(tmp_path):
    queue, results = copy_demo_stores(tmp_path)
    [source] = (results / TOP).glob("results_*.json")
    data = json.loads(source.read_text())
    data["config"]["model_name"] = IMG
    data["config"]["model_sha"] = "<script>alert(2)</script>"
    write_json(results, "evil/model/results_2024-01-01T00-00-00.000000.json", data)
    loader, snapshot = loaded(tmp_path, queue, results)
    profile = load_profile(snapshot, V1, IMG, "", loader.results_store)
    assert profile.hub_url is None  # not a Hub id: no link to the Hub
    page = render_profile(profile, file_url)
    assert "<img" not in page and "<script" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    for href in re.findall(r'href="([^"]*)"', page):
        assert href.startswith(("?", "https://huggingface.co/", "gradio_api/results-file/")), href


def test_compare_marks_each_difference_from_the_first_model(demo):
    loader, snapshot = demo
    board = snapshot.board("v1")
    first, second = board.iloc[0], board.iloc[-1]
    profiles = [
        load_profile(snapshot, V1, str(row["model"]), str(row["precision"]), loader.results_store)
        for row in (first, second)
    ]
    scores = compare_scores(profiles, V1)
    average = scores[0]
    difference = average.differences[1]
    assert difference.difference == pytest.approx(second["average"] - first["average"])
    half = CI_Z * np.hypot(first["average_ci"] / CI_Z, second["average_ci"] / CI_Z)
    assert difference.half_width == pytest.approx(half)
    assert difference.significant is bool(abs(difference.difference) > half)
    gsm8k = scores[-1]
    assert gsm8k.scores == (first["gsm8k"], second["gsm8k"])


def test_the_compare_page_escapes_names(demo):
    loader, snapshot = demo
    profiles = [load_profile(snapshot, V1, TOP, "", loader.results_store)] * 2
    from leaderboard.comparison import build_comparison

    def no_samples(path):
        raise LeaderboardError("unused")

    comparison = build_comparison(profiles, V1, no_samples)
    page = render_comparison(comparison)
    assert "No task has per-sample files" in page
    assert page.count("not significant") == 7  # the same model: no difference is significant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a/b, c/d", [("a/b", ""), ("c/d", "")]),
        ("a/b@bfloat16,c/d,a/b@bfloat16", [("a/b", "bfloat16"), ("c/d", "")]),
        (["a/b", "c/d", "e/f", "g/h"], [("a/b", ""), ("c/d", ""), ("e/f", ""), ("g/h", "")]),
    ],
)
def test_parse_names(text, expected):
    assert parse_names(text) == expected


@pytest.mark.parametrize("text", ["a/b", "a/b,a/b", "a,b,c,d,e", "x" * 2000, ""])
def test_parse_names_refuses_other_than_two_to_four(text):
    with pytest.raises(LeaderboardError, match=r"Compare 2 to 4|at most"):
        parse_names(text)


def test_the_metric_of_a_task_is_the_one_its_suite_scores():
    suites = list(SUITES.values())
    assert task_metric(suites, "sample_mc", ["acc", "acc_norm"]) == "acc_norm"
    assert task_metric(suites, "sample_gen", ["exact_match"]) == "exact_match"
    assert task_metric(suites, "unknown_task", ["bleu", "rouge"]) == "bleu"
    assert task_metric(suites, "unknown_task", []) is None


def samples_file(count: int, *, bad_head: int = 0) -> bytes:
    line = {
        "doc_id": 0,
        "arguments": {"gen_args_0": {"arg_0": "Q?", "arg_1": {}}},
        "target": "a",
        "resps": [["a"]],
        "filtered_resps": ["a"],
        "filter": "none",
        "metrics": ["exact_match"],
        "exact_match": 1.0,
    }
    lines = ["not json"] * bad_head
    lines += [json.dumps({**line, "doc_id": i, "exact_match": float(i % 2)}) for i in range(count)]
    return ("\n".join(lines) + "\n").encode()


def test_a_large_task_opens_from_its_first_lines_then_whole(tmp_path):
    from leaderboard.samples import details_path
    from leaderboard.stores import LocalStore
    from leaderboard.ui.sample_viewer import FIRST_LINES, SampleReader

    store = LocalStore(tmp_path)
    big = details_path("a/b", "2026-01-01T00-00-00.000000", "big")
    small = details_path("a/b", "2026-01-01T00-00-00.000000", "small")
    odd = details_path("a/b", "2026-01-01T00-00-00.000000", "odd")
    store.write(big, samples_file(1000))
    store.write(small, samples_file(2 * FIRST_LINES))
    store.write(odd, samples_file(500, bad_head=FIRST_LINES))  # no sample in its first lines
    reader = SampleReader(store)
    opened = list(reader.opening(big, "a/b"))
    assert [(len(s.samples), reading) for s, reading in opened] == [
        (FIRST_LINES, 1000),
        (1000, None),
    ]
    assert [s.doc_id for s in opened[0][0].samples] == list(range(FIRST_LINES))
    assert [(len(s.samples), r) for s, r in reader.opening(big, "a/b")] == [(1000, None)]  # kept
    assert [(len(s.samples), r) for s, r in reader.opening(small)] == [(2 * FIRST_LINES, None)]
    [(whole, reading)] = reader.opening(odd)
    assert (len(whole.samples), whole.skipped, reading) == (500, FIRST_LINES, None)
    store.write(big, samples_file(300))  # a new version is read again
    assert len(reader.read(big).samples) == 300
    with pytest.raises(LeaderboardError, match="not one of the model's samples files"):
        reader.read(big, "c/d")


def test_the_samples_api_page_is_json_even_with_infinite_log_likelihoods():
    from leaderboard.sample_query import SampleQuery, view
    from leaderboard.samples import parse_samples
    from leaderboard.ui.sample_viewer import sample_page_json

    line = {
        "doc_id": 0,
        "arguments": {
            f"gen_args_{i}": {"arg_0": "Q", "arg_1": f" {c}"} for i, c in enumerate("ab")
        },
        "target": 1,
        "resps": [[["-inf", "False"]], [["-1.5", "False"]]],
        "filtered_resps": [["-inf", "False"], ["-1.5", "False"]],
        "filter": "none",
        "metrics": ["acc"],
        "acc": 1.0,
    }
    samples = parse_samples((json.dumps(line) + "\n").encode(), "t")
    page = sample_page_json(samples, view(samples, SampleQuery()))
    [sample] = page["samples"]
    assert sample["loglikelihoods"] == [None, -1.5] and sample["chosen"] == 1
    assert (sample["target"], sample["filtered"].strip(), sample["correct"]) == ("b", "b", True)
    json.dumps(page, allow_nan=False)  # strict JSON
