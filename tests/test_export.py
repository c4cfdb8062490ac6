"""The board as data: a view downloaded from the Leaderboard tab, and the whole board published
as `contents/<suite>.parquet` in the results store.

One real app (`python app.py`) on copies of the embedded stores plus models whose names,
licenses and architectures are spreadsheet formulas, publishing every second. A download
(`gradio_api/board-export/<suite>.<format>?<view>`) must be what `python -m leaderboard table`
prints for the same view: the same JSON bytes, and CSV and Parquet that read back as the same
rows under the same headers; a bad parameter is refused with the grammar's message; formulas
are neutralised in CSV only. The published Parquet reads back as the board; it is written once
per change (all boards in one write, one commit on the loopback Hub), never read back as a
result, never reported by the store's watch.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import copy_demo_stores, eval_request, start_app, stop_app, write_json
from leaderboard.cli import main as cli_main
from leaderboard.config import Settings
from leaderboard.contents import ContentsPublisher, ContentsSchedule
from leaderboard.demo_data import write_synthetic
from leaderboard.errors import StoreError
from leaderboard.export import METADATA_KEY, contents_parquet, neutralise_formulas
from leaderboard.query import to_records
from leaderboard.stores import LocalStore
from leaderboard.stores.hub import HubStore
from leaderboard.stores.watch import FolderWatch
from leaderboard.suites import get_suite
from leaderboard.table import TableLoader, board_columns
from test_browser import Visitor, app_env, results_file

V1 = get_suite("v1")
# Cells a spreadsheet would run, from files: names, a license, an architecture.
HOSTILE = {
    '=HYPERLINK("http://evil","x")': {},
    "+1+2": {"license": "\t=1+1"},
    "-2+3": {"architectures": "=cmd|' /C calc'!A0"},
    "@SUM(1,1)": {"license": "\r=2+2"},
}
VIEW = {  # search + filter + columns + sort
    "search": "carbon; =hyperlink; @license:=",
    "precision": "float16",
    "hide": "flagged",
    "columns": "arc,gsm8k,precision,license,architecture,params_b",
    "sort": "-gsm8k",
}


def add_hostile_models(queue: Path, results: Path) -> None:
    for index, (name, fields) in enumerate(HOSTILE.items()):
        sha = f"{index + 3}" * 40
        write_json(
            results, f"evil/m{index}/results_2024-01-01T00-00-00.json", results_file(name, sha)
        )
        request = eval_request(name, revision=sha, **fields)
        write_json(queue, f"evil/m{index}_eval_request_False_float16_Original.json", request)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app on the embedded stores plus the hostile models, publishing every second."""
    root = tmp_path_factory.mktemp("export")
    queue, results = copy_demo_stores(root)
    add_hostile_models(queue, results)
    env = app_env(queue, results, root) | {
        "LEADERBOARD_CONTENTS_SECONDS": "1",
        "LEADERBOARD_REFRESH_SECONDS": "1",
    }
    process, url = start_app(env)
    process.url, process.queue, process.results = url, queue, results  # type: ignore[attr-defined]
    yield process
    output = stop_app(process)
    assert "Traceback" not in output, output[-3000:]


def fetch(url: str):
    """(status, headers (any case), body)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def download(app, fmt: str, view: dict[str, str], suite: str = "v1"):
    return fetch(f"{app.url}gradio_api/board-export/{suite}.{fmt}?{urlencode(view)}")


def table(app, monkeypatch, capsys, *options: str) -> str:
    """`python -m leaderboard table OPTIONS` on the app's stores (in this process)."""
    monkeypatch.setenv("LEADERBOARD_QUEUE", str(app.queue))
    monkeypatch.setenv("LEADERBOARD_RESULTS", str(app.results))
    monkeypatch.setenv("LEADERBOARD_CACHE_DIR", str(app.results.parent / "cli-cache"))
    capsys.readouterr()
    assert cli_main(["table", *options]) == 0
    return capsys.readouterr().out


def cli_view(view: dict[str, str]) -> list[str]:
    return [f"--{name.replace('_', '-')}={value}" for name, value in view.items()]


