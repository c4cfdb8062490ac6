"""What every store (a local folder, a Hugging Face dataset repo) offers the rest of the code.

Paths are relative, `/`-separated, and checked by `safe_relative_path` before any I/O.
Each file has a `version` that changes whenever its content changes, which is what makes
incremental table refreshes and compare-and-swap writes possible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from leaderboard.errors import ConflictError, UnsafePathError


class _AnyVersion:
    def __repr__(self) -> str:
        return "ANY_VERSION"


ANY_VERSION: Final = _AnyVersion()
"""`expected_version` for an unconditional write."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    path: str
    version: str


@dataclass(frozen=True, slots=True)
class FileWrite:
    """One file of a `Store.write_many`: its bytes, and the version it must still have
    (`ANY_VERSION`: unconditional; None: create only; a version string: compare-and-swap)."""

    path: str
    data: bytes
    expected_version: str | _AnyVersion | None = ANY_VERSION


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

    def write_many(self, writes: Sequence[FileWrite], *, message: str = "") -> list[StoredFile]:
        """Write several files at once (on the Hub: one commit, which its hourly commit quota
        counts once); their new versions, in the order given.

        Every expected version is checked before anything is written: if any does not hold,
        nothing is written and ConflictError names them all in `paths`. Duplicate paths are a
        ValueError, an empty list is [] without any I/O. How atomic the set is depends on the
        store (a Hub commit is all or nothing; a folder writes the files one by one, in order).
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


def checked_writes(writes: Iterable[FileWrite]) -> list[FileWrite]:
    """`writes` as a list once every path is safe and none repeats, before any I/O: two
    writes of one path in one call could only mean that one of them is lost."""
    writes = list(writes)
    seen: set[str] = set()
    for write in writes:
        safe_relative_path(write.path)
        if write.path in seen:
            raise ValueError(
                f"The path {write.path!r} is written twice in one call; give each file once."
            )
        seen.add(write.path)
    return writes


class _Guarded(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def expected_version(self) -> str | _AnyVersion | None: ...


def check_versions(
    guarded: Iterable[_Guarded], current: Callable[[str], str | None], where: str
) -> None:
    """ConflictError naming, in `paths`, every file whose `current` version is not the one
    expected (None expected: the file must not exist), so a caller may drop those and retry
    the rest; nothing when all hold. `where` names the store in the message."""
    refused: list[tuple[str, str]] = []
    for item in guarded:
        if item.expected_version is ANY_VERSION:
            continue
        if current(item.path) != item.expected_version:
            state = "exists already" if item.expected_version is None else "has changed"
            refused.append((item.path, state))
    if refused:
        said = "; ".join(f"{path!r} {state}" for path, state in refused)
        raise ConflictError(
            f"{said} in {where}; nothing was changed.", paths=tuple(p for p, _ in refused)
        )
