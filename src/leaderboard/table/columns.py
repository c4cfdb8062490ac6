"""The one column registry: every board column, derived from its suite's benchmarks.

DataFrames are keyed by the stable `key`; the `label` (what the Open LLM Leaderboard shows,
emoji and all) is applied only at the edges: the UI, the CLI's JSON and CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from leaderboard.errors import unknown
from leaderboard.suites import Suite


class Kind(StrEnum):
    TEXT = "str"
    NUMBER = "number"
    BOOL = "bool"
    HTML = "html"  # built by us from escaped text (the Model cell); never Markdown


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind
    visible: bool  # shown by default
    description: str = ""
    decimals: int | None = None
    pinned: bool = False  # always shown, cannot be deselected


RANK = Column(
    "rank", "Rank", Kind.NUMBER, True, "Rank by Average (ties share a rank).", pinned=True
)
TYPE_SYMBOL = Column("type_symbol", "T", Kind.TEXT, True, "Model type, as a symbol.", pinned=True)
MODEL = Column("model", "Model", Kind.HTML, True, "The model, linked to its page.", pinned=True)
AVERAGE = Column("average", "Average ⬆️", Kind.NUMBER, True, "Mean of the benchmark scores.", 2)

_TAIL = (
    Column("model_type", "Type", Kind.TEXT, True, "How the model was trained."),
    Column("architecture", "Architecture", Kind.TEXT, True, "Model class in its config."),
    Column("precision", "Precision", Kind.TEXT, True, "Weights' precision at evaluation."),
    Column("weight_type", "Weight type", Kind.TEXT, False, "Original, Delta or Adapter."),
    Column("params_b", "#Params (B)", Kind.NUMBER, True, "Parameters, in billions.", 2),
    Column("license", "Hub License", Kind.TEXT, True, "License on the model card."),
    Column("likes", "Hub ❤️", Kind.NUMBER, True, "Likes on the Hub at submission.", 0),
    Column("available", "Available on the hub", Kind.BOOL, False, "Still public on the Hub."),
    Column("model_sha", "Model sha", Kind.TEXT, False, "Commit of the evaluated weights."),
    Column("submitted", "Submission date", Kind.TEXT, False, "When the request was made."),
    Column("merged", "Merged", Kind.BOOL, False, "A merge of other models."),
    Column("moe", "MoE", Kind.BOOL, False, "A mixture of experts."),
    Column("flagged", "Flagged", Kind.BOOL, False, "Flagged by the operator (see FAQ)."),
    Column("chat_template", "Chat Template", Kind.BOOL, False, "Evaluated with its chat template."),
    Column("co2_kg", "CO₂ cost (kg)", Kind.NUMBER, True, "Emissions of the evaluation.", 2),
    Column("base_model", "Base model", Kind.TEXT, False, "For adapters and deltas."),
    Column("harness", "Harness", Kind.TEXT, False, "Evaluation tool and version."),
    Column("evaluated", "Evaluated", Kind.TEXT, False, "When the newest result was produced."),
)


def raw_key(benchmark_key: str) -> str:
    return f"{benchmark_key}_raw"


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
    return (RANK, TYPE_SYMBOL, MODEL, AVERAGE, *benchmarks, *raws, *_TAIL)


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
