"""From one stored file to its entries: the per-file work of a table build. No I/O but a log
line, and free of pandas, so worker processes that parse a large store in parallel start
quickly.

A results file gives one `ResultEntry` per suite it covers (the parsed file and its scores
on that suite's benchmarks); a request file gives one `RequestEntry`. A file that cannot be
used gives a `Skipped` with the reason, which the loader logs and keeps; values a results
file holds out of their range are left out of its scores, with a log line here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import orjson

from leaderboard.domain import EvalRequest, EvalResult, parse_results
from leaderboard.errors import ParseError
from leaderboard.suites import SUITES, BenchmarkScore, out_of_range, score_result

log = logging.getLogger(__name__)

RESULTS, QUEUE = "results", "queue"  # the store a skipped file is in


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file left out of the table, and why (the operator sees these in `status` and on
    the Queue tab)."""

    path: str
    version: str
    reason: str
    store: str  # RESULTS or QUEUE


@dataclass(frozen=True, slots=True)
class ResultEntry:
    """One results file as one suite scores it."""

    path: str
    version: str
    suite: str
    result: EvalResult
    scores: dict[str, BenchmarkScore]  # benchmark key -> score, for the benchmarks it covers


@dataclass(frozen=True, slots=True)
class RequestEntry:
    path: str
    version: str
    request: EvalRequest


# ---------------------------------------------------------------------------------------------
# Files -> entries


def decode_json(data: bytes, path: str) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON ({exc})") from None


def result_entries(result: EvalResult, path: str, version: str) -> list[ResultEntry]:
    """One entry per suite the file covers; none when it covers no suite's benchmark.

    Values out of their metric's range are left out of the scores."""
    entries = []
    for suite in SUITES.values():
        scores = score_result(result, suite)
        if scores:
            entries.append(ResultEntry(path, version, suite.name, result, scores))
    return entries


def parse_result_file(path: str, version: str, data: bytes) -> list[ResultEntry] | Skipped:
    try:
        result = parse_results(decode_json(data, path), path=path)
    except ParseError as exc:
        return Skipped(path, version, str(exc), RESULTS)
    entries = result_entries(result, path, version)
    ignored = sorted({note for suite in SUITES.values() for note in out_of_range(result, suite)})
    if not entries:
        if ignored:
            return Skipped(path, version, f"holds no usable value ({'; '.join(ignored)})", RESULTS)
        tasks = ", ".join(task[:60] for task in sorted(result.metrics)[:5])
        return Skipped(path, version, f"covers no benchmark of any suite (tasks: {tasks})", RESULTS)
    if ignored:
        log.warning("Values left out of %s (its others count): %s", path, "; ".join(ignored))
    return entries


def request_entry(request: EvalRequest, path: str, version: str) -> RequestEntry:
    return RequestEntry(path, version, request)


def parse_request_file(path: str, version: str, data: bytes) -> RequestEntry | Skipped:
    try:
        request = EvalRequest.from_json(decode_json(data, path))
    except ParseError as exc:
        return Skipped(path, version, str(exc), QUEUE)
    return request_entry(request, path, version)
