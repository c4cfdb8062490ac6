"""Stores -> boards through the real loader: the embedded data, merging, skipping, caching."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import REPO
from leaderboard.config import Settings
from leaderboard.query import Query, present, run_query
from leaderboard.stores import LocalStore
from leaderboard.suites import get_suite
from leaderboard.table import TableLoader
from leaderboard.ui.board_view import linkable

EXPECTED_ORDER = [
    ("jeonsworld/CarbonVillain-en-10.7B-v4", 74.52),
    ("jeonsworld/CarbonVillain-en-10.7B-v2", 74.42),
    ("jeonsworld/CarbonVillain-en-10.7B-v3", 74.41),
    ("kekmodel/StopCarbon-10.7B-v5", 74.41),
    ("kyujinpy/Sakura-SOLAR-Instruct", 74.40),
    ("DopeorNope/SOLARC-MOE-10.7Bx6", 74.35),
    ("kekmodel/StopCarbon-10.7B-v4", 74.29),
    ("jeonsworld/CarbonVillain-en-10.7B-v1", 74.28),
    ("jeonsworld/CarbonVillain-en-13B-v1", 74.28),
    ("DopeorNope/SOLARC-MOE-10.7Bx4", 74.27),
    ("Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct", 74.26),
    ("Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct-test", 74.26),
]


def loader_for(settings: Settings) -> TableLoader:
    return TableLoader(LocalStore(settings.results), LocalStore(settings.queue), settings)


def shown_v1(loader: TableLoader, query: Query | None = None) -> pd.DataFrame:
    query = query or Query()
    suite = get_suite("v1")
    return present(run_query(loader.snapshot.board("v1"), suite, query), suite)


def test_embedded_data_shows_the_12_published_models_in_order(settings):
    loader = loader_for(settings)
    snapshot = loader.load()
    assert snapshot.board_order == ("v1",)  # the configured v2 has no results: v1 is shown
    rows = shown_v1(loader)
    assert list(zip(rows["Model"], rows["Average ⬆️"], strict=True)) == EXPECTED_ORDER
    assert list(rows["Rank"]) == [1] * 12  # 0.26 points apart, each ±0.9: tied
    first = rows.iloc[0]
    assert (first["ARC"], first["HellaSwag"], first["MMLU"]) == (71.25, 88.48, 66.27)
    assert (first["TruthfulQA"], first["Winogrande"], first["GSM8K"]) == (71.95, 83.58, 65.58)
    assert snapshot.skipped == ()


def test_embedded_flags_come_from_the_published_table(settings):
    board = loader_for(settings).load().board("v1").set_index("model")
    assert board.loc["DopeorNope/SOLARC-MOE-10.7Bx4", "flagged"]
    assert board.loc["DopeorNope/SOLARC-MOE-10.7Bx6", "moe"]
    assert not board.loc["jeonsworld/CarbonVillain-en-13B-v1", "available"]
    assert board.loc["jeonsworld/CarbonVillain-en-10.7B-v4", "merged"]
    assert board.loc["Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct", "precision"] == "bfloat16"
    assert board.loc["kyujinpy/Sakura-SOLAR-Instruct", "likes"] == 28


def write_json(root, path, data) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data))


def lm_eval_04(model: str, results: dict, **config) -> dict:
    return {
        "results": {
            task: {f"{k},none": v for k, v in metrics.items()} for task, metrics in results.items()
        },
        "config": {"model_name": model, "model_dtype": "torch.bfloat16", **config},
        "lm_eval_version": "0.4.13",
        "total_evaluation_time_seconds": "7200",
    }


def test_results_split_over_files_are_merged_and_the_newest_value_wins(tmp_path):
    results, queue = tmp_path / "results", tmp_path / "queue"
    queue.mkdir()
    write_json(
        results,
        "org/m/results_2024-01-01T00-00-00.json",
        lm_eval_04("org/m", {"arc_challenge": {"acc_norm": 0.5}, "hellaswag": {"acc_norm": 0.6}}),
    )
    write_json(
        results,
        "org/m/results_2024-02-01T00-00-00.json",
        lm_eval_04("org/m", {"arc_challenge": {"acc_norm": 0.7}}),
    )
    write_json(
        results,
        "org/m/results_2024-03-01T00-00-00.json",
        lm_eval_04("org/m", {"winogrande": {"acc": 0.8}}),
    )
    settings = Settings(results=str(results), queue=str(queue), cache_dir=str(tmp_path / "c"))
    board = loader_for(settings).load().board("v1")
    assert len(board) == 1
    row = board.iloc[0]
    assert (row["arc"], row["hellaswag"], row["winogrande"]) == (70.0, 60.0, 80.0)
    assert pd.isna(row["average"]) and pd.isna(row["rank"])  # MMLU etc. missing
    # CO2 counts each contributing file once: the 2024-01 file still gives HellaSwag.
    assert row["co2_kg"] == pytest.approx(3 * 2 * 5.6 * 269.8 / 1000)
    assert row["evaluated"] == "2024-03-01T00:00:00Z"


def test_malformed_files_are_skipped_with_a_logged_reason_and_the_table_loads(settings, caplog):
    results = LocalStore(settings.results)
    results.write("bad/json/results_x.json", b"{not json")
    results.write("bad/shape/results_x.json", b"[1, 2, 3]")
    results.write("bad/empty/results_x.json", b'{"results": {}}')
    results.write(
        "bad/tasks/results_x.json",
        json.dumps(
            {"config": {"model_name": "bad/tasks"}, "results": {"task_name1": {"metric_name": 0.9}}}
        ).encode(),
    )
    LocalStore(settings.queue).write("bad/request.json", b'{"status": "PENDING"}')
    with caplog.at_level(logging.WARNING):
        snapshot = loader_for(settings).load()
    reasons = {s.path: s.reason for s in snapshot.skipped}
    assert "not valid JSON" in reasons["bad/json/results_x.json"]
    assert "not a JSON object" in reasons["bad/shape/results_x.json"]
    assert "no numeric metric" in reasons["bad/empty/results_x.json"]
    assert (
        "covers no benchmark of any suite (tasks: task_name1)"
        in reasons["bad/tasks/results_x.json"]
    )
    assert "has no `model` name" in reasons["bad/request.json"]
    assert len(snapshot.board("v1")) == 12
    assert "Skipped bad/json/results_x.json" in caplog.text


def test_html_in_names_and_licenses_is_escaped(settings):
    hostile = "<img src=x onerror=alert(1)>"
    LocalStore(settings.results).write(
        "evil/model/results_2024-01-01T00-00-00.json",
        json.dumps(lm_eval_04(hostile, {"arc_challenge": {"acc_norm": 0.9}})).encode(),
    )
    board = loader_for(settings).load().board("v1")
    assert hostile in set(board["model"])  # kept as the data says; escaped when shown
    shown = present(run_query(board, get_suite("v1"), Query()), get_suite("v1"))
    assert hostile in set(shown["Model"])  # as its characters: the page sets it as text
    assert linkable(pd.DataFrame({"model": [hostile, "org/ok_name"]})) == [0, 1]


def test_a_warm_start_reads_no_json_when_nothing_changed(settings, monkeypatch):
    first = loader_for(settings).load()
    reads = []
    original = LocalStore.read
    monkeypatch.setattr(
        LocalStore, "read", lambda self, path: reads.append(path) or original(self, path)
    )
    second = loader_for(settings).load()
    assert reads == []
    pd.testing.assert_frame_equal(first.board("v1"), second.board("v1"))


def test_a_warm_start_rereads_only_changed_files(settings, monkeypatch):
    loader_for(settings).load()
    changed = "kekmodel/StopCarbon-10.7B-v4/results_2023-12-30T14-12-12.000000.json"
    store = LocalStore(settings.results)
    data = json.loads(store.read(changed))
    data["results"]["gsm8k"]["acc"] = 0.99
    store.write(changed, json.dumps(data).encode())
    reads = []
    original = LocalStore.read
    monkeypatch.setattr(
        LocalStore, "read", lambda self, path: reads.append(path) or original(self, path)
    )
    board = loader_for(settings).load().board("v1")
    assert reads == [changed]
    assert board.loc[board["model"] == "kekmodel/StopCarbon-10.7B-v4", "gsm8k"].iloc[0] == 99.0
    assert board.iloc[0]["model"] == "kekmodel/StopCarbon-10.7B-v4"


def test_refresh_folds_new_changed_and_deleted_files(settings):
    loader = loader_for(settings)
    loader.load()
    assert loader.refresh() is False
    generation = loader.snapshot.generation
    store = LocalStore(settings.results)
    store.write(
        "new/model/results_2024-06-01T00-00-00.json",
        json.dumps(lm_eval_04("new/model", {"arc_challenge": {"acc_norm": 0.95}})).encode(),
    )
    assert loader.refresh() is True
    assert loader.snapshot.generation > generation
    assert "new/model" in set(loader.snapshot.board("v1")["model"])
    store.delete("new/model/results_2024-06-01T00-00-00.json")
    LocalStore(settings.queue).delete(
        "kekmodel/StopCarbon-10.7B-v4_eval_request_False_float16_Original.json"
    )
    assert loader.refresh() is True
    board = loader.snapshot.board("v1").set_index("model")
    assert "new/model" not in board.index
    assert board.loc["kekmodel/StopCarbon-10.7B-v4", "model_type"] == "❓ other"  # request gone


def test_apply_folds_known_files_without_listing(settings):
    loader = loader_for(settings)
    loader.load()
    stored = LocalStore(settings.results).write(
        "fast/model/results_2024-06-01T00-00-00.json",
        json.dumps(lm_eval_04("fast/model", {"hellaswag": {"acc_norm": 0.5}})).encode(),
    )
    loader.apply(results=[stored])
    assert "fast/model" in set(loader.snapshot.board("v1")["model"])


def test_request_choice_prefers_finished_then_newest(tmp_path):
    results, queue = tmp_path / "results", tmp_path / "queue"
    write_json(
        results,
        "org/m/results_2024-01-01T00-00-00.json",
        lm_eval_04("org/m", {"arc_challenge": {"acc_norm": 0.5}}),
    )
    base = {"model": "org/m", "precision": "bfloat16", "weight_type": "Original"}
    write_json(
        queue,
        "org/m_a.json",
        {**base, "status": "FINISHED", "submitted_time": "2024-01-01T00:00:00Z", "license": "old"},
    )
    write_json(
        queue,
        "org/m_b.json",
        {**base, "status": "FINISHED", "submitted_time": "2024-02-01T00:00:00Z", "license": "new"},
    )
    write_json(
        queue,
        "org/m_c.json",
        {**base, "status": "FAILED", "submitted_time": "2024-03-01T00:00:00Z", "license": "failed"},
    )
    settings = Settings(results=str(results), queue=str(queue), cache_dir=str(tmp_path / "c"))
    board = loader_for(settings).load().board("v1")
    assert board.iloc[0]["license"] == "new"


def test_results_of_unknown_precision_borrow_the_models_request(tmp_path):
    results, queue = tmp_path / "results", tmp_path / "queue"
    data = lm_eval_04("org/m", {"arc_challenge": {"acc_norm": 0.5}})
    data["config"].pop("model_dtype")
    write_json(results, "org/m/results_2024-01-01T00-00-00.json", data)
    write_json(
        queue,
        "org/m_req.json",
        {
            "model": "org/m",
            "precision": "float16",
            "status": "FINISHED",
            "license": "mit",
            "model_type": "chat",
        },
    )
    settings = Settings(results=str(results), queue=str(queue), cache_dir=str(tmp_path / "c"))
    row = loader_for(settings).load().board("v1").iloc[0]
    assert (row["precision"], row["license"], row["type_symbol"]) == ("Unknown", "mit", "💬")


def test_several_suites_give_several_boards_configured_first(tmp_path, settings):
    LocalStore(settings.results).write(
        "v2/model/results_2024-07-01T00-00-00.json",
        json.dumps(lm_eval_04("v2/model", {"leaderboard_mmlu_pro": {"acc": 0.55}})).encode(),
    )
    snapshot = loader_for(settings).load()
    assert snapshot.board_order == ("v2", "v1")
    assert snapshot.board("v2")["mmlu_pro"].iloc[0] == pytest.approx(50.0)
    v1_first = loader_for(settings.replace(suite="v1", cache_dir=str(tmp_path / "c2"))).load()
    assert v1_first.board_order == ("v1", "v2")


def test_an_unknown_board_name_is_refused_with_the_known_ones(settings):
    with pytest.raises(KeyError, match="Known: sample, v1, v2"):
        loader_for(settings).load().board("v3")


def test_a_broken_cache_only_costs_a_cold_start(settings):
    loader_for(settings).load()
    cache = next(
        p for p in (settings.cache_dir and __import__("pathlib").Path(settings.cache_dir)).iterdir()
    )
    (cache / "results.parquet").write_bytes(b"garbage")
    assert len(loader_for(settings).load().board("v1")) == 12


def test_incremental_refreshes_give_the_board_a_full_rebuild_gives(tmp_path):
    """Many small changes folded in one by one (each updating only the models it touches)
    end in exactly the boards a fresh load of the same stores builds."""
    from leaderboard.demo_data import write_synthetic

    queue, results = LocalStore(tmp_path / "q"), LocalStore(tmp_path / "r")
    write_synthetic(60, get_suite("v2"), queue=queue, results=results, seed=3)
    settings = Settings(queue=str(tmp_path / "q"), results=str(tmp_path / "r"), cache_dir="")
    loader = TableLoader(results, queue, settings, use_cache=False)
    loader.load()
    files = results.list_files()
    requests = queue.list_files()
    # A better score for one model, a deleted result, a request whose type changes, a new model.
    newest = json.loads(results.read(files[0].path))
    newest["results"]["leaderboard_gpqa"]["acc_norm,none"] = 0.99
    changed = results.write(
        files[0].path.replace("results_", "results_9"), json.dumps(newest).encode()
    )
    results.delete(files[1].path)
    request = json.loads(queue.read(requests[2].path))
    request["model_type"] = "🤝 base merges and moerges"
    queue.write(requests[2].path, json.dumps(request).encode())
    results.write("brand/new/results_2025-01-01T00-00-00.json", results.read(files[3].path))
    loader.apply(results=[changed])
    assert loader.refresh() is True
    fresh = TableLoader(results, queue, settings, use_cache=False).load()
    for name, board in fresh.boards.items():
        pd.testing.assert_frame_equal(loader.snapshot.board(name), board)
    assert 0.99 * 100 in set(loader.snapshot.board("v2")["gpqa_raw"] * 100)


PARALLEL_CHECK = """
import json
import sys
import pandas as pd
import leaderboard.table.parsing as parsing
from leaderboard.config import Settings
from leaderboard.stores import LocalStore
from leaderboard.table import TableLoader

