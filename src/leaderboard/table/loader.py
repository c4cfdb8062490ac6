"""Stores -> boards, with a parquet cache and incremental refresh. The table layer's I/O edge.

A cold load reads every file once (`parsing.py`). The parsed entries are cached as parquet
beside each file's version (`cache.py`), so the next start reads no JSON at all when nothing
changed, and a refresh re-reads only the files whose version moved. The Hub is never called
here.
"""

from __future__ import annotations

import logging
import threading

import pandas as pd

from leaderboard.config import Settings
from leaderboard.errors import StoreError
from leaderboard.stores import Store, StoredFile
from leaderboard.suites import SUITES
from leaderboard.table.build import build_board, suites_with_rows, update_board
from leaderboard.table.cache import CachedEntries, EntryCache, cache_folder, fingerprint
from leaderboard.table.entries import Skipped
from leaderboard.table.frames import REQUEST_COLUMNS, requests_frame, result_columns, results_frame
from leaderboard.table.parsing import RELEASE_AFTER, read_and_parse, release_memory
from leaderboard.table.snapshot import Snapshot

log = logging.getLogger(__name__)

INCREMENTAL_MAX = 500  # more changed models than this: rebuilding whole boards is cheaper


class TableLoader:
    """Keeps the current Snapshot of two stores; `refresh()` folds in what changed."""

    def __init__(self, results: Store, queue: Store, settings: Settings, *, use_cache: bool = True):
        self.results_store = results
        self.queue_store = queue
        self.settings = settings
        self.cache = (
            EntryCache(
                cache_folder(settings, results.location, queue.location), fingerprint(settings)
            )
            if use_cache
            else None
        )
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._results = results_frame([])
        self._requests = requests_frame([])
        self._skipped: dict[str, Skipped] = {}
        self._generation = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> TableLoader:
        from leaderboard.stores import open_store

        return cls(
            open_store(settings.results, settings), open_store(settings.queue, settings), settings
        )

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            return self.load()
        return self._snapshot

    def load(self) -> Snapshot:
        """First load: from the cache where it is still valid, reading only what changed."""
        with self._lock:
            if self._snapshot is None:
                self._read_cache()
            self._update(force=self._snapshot is None)
            assert self._snapshot is not None
            return self._snapshot

    def refresh(self) -> bool:
        """Fold in files that appeared, changed or vanished. True when anything did."""
        with self._lock:
            return self._update(force=False)

    def apply(self, *, results: list[StoredFile] = (), requests: list[StoredFile] = ()) -> None:
        """Fold in files known to be new or changed, without listing the stores."""
        with self._lock:
            self._publish(self._ingest(results, requests, removed=set()))

    # -- internals -----------------------------------------------------------------------------

    def _update(self, *, force: bool) -> bool:
        try:
            result_files = self.results_store.list_files()
            request_files = self.queue_store.list_files()
        except (OSError, StoreError) as exc:
            if self._snapshot is None:
                raise
            log.warning("Could not list the stores, keeping the current table: %s", exc)
            return False
        known = self._known_versions()
        listed = {f.path: f.version for f in (*result_files, *request_files)}
        changed_results = [f for f in result_files if known.get(f.path) != f.version]
        changed_requests = [f for f in request_files if known.get(f.path) != f.version]
        removed = set(known) - set(listed)
        if not (changed_results or changed_requests or removed) and not force:
            return False
        changed_models = self._ingest(changed_results, changed_requests, removed)
        self._publish(None if force else changed_models)
        if force or len(changed_results) + len(changed_requests) > RELEASE_AFTER:
            release_memory()
        if changed_results or changed_requests or removed:
            self._write_cache()
        return True

    def _known_versions(self) -> dict[str, str]:
        known = dict(zip(self._results["path"], self._results["version"], strict=True))
        known.update(zip(self._requests["path"], self._requests["version"], strict=True))
        known.update({path: s.version for path, s in self._skipped.items()})
        return known

    def _ingest(
        self, result_files: list[StoredFile], request_files: list[StoredFile], removed: set[str]
    ) -> set[str]:
        """Replace the entries of these files; returns the models whose rows may change."""
        stale = removed | {f.path for f in result_files} | {f.path for f in request_files}
        for path in stale:
            self._skipped.pop(path, None)
        parsed = read_and_parse(self.results_store, result_files, self.queue_store, request_files)
        for skipped in parsed.skipped:
            self._skip(skipped)
        models = set(parsed.results["model"]) | set(parsed.requests["model"])
        for frame in (self._results, self._requests):
            if len(frame) and stale:
                models |= set(frame.loc[frame["path"].isin(stale), "model"])
        self._results = _replace_rows(self._results, stale, parsed.results)
        self._requests = _replace_rows(self._requests, stale, parsed.requests)
        return models

    def _skip(self, skipped: Skipped) -> None:
        self._skipped[skipped.path] = skipped
        log.warning("Skipped %s in the %s store: %s", skipped.path, skipped.store, skipped.reason)

    def _publish(self, changed_models: set[str] | None) -> None:
        """Swap in a new snapshot. With `changed_models`, boards are updated for those models
        only (milliseconds); with None, or when many models changed, rebuilt whole."""
        counts = suites_with_rows(self._results)
        configured = self.settings.suite
        order = sorted(counts, key=lambda name: (name != configured, -counts[name], name))
        co2 = {
            "co2_power_kw": self.settings.co2_power_kw,
            "co2_grid_g_per_kwh": self.settings.co2_grid_g_per_kwh,
        }
        previous = self._snapshot.boards if self._snapshot is not None else {}
        boards = {}
        for name in order:
            board = previous.get(name)
            if board is None or changed_models is None or len(changed_models) > INCREMENTAL_MAX:
                boards[name] = build_board(self._results, self._requests, SUITES[name], **co2)
            elif changed_models:
                boards[name] = update_board(
                    board, self._results, self._requests, SUITES[name], changed_models, **co2
                )
            else:
                boards[name] = board
        self._generation += 1
        self._snapshot = Snapshot(
            generation=self._generation,
            results=self._results,
            requests=self._requests,
            skipped=tuple(self._skipped.values()),
            boards=boards,
            board_order=tuple(order),
        )

    # -- cache -------------------------------------------------------------------------------

    def _read_cache(self) -> None:
        if self.cache is None:
            return
        cached = self.cache.read(result_columns(), list(REQUEST_COLUMNS))
        if cached is not None:
            self._results, self._requests = cached.results, cached.requests
            self._skipped = {s.path: s for s in cached.skipped}

    def _write_cache(self) -> None:
        if self.cache is not None:
            entries = CachedEntries(self._results, self._requests, tuple(self._skipped.values()))
            stores = (self.results_store.location, self.queue_store.location)
            self.cache.write(entries, stores=stores)


def _replace_rows(frame: pd.DataFrame, stale: set[str], new: pd.DataFrame) -> pd.DataFrame:
    kept = frame[~frame["path"].isin(stale)] if stale and len(frame) else frame
    if new.empty:
        return kept.reset_index(drop=True)
    if kept.empty:
        return new.reset_index(drop=True)
    return pd.concat([kept, new], ignore_index=True)
