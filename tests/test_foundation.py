"""The table layer's foundation: a cache that follows the code, suites that may share
benchmark keys, the field table, and stderr kept on the way in. Real stores, real loader."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import leaderboard
from conftest import REPO, write_json
from leaderboard.config import Settings
from leaderboard.query import HIDE_OPTIONS, SEARCH_FIELDS
from leaderboard.stores import LocalStore
from leaderboard.suites import SUITES, Benchmark, Part, Source, Suite, register
from leaderboard.table import TableLoader, board_columns
from leaderboard.table import cache as cache_module
from leaderboard.table.fields import FIELDS, check_benchmark_keys
from leaderboard.table.frames import result_columns

FIRST = "jeonsworld/CarbonVillain-en-10.7B-v4"  # the demo board's top model


def loader_for(settings: Settings) -> TableLoader:
    return TableLoader(LocalStore(settings.results), LocalStore(settings.queue), settings)


def arc_of(loader: TableLoader, model: str = FIRST) -> float:
    board = loader.snapshot.board("v1")
    return float(board.loc[board["model"] == model, "arc"].iloc[0])


class CountingStore(LocalStore):
    reads = 0

    def read(self, path: str) -> bytes:
        CountingStore.reads += 1
        return super().read(path)


def with_arc_reading(metric: str) -> Suite:
    """The v1 suite with ARC scored from another metric: what a maintainer might change."""
    v1 = SUITES["v1"]
    arc = v1.benchmark("arc")
    part = dataclasses.replace(
        arc.parts[0], sources=(Source(("arc:challenge", "arc_challenge"), (metric,)),)
    )
    changed = dataclasses.replace(arc, parts=(part,))
    benchmarks = tuple(changed if b.key == "arc" else b for b in v1.benchmarks)
    return dataclasses.replace(v1, benchmarks=benchmarks)


def test_a_warm_start_follows_a_changed_suite_definition(settings, monkeypatch):
    results_root = settings.results
    arc_file = next(p for p in (REPO / "eval-results").rglob("*.json") if FIRST in str(p))
    relative = arc_file.relative_to(REPO / "eval-results")
    data = json.loads(arc_file.read_text())
    data["results"]["arc:challenge"]["acc"] = 0.5  # a second metric the changed suite reads
    write_json(Path(results_root), str(relative), data)

    cold = loader_for(settings)
    cold.load()
    assert arc_of(cold) == 71.25  # acc_norm, the published score

    CountingStore.reads = 0
    warm = TableLoader(CountingStore(results_root), CountingStore(settings.queue), settings)
    warm.load()
    assert CountingStore.reads == 0 and arc_of(warm) == 71.25  # served from the cache

    monkeypatch.setitem(SUITES, "v1", with_arc_reading("acc"))
    CountingStore.reads = 0
    changed = TableLoader(CountingStore(results_root), CountingStore(settings.queue), settings)
    changed.load()
    assert CountingStore.reads > 0  # the cache was of other code: every file read again
    assert arc_of(changed) == 50.0
    fresh = TableLoader(
        LocalStore(results_root), LocalStore(settings.queue), settings, use_cache=False
    )
    assert arc_of(changed) == arc_of(fresh)


def test_the_fingerprint_covers_version_suites_sources_and_co2(settings, tmp_path, monkeypatch):
    base = cache_module.fingerprint(settings)
    assert cache_module.fingerprint(settings) == base  # stable from call to call
    assert cache_module.fingerprint(dataclasses.replace(settings, co2_power_kw=1.0)) != base
    assert cache_module.fingerprint(settings, {**SUITES, "v1": with_arc_reading("acc")}) != base
    monkeypatch.setattr(leaderboard, "__version__", "9.9.9")
    assert cache_module.fingerprint(settings) != base
    monkeypatch.undo()

    package = tmp_path / "package"
    for folder in cache_module.SHAPING_SOURCES:
        shutil.copytree(cache_module.PACKAGE / folder, package / folder)
    monkeypatch.setattr(cache_module, "PACKAGE", package)
    assert cache_module.fingerprint(settings) == base  # the same sources
    parser = package / "domain" / "results.py"
    parser.write_text(parser.read_text() + "\n# a change to the parser\n")
    assert cache_module.fingerprint(settings) != base


def test_a_cache_of_an_old_format_is_ignored(settings):
    loader_for(settings).load()
    (meta,) = (p for p in Path(settings.cache_dir).rglob("meta.json"))
    meta.write_text('{"schema": 4, "skipped": []}')  # what the hand-bumped key wrote
    CountingStore.reads = 0
    warm = TableLoader(CountingStore(settings.results), CountingStore(settings.queue), settings)
    warm.load()
    assert CountingStore.reads > 0 and arc_of(warm) == 71.25


def gsm8k_suite(name: str = "mysuite") -> Suite:
    """A new suite reusing v1's GSM8K under the same key."""
    gsm8k = SUITES["v1"].benchmark("gsm8k")
    return Suite(
        name=name,
        title="My suite",
        description="GSM8K alone",
        benchmarks=(gsm8k,),
        runs=(),
        shows_raw_columns=False,
        normalization="none",
    )


