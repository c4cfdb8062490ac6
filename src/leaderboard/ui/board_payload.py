"""A board as one compact, columnar, JSON-ready value for the browser.

The Leaderboard tab can hold a whole board in the page and search, filter and sort it there
(`static/board_query.js`, which implements `query.py`'s semantics over this payload). So the
payload carries, besides the values, everything the query grammar reads from Python: the
search fields, the hide options, the size buckets, the choice lists and the search limits,
and pyarrow's lowercase mapping (browsers' `toLowerCase` differs from it, see `_lowercase`).

Values, one list per column, in the board's order (the default order of every query):

- numbers as `query.present` shows them (rounded half up), missing as null, infinities as
  the strings "Infinity" and "-Infinity" (JSON has no such numbers). Rounding can make
  distinct values look equal while `run_query` still orders them by their exact value: such
  a column also carries `ties`, the order of each value among those shown alike (0, 1, ...),
  so the browser sorts by (shown value, tie) exactly as pandas sorts the exact values. The
  size column, which filters compare with bounds, carries its `exact` values when rounding
  changed any;
- categorical text as a `dictionary` (the board's categories, in their order: pandas sorts a
  categorical by it) and integer `codes` (-1: missing);
- other text (the model names) as strings or null; booleans as 0 and 1.
"""

from __future__ import annotations

import functools
import gzip
from dataclasses import fields as dataclass_fields

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from leaderboard.query import (
    _QUOTE_CHARS,
    HIDE_OPTIONS,
    MODEL_TYPE_CHOICES,
    OTHER_NAMES,
    PRECISION_CHOICES,
    QUERY_NAMES,
    SEARCH_FIELDS,
    SEARCH_MAX_CHARS,
    SEARCH_MAX_TERMS,
    SIZE_BUCKETS,
    WEIGHT_TYPE_CHOICES,
    Query,
    present,
)
from leaderboard.suites import Suite
from leaderboard.table.columns import Column, board_columns
from leaderboard.table.fields import HIDE_FIELDS

PAYLOAD_VERSION = 1
# The columns query.py's search and filters read by name (`_term_matches`, `filter_mask`).
FILTER_KEYS = {
    "name": "model",  # a search word without `@field:`
    "model_type": "model_type",
    "precision": "precision",
    "weight_type": "weight_type",
    "size": "params_b",  # `params` and `size` compare its values with bounds
}
# At 100,000 rows (31 MB of JSON): level 6 takes 1.3 s for 8.3 MB; 9 takes 6.5 s for 1.6%
# less, 1 takes 0.2 s for 14% more.
_GZIP_LEVEL = 6


def board_payload(board: pd.DataFrame, suite: Suite, *, part: bool = False) -> dict:
    """The board (as `Snapshot.board` returns it) and the query grammar, JSON-ready."""
    return {
        "version": PAYLOAD_VERSION,
        "suite": suite.name,
        "rows": len(board),
        "columns": columns_payload(board, suite, part=part),
        "grammar": _grammar(),
        "lowercase": _lowercase(),
    }


def columns_payload(
    rows: pd.DataFrame, suite: Suite, keys: list[str] | None = None, *, part: bool = False
) -> list:
    """`rows`' values of the board's columns (or of `keys`, in the board's order), encoded
    as above: the whole board, or (`part`) a part of it, a window of a query's rows
    (`board_route.py`), whose dictionaries hold only the categories its rows use: a board's
    may hold one per model (base models, at 100,000 models 2 MB), and the page does not
    sort a window."""
    columns = [c for c in board_columns(suite) if keys is None or c.key in keys]
    shown = present(rows[[c.key for c in columns]], suite)
    return [_column(rows[c.key], shown[c.label], c, part=part) for c in columns]


def encode_payload(payload: dict) -> bytes:
    """The payload as gzip-compressed JSON (for `Content-Encoding: gzip`). mtime 0: the same
    payload always gives the same bytes, so they can be cached and compared."""
    return gzip.compress(orjson.dumps(payload), compresslevel=_GZIP_LEVEL, mtime=0)


# --- columns ---------------------------------------------------------------------------------


def _column(raw: pd.Series, shown: pd.Series, column: Column, *, part: bool = False) -> dict:
    meta = {
        "key": column.key,
        "label": column.label,
        "kind": column.kind.value,
        "decimals": column.decimals,
        "pinned": column.pinned,
        "visible": column.visible,
        "description": column.description,
    }
    dtype = raw.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        if part:
            raw = raw.cat.remove_unused_categories()
        codes = raw.cat.codes.to_numpy()
        return meta | {
            "storage": "category",
            "dictionary": [str(value) for value in raw.cat.categories],
            "codes": codes.tolist(),
        }
    if pd.api.types.is_bool_dtype(dtype):
        return meta | {"storage": "bool", "values": raw.to_numpy(dtype=np.uint8).tolist()}
    if pd.api.types.is_numeric_dtype(dtype):
        return meta | _numbers(raw, shown, by_value=column.key == FILTER_KEYS["size"])
    text = raw.to_numpy(dtype=object, na_value=None)
    return meta | {"storage": "text", "values": [None if v is None else str(v) for v in text]}


