"""The board as data: a view's rows, or a whole board, as the bytes of a file. Pure: no I/O.

One serialisation for every door: `python -m leaderboard table --json|--csv|--parquet`, the
Leaderboard tab's downloads (`ui/export_route.py`) and the published `contents/<suite>.parquet`
(`contents.py`) all call this module, so a download is the CLI's output byte for byte.

A *view* is what the table shows (`query.present`): displayed labels, rounded numbers, the
chosen columns in the shown order. A *board's contents* is the whole board keyed by the
stable column keys with unrounded values, its labels kept in the Parquet schema's metadata.

CSV opened in a spreadsheet runs formulas, and text cells come from files anyone can write
(a model's name, its license): in CSV only, a text cell starting with `=`, `+`, `-`, `@`, a
tab or a carriage return gets a leading `'` (OWASP's advice for CSV injection), so the
spreadsheet shows it as text. Numbers stay numbers; JSON and Parquet keep every value as it is.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from leaderboard.query import to_records
from leaderboard.suites import Suite
from leaderboard.table.columns import Column, board_columns
from leaderboard.table.fields import FIELDS_BY_KEY, Dtype

CONTENTS_FOLDER = "contents"  # in the results store; nothing reads it back as a result
METADATA_KEY = b"open_llm_leaderboard"  # the schema metadata of a published board
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Format:
    name: str  # as in a file name: `csv`
    media_type: str
    write: Callable[[pd.DataFrame], bytes]  # presented rows (`query.present`) -> the file


def file_name(suite: Suite, fmt: Format) -> str:
    """A download's name: from the registry's suite name, never from what a request says."""
    return f"open-llm-leaderboard-{suite.name}.{fmt.name}"


def view_json(rows: pd.DataFrame) -> bytes:
    """What `table --json` prints: an array of objects keyed by the displayed labels."""
    return orjson.dumps(to_records(rows), option=orjson.OPT_INDENT_2) + b"\n"


def view_csv(rows: pd.DataFrame) -> bytes:
    """The displayed headers, then one line per row, formulas neutralised. Lines end in CRLF
    (RFC 4180): then a cell holding a carriage return or a line feed is quoted (with `\\n`
    alone, Python's writer leaves a lone `\\r` bare, and a reader splits the row there)."""
    text = neutralise_formulas(rows).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8")


def view_parquet(rows: pd.DataFrame) -> bytes:
    """The rows under their displayed labels, text as plain strings (not pandas categories)."""
    frame = pd.DataFrame({label: _plain_text(rows[label]) for label in rows.columns})
    return _parquet(pa.Table.from_pandas(frame, preserve_index=False))


FORMATS = {
    f.name: f
    for f in (
        Format("csv", "text/csv; charset=utf-8", view_csv),
        Format("json", "application/json", view_json),
        Format("parquet", "application/vnd.apache.parquet", view_parquet),
    )
}


def neutralise_formulas(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` with every text cell that a spreadsheet would run as a formula prefixed by `'`."""
    out = {}
    for label in rows.columns:
        values = rows[label]
        if _is_text(values):
            values = _plain_text(values)
            risky = values.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
            if risky.any():
                values = values.where(~risky, "'" + values.astype(object))
        out[label] = values
    return pd.DataFrame(out, index=rows.index)


def _is_text(values: pd.Series) -> bool:
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def _plain_text(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(values.dtype.categories.dtype)
    return values


# --- a whole board, as published -------------------------------------------------------------

_ARROW_TYPES = {
    Dtype.TEXT: pa.string(),
    Dtype.FLOAT: pa.float64(),
    Dtype.INT: pa.int64(),
    Dtype.BOOL: pa.bool_(),
    Dtype.TIME: pa.timestamp("ns", tz="UTC"),
}


def contents_path(suite: Suite) -> str:
    return f"{CONTENTS_FOLDER}/{suite.name}.parquet"


def contents_schema(suite: Suite) -> list[tuple[Column, pa.DataType]]:
    """Every column of the suite's board, in display order, with its Parquet type: the
    field table's dtype for a field, a float for the benchmark scores and their raw values
    and intervals."""
    schema = []
    for column in board_columns(suite):
        field = FIELDS_BY_KEY.get(column.key)
        schema.append((column, pa.float64() if field is None else _ARROW_TYPES[field.dtype]))
    return schema


def contents_parquet(board: pd.DataFrame, suite: Suite) -> bytes:
    """The whole board as Parquet, keyed by the stable column keys, values unrounded, in the
    board's order (Average, descending). The same board gives the same bytes (no time or
    host in them), so an unchanged board is never written again."""
    fields, arrays = [], []
    schema = contents_schema(suite)
    for column, kind in schema:
        meta = {b"label": column.label.encode(), b"description": column.description.encode()}
        fields.append(pa.field(column.key, kind, metadata=meta))
        arrays.append(pa.array(_plain_text(board[column.key]), type=kind, from_pandas=True))
    labels = {column.key: column.label for column, _ in schema}
    about = {"suite": suite.name, "title": suite.title, "labels": labels}
    schema = pa.schema(fields, metadata={METADATA_KEY: orjson.dumps(about)})
    return _parquet(pa.Table.from_arrays(arrays, schema=schema))


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()
