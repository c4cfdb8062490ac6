"""Stores -> boards, with a parquet cache and incremental refresh. The table layer's I/O edge.

A cold load reads every file once (`parsing.py`). The parsed entries are cached as parquet
beside each file's version (`cache.py`), so the next start reads no JSON at all when nothing
changed, and a refresh re-reads only the files whose version moved. The Hub is never called
here.
"""

from __future__ import annotations

import logging
import threading
import time

import pandas as pd

from leaderboard.config import Settings
from leaderboard.errors import StoreError
from leaderboard.stores import LocalStore, Store, StoredFile
from leaderboard.stores.watch import FolderWatch
from leaderboard.suites import SUITES
from leaderboard.table.build import build_board, suites_with_rows, update_board
from leaderboard.table.cache import CachedEntries, EntryCache, cache_folder, fingerprint
from leaderboard.table.entries import Skipped
from leaderboard.table.frames import REQUEST_COLUMNS, requests_frame, result_columns, results_frame
from leaderboard.table.parsing import RELEASE_AFTER, read_and_parse, release_memory
from leaderboard.table.snapshot import Snapshot

log = logging.getLogger(__name__)

INCREMENTAL_MAX = 500  # more changed models than this: rebuilding whole boards is cheaper
EVENT_SETTLE_SECONDS = 0.1  # after a file event, wait this long for the rest of its burst