def test_a_download_is_what_table_prints_for_the_same_view(app, monkeypatch, capsys):
    printed = table(app, monkeypatch, capsys, "--json", *cli_view(VIEW))
    expected = json.loads(printed)
    models = [row["Model"] for row in expected]
    assert '=HYPERLINK("http://evil","x")' in models and "-2+3" not in models
    assert len(models) >= 5 and all(row["Precision"] == "float16" for row in expected)
    gsm8k = [row["GSM8K"] for row in expected]
    assert gsm8k == sorted(gsm8k, reverse=True)

    status, headers, body = download(app, "json", VIEW)
    assert status == 200, body
    assert body.decode() == printed  # the same bytes
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Disposition"] == 'attachment; filename="open-llm-leaderboard-v1.json"'

    status, headers, body = download(app, "csv", VIEW)
    assert status == 200 and headers["Content-Type"] == "text/csv; charset=utf-8"
    assert body.decode() == table(app, monkeypatch, capsys, "--csv", *cli_view(VIEW))
    read = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)  # cells as text
    assert list(read.columns) == list(expected[0])
    for row, want in zip(read.to_dict("records"), expected, strict=True):
        for label, value in want.items():
            if value is None:
                assert row[label] == "", label
            elif isinstance(value, str):  # a formula gets its quote, in CSV only
                quoted = value[:1] in ("=", "+", "-", "@", "\t", "\r")
                assert row[label] == ("'" if quoted else "") + value, label
            else:
                assert float(row[label]) == value, label

    status, headers, body = download(app, "parquet", VIEW)
    assert status == 200 and headers["Content-Type"] == "application/vnd.apache.parquet"
    assert to_records(pd.read_parquet(io.BytesIO(body))) == expected


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("v1.csv?precision=float17", 400, "`precision` cannot be `float17`"),
        ("v1.json?sort=-speed", 400, "`sort` cannot be `speed`"),
        ("v1.json?colour=red", 400, "`colour` is not a query parameter"),
        ("v1.parquet?search=" + "a" * 201, 400, "at most 200 characters"),
        ("v1.csv?params=7-3", 400, "the minimum 7 is above the maximum 3"),
        ("v9.csv", 404, "Unknown suite 'v9'"),
        ("v1.xlsx", 404, "Ask for a board as .csv, .json, .parquet"),
    ],
)
def test_a_bad_request_is_refused_with_what_to_change(app, path, status, says):
    answer, headers, body = fetch(f"{app.url}gradio_api/board-export/{path}")
    assert (answer, headers["Content-Type"]) == (status, "text/plain; charset=utf-8")
    assert says in body.decode()
    assert "Content-Disposition" not in headers


def test_formulas_are_neutralised_in_csv_only(app):
    status, _, body = download(app, "csv", {"columns": "average,license,architecture"})
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    cells = [value for row in rows for value in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    by_model = {row["Model"]: row for row in rows}
    for name, fields in HOSTILE.items():
        row = by_model["'" + name]
        if "license" in fields:
            assert row["Hub License"] == "'" + fields["license"]
        if "architectures" in fields:
            assert row["Architecture"] == "'" + fields["architectures"]
    numbers = [float(row["Average ⬆️"]) for row in rows]  # numbers stay numbers
    assert len(numbers) == 16

    _, _, body = download(app, "json", {"columns": "license,architecture"})
    records = json.loads(body)
    assert {r["Model"] for r in records} >= set(HOSTILE)  # JSON keeps the values as they are
    assert {r["Hub License"] for r in records} >= {"\t=1+1", "\r=2+2"}


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("'=1", "'=1"),
        ("", ""),
    ],
)
def test_neutralise_formulas_table(value, cell):
    rows = pd.DataFrame({"Model": [value], "Score": [-1.5], "Likes": [-3], "Flag": [True]})
    rows["Type"] = pd.Series([value], dtype="category")
    out = neutralise_formulas(rows)
    assert out["Model"].tolist() == [cell] and out["Type"].tolist() == [cell]
    assert out["Score"].tolist() == [-1.5] and out["Likes"].tolist() == [-3]
    assert out["Flag"].tolist() == [True]


def board_of(queue: Path, results: Path, tmp_path: Path, suite: str = "v1") -> pd.DataFrame:
    settings = Settings(queue=str(queue), results=str(results), cache_dir=str(tmp_path / "c"))
    loader = TableLoader(LocalStore(results), LocalStore(queue), settings, use_cache=False)
    return loader.load().board(suite)


def as_published(board: pd.DataFrame, suite) -> pd.DataFrame:
    """The board's columns, keyed, text as plain strings (what the Parquet file holds)."""
    frame = board[[c.key for c in board_columns(suite)]].reset_index(drop=True)
    for key in frame:
        if isinstance(frame[key].dtype, pd.CategoricalDtype):
            frame[key] = frame[key].astype(frame[key].dtype.categories.dtype)
    return frame