def test_a_new_suite_may_reuse_a_benchmark_key(settings, monkeypatch):
    monkeypatch.setitem(SUITES, "mysuite", gsm8k_suite())
    snapshot = TableLoader(
        LocalStore(settings.results), LocalStore(settings.queue), settings, use_cache=False
    ).load()
    assert set(snapshot.board_order) == {"v1", "mysuite"}
    v1, mine = snapshot.board("v1"), snapshot.board("mysuite")
    by_model = dict(zip(v1["model"], v1["gsm8k"], strict=True))
    assert len(mine) == len(v1) == 12
    assert all(by_model[m] == score for m, score in zip(mine["model"], mine["gsm8k"], strict=True))
    assert {"v1.gsm8k", "mysuite.gsm8k"} <= set(snapshot.results.columns)
    assert list(mine["average"]) == list(mine["gsm8k"])  # its only benchmark


def test_suite_registration_refuses_what_would_clash():
    v1 = SUITES["v1"]
    with pytest.raises(ValueError, match=r"two suites are named 'v1'.*Open LLM.*'Other'"):
        register((v1, dataclasses.replace(v1, title="Other")))
    twice = dataclasses.replace(v1, benchmarks=(*v1.benchmarks, v1.benchmark("arc")))
    with pytest.raises(ValueError, match="suite 'v1' has two benchmarks keyed 'arc'"):
        register((twice,))
    for key in ("ARC", "a.b", "arc_raw", "x_stderr", "x_se", "x_estimated", ""):
        bad = dataclasses.replace(v1.benchmark("arc"), key=key)
        with pytest.raises(ValueError, match="must be a lowercase identifier"):
            register((dataclasses.replace(v1, benchmarks=(bad,)),))
    average = dataclasses.replace(v1.benchmark("arc"), key="average")
    with pytest.raises(ValueError, match="'average' of suite 'v1' is a column of every board"):
        check_benchmark_keys([dataclasses.replace(v1, benchmarks=(average,))])
    assert register((v1, gsm8k_suite())).keys() == {"v1", "mysuite"}


LM_EVAL_04 = {
    "results": {
        "gsm8k": {
            "exact_match,strict-match": 0.25,
            "exact_match_stderr,strict-match": 0.0119,
            "exact_match,flexible-extract": 0.3,
            "exact_match_stderr,flexible-extract": 0.0126,
        },
        "winogrande": {"acc,none": 0.75, "acc_stderr,none": 0.0122},
        "arc_challenge": {"acc_norm,none": 0.5, "acc_norm_stderr,none": "N/A"},
    },
    "config": {"model_name": "org/stderr-model", "model_dtype": "torch.float16"},
    "n-shot": {"gsm8k": 5, "winogrande": 5, "arc_challenge": 25},
    "date": 1719403200.0,
}


