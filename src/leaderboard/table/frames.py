"""Entries -> the two frames the loader keeps and caches, their columns derived from the field
table. Pure, no I/O.

- the *results frame*: one row per (results file, suite it covers): the result fields, then
  every suite's benchmark scores in columns namespaced by suite (`v2.gsm8k`, its raw value
  `v2.gsm8k_raw`, the raw value's stderr `v2.gsm8k_stderr`, the score's `v2.gsm8k_se` and
  `v2.gsm8k_estimated`, 1 where a stderr used was estimated), so two suites may reuse a
  benchmark key;
- the *requests frame*: one row per request file, the request fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from leaderboard.suites import SUITES, Suite
from leaderboard.suites.model import SCORE_PARTS
from leaderboard.table.entries import RequestEntry, ResultEntry
from leaderboard.table.fields import FILE_KEYS, REQUEST_FIELDS, RESULT_FIELDS, Dtype, Field

# What a score column holds besides the normalized score (0-100): the raw value (0-1), its
# standard error, the normalized score's (0-100), and whether either was estimated.
RAW, STDERR, SE, ESTIMATED = SCORE_PARTS


def score_column(suite: str, key: str, part: str = "") -> str:
    """`v2.gsm8k` (normalized), `v2.gsm8k_raw`, `v2.gsm8k_stderr`, `v2.gsm8k_se`, ..."""
    return f"{suite}.{key}_{part}" if part else f"{suite}.{key}"


def score_columns(suites: Iterable[Suite]) -> list[str]:
    return [
        score_column(suite.name, benchmark.key, part)
        for suite in suites
        for benchmark in suite.benchmarks
        for part in ("", *SCORE_PARTS)
    ]


def result_columns(suites: Mapping[str, Suite] = SUITES) -> list[str]:
    return [*FILE_KEYS, *(f.key for f in RESULT_FIELDS), *score_columns(suites.values())]


REQUEST_COLUMNS = (*FILE_KEYS, *(f.key for f in REQUEST_FIELDS))


def results_frame(entries: Sequence[ResultEntry], suites: Mapping[str, Suite] = SUITES):
    data = _file_columns(entries)
    for field in RESULT_FIELDS:
        read = field.result
        data[field.key] = _typed([read(e) for e in entries], field)
    scores = {name: np.full(len(entries), np.nan) for name in score_columns(suites.values())}
    for row, entry in enumerate(entries):
        for key, score in entry.scores.items():
            scores[score_column(entry.suite, key)][row] = score.normalized
            scores[score_column(entry.suite, key, RAW)][row] = score.raw
            if score.stderr is not None:
                scores[score_column(entry.suite, key, STDERR)][row] = score.stderr
            if score.normalized_stderr is not None:
                scores[score_column(entry.suite, key, SE)][row] = score.normalized_stderr
                scores[score_column(entry.suite, key, ESTIMATED)][row] = float(score.estimated)
    data.update(scores)
    return pd.DataFrame(data)


def requests_frame(entries: Sequence[RequestEntry]) -> pd.DataFrame:
    data = _file_columns(entries)
    for field in REQUEST_FIELDS:
        read = field.request
        data[field.key] = _typed([read(e.request) for e in entries], field)
    return pd.DataFrame(data)


def _file_columns(entries: Sequence[ResultEntry] | Sequence[RequestEntry]) -> dict[str, object]:
    return {
        "path": pd.Series([e.path for e in entries], dtype="str"),
        "version": pd.Series([e.version for e in entries], dtype="str"),
    }


def _typed(values: list, field: Field) -> pd.Series:
    if field.dtype is Dtype.TIME:
        return pd.to_datetime(pd.Series(values, dtype="object"), utc=True)
    if field.dtype is Dtype.TEXT:
        return pd.Series(["" if v is None else v for v in values], dtype="str")
    if field.dtype is Dtype.FLOAT:
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    return pd.Series(values, dtype=str(field.dtype))
