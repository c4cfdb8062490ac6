"""The whole board published as data: `contents/<suite>.parquet` in the results store.

Like the Open LLM Leaderboard's `open-llm-leaderboard/contents` dataset: one Parquet file per
board, keyed by the stable column keys (`export.contents_parquet`), for pandas, DuckDB and the
Hub's dataset viewer. The app publishes after each change of the board (`ContentsSchedule`,
at most once per `LEADERBOARD_CONTENTS_SECONDS`); `python -m leaderboard contents` publishes
on demand.

Only files whose bytes changed are written, all in one `write_many` (one commit on the Hub,
whose commits are metered per hour). The same board gives the same bytes, so a refresh that
changed nothing on a board writes nothing. Nothing reads these files back: the table and the
workers read `.json` files only, and a local store's watch only reports `.json` files, so the
app's own write never starts a refresh.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from leaderboard.errors import MissingFileError
from leaderboard.export import contents_parquet, contents_path
from leaderboard.stores import FileWrite, Store
from leaderboard.suites import get_suite
from leaderboard.table import Snapshot, TableLoader

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0  # how often the schedule looks at the board's generation (a number)


@dataclass(frozen=True)
class Published:
    path: str
    rows: int
    written: bool  # False: the store already held these bytes


class ContentsPublisher:
    """Writes each board of a snapshot to `contents/<suite>.parquet` in `store` when its
    bytes differ from what the store holds."""

    def __init__(self, store: Store):
        self.store = store
        self._held: dict[str, str] = {}  # path -> digest of the bytes the store holds

    def publish(self, snapshot: Snapshot) -> list[Published]:
        """Every board of `snapshot`, in one write of the changed files; raises what the
        store raises (StoreError, OSError), having written nothing or all of them."""
        files = [_BoardFile.of(snapshot, name) for name in snapshot.board_order]
        changed = [f for f in files if self._digest_held(f.path) != f.digest]
        if changed:
            paths = ", ".join(f.path for f in changed)
            writes = [FileWrite(f.path, f.data) for f in changed]
            self.store.write_many(writes, message=f"Update the board's contents: {paths}")
            self._held.update((f.path, f.digest) for f in changed)
        return [Published(f.path, f.rows, f in changed) for f in files]

    def _digest_held(self, path: str) -> str | None:
        if path not in self._held:
            try:
                self._held[path] = _digest(self.store.read(path))
            except MissingFileError:
                return None
        return self._held[path]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, eq=False)  # compared by identity: `in changed`
class _BoardFile:
    path: str
    data: bytes
    digest: str
    rows: int

    @classmethod
    def of(cls, snapshot: Snapshot, name: str) -> _BoardFile:
        suite, board = get_suite(name), snapshot.board(name)
        data = contents_parquet(board, suite)
        return cls(contents_path(suite), data, _digest(data), len(board))


class ContentsSchedule:
    """Publishes the loader's board after each change, at most once per `every_seconds`.

    `tick()` is one look (what the app's scheduler does every `tick_seconds`): when the
    generation moved since the last publication that succeeded and `every_seconds` have
    passed since the last attempt, publish. A failure is logged once (until a publication
    succeeds again) and tried again after `every_seconds`; it never stops the schedule or
    the app."""

    def __init__(
        self,
        loader: TableLoader,
        publisher: ContentsPublisher,
        *,
        every_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.loader = loader
        self.publisher = publisher
        self.every_seconds = every_seconds
        self._clock = clock
        self._published: int | None = None  # the generation last published
        self._attempted: float | None = None  # when, by `clock`
        self._failing = False

    def tick(self) -> list[Published] | None:
        """Publish if due; what was published, or None when nothing was due or it failed."""
        if not self.loader.validated:  # a warm start's cached boards, not yet checked
            return None
        snapshot = self.loader.snapshot
        if snapshot.generation == self._published:
            return None
        now = self._clock()
        if self._attempted is not None and now - self._attempted < self.every_seconds:
            return None
        self._attempted = now
        try:
            published = self.publisher.publish(snapshot)
        except Exception as exc:  # a store's refusal, a bug: the app goes on (logged once)
            if not self._failing:
                log.warning(
                    "Could not publish the board's contents to %s (trying again after the "
                    "next change, every %g s at most): %s",
                    self.publisher.store.location,
                    self.every_seconds,
                    exc,
                    exc_info=not isinstance(exc, OSError),
                )
            self._failing = True
            return None
        if self._failing:
            log.info("Published the board's contents again")
        self._failing = False
        self._published = snapshot.generation
        for item in published:
            if item.written:
                log.info("Published %s (%d rows)", item.path, item.rows)
        return published

    @property
    def tick_seconds(self) -> float:
        """How often the app's scheduler calls `tick`."""
        return min(POLL_SECONDS, self.every_seconds)


def contents_schedule(loader: TableLoader, settings) -> ContentsSchedule | None:
    """The app's schedule (`LEADERBOARD_CONTENTS_SECONDS`; None when 0, off)."""
    if not settings.contents_seconds:
        return None
    publisher = ContentsPublisher(loader.results_store)
    return ContentsSchedule(loader, publisher, every_seconds=settings.contents_seconds)