queue, results = LocalStore(sys.argv[1]), LocalStore(sys.argv[2])
settings = Settings(queue=sys.argv[1], results=sys.argv[2], cache_dir="")
serial = TableLoader(results, queue, settings, use_cache=False).load()
children = []
started = parsing.multiprocessing.get_context("fork").Process.start
def counted_start(self):
    children.append(self)
    started(self)
parsing.multiprocessing.get_context("fork").Process.start = counted_start
parsing.PARALLEL_FROM, parsing.CHUNK = 10, 7
def never_pickled(store):
    raise AssertionError("a store was pickled for a parse worker")
LocalStore.__reduce__ = never_pickled  # forked children inherit the stores
parallel = TableLoader(results, queue, settings, use_cache=False).load()
pd.testing.assert_frame_equal(parallel.results, serial.results)
pd.testing.assert_frame_equal(parallel.requests, serial.requests)
pd.testing.assert_frame_equal(parallel.board("v2"), serial.board("v2"))
print(json.dumps({"pools": [len(children)], "skipped": [s.path for s in parallel.skipped]}))
"""


def test_a_parallel_cold_build_equals_a_serial_one(tmp_path):
    """Above PARALLEL_FROM files, forked workers read and parse; the entries are the same.
    Run in a fresh interpreter: forking needs a process with a single thread."""
    from leaderboard.demo_data import write_synthetic

    queue, results = LocalStore(tmp_path / "q"), LocalStore(tmp_path / "r")
    write_synthetic(40, get_suite("v2"), queue=queue, results=results, seed=5)
    results.write("broken/model/results_2024-01-01T00-00-00.json", b"{ not json")
    done = subprocess.run(
        [sys.executable, "-c", PARALLEL_CHECK, str(tmp_path / "q"), str(tmp_path / "r")],
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["pools"]) == 1 and report["pools"][0] >= 1  # the workers did run
    assert report["skipped"] == ["broken/model/results_2024-01-01T00-00-00.json"]


def test_queue_groups_are_newest_first_ties_by_file_name_and_can_be_limited():
    from datetime import UTC, datetime

    from leaderboard.domain import EvalRequest, Status
    from leaderboard.table.entries import request_entry
    from leaderboard.table.frames import requests_frame
    from leaderboard.table.queue import queue_groups

    def entry(name: str, day: int, status: Status) -> dict:
        request = EvalRequest(
            model=f"org/{name}",
            status=status,
            submitted_time=datetime(2024, 1, day, tzinfo=UTC),
        )
        return request_entry(request, f"org/{name}_eval_request.json", "v1")

    frame = requests_frame(
        [
            entry("old", 1, Status.PENDING),
            entry("b-same-day", 3, Status.PENDING),
            entry("a-same-day", 3, Status.PENDING),
            entry("newest", 5, Status.PENDING),
            entry("done", 2, Status.FINISHED),
        ]
    )
    groups = queue_groups(frame)
    assert list(groups[Status.PENDING]["model"]) == [
        "org/newest",
        "org/b-same-day",
        "org/a-same-day",
        "org/old",
    ]
    assert list(groups[Status.FINISHED]["model"]) == ["org/done"]
    assert groups[Status.RUNNING].empty and "progress" in groups[Status.RUNNING]
    limited = queue_groups(frame, limit=2)
    assert list(limited[Status.PENDING]["model"]) == ["org/newest", "org/b-same-day"]
    assert list(limited[Status.PENDING].index) == [0, 1]