class TableLoader:
    """Keeps the current Snapshot of two stores; `refresh()` folds in what changed.

    A local store can be watched (`watch()`): a refresh then reads only the files that
    file-system events named, and lists the stores in full every `rescan_seconds` (or when
    the events cannot be trusted). A Hub store is listed from its mirror on every refresh.
    """

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
        self._known: dict[str, str] = {}  # path -> version of every file in the table
        self._generation = 0
        self._watches: tuple[FolderWatch, FolderWatch] | None = None
        self._listed_at = 0.0  # monotonic time of the last full listing
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.validated = False  # False while the snapshot is the cache's, not yet checked

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

    def load(self, *, validate: bool = True) -> Snapshot:
        """First load: from the cache where it is still valid, reading only what changed.

        With `validate=False`, a cache that holds boards is served as it is, without listing
        the stores (an app answers at once); the caller then calls `refresh()`, in the
        background, to fold in what changed while it was not running."""
        with self._lock:
            if self._snapshot is None:
                cached = self._read_cache()
                if cached is not None and cached.boards and not validate:
                    self._publish_cached(cached)
                    return self._snapshot
            self.validated = True
            if validate or self._snapshot is None:
                self._update(force=self._snapshot is None)
            assert self._snapshot is not None
            return self._snapshot

    def refresh(self) -> bool:
        """Fold in files that appeared, changed or vanished. True when anything did."""
        with self._lock:
            if self._snapshot is None:
                self._update(force=True)
                return True
            named = self._named_by_events()
            if named is None:
                changed = self._update(force=False)
                self.validated = True
                return changed
            return self._update_files(*named)

    def apply(self, *, results: list[StoredFile] = (), requests: list[StoredFile] = ()) -> None:
        """Fold in files known to be new or changed, without listing the stores."""
        with self._lock:
            self._publish(self._ingest(results, requests, removed=set()))

    def watch(self, *, refresh_on_change: bool = True) -> bool:
        """Watch local stores for file-system events; True when both are watched. With
        `refresh_on_change`, a background thread refreshes shortly after each burst of
        events, so a new file is on the board within a second of being written."""
        if self._watches is not None:
            return True
        stores = (self.results_store, self.queue_store)
        if not all(isinstance(store, LocalStore) for store in stores):
            return False
        watches = (FolderWatch(stores[0].root), FolderWatch(stores[1].root))
        if not all(w.start() for w in watches):
            for w in watches:
                w.stop()
            return False
        self._listed_at = 0.0  # the first refresh lists in full, then events take over
        self._watches = watches
        if refresh_on_change:
            for w in watches:
                w.on_change(self._wake.set)
            threading.Thread(
                target=self._refresh_on_events, name="table-watch", daemon=True
            ).start()
        return True

    def stop_watching(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._watches is not None:
            for w in self._watches:
                w.stop()
            self._watches = None

    # -- internals -----------------------------------------------------------------------------

    def _refresh_on_events(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait()
            if self._stopping.is_set():
                return
            time.sleep(EVENT_SETTLE_SECONDS)  # one refresh for a burst of events
            self._wake.clear()
            try:
                self.refresh()
            except Exception:  # the next event or the periodic refresh tries again
                log.exception("Refreshing the table after file events failed")

    def _named_by_events(self) -> tuple[set[str], set[str]] | None:
        """The paths events named since the last look, per store; None: list in full (not
        watched, due for the safety-net listing, or the events cannot be trusted)."""
        if self._watches is None:
            return None
        rescan = self.settings.rescan_seconds
        if rescan <= 0 or time.monotonic() - self._listed_at > rescan:
            return None
        results, queue = (w.drain() for w in self._watches)
        if results is None or queue is None:
            return None
        return results, queue

    def _update_files(self, result_paths: set[str], request_paths: set[str]) -> bool:
        """Fold in these paths' files as they are now (new, changed or gone)."""
        removed: set[str] = set()
        changed_results = self._changed(self.results_store, result_paths, removed)
        changed_requests = self._changed(self.queue_store, request_paths, removed)
        if not (changed_results or changed_requests or removed):
            return False
        self._publish(self._ingest(changed_results, changed_requests, removed))
        self._write_cache()
        return True

    def _changed(self, store: Store, paths: set[str], removed: set[str]) -> list[StoredFile]:
        """The files of `paths` whose version moved; known paths now gone go to `removed`."""
        changed = []
        for path in sorted(paths):
            try:
                version = store.version(path)
            except (OSError, StoreError) as exc:
                log.warning("Could not read the version of %s: %s", path, exc)
                continue
            if version is None:
                if path in self._known:
                    removed.add(path)
            elif self._known.get(path) != version:
                changed.append(StoredFile(path, version))
        return changed

    def _update(self, *, force: bool) -> bool:
        if self._watches is not None:
            for w in self._watches:
                w.reset()  # events from now on are what this listing may miss
        started = time.monotonic()
        try:
            result_files = self.results_store.list_files()
            request_files = self.queue_store.list_files()
        except (OSError, StoreError) as exc:
            if self._snapshot is None:
                raise
            log.warning("Could not list the stores, keeping the current table: %s", exc)
            return False
        self._listed_at = started
        known = self._known
        listed = {f.path for f in result_files} | {f.path for f in request_files}
        changed_results = [f for f in result_files if known.get(f.path) != f.version]
        changed_requests = [f for f in request_files if known.get(f.path) != f.version]
        removed = set(known) - listed
        if not (changed_results or changed_requests or removed) and not force:
            return False
        changed_models = self._ingest(changed_results, changed_requests, removed)
        self._publish(None if force else changed_models)
        if force or len(changed_results) + len(changed_requests) > RELEASE_AFTER:
            release_memory()
        if changed_results or changed_requests or removed:
            self._write_cache()
        return True

    def _ingest(
        self, result_files: list[StoredFile], request_files: list[StoredFile], removed: set[str]
    ) -> set[str]:
        """Replace the entries of these files; returns the models whose rows may change."""
        stale = removed | {f.path for f in result_files} | {f.path for f in request_files}
        for path in stale:
            self._skipped.pop(path, None)
            self._known.pop(path, None)
        parsed = read_and_parse(self.results_store, result_files, self.queue_store, request_files)
        for skipped in parsed.skipped:
            self._skip(skipped)
        models = set(parsed.results["model"]) | set(parsed.requests["model"])
        for frame in (self._results, self._requests):
            if len(frame) and stale:
                models |= set(frame.loc[frame["path"].isin(stale), "model"])
        self._results = _replace_rows(self._results, stale, parsed.results)
        self._requests = _replace_rows(self._requests, stale, parsed.requests)
        for frame in (parsed.results, parsed.requests):
            self._known.update(zip(frame["path"], frame["version"], strict=True))
        return models

    def _skip(self, skipped: Skipped) -> None:
        self._skipped[skipped.path] = skipped
        self._known[skipped.path] = skipped.version
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
        self._swap_in(boards, tuple(order))

    def _swap_in(self, boards: dict[str, pd.DataFrame], order: tuple[str, ...]) -> None:
        self._generation += 1
        self._snapshot = Snapshot(
            generation=self._generation,
            results=self._results,
            requests=self._requests,
            skipped=tuple(self._skipped.values()),
            boards=boards,
            board_order=order,
        )

    # -- cache -------------------------------------------------------------------------------

    def _read_cache(self) -> CachedEntries | None:
        if self.cache is None:
            return None
        cached = self.cache.read(result_columns(), list(REQUEST_COLUMNS))
        if cached is not None:
            self._results, self._requests = cached.results, cached.requests
            self._skipped = {s.path: s for s in cached.skipped}
            for frame in (self._results, self._requests):
                self._known.update(zip(frame["path"], frame["version"], strict=True))
            self._known.update({s.path: s.version for s in cached.skipped})
        return cached

    def _publish_cached(self, cached: CachedEntries) -> None:
        """The boards as the cache holds them: built by this code (the fingerprint says so)
        from these entries, so they are what a build would give."""
        self._swap_in(dict(cached.boards), tuple(cached.board_order))

    def _write_cache(self) -> None:
        if self.cache is not None and self._snapshot is not None:
            entries = CachedEntries(
                self._results,
                self._requests,
                tuple(self._skipped.values()),
                boards=self._snapshot.boards,
                board_order=self._snapshot.board_order,
            )
            stores = (self.results_store.location, self.queue_store.location)
            self.cache.write(entries, stores=stores)


def _replace_rows(frame: pd.DataFrame, stale: set[str], new: pd.DataFrame) -> pd.DataFrame:
    kept = frame[~frame["path"].isin(stale)] if stale and len(frame) else frame
    if new.empty:
        return kept.reset_index(drop=True)
    if kept.empty:
        return new.reset_index(drop=True)
    return pd.concat([kept, new], ignore_index=True)
