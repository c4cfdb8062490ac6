"""Stores -> boards, with a parquet cache and incremental refresh. The table layer's I/O edge.

A cold load reads every file once. The parsed entries are cached as parquet beside each
file's version, so the next start reads no JSON at all when nothing changed, and a refresh
re-reads only the files whose version moved. The Hub is never called here.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson
import pandas as pd
import pyarrow

from leaderboard.config import Settings
from leaderboard.domain.fields import preview
from leaderboard.errors import StoreError
from leaderboard.stores import Store, StoredFile
from leaderboard.suites import SUITES, get_suite
from leaderboard.table.build import (
    build_board,
    requests_frame,
    results_frame,
    suites_with_rows,
    update_board,
)
from leaderboard.table.entries import (
    QUEUE,
    RESULTS,
    Skipped,
    parse_request_file,
    parse_result_file,
)

log = logging.getLogger(__name__)

CACHE_SCHEMA = 4  # bump when entries change shape; an old cache is then ignored
_INCREMENTAL_MAX = 500  # more changed models than this: rebuilding whole boards is cheaper


@dataclass(frozen=True)
class Snapshot:
    """Everything the UI and the CLI read, as one immutable value swapped on refresh."""

    results: pd.DataFrame
    requests: pd.DataFrame
    skipped: tuple[Skipped, ...]
    boards: dict[str, pd.DataFrame]
    board_order: tuple[str, ...]  # suites with rows: the configured one first, then by size
    generation: int = 0  # grows with every change, so a page can tell it shows old data
    loaded_at: float = field(default_factory=time.time)

    def board(self, suite: str | None = None) -> pd.DataFrame:
        name = suite or (self.board_order[0] if self.board_order else None)
        if name in self.boards:
            return self.boards[name]
        get_suite(name or "")  # unknown name -> UnknownNameError listing the suites
        return _empty_board(name or "")

    @property
    def default_suite(self) -> str | None:
        return self.board_order[0] if self.board_order else None


def _empty_board(suite: str) -> pd.DataFrame:
    empty_results = results_frame([])
    return build_board(
        empty_results, requests_frame([]), get_suite(suite), co2_power_kw=0, co2_grid_g_per_kwh=0
    )


class TableLoader:
    """Keeps the current Snapshot of two stores; `refresh()` folds in what changed."""

    def __init__(self, results: Store, queue: Store, settings: Settings, *, use_cache: bool = True):
        self.results_store = results
        self.queue_store = queue
        self.settings = settings
        self.cache_dir = (
            Path(settings.cache_dir) / _cache_key(results.location, queue.location)
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
            if board is None or changed_models is None or len(changed_models) > _INCREMENTAL_MAX:
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
        if self.cache_dir is None:
            return
        meta_path = self.cache_dir / "meta.json"
        try:
            meta = orjson.loads(meta_path.read_bytes())
            if meta.get("schema") != CACHE_SCHEMA:
                return
            results = pd.read_parquet(self.cache_dir / "results.parquet")
            requests = pd.read_parquet(self.cache_dir / "requests.parquet")
            skipped = {item["path"]: Skipped(**item) for item in meta.get("skipped", [])}
        except FileNotFoundError:
            return
        except Exception as exc:
            log.warning("Ignoring the table cache in %s: %s", self.cache_dir, exc)
            return
        if list(results.columns) != list(self._results.columns) or list(requests.columns) != list(
            self._requests.columns
        ):
            return
        self._results = results
        self._requests = requests
        self._skipped = skipped

    def _write_cache(self) -> None:
        if self.cache_dir is None:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            for name, frame in (("results", self._results), ("requests", self._requests)):
                temp = self.cache_dir / f".{name}.parquet.tmp"
                frame.to_parquet(temp, index=False)
                temp.replace(self.cache_dir / f"{name}.parquet")
            meta = {
                "schema": CACHE_SCHEMA,
                "results_store": self.results_store.location,
                "queue_store": self.queue_store.location,
                "skipped": [asdict(s) for s in self._skipped.values()],
            }
            temp = self.cache_dir / ".meta.json.tmp"
            temp.write_bytes(orjson.dumps(meta))
            temp.replace(self.cache_dir / "meta.json")
        except OSError as exc:
            log.warning("Could not write the table cache in %s: %s", self.cache_dir, exc)


Parse = Callable[[str, str, bytes], object]
RELEASE_AFTER = 1_000  # files read; a build this large leaves freed buffers worth returning


def release_memory() -> None:
    """Give memory freed by a large build back to the system. pyarrow's pool (mimalloc) and
    glibc's malloc keep freed pages for reuse; a long-lived app that built a large table
    once would otherwise hold them for good (about 80 MB at 50,000 models)."""
    pyarrow.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


@dataclass(frozen=True)
class Parsed:
    """The entries of a batch of files, as the frames the loader keeps."""

    results: pd.DataFrame
    requests: pd.DataFrame
    skipped: list[Skipped]


def read_and_parse(
    results_store: Store,
    result_files: list[StoredFile],
    queue_store: Store,
    request_files: list[StoredFile],
) -> Parsed:
    """Read every listed file and parse it into entry frames.

    Parsing and scoring are CPU-bound Python, which threads only slow down (the GIL). A large
    batch (a cold build) is read and parsed by forked worker processes, one per core, each
    handing back frames, not entries: the caller never holds a Python dict per file, whose
    freed memory a long-lived app could not give back. A small batch (a refresh) is parsed
    here, where it costs less than starting workers. Forking is only safe in a process with
    one thread, so a process that runs others (the app, once it serves) parses in-process;
    forked workers need no imports and never re-run the caller's script, as spawned ones would.
    """
    total = len(result_files) + len(request_files)
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if total < PARALLEL_FROM or workers < 2 or threading.active_count() > 1:
        return _parse_chunk(results_store, result_files, queue_store, request_files)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_inherit_stores,  # forked: the stores are inherited, never pickled per task
        initargs=(results_store, queue_store),
    ) as pool:
        chunks = [
            pool.submit(_parse_inherited, result_files[i : i + CHUNK], [])
            for i in range(0, len(result_files), CHUNK)
        ] + [
            pool.submit(_parse_inherited, [], request_files[i : i + CHUNK])
            for i in range(0, len(request_files), CHUNK)
        ]
        parts = [chunk.result() for chunk in chunks]
    return Parsed(
        results=_concat([p.results for p in parts], results_frame([])),
        requests=_concat([p.requests for p in parts], requests_frame([])),
        skipped=[s for p in parts for s in p.skipped],
    )


PARALLEL_FROM = 2_000  # files; fewer are parsed in-process
MAX_WORKERS = 4
CHUNK = 250


def _parse_one(store: Store, stored: StoredFile, parse: Parse, kind: str):
    try:
        data = store.read(stored.path)
    except StoreError as exc:
        return Skipped(stored.path, stored.version, f"could not be read: {exc}", kind)
    try:
        return parse(stored.path, stored.version, data)
    except Exception as exc:  # a parser bug: this file is left out, never the whole table
        reason = f"could not be parsed ({type(exc).__name__}: {preview(str(exc), 200)})"
        return Skipped(stored.path, stored.version, reason, kind)


_inherited_stores: tuple[Store, Store] | None = None  # set only in a forked parse worker


def _inherit_stores(results_store: Store, queue_store: Store) -> None:
    """In a forked parse worker, once: keep the caller's stores. Passing them with every
    chunk would pickle them each time, and a HubStore re-reads its mirror's state when it is
    unpickled (seconds for 100,000 files)."""
    global _inherited_stores
    _inherited_stores = (results_store, queue_store)


def _parse_inherited(result_files: list[StoredFile], request_files: list[StoredFile]) -> Parsed:
    assert _inherited_stores is not None, "only called in a worker set up by _inherit_stores"
    results_store, queue_store = _inherited_stores
    return _parse_chunk(results_store, result_files, queue_store, request_files)


def _parse_chunk(
    results_store: Store,
    result_files: list[StoredFile],
    queue_store: Store,
    request_files: list[StoredFile],
) -> Parsed:
    skipped: list[Skipped] = []
    results = _entries(results_store, result_files, parse_result_file, RESULTS, skipped)
    requests = _entries(queue_store, request_files, parse_request_file, QUEUE, skipped)
    return Parsed(results_frame(results), requests_frame(requests), skipped)


def _entries(
    store: Store, files: list[StoredFile], parse: Parse, kind: str, skipped: list
) -> list[dict]:
    """The entries of these files (a results file has one per suite, a request file one);
    files that cannot be read or parsed are added to `skipped`."""
    entries: list[dict] = []
    for stored in files:
        outcome = _parse_one(store, stored, parse, kind)
        if isinstance(outcome, Skipped):
            skipped.append(outcome)
        elif isinstance(outcome, list):
            entries.extend(outcome)
        else:
            entries.append(outcome)
    return entries


def _concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else empty


def _replace_rows(frame: pd.DataFrame, stale: set[str], new: pd.DataFrame) -> pd.DataFrame:
    kept = frame[~frame["path"].isin(stale)] if stale and len(frame) else frame
    if new.empty:
        return kept.reset_index(drop=True)
    if kept.empty:
        return new.reset_index(drop=True)
    return pd.concat([kept, new], ignore_index=True)


def _cache_key(results_location: str, queue_location: str) -> str:
    digest = hashlib.sha256(f"{results_location}\n{queue_location}".encode()).hexdigest()
    return digest[:16]