def test_the_app_publishes_the_board_as_parquet(app, tmp_path):
    target = app.results / "contents" / "v1.parquet"
    deadline = time.monotonic() + 60
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    board = board_of(app.queue, app.results, tmp_path)
    read = pd.read_parquet(target)
    pd.testing.assert_frame_equal(read, as_published(board, V1), check_dtype=False)
    assert len(read) == 16 and read["model"].iloc[0] == "jeonsworld/CarbonVillain-en-10.7B-v4"
    about = json.loads(pq.read_schema(target).metadata[METADATA_KEY])
    assert about["suite"] == "v1" and about["labels"]["average"] == "Average ⬆️"
    assert pq.read_schema(target).field("arc").metadata[b"label"] == b"ARC"

    # A change reaches the file (the app refreshes and publishes every second).
    write_json(
        app.results,
        "late/model/results_2024-02-01T00-00-00.json",
        results_file("late/model", "5" * 40),
    )
    deadline = time.monotonic() + 60
    while len(pd.read_parquet(target)) == 16 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "late/model" in set(pd.read_parquet(target)["model"])


@pytest.mark.browser
def test_the_leaderboard_tab_links_the_view_as_files(browser, app):
    visitor = Visitor(browser, app.url)
    try:
        page = visitor.open("?search=carbon&sort=-gsm8k")
        links = page.locator("#instant-board .lb-export a")
        files = [f"gradio_api/board-export/v1.{f}" for f in ("csv", "parquet", "json")]
        assert links.evaluate_all("links => links.map(a => a.getAttribute('href'))") == [
            f"{file}?search=carbon&sort=-gsm8k" for file in files
        ]
        page.locator("#instant-board thead th[data-key='arc'] button").click()  # sort by ARC
        page.wait_for_function(
            "() => document.querySelector('#instant-board .lb-export a').href.endsWith('-arc')"
        )
        assert links.evaluate_all("links => links.map(a => a.getAttribute('href'))") == [
            f"{file}?search=carbon&sort=-arc" for file in files
        ]
        answer = page.request.get(links.first.evaluate("a => a.href"))
        assert answer.ok and "attachment" in answer.headers["content-disposition"]
        assert answer.text().splitlines()[0].startswith("Rank,T,Model,Average ⬆️,ARC")
    finally:
        visitor.check_and_close()


# --- publishing, in this process --------------------------------------------------------------


class CountingStore(LocalStore):
    def __init__(self, root, *, failures: int = 0):
        super().__init__(root, durable=False)
        self.writes: list[list[str]] = []
        self.failures = failures

    def write_many(self, writes, *, message=""):
        if self.failures:
            self.failures -= 1
            raise StoreError("the disk is full")
        self.writes.append([w.path for w in writes])
        return super().write_many(writes, message=message)


def loader_over(results, queue: Path, tmp_path: Path) -> TableLoader:
    settings = Settings(queue=str(queue), results=results.location, cache_dir=str(tmp_path / "c"))
    return TableLoader(results, LocalStore(queue), settings, use_cache=False)


def test_boards_are_written_in_one_write_only_when_their_bytes_change(tmp_path):
    queue, results = copy_demo_stores(tmp_path)
    write_synthetic(3, get_suite("sample"), queue=LocalStore(queue), results=LocalStore(results))
    store = CountingStore(results)
    loader = loader_over(store, queue, tmp_path)
    snapshot = loader.load()
    watch = FolderWatch(results)
    assert watch.start()
    try:
        published = ContentsPublisher(store).publish(snapshot)
        assert [(p.path, p.rows, p.written) for p in published] == [
            ("contents/v1.parquet", 12, True),
            ("contents/sample.parquet", 3, True),
        ]
        assert store.writes == [["contents/v1.parquet", "contents/sample.parquet"]]
        sample = contents_parquet(snapshot.board("sample"), get_suite("sample"))
        assert (results / "contents" / "sample.parquet").read_bytes() == sample

        # Unchanged: nothing written, by this publisher or a new one (a restarted app).
        assert not any(p.written for p in ContentsPublisher(store).publish(snapshot))
        assert not any(
            p.written
            for p in ContentsPublisher(store).publish(loader_over(store, queue, tmp_path).load())
        )
        assert len(store.writes) == 1

        # The table never reads them, and the watch never reports them.
        assert loader.refresh() is False
        assert not [s for s in loader.snapshot.skipped if "contents" in s.path]
        write_json(results, "sentinel/model/results_2024-03-01T00-00-00.json", {"x": 1})
        seen: set[str] = set()
        deadline = time.monotonic() + 30
        while (
            "sentinel/model/results_2024-03-01T00-00-00.json" not in seen
            and time.monotonic() < deadline
        ):
            seen |= watch.drain() or set()
            time.sleep(0.05)
        assert seen == {"sentinel/model/results_2024-03-01T00-00-00.json"}
    finally:
        watch.stop()

    write_json(
        results, "late/model/results_2024-02-01T00-00-00.json", results_file("late/model", "5" * 40)
    )
    assert loader.refresh()
    published = ContentsPublisher(store).publish(loader.snapshot)
    assert [p.path for p in published if p.written] == ["contents/v1.parquet"]
    assert store.writes[-1] == ["contents/v1.parquet"]


