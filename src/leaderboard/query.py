"""Search, filter, sort and present a board. Pure: no gradio, no I/O, vectorised.

A `Query` is the whole state of the leaderboard's controls. It round-trips through URL
parameters (`to_params` / `from_params`) so that any view can be shared as a link, and the
same Query drives the UI, the `/query` API endpoint and `python -m leaderboard table`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from leaderboard.domain import ModelType, Precision, WeightType
from leaderboard.errors import QueryError, unknown
from leaderboard.suites import Suite
from leaderboard.table.build import round_half_up
from leaderboard.table.columns import Kind, board_columns, default_visible_keys
from leaderboard.table.entries import model_link


@dataclass(frozen=True)
class SizeBucket:
    key: str
    label: str
    above: float | None  # exclusive lower bound, in billions
    up_to: float | None  # inclusive upper bound


SIZE_BUCKETS = (
    SizeBucket("edge", "Edge (≤3B)", None, 3),
    SizeBucket("consumer", "Consumer (3-7B)", 3, 7),
    SizeBucket("midrange", "Mid-range (7-65B)", 7, 65),
    SizeBucket("gpurich", "GPU-rich (>65B)", 65, None),
)
HIDE_OPTIONS = {
    "merged": "Merged models",
    "moe": "Mixtures of experts",
    "flagged": "Flagged models",
    "unavailable": "Models no longer on the Hub",
}
# `@field:value` in the search box -> board column; `exact` fields match the whole value.
SEARCH_FIELDS = {
    "license": ("license", False),
    "type": ("model_type", False),
    "precision": ("precision", True),
    "architecture": ("architecture", False),
}
MODEL_TYPE_CHOICES = tuple(ModelType)
PRECISION_CHOICES = (*Precision.submittable(), Precision.FLOAT32, Precision.UNKNOWN)
WEIGHT_TYPE_CHOICES = tuple(WeightType)


@dataclass(frozen=True)
class Query:
    search: str = ""
    model_types: tuple[str, ...] | None = None  # short names (`chat`); None: all
    precisions: tuple[str, ...] | None = None  # values (`bfloat16`); None: all
    weight_types: tuple[str, ...] | None = None
    params_min: float | None = None
    params_max: float | None = None
    sizes: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    columns: tuple[str, ...] | None = None  # keys; None: the suite's default columns
    sort: str = "average"
    descending: bool = True

    def with_changes(self, **changes: object) -> Query:
        return replace(self, **changes)


# --- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    field: str | None  # None: the model name
    value: str


def parse_search(text: str) -> list[list[Term]]:
    """`a @license:mit; b` -> [[a, license=mit], [b]]: `;` separates alternatives (OR),
    terms inside one alternative must all match (AND)."""
    alternatives = []
    for chunk in text.split(";"):
        terms = []
        for word in chunk.split():
            if word.startswith("@"):
                name, sep, value = word[1:].partition(":")
                if not sep:
                    raise QueryError(f"`{word}` needs a value, as in `@license:mit`.")
                if name.lower() not in SEARCH_FIELDS:
                    known = ", ".join(f"@{f}:" for f in SEARCH_FIELDS)
                    raise QueryError(f"`@{name}:` is not a field you can search; use {known}.")
                if not value:
                    raise QueryError(f"`@{name}:` needs a value, as in `@{name.lower()}:...`.")
                terms.append(Term(name.lower(), value))
            else:
                terms.append(Term(None, word))
        if terms:
            alternatives.append(terms)
    return alternatives


def _term_mask(board: pd.DataFrame, term: Term) -> np.ndarray:
    if term.field is None:
        column, exact = "model", False
    else:
        column, exact = SEARCH_FIELDS[term.field]
    values = board[column]
    if exact:
        return (values.str.lower() == term.value.lower()).to_numpy()
    return values.str.contains(term.value, case=False, regex=False).to_numpy(dtype=bool)


def _search_mask(board: pd.DataFrame, text: str) -> np.ndarray | None:
    alternatives = parse_search(text)
    if not alternatives:
        return None
    mask = np.zeros(len(board), dtype=bool)
    for terms in alternatives:
        alternative = np.ones(len(board), dtype=bool)
        for term in terms:
            alternative &= _term_mask(board, term)
        mask |= alternative
    return mask


# --- filters ---------------------------------------------------------------------------------


def _size_mask(params: pd.Series, query: Query) -> np.ndarray | None:
    values = params.to_numpy(dtype="float64", na_value=np.nan)
    mask = None
    if query.params_min is not None or query.params_max is not None:
        low = -math.inf if query.params_min is None else query.params_min
        high = math.inf if query.params_max is None else query.params_max
        mask = (values >= low) & (values <= high)
    if query.sizes:
        buckets = np.zeros(len(values), dtype=bool)
        for bucket in SIZE_BUCKETS:
            if bucket.key in query.sizes:
                above = -math.inf if bucket.above is None else bucket.above
                up_to = math.inf if bucket.up_to is None else bucket.up_to
                buckets |= (values > above) & (values <= up_to)
        mask = buckets if mask is None else mask & buckets
    return mask


def filter_mask(board: pd.DataFrame, query: Query) -> np.ndarray:
    """Which rows of `board` the query keeps."""
    mask = np.ones(len(board), dtype=bool)
    search = _search_mask(board, query.search)
    if search is not None:
        mask &= search
    if query.model_types is not None:
        labels = [ModelType.from_short(short).value for short in query.model_types]
        mask &= board["model_type"].isin(labels).to_numpy()
    if query.precisions is not None:
        mask &= board["precision"].isin(query.precisions).to_numpy()
    if query.weight_types is not None:
        mask &= board["weight_type"].isin(query.weight_types).to_numpy()
    sizes = _size_mask(board["params_b"], query)
    if sizes is not None:
        mask &= sizes
    for option in query.hide:
        if option == "unavailable":
            mask &= board["available"].to_numpy(dtype=bool)
        elif option in HIDE_OPTIONS:
            mask &= ~board[option].to_numpy(dtype=bool)
    return mask


# --- the whole query -------------------------------------------------------------------------


def visible_columns(suite: Suite, query: Query) -> list[str]:
    """Pinned columns, then the chosen ones, in the registry's order."""
    chosen = set(default_visible_keys(suite) if query.columns is None else query.columns)
    return [c.key for c in board_columns(suite) if c.pinned or c.key in chosen]


