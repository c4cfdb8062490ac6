"""Search, filter, sort and present a board. Pure: no gradio, no I/O, vectorised.

A `Query` is the whole state of the leaderboard's controls. Every entry point (the tab's
controls, URL parameters, the `/query` API, `python -m leaderboard table`) reads its values
with one function, `from_values`, strictly (API, CLI) or leniently (URLs); `to_params`
writes a Query back as URL parameters that `from_values` reads to the same Query.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from leaderboard.domain import ModelType, Precision, WeightType
from leaderboard.errors import QueryError, UnknownNameError, unknown
from leaderboard.suites import Suite
from leaderboard.table.build import round_half_up
from leaderboard.table.columns import (
    Kind,
    board_columns,
    column_by_label_or_key,
    default_visible_keys,
)
from leaderboard.table.fields import HIDE_FIELDS
from leaderboard.table.fields import SEARCH_FIELDS as FIELD_SEARCHES


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
# From the field table: `@license:mit` searches the field whose `search` is "license"; a hide
# toggle hides the rows whose field holds its `when` value.
SEARCH_FIELDS = {name: (field.key, field.exact) for name, field in FIELD_SEARCHES.items()}
HIDE_OPTIONS = {
    name: field.hide.label
    for name, field in sorted(HIDE_FIELDS.items(), key=lambda item: not item[1].hide.when)
}
MODEL_TYPE_CHOICES = tuple(ModelType)
PRECISION_CHOICES = (*Precision.submittable(), Precision.FLOAT32, Precision.UNKNOWN)
WEIGHT_TYPE_CHOICES = tuple(WeightType)
# The accepted values of each choice parameter, by its name in the query grammar.
CHOICES: dict[str, list[str]] = {
    "type": [m.short for m in MODEL_TYPE_CHOICES],
    "precision": [p.value for p in PRECISION_CHOICES],
    "weight_type": [w.value for w in WEIGHT_TYPE_CHOICES],
    "size": [b.key for b in SIZE_BUCKETS],
    "hide": list(HIDE_OPTIONS),
}


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

    @staticmethod
    def from_values(values: Mapping[str, object], suite: Suite, *, strict: bool) -> ReadQuery:
        """See `from_values`: the one reader of every entry point's values."""
        return from_values(values, suite, strict=strict)


# --- search ----------------------------------------------------------------------------------


# Bounds on a search, checked by `parse_search` before any row is read, so that no search can
# hold a worker for long (one 1 MB search of one-letter words used to take 97 s, and a 1 MB
# word made pyarrow fail with "pattern too large").
#
# A search costs about one scan of a column per term: a name term is a substring scan of the
# lowercased names still in play (3-5 ms per 100,000 names on the 2-core CI machine, linear
# in the names' length whatever the term), a field term tests the column's few categories and
# gathers their codes (~0.1 ms). Narrowing (AND terms read only the rows still matching, OR
# alternatives only the rows not matched yet) makes most searches cheaper, but a hostile one
# defeats it: one-letter words every name holds (nothing is narrowed), or `;` alternatives
# that match nothing (nothing is matched). So the worst case is SEARCH_MAX_TERMS full scans:
# with 8, about 30 ms at 100,000 rows, `run_query` and `present` included
# (benchmarks/query_speed.py prints the worst searches the limits allow), which leaves
# room under the ~100 ms budget for a busier or slower machine or a larger board; 16 would
# be ~60 ms. 8 terms in all still covers what people type (`qwen 7b chat; llama 8b`).
# SEARCH_MAX_CHARS bounds the parsing (at most 100 words to read) and each term's length;
# 200 characters hold several full `org/model` names.
SEARCH_MAX_CHARS = 200
SEARCH_MAX_TERMS = 8  # distinct terms, over all `;` alternatives together
_QUOTE_CHARS = 40  # the most of what the user typed that a message quotes back


@dataclass(frozen=True)
class Term:
    field: str | None  # None: the model name
    value: str


