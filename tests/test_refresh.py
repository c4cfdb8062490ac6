"""Start-up and refresh at the floor: a warm start serves the cached boards without listing
the stores, a watched local store is refreshed from file-system events (a refresh that finds
nothing lists nothing; a new file reaches the board by itself), and a full listing remains
the safety net. Real folders, real watchdog events, the real loader."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path

import pandas as pd

from conftest import write_json
from leaderboard.config import Settings
from leaderboard.stores import LocalStore
from leaderboard.table import TableLoader

FIRST = "jeonsworld/CarbonVillain-en-10.7B-v4"
NEW = "neworg/new-model"


class CountingStore(LocalStore):
    """A LocalStore that counts full listings."""

    def __init__(self, root, counts: dict[str, int]):
        super().__init__(root)
        self.counts = counts

    def list_files(self, *args, **kwargs):
        self.counts["listed"] = self.counts.get("listed", 0) + 1
        return super().list_files(*args, **kwargs)


def counting_loader(settings: Settings, counts: dict[str, int]) -> TableLoader:
    return TableLoader(
        CountingStore(settings.results, counts), CountingStore(settings.queue, counts), settings
    )


def add_model(settings: Settings, name: str = NEW) -> None:
    """A copy of the top model's results and request under a new name, written as a store
    writes (temporary file, then rename)."""
    results, queue = Path(settings.results), Path(settings.queue)
    source = next(results.glob(f"{FIRST}/results_*.json"))
    data = json.loads(source.read_text())
    data["config"]["model_name"] = name
    write_json(results, f"{name}/{source.name}", data)
    request = next(queue.glob(f"{FIRST.split('/')[0]}/{FIRST.split('/')[1]}_eval_request_*.json"))
    org, model = name.split("/")
    write_json(
        queue,
        f"{org}/{request.name.replace(FIRST.split('/')[1], model)}",
        {**json.loads(request.read_text()), "model": name},
    )


def models(loader: TableLoader) -> set[str]:
    return set(loader.snapshot.board("v1")["model"])


def wait_until(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def refreshed_until(loader: TableLoader, condition) -> bool:
    """Refreshes until the condition holds: one refresh may fold in only the first of the
    events an operation makes (a folder's removal arrives as several), so a refresh that
    changed something is not yet the end state."""

    def refreshed_and_met() -> bool:
        loader.refresh()
        return condition()

    return wait_until(refreshed_and_met)


def test_a_warm_start_serves_the_cached_boards_without_listing(settings):
    cold = TableLoader(LocalStore(settings.results), LocalStore(settings.queue), settings)
    cold_board = cold.load().board("v1")
    counts: dict[str, int] = {}
    warm = counting_loader(settings, counts)
    snapshot = warm.load(validate=False)
    assert counts == {} and not warm.validated  # not one listing before it answers
    pd.testing.assert_frame_equal(snapshot.board("v1"), cold_board)
    pd.testing.assert_frame_equal(snapshot.results, cold.snapshot.results)
    assert snapshot.board_order == cold.snapshot.board_order


def test_the_check_after_a_warm_start_folds_in_what_changed_meanwhile(settings):
    TableLoader(LocalStore(settings.results), LocalStore(settings.queue), settings).load()
    add_model(settings)  # written while "the app was off"
    counts: dict[str, int] = {}
    warm = counting_loader(settings, counts)
    warm.load(validate=False)
    assert NEW not in models(warm)
    assert warm.refresh() and warm.validated and counts["listed"] == 2
    assert NEW in models(warm)


def test_a_watched_store_reads_only_what_events_name(settings):
    counts: dict[str, int] = {}
    loader = counting_loader(settings, counts)
    loader.load()
    assert loader.watch(refresh_on_change=False)
    try:
        loader.refresh()  # the first refresh after watching lists in full
        listed = counts["listed"]
        for _ in range(5):
            assert not loader.refresh()  # nothing happened: nothing listed, nothing read
        assert counts["listed"] == listed
        add_model(settings)
        assert refreshed_until(loader, lambda: NEW in models(loader))
        assert counts["listed"] == listed  # read from events only
        (Path(settings.results) / NEW).joinpath("ignored.txt").write_text("not a results file")
        shutil.rmtree(Path(settings.results) / NEW)
        assert refreshed_until(loader, lambda: NEW not in models(loader))
    finally:
        loader.stop_watching()


def test_a_new_file_reaches_the_board_by_itself(settings):
    loader = TableLoader(LocalStore(settings.results), LocalStore(settings.queue), settings)
    loader.load()
    assert loader.watch()
    try:
        loader.refresh()
        generation = loader.snapshot.generation
        add_model(settings)
        assert wait_until(lambda: NEW in models(loader))  # no refresh() called here
        assert loader.snapshot.generation > generation
    finally:
        loader.stop_watching()


def test_a_full_listing_stays_the_safety_net(settings):
    counts: dict[str, int] = {}
    loader = counting_loader(dataclasses.replace(settings, rescan_seconds=0), counts)
    loader.load()
    assert loader.watch(refresh_on_change=False)
    try:
        loader.refresh()
        listed = counts["listed"]
        loader.refresh()  # due for a full listing at every refresh with rescan_seconds=0
        assert counts["listed"] == listed + 2  # both stores
    finally:
        loader.stop_watching()


def test_a_folder_moved_away_makes_the_next_refresh_list_everything(settings, tmp_path):
    counts: dict[str, int] = {}
    loader = counting_loader(settings, counts)
    loader.load()
    assert loader.watch(refresh_on_change=False)
    try:
        loader.refresh()
        listed = counts["listed"]
        org = Path(settings.results) / FIRST.split("/")[0]
        org.rename(tmp_path / "moved-away")  # one event for a folder of many files
        assert refreshed_until(loader, lambda: FIRST not in models(loader))
        assert counts["listed"] > listed
    finally:
        loader.stop_watching()


def test_stores_that_cannot_be_watched_are_listed_on_every_refresh(settings, tmp_path):
    from leaderboard.stores.watch import FolderWatch

    counts: dict[str, int] = {}
    loader = counting_loader(settings, counts)
    loader.load()
    original = FolderWatch.start
    FolderWatch.start = lambda self: False  # as when inotify's watch limit is reached
    try:
        assert not loader.watch()
    finally:
        FolderWatch.start = original
    before = counts["listed"]
    loader.refresh()
    assert counts["listed"] == before + 2