def check_choices(query: Query) -> None:
    """Refuse filter values no control offers (a typo would otherwise show an empty board)."""
    allowed = (
        ("model type", query.model_types, [m.short for m in MODEL_TYPE_CHOICES]),
        ("precision", query.precisions, [p.value for p in PRECISION_CHOICES]),
        ("weight type", query.weight_types, [w.value for w in WEIGHT_TYPE_CHOICES]),
        ("size", query.sizes, [b.key for b in SIZE_BUCKETS]),
        ("hide option", query.hide, list(HIDE_OPTIONS)),
    )
    for kind, values, known in allowed:
        for value in values or ():
            if value not in known:
                raise QueryError(str(unknown(kind, value, known)))


def run_query(board: pd.DataFrame, suite: Suite, query: Query) -> pd.DataFrame:
    """The rows and columns the query shows, sorted (ties keep the board's order)."""
    keys = {c.key for c in board_columns(suite)}
    if query.sort not in keys:
        raise QueryError(f"Cannot sort by {query.sort!r}; choose one of the board's columns.")
    check_choices(query)
    positions = np.flatnonzero(filter_mask(board, query))
    if not (query.sort == "average" and query.descending):  # boards come sorted that way
        # Order the kept positions by one column, then take only the shown columns once:
        # sorting the whole frame would move every column of every row.
        key = board[query.sort].take(positions).reset_index(drop=True)
        order = key.sort_values(ascending=not query.descending, kind="stable", na_position="last")
        positions = positions[order.index.to_numpy()]
    return board[visible_columns(suite, query)].take(positions)


