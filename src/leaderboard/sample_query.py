"""The per-sample viewer's controls over one task's samples (`samples.TaskSamples`): an
outcome (correct / incorrect under one metric), a search of the texts, a filter, a doc id and
a page. Pure; what it computes once per task (lowercased texts, outcomes) is kept on the
TaskSamples, so that the next page or search of the same task is cheap.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum
from itertools import compress, repeat
from operator import contains

from leaderboard.errors import QueryError, quoted
from leaderboard.samples import Sample, TaskSamples

SEARCH_MAX_CHARS = 200
PAGE_SIZE_MAX = 100


class Outcome(StrEnum):
    ALL = "all"
    CORRECT = "correct"
    INCORRECT = "incorrect"


@dataclass(frozen=True, slots=True)
class SampleQuery:
    """The viewer's controls. Values from a form are accepted as they come (an outcome as
    text, an empty metric or filter as "use the first"); the page and its size are clamped."""

    outcome: Outcome = Outcome.ALL
    search: str = ""
    metric: str | None = None
    filter: str | None = None
    page: int = 1
    page_size: int = 20
    doc_id: int | None = None  # only this document (a link from the compare view)

    def __post_init__(self) -> None:
        try:
            outcome = Outcome(self.outcome)
        except ValueError:
            accepted = ", ".join(o.value for o in Outcome)
            raise QueryError(
                f"Unknown outcome {quoted(str(self.outcome))}; choose one of {accepted}."
            ) from None
        if not isinstance(self.search, str):
            raise QueryError("The search must be text.")
        if len(self.search) > SEARCH_MAX_CHARS:
            raise QueryError(
                f"The search is {len(self.search):,} characters long; at most "
                f"{SEARCH_MAX_CHARS} are searched. Search for a shorter part of the text."
            )
        for name in ("metric", "filter"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise QueryError(f"The {name} must be a name, not {type(value).__name__}.")
        if self.doc_id is not None and (type(self.doc_id) is not int or self.doc_id < 0):
            raise QueryError("The doc id must be a whole number from 0 up.")
        try:
            page, page_size = int(self.page), int(self.page_size)
        except (TypeError, ValueError, OverflowError):
            raise QueryError("The page and the page size must be whole numbers.") from None
        object.__setattr__(self, "outcome", outcome)
        object.__setattr__(self, "search", self.search.strip())
        object.__setattr__(self, "metric", self.metric or None)
        object.__setattr__(self, "filter", self.filter or None)
        object.__setattr__(self, "page", max(1, page))
        object.__setattr__(self, "page_size", min(max(1, page_size), PAGE_SIZE_MAX))


@dataclass(frozen=True, slots=True)
class SamplePage:
    total: int  # samples of the filter shown
    matching: int  # of those, the ones the outcome and the search keep
    page: int  # the page shown, clamped into 1..pages
    pages: int  # at least 1, even when nothing matches
    rows: tuple[Sample, ...]
    metric: str | None  # the metric outcomes are judged by; None: the task has none
    filter: str | None  # the filter shown; None: the task has no samples


def view(task_samples: TaskSamples, query: SampleQuery) -> SamplePage:
    """One page of one task's samples: those of one filter, kept by the outcome under one
    metric and by a case-insensitive search of the prompt, choices, target and responses.

    Raises:
        QueryError: the metric or the filter is not one the task has (the message names the
            ones it has), or an outcome is asked of a task without metrics.
    """
    filter_name = _pick("filter", query.filter, task_samples.filters)
    metric = _pick("metric", query.metric, task_samples.metrics)
    rows = _filter_rows(task_samples, filter_name)
    keep: range | list[int] = range(len(rows))
    if query.outcome is not Outcome.ALL:
        if metric is None:
            raise QueryError(
                f"Task {quoted(task_samples.task)} has no metric to tell correct from "
                "incorrect samples; show all of them."
            )
        keep = _outcome_rows(task_samples, filter_name, metric, query.outcome)
    if query.search:
        haystacks = _haystacks(task_samples, filter_name)
        if type(keep) is not range:
            haystacks = map(haystacks.__getitem__, keep)
        # `needle in haystack` for each, in C: a search of 10,000 samples is a scan of them
        keep = list(compress(keep, map(contains, haystacks, repeat(query.search.casefold()))))
    if query.doc_id is not None:
        keep = [i for i in keep if rows[i].doc_id == query.doc_id]
    matching = len(keep)
    pages = max(1, -(-matching // query.page_size))
    page = min(query.page, pages)
    start = (page - 1) * query.page_size
    shown = tuple(rows[i] for i in keep[start : start + query.page_size])
    return SamplePage(len(rows), matching, page, pages, shown, metric, filter_name)


def _pick(kind: str, asked: str | None, known: tuple[str, ...]) -> str | None:
    if asked is None:
        return known[0] if known else None
    if asked in known:
        return asked
    close = difflib.get_close_matches(asked, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    names = ", ".join(known) if known else "none"
    raise QueryError(f"Unknown {kind} {quoted(asked)}.{hint} This task's {kind}s: {names}.")


def _filter_rows(task_samples: TaskSamples, filter_name: str | None) -> tuple[Sample, ...]:
    key = ("rows", filter_name)
    rows = task_samples._cache.get(key)
    if rows is None:
        if len(task_samples.filters) <= 1:
            rows = task_samples.samples
        else:
            rows = tuple(s for s in task_samples.samples if s.filter == filter_name)
        rows = task_samples._cache.setdefault(key, rows)
    return rows


def _outcome_rows(
    task_samples: TaskSamples, filter_name: str | None, metric: str, outcome: Outcome
) -> list[int]:
    """Indexes (into the filter's rows) of the samples with that outcome, computed once."""
    key = ("outcome", filter_name, metric, outcome)
    indexes = task_samples._cache.get(key)
    if indexes is None:
        wanted = outcome is Outcome.CORRECT
        rows = _filter_rows(task_samples, filter_name)
        indexes = [i for i, sample in enumerate(rows) if sample.correct(metric) is wanted]
        indexes = task_samples._cache.setdefault(key, indexes)
    return indexes


def _haystacks(task_samples: TaskSamples, filter_name: str | None) -> list[str]:
    """Each sample's searched texts, case-folded once: a search is then one `in` per sample."""
    key = ("haystacks", filter_name)
    haystacks = task_samples._cache.get(key)
    if haystacks is None:
        haystacks = [
            "\n".join((s.prompt, *s.choices, s.target, s.response, s.filtered)).casefold()
            for s in _filter_rows(task_samples, filter_name)
        ]
        haystacks = task_samples._cache.setdefault(key, haystacks)
    return haystacks
