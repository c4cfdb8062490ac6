"""A store in a local folder: the embedded default, and what tests and laptops use.

Writes go to a temporary file in the same folder and are renamed into place, so a reader
never sees half a file and a crash never leaves one. A file lock serialises writers (threads
and processes alike) so compare-and-swap writes are exact.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from filelock import FileLock

from leaderboard.errors import ConflictError, MissingFileError, StoreError, UnsafePathError
from leaderboard.stores.base import ANY_VERSION, StoredFile, _AnyVersion, safe_relative_path

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

    def _resolve(self, path: str) -> Path:
        full = (self.root / safe_relative_path(path)).resolve()
        if not full.is_relative_to(self.root):
            raise UnsafePathError(f"The path {path!r} leads outside the store {self.root}.")
        return full

    def _open_inside(self, path: str) -> int:
        """A file descriptor for `path`, opened one component at a time below the root and
        never through a symbolic link: as safe as resolving the path, and much cheaper (the
        table reads thousands of files)."""
        parts = safe_relative_path(path).split("/")
        folder = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts[:-1]:
                try:
                    inner = os.open(
                        part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder
                    )
                except NotADirectoryError:  # a file, or a link (O_NOFOLLOW says ENOTDIR)
                    if stat.S_ISLNK(os.lstat(part, dir_fd=folder).st_mode):
                        raise OSError(errno.ELOOP, "symbolic link") from None
                    raise
                os.close(folder)
                folder = inner
            return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
        except (FileNotFoundError, NotADirectoryError):
            raise MissingFileError(f"No file {path!r} in the store {self.root}.") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePathError(
                    f"The path {path!r} goes through a symbolic link, which could lead outside "
                    f"the store {self.root}."
                ) from None
            raise
        finally:
            os.close(folder)

    def list_files(self, suffix: str = ".json", *, prefix: str = "") -> list[StoredFile]:
        found: list[StoredFile] = []
        below = prefix.strip("/")
        start = str(self._resolve(below)) if below else str(self.root)
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
            return _version(self._resolve(path).stat())
        except FileNotFoundError:
            return None

    def write(
        self,
        path: str,
        data: bytes,
        *,
        expected_version: str | _AnyVersion | None = ANY_VERSION,
        message: str = "",
    ) -> StoredFile:
        full = self._resolve(path)
        with self._lock:
            if expected_version is not ANY_VERSION:
                current = self.version(path)
                if current != expected_version:
                    state = "exists already" if expected_version is None else "has changed"
                    raise ConflictError(f"{path!r} {state} in the store {self.root}.")
            full.parent.mkdir(parents=True, exist_ok=True)
            handle, temp_name = tempfile.mkstemp(prefix=f".{full.name}.", dir=full.parent)
            try:
                with os.fdopen(handle, "wb") as temp:
                    temp.write(data)
                    if self.durable:
                        temp.flush()
                        os.fsync(temp.fileno())
                os.replace(temp_name, full)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp_name)
                raise
            return StoredFile(path, _version(full.stat()))

    def delete(self, path: str, *, expected_version: str | _AnyVersion = ANY_VERSION) -> None:
        full = self._resolve(path)
        with self._lock:
            current = self.version(path)
            if current is None:
                raise MissingFileError(f"No file {path!r} in the store {self.root}.")
            if expected_version is not ANY_VERSION and current != expected_version:
                raise ConflictError(f"{path!r} has changed in the store {self.root}.")
            full.unlink()


def _reopen(root: str, lock_timeout_seconds: float, durable: bool) -> LocalStore:
    return LocalStore(root, lock_timeout_seconds=lock_timeout_seconds, durable=durable)