def present(frame: pd.DataFrame, suite: Suite, *, links: bool) -> pd.DataFrame:
    """Rows as people see them: labelled columns, numbers rounded, Model a link or plain."""
    by_key = {c.key: c for c in board_columns(suite)}
    out = {}
    for key in frame.columns:
        column = by_key[key]
        values = frame[key]
        if key == "model" and links:  # built for the shown rows only: a board holds 100,000
            values = values.map(model_link)
        elif column.kind is Kind.NUMBER and column.decimals is not None and key != "rank":
            values = round_half_up(values, column.decimals)
            if column.decimals == 0:
                values = values.astype("Int64")
        out[column.label] = values
    return pd.DataFrame(out, index=frame.index)


def to_records(frame: pd.DataFrame) -> list[dict]:
    """Presented rows as JSON-ready objects: numpy scalars unwrapped, missing values None."""
    records = []
    for record in frame.to_dict("records"):
        records.append({key: _plain(value) for key, value in record.items()})
    return records


def _plain(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


# --- URL parameters --------------------------------------------------------------------------


def to_params(query: Query) -> dict[str, str]:
    """The query as URL parameters; defaults are left out, so the plain URL is the default."""
    params: dict[str, str] = {}
    if query.search:
        params["search"] = query.search
    for name, values in (
        ("type", query.model_types),
        ("precision", query.precisions),
        ("weight_type", query.weight_types),
    ):
        if values is not None:
            params[name] = ",".join(values)
    if query.params_min is not None or query.params_max is not None:
        low = "" if query.params_min is None else _number(query.params_min)
        high = "" if query.params_max is None else _number(query.params_max)
        params["params"] = f"{low}-{high}"
    if query.sizes:
        params["size"] = ",".join(query.sizes)
    if query.hide:
        params["hide"] = ",".join(query.hide)
    if query.columns is not None:
        params["columns"] = ",".join(query.columns)
    if query.sort != "average" or not query.descending:
        params["sort"] = ("-" if query.descending else "") + query.sort
    return params


def from_params(params: Mapping[str, str], suite: Suite) -> Query:
    """Read URL parameters leniently: values that no longer exist are dropped, not fatal,
    because shared links outlive the options they were made with."""
    column_keys = [c.key for c in board_columns(suite)]
    sort = params.get("sort", "-average") or "-average"
    descending = sort.startswith("-")
    sort_key = sort.lstrip("-")
    return Query(
        search=params.get("search", ""),
        model_types=_choices(params.get("type"), [m.short for m in MODEL_TYPE_CHOICES]),
        precisions=_choices(params.get("precision"), [p.value for p in PRECISION_CHOICES]),
        weight_types=_choices(params.get("weight_type"), [w.value for w in WEIGHT_TYPE_CHOICES]),
        params_min=_range(params.get("params"))[0],
        params_max=_range(params.get("params"))[1],
        sizes=_choices(params.get("size"), [b.key for b in SIZE_BUCKETS]) or (),
        hide=_choices(params.get("hide"), list(HIDE_OPTIONS)) or (),
        columns=_choices(params.get("columns"), column_keys),
        sort=sort_key if sort_key in column_keys else "average",
        descending=descending if sort_key in column_keys else True,
    )


def _choices(raw: str | None, allowed: list[str]) -> tuple[str, ...] | None:
    if raw is None:
        return None
    wanted = {part.strip() for part in raw.split(",") if part.strip()}
    return tuple(value for value in allowed if value in wanted)


def _range(raw: str | None) -> tuple[float | None, float | None]:
    if not raw or "-" not in raw:
        return None, None
    low, _, high = raw.partition("-")
    return _float_or_none(low), _float_or_none(high)


def _float_or_none(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _number(value: float) -> str:
    return f"{value:g}"
