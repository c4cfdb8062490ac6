"""The Hub's data model: repos as git hosts keep them, immutable commits with real git ids.

Shas are computed exactly as git computes them, so blob ids compare equal to
`huggingface_hub.utils.sha.git_hash` (what the client uses to skip unchanged files) and every
commit has a distinct, content-derived id. A repo is a set of commits plus branches and tags
pointing at them; a `Token` is who may read or write which namespaces.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

# What the Hub writes in a new repo's first commit ("initial commit" by "system"); the store
# above must ignore this file when it lists the repo. Abridged from the Hub's default.
DEFAULT_GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n"
    for pattern in [
        "*.7z",
        "*.arrow",
        "*.bin",
        "*.bz2",
        "*.ckpt",
        "*.ftz",
        "*.gz",
        "*.h5",
        "*.joblib",
        "*.lfs.*",
        "*.lz4",
        "*.mds",
        "*.mlmodel",
        "*.model",
        "*.msgpack",
        "*.npy",
        "*.npz",
        "*.onnx",
        "*.ot",
        "*.parquet",
        "*.pb",
        "*.pickle",
        "*.pkl",
        "*.pt",
        "*.pth",
        "*.rar",
        "*.safetensors",
        "saved_model/**/*",
        "*.tar.*",
        "*.tar",
        "*.tflite",
        "*.tgz",
        "*.wasm",
        "*.xz",
        "*.zip",
        "*.zst",
        "*tfevents*",
    ]
).encode()

# --------------------------------------------------------------------------------------------
# Git objects: the Hub is a git host, so shas are computed exactly as git computes them. That
# makes blob ids comparable with `huggingface_hub.utils.sha.git_hash` (what the client uses to
# skip unchanged files) and gives every commit a distinct, content-derived id.
# --------------------------------------------------------------------------------------------


def git_object_sha(kind: str, payload: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(payload)}\0".encode() + payload).hexdigest()


def blob_sha(content: bytes) -> str:
    """The git blob id of a file: the Hub's `oid`/`blobId` and the ETag of a regular file."""
    return git_object_sha("blob", content)


def _tree_shas(blobs: Mapping[str, str]) -> dict[str, str]:
    """Tree id of every folder ("" is the root), built bottom-up like `git write-tree`."""
    entries: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    folders = {""}
    for path, oid in blobs.items():
        parent, _, name = path.rpartition("/")
        entries[parent][name] = ("100644", oid)
        parts = path.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    trees: dict[str, str] = {}
    for folder in sorted(folders, key=lambda f: f.count("/") + bool(f), reverse=True):
        # git orders a tree's entries by name, a folder's name taken with a trailing "/".
        ordered = sorted(
            entries[folder].items(), key=lambda kv: kv[0] + ("/" if kv[1][0] == "40000" else "")
        )
        payload = b"".join(
            f"{mode} {name}".encode() + b"\0" + bytes.fromhex(oid) for name, (mode, oid) in ordered
        )
        trees[folder] = git_object_sha("tree", payload)
        if folder:
            parent, _, name = folder.rpartition("/")
            entries[parent][name] = ("40000", trees[folder])
    return trees


def iso(moment: datetime) -> str:
    """The Hub's timestamp format, which `huggingface_hub.utils.parse_datetime` reads."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------------------------
# State: repos are lists of immutable commits; a branch is a name pointing at one of them.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    """One immutable snapshot: `files` maps path -> bytes and never changes once created."""

    oid: str
    parents: tuple[str, ...]
    files: Mapping[str, bytes]
    blobs: Mapping[str, str]  # path -> git blob sha
    trees: Mapping[str, str]  # folder -> git tree sha ("" is the root)
    title: str
    message: str
    author: str
    date: datetime

    @classmethod
    def create(
        cls,
        files: Mapping[str, bytes],
        parents: tuple[str, ...],
        title: str,
        message: str,
        author: str,
    ) -> Commit:
        files = MappingProxyType(dict(sorted(files.items())))
        blobs = {path: blob_sha(content) for path, content in files.items()}
        trees = _tree_shas(blobs)
        date = datetime.now(UTC)
        signature = (
            f"{author} <{author}@users.noreply.huggingface.co> {int(date.timestamp())} +0000"
        )
        body = f"tree {trees['']}\n"
        body += "".join(f"parent {parent}\n" for parent in parents)
        body += f"author {signature}\ncommitter {signature}\n\n{title}\n"
        body += f"\n{message}\n" if message else ""
        # Two commits with equal parents, tree, author and second would collide: impossible on
        # one branch (each new commit has a different parent), and commits are only made there.
        oid = git_object_sha("commit", body.encode())
        return cls(
            oid=oid,
            parents=parents,
            files=files,
            blobs=MappingProxyType(blobs),
            trees=MappingProxyType(trees),
            title=title,
            message=message,
            author=author,
            date=date,
        )

    def node(self, path: str) -> tuple[str, str] | None:
        """("file"|"directory", oid) for a path in this snapshot, None when absent."""
        if path in self.blobs:
            return "file", self.blobs[path]
        if path in self.trees:
            return "directory", self.trees[path]
        return None


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    created_at: datetime
    object_id: str
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    gated: str | bool = False  # False, "auto" or "manual", as the Hub reports it
    likes: int = 0

    def resolve(self, revision: str) -> Commit | None:
        """A revision as the Hub accepts it: branch, tag, refs/..., full sha or unique prefix."""
        for prefix, refs in (("refs/heads/", self.branches), ("refs/tags/", self.tags)):
            if revision.startswith(prefix) and revision[len(prefix) :] in refs:
                return self.commits[refs[revision[len(prefix) :]]]
        if revision in self.branches:
            return self.commits[self.branches[revision]]
        if revision in self.tags:
            return self.commits[self.tags[revision]]
        if re.fullmatch(r"[0-9a-f]{5,40}", revision):
            matches = [oid for oid in self.commits if oid.startswith(revision)]
            if len(matches) == 1:
                return self.commits[matches[0]]
        return None

    def history(self, commit: Commit) -> list[Commit]:
        """First-parent history, newest first (what `list_repo_commits` returns)."""
        chain = [commit]
        while chain[-1].parents:
            chain.append(self.commits[chain[-1].parents[0]])
        return chain

    def last_commit(self, commit: Commit, path: str) -> Commit:
        """The newest commit in `commit`'s history that changed `path` (file or folder)."""
        current = commit
        while current.parents:
            parent = self.commits[current.parents[0]]
            if parent.node(path) != current.node(path):
                break
            current = parent
        return current


@dataclass(frozen=True)
class Token:
    """An access token: its user, its role ("read" or "write") and the namespaces it covers
    (None: every namespace, like a user who is a member of every org)."""

    user: str
    role: str = "write"
    namespaces: frozenset[str] | None = None

    def covers(self, namespace: str) -> bool:
        return self.namespaces is None or namespace == self.user or namespace in self.namespaces