def parse_search(text: str) -> list[list[Term]]:
    """`a @license:mit; b` -> [[a, license=mit], [b]]: `;` separates alternatives (OR),
    terms inside one alternative must all match (AND).

    Repeats are dropped before anything is counted or run, keeping the first of each: a term
    repeated inside its alternative (`a a a`; matching ignores case, so `Llama llama` and
    `@license:MIT @license:mit` are one term), and an alternative identical to an earlier one
    up to the order of its terms (`a b; b a`). Repeats change nothing that matches and cost
    nothing to run, so they do not count toward SEARCH_MAX_TERMS: the limit is on the
    distinct terms left, over all alternatives together (`a b; a c` is 4 terms).

    Raises QueryError for a search longer than SEARCH_MAX_CHARS characters, with more than
    SEARCH_MAX_TERMS terms, holding a character that is not text (a lone surrogate), or with
    a malformed or unknown `@field:`. Messages quote at most a few words of the search."""
    if not isinstance(text, str):
        raise QueryError(f"The search must be text, not {type(text).__name__}.")
    if len(text) > SEARCH_MAX_CHARS:  # before anything else reads it
        raise QueryError(
            f"The search is {len(text):,} characters long; a search can be at most "
            f"{SEARCH_MAX_CHARS} characters. Shorten it, or narrow the board with the filters."
        )
    _check_is_text(text)
    alternatives: list[list[Term]] = []
    seen_alternatives: set[frozenset] = set()
    for chunk in text.split(";"):
        terms: list[Term] = []
        seen_terms: set[tuple[str | None, str]] = set()
        for word in chunk.split():
            term = _parse_term(word)
            key = _term_key(term)
            if key not in seen_terms:
                seen_terms.add(key)
                terms.append(term)
        if terms and frozenset(seen_terms) not in seen_alternatives:
            seen_alternatives.add(frozenset(seen_terms))
            alternatives.append(terms)
    count = sum(len(terms) for terms in alternatives)
    if count > SEARCH_MAX_TERMS:
        raise QueryError(
            f"The search has {count} terms; a search can have at most {SEARCH_MAX_TERMS} "
            "(words and `@field:value` filters, over all `;` alternatives together; repeats "
            "count once). Remove some, or narrow the board with the filters."
        )
    return alternatives


def _parse_term(word: str) -> Term:
    if not word.startswith("@"):
        return Term(None, word)
    name, sep, value = word[1:].partition(":")
    if not sep:
        raise QueryError(f"`{_quote(word)}` needs a value, as in `@license:mit`.")
    if name.lower() not in SEARCH_FIELDS:
        known = ", ".join(f"@{f}:" for f in SEARCH_FIELDS)
        raise QueryError(f"`@{_quote(name)}:` is not a field you can search; use {known}.")
    if not value:  # `name` is a known field here: short, safe to quote
        raise QueryError(f"`@{name}:` needs a value, as in `@{name.lower()}:...`.")
    return Term(name.lower(), value)


def _term_key(term: Term) -> tuple[str | None, str]:
    """Terms with one key match the same rows: matching compares lowercased text."""
    return term.field, _lower(term.value)


def _lower(value: str) -> str:
    # pyarrow's lowercase (Unicode's simple mapping), the one the board's values get: Python's
    # `str.lower` differs on a few characters (`"İ".lower()` is two characters).
    if value.isascii():
        return value.lower()  # the same on ASCII
    return pc.utf8_lower(pa.scalar(value, pa.large_string())).as_py()


