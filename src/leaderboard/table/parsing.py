"""Read and parse a batch of stored files into entry frames, on every core for a large batch.

Parsing and scoring are CPU-bound Python, which threads only slow down (the GIL). A large
batch (a cold build) is read and parsed by forked child processes, one slice of the files
each, every child handing back frames, not entries: the caller never holds a Python object
per file, whose freed memory a long-lived app could not give back. A forked child inherits
the stores and the file lists in its memory (nothing is pickled on the way in, no module is
imported again, the caller's script is never re-run as a spawned child would). A small batch
(a refresh) is parsed in-process, where it costs less than starting children. Forking is
only safe in a process with one thread, so a process that runs others (the app, once it
serves) parses in-process too.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow

from leaderboard.domain.fields import preview
from leaderboard.errors import StoreError
from leaderboard.stores import Store, StoredFile
from leaderboard.table.entries import (
    QUEUE,
    RESULTS,
    Skipped,
    parse_request_file,
    parse_result_file,
)
from leaderboard.table.frames import requests_frame, results_frame

log = logging.getLogger(__name__)

PARALLEL_FROM = 2_000  # files; fewer are parsed in-process
MAX_WORKERS = 4
CHUNK = 250  # files parsed before their entries become a frame (bounds the entries held)
RELEASE_AFTER = 1_000  # files read; a build this large leaves freed buffers worth returning

Parse = Callable[[str, str, bytes], object]


@dataclass(frozen=True)
class Parsed:
    """The entries of a batch of files, as the frames the loader keeps."""

    results: pd.DataFrame
    requests: pd.DataFrame
    skipped: list[Skipped]


def read_and_parse(
    results_store: Store,
    result_files: Sequence[StoredFile],
    queue_store: Store,
    request_files: Sequence[StoredFile],
    *,
    workers: int | None = None,
) -> Parsed:
    """Every listed file read and parsed (see the module's docstring for where)."""
    total = len(result_files) + len(request_files)
    if workers is None:
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
        if total < PARALLEL_FROM:
            workers = 1
    if workers < 2 or threading.active_count() > 1:
        return parse_batch(results_store, result_files, queue_store, request_files)
    results_slices = _slices(result_files, workers)
    request_slices = _slices(request_files, workers)
    parts = _in_children(
        [
            lambda r=r, q=q: parse_batch(results_store, r, queue_store, q)
            for r, q in zip(results_slices, request_slices, strict=True)
        ]
    )
    return Parsed(
        results=_concat([p.results for p in parts], results_frame([])),
        requests=_concat([p.requests for p in parts], requests_frame([])),
        skipped=[s for p in parts for s in p.skipped],
    )


def _slices(files: Sequence[StoredFile], count: int) -> list[Sequence[StoredFile]]:
    """`count` contiguous slices: their frames concatenated keep the files' order."""
    size = -(-len(files) // count)
    return [files[i * size : (i + 1) * size] for i in range(count)]


def _in_children(jobs: list[Callable[[], Parsed]]) -> list[Parsed]:
    """Run each job in a forked child; its Parsed comes back through a pipe. A child that dies
    without answering has its job run here, so a batch never loses files."""
    context = multiprocessing.get_context("fork")
    running = []
    for job in jobs:
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_answer, args=(job, sender), daemon=True)
        child.start()
        sender.close()
        running.append((job, receiver, child))
    parts = []
    for job, receiver, child in running:
        try:
            outcome = receiver.recv()  # before join: a large answer fills the pipe first
        except EOFError:
            outcome = None
        finally:
            receiver.close()
            child.join()
        if not isinstance(outcome, Parsed):
            log.warning("A parse worker failed (%s); parsing its files here", outcome)
            outcome = job()
        parts.append(outcome)
    return parts


def _answer(job: Callable[[], Parsed], sender) -> None:
    try:
        sender.send(job())
    except BaseException as exc:  # the parent parses this slice itself
        sender.send(f"{type(exc).__name__}: {preview(str(exc), 200)}")
    finally:
        sender.close()


def parse_batch(
    results_store: Store,
    result_files: Sequence[StoredFile],
    queue_store: Store,
    request_files: Sequence[StoredFile],
) -> Parsed:
    skipped: list[Skipped] = []
    results = _frames(results_store, result_files, parse_result_file, RESULTS, skipped)
    requests = _frames(queue_store, request_files, parse_request_file, QUEUE, skipped)
    return Parsed(
        _concat([results_frame(chunk) for chunk in results], results_frame([])),
        _concat([requests_frame(chunk) for chunk in requests], requests_frame([])),
        skipped,
    )


def _frames(
    store: Store, files: Sequence[StoredFile], parse: Parse, kind: str, skipped: list
) -> list[list]:
    """The entries of these files, CHUNK files at a time (a results file has one per suite,
    a request file one); files that cannot be read or parsed are added to `skipped`."""
    chunks: list[list] = []
    for start in range(0, len(files), CHUNK):
        entries: list = []
        for stored in files[start : start + CHUNK]:
            outcome = _parse_one(store, stored, parse, kind)
            if isinstance(outcome, Skipped):
                skipped.append(outcome)
            elif isinstance(outcome, list):
                entries.extend(outcome)
            else:
                entries.append(outcome)
        chunks.append(entries)
    return chunks


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


def _concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def release_memory() -> None:
    """Give memory freed by a large build back to the system. pyarrow's pool (mimalloc) and
    glibc's malloc keep freed pages for reuse; a long-lived app that built a large table
    once would otherwise hold them for good (about 80 MB at 50,000 models)."""
    pyarrow.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