def test_the_schedule_publishes_after_a_change_at_most_once_per_period(tmp_path, caplog):
    queue, results = copy_demo_stores(tmp_path)
    store = CountingStore(results, failures=2)
    loader = loader_over(store, queue, tmp_path)
    loader.load()
    now = [100.0]
    schedule = ContentsSchedule(
        loader, ContentsPublisher(store), every_seconds=60, clock=lambda: now[0]
    )
    with caplog.at_level(logging.WARNING, logger="leaderboard.contents"):
        assert schedule.tick() is None  # the store refuses: logged, the app goes on
        now[0] += 60
        assert schedule.tick() is None  # refused again: not logged again
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        f"Could not publish the board's contents to {store.location} (trying again after "
        "the next change, every 60 s at most)"
    ]
    assert schedule.tick() is None  # too soon after the last try
    now[0] += 60
    assert [p.written for p in schedule.tick()] == [True]
    now[0] += 600
    assert schedule.tick() is None  # no change since

    write_json(
        results, "late/model/results_2024-02-01T00-00-00.json", results_file("late/model", "5" * 40)
    )
    loader.refresh()
    now[0] += 1
    assert [p.rows for p in schedule.tick()] == [13]  # a change, long after the last
    write_json(
        results,
        "later/model/results_2024-02-01T00-00-00.json",
        results_file("later/model", "6" * 40),
    )
    loader.refresh()
    now[0] += 1
    assert schedule.tick() is None  # changed, but published less than 60 s ago
    now[0] += 59
    assert [p.rows for p in schedule.tick()] == [14]
    assert store.writes == [["contents/v1.parquet"]] * 3


def test_on_the_hub_every_board_is_one_commit_and_never_read_back(hub_server, tmp_path):
    queue, results = copy_demo_stores(tmp_path)
    write_synthetic(3, get_suite("sample"), queue=LocalStore(queue), results=LocalStore(results))
    files = {str(p.relative_to(results)): p.read_bytes() for p in results.rglob("*.json")}
    hub_server.create_repo("board-org/results", files=files)
    store = HubStore(
        "hf://datasets/board-org/results",
        endpoint=hub_server.url,
        token=hub_server.token,
        mirror_dir=tmp_path / "mirror",
    )
    loader = loader_over(store, queue, tmp_path)
    before = len(hub_server.commits("board-org/results"))
    published = ContentsPublisher(store).publish(loader.load())
    assert [p.written for p in published] == [True, True]
    commits = hub_server.commits("board-org/results")
    assert len(commits) == before + 1
    assert commits[0].title.startswith("Update the board's contents: contents/v1.parquet, ")
    hub_files = hub_server.files("board-org/results")
    v1 = pd.read_parquet(io.BytesIO(hub_files["contents/v1.parquet"]))
    assert list(v1["model"]) == list(loader.snapshot.board("v1")["model"])

    assert not any(p.written for p in ContentsPublisher(store).publish(loader.snapshot))
    assert len(hub_server.commits("board-org/results")) == before + 1
    assert loader.refresh() is False  # our own commit is no change to the table
    assert loader.snapshot.skipped == ()


def test_the_contents_command_publishes_on_demand(tmp_path, monkeypatch, capsys):
    queue, results = copy_demo_stores(tmp_path)
    monkeypatch.setenv("LEADERBOARD_QUEUE", str(queue))
    monkeypatch.setenv("LEADERBOARD_RESULTS", str(results))
    monkeypatch.setenv("LEADERBOARD_CACHE_DIR", str(tmp_path / "cache"))
    assert cli_main(["contents"]) == 0
    assert capsys.readouterr().out == "contents/v1.parquet: 12 rows, written\n"
    version = LocalStore(results).version("contents/v1.parquet")
    assert cli_main(["contents"]) == 0
    assert capsys.readouterr().out == "contents/v1.parquet: 12 rows, unchanged\n"
    assert LocalStore(results).version("contents/v1.parquet") == version

    assert cli_main(["contents", "--schema", "--suite", "v1"]) == 0
    schema = capsys.readouterr().out.splitlines()
    assert schema[:2] == ["| column | type | label | meaning |", "|---|---|---|---|"]
    assert schema[5] == "| `average` | double | Average ⬆️ | Mean of the benchmark scores. |"
    assert len(schema) == 2 + len(board_columns(V1))
