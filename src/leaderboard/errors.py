"""The project's error hierarchy.

Every message says what failed and what to do about it. Errors also subclass the builtin
that fits (as huggingface_hub does), so callers that only know Python's exceptions still
catch them. The UI and the CLI are the only places that turn these into user-facing output.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class LeaderboardError(Exception):
    """Base class: anything the project raises on purpose."""


class ConfigError(LeaderboardError, ValueError):
    """A setting is missing, unknown or malformed."""


class UnknownNameError(LeaderboardError, KeyError):
    """A name (suite, column, setting, ...) is not in its registry."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        self.message = f"Unknown {kind} {name!r}.{hint} Known: {', '.join(known)}."
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message


class ParseError(LeaderboardError, ValueError):
    """A file does not have a shape we can read."""


class StoreError(LeaderboardError, OSError):
    """A store could not read or write."""


class MissingFileError(StoreError, FileNotFoundError):
    """A path names no file in the store."""


class UnsafePathError(StoreError, ValueError):
    """A path would leave the store's root folder."""


class ConflictError(StoreError):
    """A compare-and-swap write lost: a file changed since it was read.

    `paths` names every file whose expected version did not hold, so that a caller of a write
    of several files can drop those and write the rest again; empty where the raiser did not
    say (a single-file write names its one file in the message)."""

    def __init__(self, *args: object, paths: tuple[str, ...] = ()):
        super().__init__(*args)
        self.paths = tuple(paths)  # in `__dict__`, so a pickled copy keeps it


class QueryError(LeaderboardError, ValueError):
    """A search or filter the user typed cannot be understood."""


QUOTE_LIMIT = 80  # the most characters of outside text a message or a log line echoes


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` quoted as `repr` quotes it, shortened to `limit` characters inside the quotes,
    with an ellipsis and the full length: `'aaaaaaaa…' (1,048,576 characters)`.

    For every message and log line that echoes what came from outside (a form, a file): a
    megabyte sent comes back as a line. Control and invisible characters are escaped, as
    `repr` does.
    """
    if len(text) <= limit:
        whole = repr(text)
        if len(whole) <= limit + 2:
            return whole
    shown, used = [], 0
    for char in text:
        piece = "\\'" if char == "'" else repr(char)[1:-1]
        if used + len(piece) > limit - 1:
            break
        shown.append(piece)
        used += len(piece)
    else:
        return f"'{''.join(shown)}'"
    return f"'{''.join(shown)}…' ({len(text):,} characters)"


def unknown(kind: str, name: str, known: Iterable[str]) -> UnknownNameError:
    """Shorthand so registries answer a miss with the names they know."""
    return UnknownNameError(kind, name, known)