def _check_is_text(text: str) -> None:
    """Refuse lone surrogates (`"\\ud800"`, from a JSON escape): no board value can hold one,
    and pyarrow cannot encode them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise QueryError(
            f"The search holds U+{ord(text[exc.start]):04X} at character {exc.start + 1}, "
            "which is not a character (a lone surrogate); remove it."
        ) from None


def _quote(text: str) -> str:
    """At most _QUOTE_CHARS of user text for a message, unprintable characters escaped (a
    message is shown and logged: no control characters, no newline to forge a log line)."""
    short = text[: _QUOTE_CHARS - 1] + "…" if len(text) > _QUOTE_CHARS else text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in short)


def _term_matches(
    board: pd.DataFrame, term: Term, rows: np.ndarray, lowered: dict[str, pa.Array]
) -> np.ndarray:
    """Whether each of the board's `rows` (positions, ascending) matches `term`. `lowered`
    holds the lowercased columns this search has read so far (one search, one board)."""
    if term.field is None:
        column, exact = "model", False
    else:
        column, exact = SEARCH_FIELDS[term.field]
    values = board[column]
    whole = len(rows) == len(values)  # then `rows` is every position
    needle = _lower(term.value)
    try:
        if isinstance(values.dtype, pd.CategoricalDtype):  # test the few categories only
            hits = _matches(_lowercase(values.cat.categories), needle, exact)
            codes = values.cat.codes.to_numpy()  # -1 (missing) picks the appended False
            return np.append(hits, False)[codes if whole else codes[rows]]
        if column not in lowered:
            lowered[column] = _lowercase(values)
        array = lowered[column] if whole else lowered[column].take(rows)
        return _matches(array, needle, exact)
    except (ValueError, UnicodeError, pa.ArrowException) as exc:
        # Not reachable with the bounds above; a safety net, so that a search can only ever
        # fail with a QueryError. The library's message is left out: it may quote the term.
        raise QueryError(f"`{_quote(term.value)}` cannot be searched for.") from exc


def _lowercase(values: pd.Series | pd.Index) -> pa.Array:
    """Values as lowercased pyarrow strings (zero-copy out of a pyarrow-backed column)."""
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.large_string())
    data = array.buffers()[2]  # the UTF-8 bytes (of a slice, maybe more): all ASCII?
    if data is None or np.frombuffer(data, dtype=np.uint8).max(initial=0) < 0x80:
        return pc.ascii_lower(array)  # the same result on ASCII, ~15x faster
    return pc.utf8_lower(array)


def _matches(array: pa.Array, needle: str, exact: bool) -> np.ndarray:
    # Substrings: RE2 over lowercased text, `needle` as a literal. Measured at 100,000 names,
    # the slowest term takes ~5 ms this way, ~7 ms with `ignore_case=True` on the raw names
    # (what `str.contains(case=False)` runs) or with the plain `match_substring`.
    found = pc.equal(array, needle) if exact else pc.match_substring_regex(array, _literal(needle))
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _literal(text: str) -> str:
    """An RE2 pattern matching exactly `text`: ASCII letters and digits and every non-ASCII
    character stand for themselves (none is special to RE2), any other ASCII character,
    NUL included, is written `\\xHH`. At most 4 bytes per character: 800 for the longest
    search, far below RE2's size limits."""
    return "".join(c if c.isalnum() or not c.isascii() else f"\\x{ord(c):02x}" for c in text)


def _evaluation_order(term: Term) -> tuple[bool, int]:
    """Field terms first (they only test categories), then longer (rarer) words."""
    return term.field is None, -len(term.value)


def _search_mask(board: pd.DataFrame, text: str) -> np.ndarray | None:
    alternatives = parse_search(text)
    if not alternatives:
        return None
    mask = np.zeros(len(board), dtype=bool)
    unmatched = np.arange(len(board))  # positions no alternative has matched yet
    lowered: dict[str, pa.Array] = {}  # per call: nothing to go stale between calls
    for terms in alternatives:
        rows = unmatched  # an alternative only reads rows the others left ...
        for term in sorted(terms, key=_evaluation_order):
            rows = rows[_term_matches(board, term, rows, lowered)]  # ... a term, rows still in
            if not len(rows):
                break
        if len(rows):
            mask[rows] = True
            unmatched = unmatched[~mask[unmatched]]
            if not len(unmatched):
                break
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
        field = HIDE_FIELDS.get(option)
        if field is not None:
            mask &= board[field.key].to_numpy(dtype=bool) != field.hide.when
    return mask


# --- the whole query -------------------------------------------------------------------------


def visible_columns(suite: Suite, query: Query) -> list[str]:
    """Pinned columns, then the chosen ones, in the registry's order."""
    chosen = set(default_visible_keys(suite) if query.columns is None else query.columns)
    return [c.key for c in board_columns(suite) if c.pinned or c.key in chosen]


def check_choices(query: Query) -> None:
    """Refuse filter values no control offers (a typo would otherwise show an empty board)."""
    allowed = (
        ("model type", query.model_types, CHOICES["type"]),
        ("precision", query.precisions, CHOICES["precision"]),
        ("weight type", query.weight_types, CHOICES["weight_type"]),
        ("size", query.sizes, CHOICES["size"]),
        ("hide option", query.hide, CHOICES["hide"]),
    )
    for kind, values, known in allowed:
        for value in values or ():
            if value not in known:
                raise QueryError(str(unknown(kind, value, known)))


def run_query(board: pd.DataFrame, suite: Suite, query: Query) -> pd.DataFrame:
    """The rows and columns the query shows, sorted (ties keep the board's order)."""
    return board[visible_columns(suite, query)].take(query_positions(board, suite, query))


