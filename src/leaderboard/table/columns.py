"""Board columns: the field table's shown fields around the suite's benchmarks.

DataFrames are keyed by the stable `key`; the `label` (what the Open LLM Leaderboard shows,
emoji and all) is applied only at the edges: the UI, the CLI's JSON and CSV.
"""

from __future__ import annotations

from dataclasses import dataclass

from leaderboard.errors import unknown
from leaderboard.suites import Suite
from leaderboard.table.fields import SHOWN, Field, Kind


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind
    visible: bool  # shown by default
    description: str = ""
    decimals: int | None = None
    pinned: bool = False  # always shown, cannot be deselected


def _column(field: Field) -> Column:
    return Column(
        field.key,
        field.label,
        field.kind,
        field.visible,
        field.description,
        field.decimals,
        field.pinned,
    )


_LEAD = tuple(_column(f) for f in SHOWN if f.lead)
_TAIL = tuple(_column(f) for f in SHOWN if not f.lead)


def raw_key(benchmark_key: str) -> str:
    return f"{benchmark_key}_raw"


def ci_key(score_key: str) -> str:
    """The column of the half-width of a score's 95% confidence interval (`arc_ci`)."""
    return f"{score_key}_ci"


_CI = (
    "Half-width of the 95% confidence interval of {label}: 1.96 standard errors, from the "
    "results file's stderr or, where it gives none, estimated from the number of items."
)


def board_columns(suite: Suite) -> tuple[Column, ...]:
    """All columns of a suite's board, in display order."""
    benchmarks = tuple(
        Column(b.key, b.label, Kind.NUMBER, True, b.description, 2) for b in suite.benchmarks
    )
    raws = tuple(
        Column(raw_key(b.key), f"{b.label} Raw", Kind.NUMBER, False, f"{b.label}, raw.", 4)
        for b in suite.benchmarks
        if suite.shows_raw_columns
    )
    scores = (("average", "Average"), *((b.key, b.label) for b in suite.benchmarks))
    intervals = tuple(
        Column(ci_key(key), f"{label} ±", Kind.NUMBER, False, _CI.format(label=label), 2)
        for key, label in scores
    )
    return (*_LEAD, *benchmarks, *raws, *intervals, *_TAIL)


def column(suite: Suite, key: str) -> Column:
    for candidate in board_columns(suite):
        if candidate.key == key:
            return candidate
    raise unknown("column", key, [c.key for c in board_columns(suite)])


def column_by_label_or_key(suite: Suite, name: str) -> Column:
    """Resolve what a person typed (a label such as `#Params (B)` or a key such as `params_b`)."""
    lowered = name.strip().lower()
    for candidate in board_columns(suite):
        if lowered in {candidate.key.lower(), candidate.label.lower()}:
            return candidate
    raise unknown("column", name, [c.key for c in board_columns(suite)])


def default_visible_keys(suite: Suite) -> tuple[str, ...]:
    return tuple(c.key for c in board_columns(suite) if c.visible)
