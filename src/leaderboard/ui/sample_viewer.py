"""The per-sample viewer: one task's samples file read from the results store once (lazily,
one task at a time, `SampleReader`), and one page of it as HTML (`render_page`).

A task's file is read and parsed when the viewer first opens it and kept (by path and
version) for the next pages, filters and searches; the page gets only the rows it shows.
Every text is a model's input or output, so every text is escaped.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator

from leaderboard.errors import LeaderboardError
from leaderboard.sample_query import SamplePage
from leaderboard.samples import Sample, TaskSamples, parse_details_path, parse_samples
from leaderboard.ui.safe import escaped as _e

log = logging.getLogger(__name__)

MAX_SAMPLES_BYTES = 256 * 1024 * 1024  # MMLU-Pro's 12,032 samples are about 70 MB
KEPT_TASKS = 4  # parsed files kept (a 10,000-sample task: tens of MB)
FIRST_LINES = 100  # of a large file, parsed first so that its first page shows at once
CELL_CHARS = 400  # of a long text, shown before "show all"

CSS = """
#sample-page table { border-collapse: collapse; font-size: 0.88rem; width: 100%; }
#sample-page th, #sample-page td { padding: 0.25rem 0.5rem; text-align: left;
  vertical-align: top; border-bottom: 1px solid var(--border-color-primary); }
