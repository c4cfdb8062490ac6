"""A folder of local models (`LEADERBOARD_LOCAL_MODELS`): `<root>/<org>/<name>/` as
`save_pretrained` writes them. Submission inspects models here and the worker evaluates them
from here, so both agree on where a model is and which commit it is.

A plain folder has one revision; its commit is a git-like hash of its files' contents, so
the same weights always give the same sha and any change gives a new one.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from leaderboard.errors import UnsafePathError
from leaderboard.stores import safe_relative_path


class LocalModels:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self._file_hashes: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    def folder(self, repo_id: str) -> Path | None:
        """The model's folder, or None when it is not here (or its name could leave root)."""
        try:
            relative = safe_relative_path(repo_id)
        except UnsafePathError:
            return None
        folder = (self.root / relative).resolve()
        if not folder.is_relative_to(self.root) or not folder.is_dir():
            return None
        return folder

    def content_sha(self, folder: Path) -> str:
        """sha1 over each file's path and content hash (file hashes cached by size and mtime)."""
        digest = hashlib.sha1()
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            if relative.startswith("."):
                continue
            digest.update(f"{relative}\0{self._file_sha(path)}\n".encode())
        return digest.hexdigest()

    def _file_sha(self, path: Path) -> str:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            known = self._file_hashes.get(key)
        if known is not None:
            return known
        digest = hashlib.sha1()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        with self._lock:
            self._file_hashes[key] = digest.hexdigest()
        return digest.hexdigest()
