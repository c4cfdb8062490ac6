"""Checked reading of one field of a file: the one conversion every parser uses.

Anyone who can put a file into a store can put anything into it, so no parser converts a
value with a bare `int(...)`, `float(...)` or iteration. Each reader here takes a JSON object
and a key and returns a value of the field's type, or raises `FieldError` naming the field
and quoting (a bounded preview of) the value. The rule is the same for every field:

- missing or `null` gives the field's default;
- a value of the field's type, within its range, is read (plus the legacy spellings real
  files carry: numbers written as strings, booleans as `"true"`/`"false"` or 0/1);
- anything else makes the whole file unreadable: the loader skips it with that reason, and
  every other file is still read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

from leaderboard.domain.names import parse_timestamp
from leaderboard.errors import ParseError, quoted

PREVIEW_CHARS = 40  # of a bad value, in a message: files can hold megabytes
MAX_COUNT = 10**12  # counts (likes, attempts, samples): far above any real one, far below 2**63
MAX_SECONDS = 10**9  # ~31 years


class FieldError(ParseError):
    """One field of a file has a value we cannot use; `field` says which."""

    def __init__(self, field: str, problem: str):
        self.field = field
        name = field if len(field) <= PREVIEW_CHARS else f"{field[: PREVIEW_CHARS - 1]}…"
        super().__init__(f"field `{name}` {problem}")


def preview(value: object, limit: int = PREVIEW_CHARS) -> str:
    """A value for a message: text as `quoted` quotes it, anything else as its `repr`, both
    cut to about `limit` characters."""
    if isinstance(value, str):
        return quoted(value, limit)
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(text):,} characters)"


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def read_text(data: Mapping, key: str, default: str = "", *, field: str = "") -> str:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        return value
    raise FieldError(field or key, f"should be text, not {_type_name(value)} {preview(value)}")


def read_optional_text(data: Mapping, key: str, *, field: str = "") -> str | None:
    return read_text(data, key, default="", field=field) if data.get(key) is not None else None


def read_texts(data: Mapping, key: str, *, field: str = "") -> tuple[str, ...]:
    """A list of strings (a single string is one item)."""
    value = data.get(key)
    name = field or key
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple):
        raise FieldError(
            name, f"should be a list of text, not {_type_name(value)} {preview(value)}"
        )
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise FieldError(f"{name}[{index}]", f"should be text, not {_type_name(item)}")
    return tuple(value)


def to_number(value: object, field: str) -> float:
    """A finite number from a JSON number or a numeric string (never a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FieldError(field, f"should be a number, not {_type_name(value)} {preview(value)}")
    if isinstance(value, str):
        try:
            number = float(value.strip()) if len(value) <= 64 else math.nan
        except ValueError:
            raise FieldError(field, f"should be a number, not {preview(value)}") from None
    else:
        number = float(value) if isinstance(value, float) or abs(value) < 2**1023 else math.inf
    if not math.isfinite(number):
        raise FieldError(field, f"should be a finite number, not {preview(value)}")
    return number


def read_number(
    data: Mapping,
    key: str,
    *,
    low: float,
    high: float,
    default: float | None = None,
    field: str = "",
) -> float | None:
    value = data.get(key)
    if value is None:
        return default
    number = to_number(value, field or key)
    if not low <= number <= high:
        raise FieldError(field or key, f"is {preview(value)}, outside {low:g}..{high:g}")
    return number


def read_count(
    data: Mapping, key: str, *, default: int = 0, high: int = MAX_COUNT, field: str = ""
) -> int:
    """A whole number from 0 to `high` (3.0 and "3" read as 3)."""
    value = data.get(key)
    if type(value) is int and 0 <= value <= high:  # the usual case, on the hot path of a build
        return value
    number = read_number(data, key, low=0, high=high, default=None, field=field)
    if number is None:
        return default
    if number != int(number):
        raise FieldError(field or key, f"should be a whole number, not {preview(data[key])}")
    return int(number)


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def read_flag(data: Mapping, key: str, *, default: bool, field: str = "") -> bool:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise FieldError(field or key, f"should be true or false, not {preview(value)}")


def read_time(data: Mapping, key: str, *, field: str = "") -> datetime | None:
    """A timestamp in any spelling `parse_timestamp` knows; "" and null mean none."""
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(field or key, f"should be a time, not {_type_name(value)}")
    parsed = parse_timestamp(value) if not isinstance(value, str) or len(value) <= 64 else None
    if parsed is None:
        raise FieldError(field or key, f"is not a time we can read: {preview(value)}")
    return parsed


def read_object(data: Mapping, key: str, *, field: str = "") -> dict | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise FieldError(field or key, f"should be an object, not {_type_name(value)}")
    return value
