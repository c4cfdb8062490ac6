"""A store in a local folder: the embedded default, and what tests and laptops use.

Writes go to a temporary file in the same folder and are renamed into place, so a reader
never sees half a file and a crash never leaves one. A file lock serialises writers (threads
and processes alike) so compare-and-swap writes are exact.

`write_many` checks every expected version under that lock, then writes the files one by one
in the order given: each file is atomic, the set is not. A crash midway leaves the earlier
files written and the later ones as they were, which is why a caller puts last the file whose
change says "done" (a request's status after its results).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

from filelock import FileLock

from leaderboard.errors import ConflictError, MissingFileError, StoreError, UnsafePathError
from leaderboard.stores.base import (
    ANY_VERSION,
    FileWrite,
    StoredFile,
    _AnyVersion,
    check_versions,
    checked_writes,
    safe_relative_path,
)

LOCK_NAME = ".leaderboard.lock"


def _version(stat: os.stat_result) -> str:
    # A rename gives every write a new inode, so this changes even when size and mtime match.
    return f"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}"


class LocalStore:
    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        lock_timeout_seconds: float = 60.0,
        durable: bool = True,
    ):
        """`durable=False` skips fsync: for bulk synthetic data, never for a real queue."""
        self.root = Path(root).resolve()
        self.durable = durable
        self._lock_timeout = lock_timeout_seconds
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the store folder {self.root}: {exc}") from exc
        self._lock = FileLock(str(self.root / LOCK_NAME), timeout=lock_timeout_seconds)

    @property
    def location(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"LocalStore({self.location!r})"

    def __reduce__(self):
        """A copy for a worker process: same folder and options, a lock of its own."""
        return (
            _reopen,
            (str(self.root), self._lock_timeout, self.durable),
        )

    def _open_folder(self, parts: list[str], *, create: bool = False) -> int:
        """A descriptor of the folder `parts` below the root, opened one component at a time
        and never through a symbolic link (a link could lead anywhere); with `create`,
        missing folders are made on the way. Safe against a folder swapped for a link between
        a check and a use, and much cheaper than resolving paths (the table reads thousands
        of files)."""
        folder = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for index, part in enumerate(parts):
                try:
                    inner = os.open(part, _FOLDER_FLAGS, dir_fd=folder)
                except FileNotFoundError:
                    if not create:
                        raise
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, dir_fd=folder)
                    inner = os.open(part, _FOLDER_FLAGS, dir_fd=folder)
                except NotADirectoryError:  # a file, or a link (O_NOFOLLOW says ENOTDIR)
                    if stat.S_ISLNK(os.lstat(part, dir_fd=folder).st_mode):
                        raise OSError(errno.ELOOP, "symbolic link") from None
                    raise MissingFileError(
                        f"{'/'.join(parts[: index + 1])!r} is a file in the store {self.root}, "
                        "not a folder."
                    ) from None
                os.close(folder)
                folder = inner
            return folder
        except BaseException:
            os.close(folder)
            raise

    def _store_error(self, path: str, exc: OSError) -> OSError:
        """An OS error of a path below the root as the store's: a missing file or folder is
        MissingFileError, a symbolic link on the way (ELOOP, from O_NOFOLLOW) UnsafePathError;
        anything else stays as it is."""
        if isinstance(exc, FileNotFoundError | NotADirectoryError):
            return MissingFileError(f"No file {path!r} in the store {self.root}.")
        if exc.errno == errno.ELOOP:
            return UnsafePathError(
                f"The path {path!r} goes through a symbolic link, which could lead outside "
                f"the store {self.root}."
            )
        return exc

    def _inside(self, path: str, *, create: bool = False) -> tuple[int, str]:
        """(descriptor of the file's folder, file name) for a checked store path. The caller
        closes the descriptor."""
        parts = safe_relative_path(path).split("/")
        try:
            return self._open_folder(parts[:-1], create=create), parts[-1]
        except OSError as exc:
            error = self._store_error(path, exc)
            if error is exc:
                raise
            raise error from None

    def _open_inside(self, path: str) -> int:
        """A read descriptor for the file at `path`, never through a symbolic link."""
        folder, name = self._inside(path)
        try:
            return os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
        except OSError as exc:
            error = self._store_error(path, exc)
            if error is exc:
                raise
            raise error from None
        finally:
            os.close(folder)

    def _version_in(self, folder: int, name: str, path: str) -> str | None:
        try:
            found = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(found.st_mode):
            raise UnsafePathError(
                f"The file {path!r} is a symbolic link, which could lead outside the store "
                f"{self.root}."
            )
        return _version(found)

    def list_files(self, suffix: str = ".json", *, prefix: str = "") -> list[StoredFile]:
        found: list[StoredFile] = []
        below = prefix.strip("/")
        if below:
            try:  # a prefix through a link or a file holds nothing of the store's
                os.close(self._open_folder(safe_relative_path(below).split("/")))
            except (OSError, MissingFileError):
                return []
        start = str(self.root / below) if below else str(self.root)
        stack = [(f"{below}/" if below else "", start)]
        while stack:
            relative, folder = stack.pop()
            try:
                entries = os.scandir(folder)
            except (FileNotFoundError, NotADirectoryError):
                continue
            with entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((f"{relative}{entry.name}/", entry.path))
                    elif entry.name.endswith(suffix) and entry.is_file(follow_symlinks=False):
                        found.append(StoredFile(relative + entry.name, _version(entry.stat())))
        found.sort(key=lambda f: f.path)
        return found

    def read(self, path: str) -> bytes:
        return self.read_versioned(path)[0]

    def read_versioned(self, path: str) -> tuple[bytes, str]:
        descriptor = self._open_inside(path)
        try:
            with open(descriptor, "rb") as handle:  # fstat of the open file: bytes and version
                return handle.read(), _version(os.fstat(handle.fileno()))  # agree
        except IsADirectoryError:
            raise MissingFileError(f"{path!r} is a folder in the store {self.root}.") from None

    def version(self, path: str) -> str | None:
        try:
            folder, name = self._inside(path)
        except MissingFileError:
            return None
        try:
            return self._version_in(folder, name, path)
        finally:
            os.close(folder)

    def write(
        self,
        path: str,
        data: bytes,
        *,
        expected_version: str | _AnyVersion | None = ANY_VERSION,
        message: str = "",
    ) -> StoredFile:
        return self.write_many([FileWrite(path, data, expected_version)], message=message)[0]

    def write_many(self, writes: Sequence[FileWrite], *, message: str = "") -> list[StoredFile]:
        """All expected versions checked, then each file written atomically, in order (see the
        module's docstring for what a crash midway leaves). `message` is for the Hub's
        commits; a folder has no history to put it in."""
        writes = checked_writes(writes)
        if not writes:
            return []
        with self._lock:
            check_versions(writes, self.version, f"the store {self.root}")
            return [self._write_one(write.path, write.data) for write in writes]

    def _write_one(self, path: str, data: bytes) -> StoredFile:
        """Write one checked path (its folders made on the way); its new version."""
        folder, name = self._inside(path, create=True)
        try:
            self._replace(folder, name, data)
            return StoredFile(path, _version(os.stat(name, dir_fd=folder)))
        finally:
            os.close(folder)

    def _replace(self, folder: int, name: str, data: bytes) -> None:
        """Write a temporary file beside `name` and rename it into place (atomic)."""
        temp = f".{name}.{secrets.token_hex(6)}.tmp"
        handle = os.open(temp, _NEW_FILE_FLAGS, 0o644, dir_fd=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                if self.durable:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp, dir_fd=folder)
            raise

    def delete(self, path: str, *, expected_version: str | _AnyVersion = ANY_VERSION) -> None:
        with self._lock:
            folder, name = self._inside(path)
            try:
                current = self._version_in(folder, name, path)
                if current is None:
                    raise MissingFileError(f"No file {path!r} in the store {self.root}.")
                if expected_version is not ANY_VERSION and current != expected_version:
                    raise ConflictError(
                        f"{path!r} has changed in the store {self.root}.", paths=(path,)
                    )
                os.unlink(name, dir_fd=folder)
            finally:
                os.close(folder)


_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


def _reopen(root: str, lock_timeout_seconds: float, durable: bool) -> LocalStore:
    return LocalStore(root, lock_timeout_seconds=lock_timeout_seconds, durable=durable)