def _numbers(raw: pd.Series, shown: pd.Series, *, by_value: bool) -> dict:
    exact = raw.to_numpy(dtype="float64", na_value=np.nan)
    rounded = shown.to_numpy(dtype="float64", na_value=np.nan)
    integral = pd.api.types.is_integer_dtype(shown.dtype)
    out: dict = {"storage": "number", "values": _json_numbers(rounded, integral)}
    ties = _ties(exact, rounded)
    if ties is not None:
        out["ties"] = ties
    if by_value and not np.array_equal(exact, rounded, equal_nan=True):
        out["exact"] = _json_numbers(exact, pd.api.types.is_integer_dtype(raw.dtype))
    return out


def _json_numbers(values: np.ndarray, integral: bool) -> list:
    """Python ints or floats; None for NaN, strings for infinities (JSON has neither)."""
    finite = np.isfinite(values)
    if integral:
        out = np.where(finite, values, 0).astype(np.int64).astype(object)
    else:
        out = values.astype(object)
    out[np.isnan(values)] = None
    out[np.isposinf(values)] = "Infinity"
    out[np.isneginf(values)] = "-Infinity"
    return out.tolist()


def _ties(exact: np.ndarray, rounded: np.ndarray) -> list[int] | None:
    """Each value's dense rank among the values shown like it (0 for the smallest exact
    value of its group); None when rounding made no two distinct values look equal.

    Rounding half up is monotonic, so ordering by (shown value, tie) is ordering by the exact
    value, and equal exact values share a tie, so a stable sort keeps the board's order
    among them, as pandas' stable sort of the exact values does."""
    present_rows = np.flatnonzero(~np.isnan(exact))
    if not len(present_rows):
        return None
    order = present_rows[np.lexsort((exact[present_rows], rounded[present_rows]))]
    shown, value = rounded[order], exact[order]
    new_group = np.r_[True, shown[1:] != shown[:-1]]
    new_value = np.r_[True, value[1:] != value[:-1]]
    steps = np.cumsum(new_value & ~new_group)
    rank = steps - np.maximum.accumulate(np.where(new_group, steps, 0))
    if not rank.any():
        return None
    ties = np.zeros(len(exact), dtype=np.int64)
    ties[order] = rank
    return ties.tolist()


# --- the query grammar -----------------------------------------------------------------------


def _grammar() -> dict:
    """What query.py's grammar reads, so that the browser never hard-codes any of it."""
    default = Query()
    return {
        "search_fields": [
            {"name": name, "key": key, "exact": exact}
            for name, (key, exact) in SEARCH_FIELDS.items()
        ],
        "hide_options": [
            {
                "name": name,
                "label": label,
                "key": HIDE_FIELDS[name].key,
                "when": HIDE_FIELDS[name].hide.when,
            }
            for name, label in HIDE_OPTIONS.items()
        ],
        "size_buckets": [
            {"key": b.key, "label": b.label, "above": b.above, "up_to": b.up_to}
            for b in SIZE_BUCKETS
        ],
        "model_types": [
            {"short": m.short, "label": m.value, "symbol": m.symbol} for m in MODEL_TYPE_CHOICES
        ],
        "precisions": [p.value for p in PRECISION_CHOICES],
        "weight_types": [w.value for w in WEIGHT_TYPE_CHOICES],
        "keys": FILTER_KEYS,
        "search_max_chars": SEARCH_MAX_CHARS,
        "search_max_terms": SEARCH_MAX_TERMS,
        "quote_chars": _QUOTE_CHARS,
        "query_names": list(QUERY_NAMES),
        "other_names": list(OTHER_NAMES),
        "default_query": {
            f.name: _plain(getattr(default, f.name)) for f in dataclass_fields(default)
        },
    }


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


@functools.cache
def _lowercase() -> list[list[int]]:
    """pyarrow's `utf8_lower` (Unicode's simple lowercase, through utf8proc), which lowercases
    the board's values and the search's terms in `query.py`, as runs `[first, count, step,
    delta]`: the code points `first + i * step` (i < count) lower to themselves + `delta`.

    A browser's `toLowerCase` is another mapping: the full one (`"İ"` becomes two characters,
    a final `Σ` becomes `ς`) of the browser's own Unicode version (Chromium 156 leaves some
    letters utf8proc lowers, U+A7DD for one). About 200 runs, 3 kB of JSON."""
    codes = np.arange(0x110000, dtype=np.uint32)
    codes = codes[(codes < 0xD800) | (codes > 0xDFFF)]  # surrogates are not characters
    text = codes.tobytes().decode("utf-32-le")
    lowered = pc.utf8_lower(pa.scalar(text, pa.large_string())).as_py()
    lowered_codes = np.frombuffer(lowered.encode("utf-32-le"), dtype=np.uint32)
    if len(lowered_codes) != len(codes):  # the simple mapping is one character to one
        raise RuntimeError("pyarrow's utf8_lower changed the number of characters")
    deltas = lowered_codes.astype(np.int64) - codes
    runs: list[list[int]] = []
    for index in np.flatnonzero(deltas):
        code, delta = int(codes[index]), int(deltas[index])
        if runs and _extends(runs[-1], code, delta):
            run = runs[-1]
            run[2] = code - run[0] if run[1] == 1 else run[2]
            run[1] += 1
        else:
            runs.append([code, 1, 1, delta])
    return runs


def _extends(run: list[int], code: int, delta: int) -> bool:
    first, count, step, run_delta = run
    gap = code - (first + (count - 1) * step)
    return delta == run_delta and (gap in (1, 2) if count == 1 else gap == step)