def test_each_metrics_stderr_is_kept_on_the_way_in(settings):
    write_json(
        Path(settings.results),
        "org/stderr-model/results_2024-06-26T12-00-00.json",
        LM_EVAL_04,
    )
    snapshot = TableLoader(
        LocalStore(settings.results), LocalStore(settings.queue), settings, use_cache=False
    ).load()
    row = snapshot.results[snapshot.results["model"] == "org/stderr-model"].iloc[0]
    assert row["v1.gsm8k_raw"] == 0.25 and row["v1.gsm8k_stderr"] == 0.0119  # strict-match's
    assert row["v1.winogrande_stderr"] == 0.0122
    assert row["v1.arc_raw"] == 0.5  # its stderr is "N/A": estimated from ARC's 1,172 items
    assert row["v1.arc_stderr"] == pytest.approx((0.5 * 0.5 / 1171) ** 0.5)
    assert set(result_columns()) == set(snapshot.results.columns)


def test_board_columns_search_fields_and_hide_options_come_from_the_field_table():
    suite = SUITES["v1"]
    keys = [c.key for c in board_columns(suite)]
    shown = [f.key for f in FIELDS if f.label]
    lead = [f.key for f in FIELDS if f.lead]
    assert keys[: len(lead)] == lead
    assert keys[len(lead) : len(lead) + len(suite.benchmarks)] == [b.key for b in suite.benchmarks]
    assert [k for k in keys if k in shown] == shown
    assert {
        f.search: (f.key, f.exact) for f in FIELDS if f.search
    } == SEARCH_FIELDS and "license" in SEARCH_FIELDS
    assert set(HIDE_OPTIONS) == {f.hide.name for f in FIELDS if f.hide}


NEW_FIELD = """    Field(
        "private_model", Dtype.BOOL, Board.REQUEST, request=_request("private"), default=False,
        label="Private", kind=Kind.BOOL, description="A private model.",
        hide=Hide("private", "Private models"),
    ),
"""


def test_a_field_added_to_the_table_reaches_the_board_columns_and_filters(settings, tmp_path):
    """Adding a column is one `Field` in fields.py, reading a value the parser already reads:
    run on a copy of the package with that one edit, the CLI shows the column, hides by it,
    and lists the toggle in its help."""
    package = tmp_path / "src" / "leaderboard"
    shutil.copytree(REPO / "src" / "leaderboard", package)
    table = package / "table" / "fields.py"
    marker = "    # Kept for building boards and for the queue"
    table.write_text(table.read_text().replace(marker, NEW_FIELD + marker, 1))
    queue = Path(settings.queue)
    request = next(queue.rglob(f"{FIRST.split('/')[1]}_eval_request_*.json"))
    data = json.loads(request.read_text())
    write_json(queue, str(request.relative_to(queue)), {**data, "private": True})
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path / "src"),
        "LEADERBOARD_QUEUE": settings.queue,
        "LEADERBOARD_RESULTS": settings.results,
        "LEADERBOARD_CACHE_DIR": str(tmp_path / "cache"),
    }

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "leaderboard", *args],
            env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return done.stdout

    rows = json.loads(cli("table", "--columns", "private_model"))
    assert [r["Private"] for r in rows if r["Model"] == FIRST] == [True]
    assert sum(r["Private"] for r in rows) == 1
    hidden = json.loads(cli("table", "--hide", "private"))
    assert len(hidden) == 11 and FIRST not in {r["Model"] for r in hidden}
    assert "private" in cli("table", "--help")


@pytest.mark.parametrize("benchmark_key", ["gsm8k"])
def test_the_results_frame_namespaces_every_suites_scores(benchmark_key):
    columns = result_columns()
    for suite in SUITES.values():
        for benchmark in suite.benchmarks:
            for part in ("", "_raw", "_stderr", "_se", "_estimated"):
                assert f"{suite.name}.{benchmark.key}{part}" in columns
    assert benchmark_key not in columns  # never a bare key that two suites could share
    assert isinstance(Benchmark, type) and isinstance(Part, type)