#sample-page td.text { white-space: pre-wrap; word-break: break-word; max-width: 36rem; }
#sample-page .right { color: #15803d; font-weight: 600; }
#sample-page .wrong { color: #b91c1c; font-weight: 600; }
#sample-page .chosen { font-weight: 600; text-decoration: underline; }
#sample-page .muted { color: var(--body-text-color-subdued); }
"""


class SampleReader:
    """Parsed samples files of the results store, the last KEPT_TASKS by (path, version)."""

    def __init__(self, store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[str, str], TaskSamples] = OrderedDict()

    def read(self, path: str, model: str | None = None) -> TaskSamples:
        """The task's samples, whole; LeaderboardError (with what to do) for a path that
        names no samples file (of `model`, when given) or a file that cannot be read."""
        *_, (samples, _) = self.opening(path, model)
        return samples

    def opening(
        self, path: str, model: str | None = None
    ) -> Iterator[tuple[TaskSamples, int | None]]:
        """(samples, reading) as a task opens: a large file not read before yields its first
        FIRST_LINES lines at once (what its first page shows) with `reading`, the file's
        number of lines, then the whole file (`reading` None: the counts, filters and
        searches are the whole file's); any other file, the whole at once."""
        parsed = parse_details_path(path)
        if parsed is None or (model is not None and parsed.model != model):
            raise LeaderboardError("This is not one of the model's samples files; pick a task.")
        version = self.store.version(path)
        if version is None:
            raise LeaderboardError(f"The samples of {parsed.task} are no longer in the store.")
        key = (path, version)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                kept = self._kept[key]
                yield kept, None
                return
        started = time.perf_counter()
        data = self.store.read(path)
        if len(data) > MAX_SAMPLES_BYTES:
            raise LeaderboardError(
                f"The samples of {parsed.task} are {len(data) / 1e6:.0f} MB, more than the "
                f"viewer reads ({MAX_SAMPLES_BYTES / 1e6:.0f} MB); download the file instead."
            )
        lines = data.count(b"\n") + (not data.endswith(b"\n"))
        if lines > 2 * FIRST_LINES:
            try:
                first = parse_samples(data[: _after_line(data, FIRST_LINES)], parsed.task)
            except ValueError:
                first = None  # no sample in its first lines: the whole file says why
            if first is not None:
                yield first, lines
        try:
            samples = parse_samples(data, parsed.task)
        except ValueError as exc:
            raise LeaderboardError(str(exc)) from exc
        log.info(
            "Samples of %s: %d in %.0f ms (%.1f MB)",
            parsed.task,
            len(samples.samples),
            (time.perf_counter() - started) * 1000,
            len(data) / 1e6,
        )
        with self._lock:
            self._kept[key] = samples
            while len(self._kept) > KEPT_TASKS:
                self._kept.popitem(last=False)
        yield samples, None


def _after_line(data: bytes, count: int) -> int:
    """The offset just after the `count`th newline of `data`."""
    offset = 0
    for _ in range(count):
        offset = data.index(b"\n", offset) + 1
    return offset


def _long(text: str) -> str:
    """A text cell: cut, with the whole text one click away (both escaped)."""
    if len(text) <= CELL_CHARS:
        return _e(text)
    return (
        f"{_e(text[:CELL_CHARS])}…<details><summary>show all "
        f"({len(text):,} characters)</summary>{_e(text)}</details>"
    )


def _choices(sample: Sample) -> str:
    if not sample.choices:
        return ""
    items = []
    for index, choice in enumerate(sample.choices):
        loglik = sample.loglikelihoods[index] if index < len(sample.loglikelihoods) else None
        mark = ' class="chosen"' if index == sample.chosen else ""
        score = "" if loglik is None else f' <span class="muted">({loglik:.2f})</span>'
        items.append(f"<li><span{mark}>{_e(choice.strip())}</span>{score}</li>")
    return "<ol start='0'>" + "".join(items) + "</ol>"


def _outcome(sample: Sample, metric: str | None) -> str:
    if metric is None:
        return ""
    value = sample.value(metric)
    correct = sample.correct(metric)
    if correct is True:
        return '<span class="right">✓ 1</span>'
    if correct is False:
        return '<span class="wrong">✗ 0</span>'
    return "" if value is None else f"{value:.3g}"


def sample_page_json(samples: TaskSamples, page: SamplePage) -> dict:
    """A page for the `/samples` API: plain JSON (texts as they are; a client shows them; a
    log-likelihood of -inf or NaN, which JSON cannot hold, as null)."""
    return {
        "task": samples.task,
        "total": page.total,
        "matching": page.matching,
        "page": page.page,
        "pages": page.pages,
        "metric": page.metric,
        "filter": page.filter,
        "skipped": samples.skipped,
        "samples": [
            {
                "doc_id": s.doc_id,
                "prompt": s.prompt,
                "choices": list(s.choices),
                "loglikelihoods": [v if math.isfinite(v) else None for v in s.loglikelihoods],
                "target": s.target,
                "response": s.response,
                "filtered": s.filtered,
                "chosen": s.chosen,
                "metrics": dict(s.metrics),
                "correct": None if page.metric is None else s.correct(page.metric),
            }
            for s in page.rows
        ],
    }


def render_page(samples: TaskSamples, page: SamplePage, reading: int | None = None) -> str:
    """One page of a task's samples as a table, with what is shown above it; `reading`: the
    file's lines, while only its first part is read (`SampleReader.opening`)."""
    metric = page.metric or "none"
    counts = f"{page.matching:,} of {page.total:,} samples shown · page {page.page} of {page.pages}"
    if reading is not None:
        counts = f"the first {page.total:,} of {reading:,} lines · reading the rest…"
    summary = (
        f"<p>{_e(samples.task)}: {counts} · metric {_e(metric)}"
        + (f" · filter {_e(page.filter)}" if page.filter and len(samples.filters) > 1 else "")
        + "</p>"
    )
    if samples.skipped:
        reasons = "; ".join(samples.reasons)
        summary += (
            f'<p class="muted">{samples.skipped:,} unreadable lines were skipped: {_e(reasons)}</p>'
        )
    if not page.rows:
        return summary + '<p class="muted">No sample matches.</p>'
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Doc", "Input", "Choices (log-likelihood)", "Target", "Answer", "Filtered", "")
    )
    rows = []
    for sample in page.rows:
        rows.append(
            f'<tr data-doc="{sample.doc_id}"><td>{sample.doc_id}</td>'
            f'<td class="text">{_long(sample.prompt)}</td><td>{_choices(sample)}</td>'
            f'<td class="text">{_long(sample.target)}</td>'
            f'<td class="text">{_long(sample.response)}</td>'
            f'<td class="text">{_long(sample.filtered)}</td>'
            f"<td>{_outcome(sample, page.metric)}</td></tr>"
        )
    return summary + f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