def query_positions(board: pd.DataFrame, suite: Suite, query: Query) -> np.ndarray:
    """The positions in `board` of the rows the query keeps, in the order it shows them."""
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
    return positions


def present(frame: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """Rows as people see them: labelled columns, numbers rounded (text stays as it is: the
    page sets it as text, and decides which model names are links, `board_view.linkable`)."""
    by_key = {c.key: c for c in board_columns(suite)}
    out = {}
    for key in frame.columns:
        column = by_key[key]
        values = frame[key]
        if column.kind is Kind.NUMBER and column.decimals is not None and key != "rank":
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


def app_link(**params: str | None) -> str:
    """A link to one of this app's views: only parameters, on this page's own path."""
    return "?" + urlencode({key: value for key, value in params.items() if value is not None})


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


# --- one grammar for every entry point --------------------------------------------------------


@dataclass(frozen=True)
class ReadQuery:
    query: Query
    ignored: tuple[str, ...] = ()  # what a lenient read left out, each with its reason


# The names a query's values go by, everywhere: URL parameters, the `/query` API (which
# takes them as typed arguments), `python -m leaderboard table` (as `--<name>` options) and
# the tab's controls. Each reads a comma-separated string or a list of strings; `params` also
# reads a (min, max) pair of numbers, `sort` a column key or label with `-` for descending.
QUERY_NAMES = ("search", "type", "precision", "weight_type", "params", "size", "hide")
QUERY_NAMES += ("columns", "sort")
# Read beside the query: which board, the ± toggle, the model page and compare views (`__x`
# names are Gradio's own).
OTHER_NAMES = ("board", "ci", "model", "compare", "task", "sample")


def from_values(values: Mapping[str, object], suite: Suite, *, strict: bool) -> ReadQuery:
    """The Query that `values` describe, read the same way for every entry point.

    A missing or None value is the default: no filter, the suite's default columns, sorted
    by Average, descending. A choice parameter (`type`, `precision`, `weight_type`) given as
    a list, even an empty one, keeps exactly the rows with those values (an empty list keeps
    none, as unticking every box does); listing every choice is no filter. `size` and `hide`
    add a filter for each value listed. `params` bounds the size in billions (`7-`, `-3`,
    `3-7`; 0 or empty is no bound, as no model has 0 parameters).

    Strict (the API, the CLI): a value no control offers raises QueryError naming the
    parameter and the accepted values. Lenient (a shared URL, which outlives the options it
    was made with): the value is left out, the rest kept, and `ignored` says what and why."""
    unknown_names = [name for name in values if name not in (*QUERY_NAMES, *OTHER_NAMES)]
    unknown_names = [name for name in unknown_names if not str(name).startswith("__")]
    ignored: list[str] = []
    for name in unknown_names:
        _refuse(
            f"`{_quote(str(name))}` is not a query parameter; use {', '.join(QUERY_NAMES)}.",
            strict,
            ignored,
        )
    allowed = CHOICES

    def choices(name: str) -> tuple[str, ...] | None:
        return _read_choices(name, values.get(name), allowed[name], strict, ignored)

    model_types = _all_is_none(choices("type"), allowed["type"])
    precisions = _all_is_none(choices("precision"), allowed["precision"])
    weight_types = _all_is_none(choices("weight_type"), allowed["weight_type"])
    params_min, params_max = _read_params(values.get("params"), strict, ignored)
    columns = _read_columns(values.get("columns"), suite, strict, ignored)
    sort, descending = _read_sort(values.get("sort"), suite, strict, ignored)
    search = values.get("search")
    if search is not None and not isinstance(search, str):
        _refuse(f"`search` must be text, not {type(search).__name__}.", strict, ignored)
        search = None
    if search and not strict:  # strict entry points refuse it when they run it
        try:
            parse_search(search.strip())
        except QueryError as exc:
            ignored.append(str(exc))
            search = None
    query = Query(
        search=(search or "").strip(),
        model_types=model_types,
        precisions=precisions,
        weight_types=weight_types,
        params_min=params_min,
        params_max=params_max,
        sizes=choices("size") or (),
        hide=choices("hide") or (),
        columns=columns,
        sort=sort,
        descending=descending,
    )
    return ReadQuery(query, tuple(ignored))


def _refuse(message: str, strict: bool, ignored: list[str]) -> None:
    if strict:
        raise QueryError(message)
    ignored.append(message)


def _items(name: str, raw: object, strict: bool, ignored: list[str]) -> list[str] | None:
    """A comma-separated string or a list of strings, as a list (None: not given)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        return [item.strip() for item in raw if item.strip()]
    _refuse(f"`{name}` takes a list of text values, not {type(raw).__name__}.", strict, ignored)
    return None


def _read_choices(
    name: str, raw: object, allowed: list[str], strict: bool, ignored: list[str]
) -> tuple[str, ...] | None:
    items = _items(name, raw, strict, ignored)
    if items is None:
        return None
    for item in items:
        if item not in allowed:
            _refuse(_not_accepted(name, item, allowed), strict, ignored)
    return tuple(value for value in allowed if value in items)  # in the controls' order


def _all_is_none(chosen: tuple[str, ...] | None, allowed: list[str]) -> tuple[str, ...] | None:
    return None if chosen is not None and len(chosen) == len(allowed) else chosen


_PARAMS_HELP = "`params` takes `MIN-MAX` in billions, as in `3-7`, `7-` or `-3`"


def _read_params(raw: object, strict: bool, ignored: list[str]):
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, str):
        if "-" not in raw:
            _refuse(f"{_PARAMS_HELP}, not `{_quote(raw)}`.", strict, ignored)
            return None, None
        low_text, _, high_text = raw.partition("-")
        bounds = [low_text.strip(), high_text.strip()]
    elif isinstance(raw, list | tuple) and len(raw) == 2:
        bounds = list(raw)
    else:
        _refuse(f"{_PARAMS_HELP}, not {type(raw).__name__}.", strict, ignored)
        return None, None
    read = []
    for bound in bounds:
        value = _bound(bound)
        if value is _BAD:
            _refuse(f"{_PARAMS_HELP}: `{_quote(str(bound))}` is not a size.", strict, ignored)
            return None, None
        read.append(value)
    low, high = read
    if low is not None and high is not None and low > high:
        _refuse(
            f"{_PARAMS_HELP}: the minimum {low:g} is above the maximum {high:g}.", strict, ignored
        )
        return None, None
    return low, high


_BAD = object()


def _bound(raw: object) -> float | object | None:
    """A size bound: None for none (empty, None or 0), _BAD for anything but a finite number
    from 0 up."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return _BAD
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _BAD
    if not math.isfinite(value) or value < 0:
        return _BAD
    return value or None


def _read_columns(raw: object, suite: Suite, strict: bool, ignored: list[str]):
    items = _items("columns", raw, strict, ignored)
    if items is None:
        return None
    chosen = set()
    for item in items:
        key = _column_key(suite, item)
        if key is None:
            _refuse(_not_accepted("columns", item, _keys(suite)), strict, ignored)
        else:
            chosen.add(key)
    columns = board_columns(suite)
    keys = tuple(c.key for c in columns if c.key in chosen and not c.pinned)
    defaults = tuple(c.key for c in columns if c.visible and not c.pinned)
    return None if keys == defaults else keys


def _read_sort(raw: object, suite: Suite, strict: bool, ignored: list[str]) -> tuple[str, bool]:
    if raw is None or raw == "":
        return "average", True
    if not isinstance(raw, str):
        _refuse(f"`sort` takes a column key, not {type(raw).__name__}.", strict, ignored)
        return "average", True
    key = _column_key(suite, raw.lstrip("-"))
    if key is not None:
        return key, raw.startswith("-")
    note = " (`-` before one: descending)"
    _refuse(_not_accepted("sort", raw.lstrip("-"), _keys(suite), note=note), strict, ignored)
    return "average", True


def _column_key(suite: Suite, name: str) -> str | None:
    """The key of the column a key or label names (as typed: any case), else None."""
    try:
        return column_by_label_or_key(suite, name).key
    except UnknownNameError:
        return None


def _keys(suite: Suite) -> list[str]:
    return [c.key for c in board_columns(suite)]


def _not_accepted(name: str, value: str, accepted: list[str], note: str = "") -> str:
    close = difflib.get_close_matches(value.lstrip("-"), accepted, n=1)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    return f"`{name}` cannot be `{_quote(value)}`; accepted: {', '.join(accepted)}{note}.{hint}"


def _number(value: float) -> str:
    return f"{value:g}"
