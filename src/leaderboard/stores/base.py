"""What every store (a local folder, a Hugging Face dataset repo) offers the rest of the code.

Paths are relative, `/`-separated, and checked by `safe_relative_path` before any I/O.
Each file has a `version` that changes whenever its content changes, which is what makes
incremental table refreshes and compare-and-swap writes possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from leaderboard.errors import UnsafePathError


class _AnyVersion:
    def __repr__(self) -> str:
        return "ANY_VERSION"


ANY_VERSION: Final = _AnyVersion()
"""`expected_version` for an unconditional write."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    path: str
    version: str


class Store(Protocol):
    @property
    def location(self) -> str:
        """Where the store lives, for messages (never holds a secret)."""
        ...

    def list_files(self, suffix: str = ".json", *, prefix: str = "") -> list[StoredFile]:
        """Every file whose name ends with `suffix`, sorted by path; with `prefix` (a folder
        such as `org/`), only the files below it."""
        ...

    def read(self, path: str) -> bytes:
        """The file's bytes; MissingFileError if there is none."""
        ...

    def read_versioned(self, path: str) -> tuple[bytes, str]:
        """The file's bytes and the version they belong to (for a later compare-and-swap)."""
        ...

    def version(self, path: str) -> str | None:
        """The file's current version, or None when there is no such file."""
        ...

    def write(
        self,
        path: str,
        data: bytes,
        *,
        expected_version: str | _AnyVersion | None = ANY_VERSION,
        message: str = "",
    ) -> StoredFile:
        """Replace the file atomically; readers see the old or the new bytes, never a mix.

        `expected_version=None` creates the file only if it does not exist; a version string
        writes only if the file still has that version. Either refusal raises ConflictError.
        """
        ...


def safe_relative_path(path: str) -> str:
    """`path` if it stays inside a store's root, else UnsafePathError saying why."""
    if not isinstance(path, str) or not path:
        raise UnsafePathError("An empty path names no file in the store.")
    if "\x00" in path or "\\" in path:
        raise UnsafePathError(f"The path {path!r} holds a NUL or a backslash; use `/` only.")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise UnsafePathError(f"The path {path!r} is absolute; store paths are relative.")
    parts = path.split("/")
    for part in parts:
        if part in {"", ".", ".."}:
            raise UnsafePathError(
                f"The path {path!r} has an empty, `.` or `..` part and could leave the store."
            )
        if part.startswith("."):
            raise UnsafePathError(f"The path {path!r} names a hidden file; those are the store's.")
    return path
