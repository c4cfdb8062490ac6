"""A Hugging Face Hub stand-in for tests, served over real HTTP on loopback.

The real Hub (huggingface.co) cannot be reached from this project's machines, yet the Hub stores
must be tested through the real `huggingface_hub` client (`HfApi(endpoint=...)`,
`hf_hub_download`, `snapshot_download`). This module is that Hub: an in-memory, thread-safe git
host speaking the Hub's HTTP API on `http://127.0.0.1:<free port>`, with the same paths, methods,
JSON shapes, headers and status codes that `huggingface_hub` 2.4 sends and expects (read from the
client's source: `hf_api.py`, `_commit_api.py`, `file_download.py`, `utils/_http.py`,
`utils/_pagination.py`).

Endpoints (`{type}` is `models`, `datasets` or `spaces`; `{rev}` a branch, tag, `refs/heads/X`,
full commit sha or unique sha prefix, URL-quoted as the client does):

    POST /api/repos/create                          create_repo (409 when it exists)
    POST /api/validate-yaml                         a README's metadata, checked before upload
    GET  /api/whoami-v2                             whoami
    GET  /api/{type}/{ns}/{name}                    repo_info / dataset_info (main)
    GET  /api/{type}/{ns}/{name}/revision/{rev}     repo_info(revision=...), `blobs`, `expand`;
                                                    for models also `cardData`, `license:` tags
                                                    and `safetensors` (parameters per dtype),
                                                    derived from the files as the Hub does
    GET  /api/{type}/{ns}/{name}/tree/{rev}[/{path}]  list_repo_tree, `recursive`, `expand`,
                                                    cursor pagination through the `Link` header
    POST /api/{type}/{ns}/{name}/paths-info/{rev}   get_paths_info (form body `paths`, `expand`)
    GET  /api/{type}/{ns}/{name}/commits/{rev}      list_repo_commits, `p`/`limit` pages + `Link`
    GET  /api/{type}/{ns}/{name}/refs               list_repo_refs
    POST /api/{type}/{ns}/{name}/preupload/{rev}    create_commit step 1: every file is "regular"
    POST /api/{type}/{ns}/{name}/commit/{rev}       create_commit step 2: NDJSON `header`, `file`
                                                    (base64), `deletedFile`, `deletedFolder`;
                                                    all-or-nothing; `parentCommit` precondition
    HEAD/GET /[{type}/]{ns}/{name}/resolve/{rev}/{path}   hf_hub_download / file_exists:
                                                    ETag = quoted git blob sha1, X-Repo-Commit,
                                                    Content-Length, Range requests

Errors are what the real Hub answers, as JSON `{"error": msg}` plus `X-Error-Message` (and
`X-Error-Code` where the Hub sets one), which is what `hf_raise_for_status` turns into typed
exceptions:

    401 "Invalid credentials in Authorization header"   unknown token, on any request
    401 "Invalid username or password."                 anonymous request to a private or
                                                        missing repo (no X-Error-Code)
    403 "you must use a write token to upload to a repository"   read token on a write
    404 RepoNotFound "Repository not found"              authenticated, repo missing/invisible
    404 RevisionNotFound "Invalid rev id: <rev>"
    404 EntryNotFound "Entry not found" (resolve/tree; X-Repo-Commit on resolve)
    404 EntryNotFound "A file with this name doesn't exist"   commit deleting a missing path
    409 "You already created this dataset repo"
    412 "A commit has happened since. Please refresh and try again."   stale parentCommit
    400 malformed requests, and what this stand-in does not implement (LFS/Xet uploads, PRs)

Deliberate limits: no LFS or Xet (preupload answers "regular" for every file, so the client sends
contents inline, base64); no pull requests, branches beyond those seeded, renames or redirects.

Test instrumentation: `HubServer.requests()` is the log of (method, path, status) for counting
e.g. downloads; `HubServer.inject()` makes the next N requests matching (method, path regex)
answer 429 (with Retry-After) or 5xx, drop or reset the connection without a response, optionally
after applying the request (a commit that lands but whose answer is lost).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import math
import re
import secrets
import socket
import struct
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from urllib.parse import parse_qs, quote, unquote, urlencode

import pytest
import yaml

DEFAULT_TOKEN = "hf_hubserver_write_token"
DEFAULT_READ_TOKEN = "hf_hubserver_read_token"
DEFAULT_USER = "hub-user"

REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}

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

DATASET_EXPAND = frozenset(
    [
        "author",
        "cardData",
        "citation",
        "createdAt",
        "disabled",
        "description",
        "downloads",
        "downloadsAllTime",
        "gated",
        "lastModified",
        "likes",
        "mainSize",
        "paperswithcode_id",
        "private",
        "siblings",
        "sha",
        "tags",
        "trendingScore",
        "usedStorage",
        "resourceGroup",
    ]
)

# Messages as the real Hub words them (from recorded Hub answers and huggingface_hub's tests).
MSG_INVALID_TOKEN = "Invalid credentials in Authorization header"
MSG_ANONYMOUS = "Invalid username or password."
MSG_READ_TOKEN = "you must use a write token to upload to a repository"
MSG_REPO_NOT_FOUND = "Repository not found"
MSG_ENTRY_NOT_FOUND = "Entry not found"
MSG_PARENT_MOVED = "A commit has happened since. Please refresh and try again."
MSG_MISSING_FILE = "A file with this name doesn't exist"
MSG_SERVER_ERROR = "Internal Error - We're working hard to fix this as soon as possible!"


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


def _iso(moment: datetime) -> str:
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


# --------------------------------------------------------------------------------------------
# Instrumentation: a request log, and faults injected by tests.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # as sent, percent-encoding kept, without the query string
    query: str
    status: int | None  # None: the connection was dropped without a response
    fault: str | None  # what an injected fault did, None for a normal answer


@dataclass
class Fault:
    method: str  # "*" matches any method
    pattern: re.Pattern[str]  # searched in the request path (percent-encoding kept)
    action: str  # "status", "drop" (close, no response) or "reset" (TCP RST)
    status: int
    remaining: int
    after_apply: bool  # handle the request first (state changes), then misbehave
    retry_after: int | None
    delay: float

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0 and self.method in ("*", method) and bool(self.pattern.search(path))
        )


# --------------------------------------------------------------------------------------------
# HTTP plumbing: requests in, responses out, errors as the Hub shapes them.
# --------------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    raw_path: str
    segments: list[str]  # path segments, each percent-decoded (so "refs%2Fpr%2F1" stays one)
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("1", "true")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: object, status: int = 200, **headers: str) -> Response:
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return cls(status, json.dumps(payload).encode(), headers)


class HubError(Exception):
    """An error answer: JSON `{"error": ...}` plus the X-Error-* headers the client reads."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, object] | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def response(self) -> Response:
        headers = {"X-Error-Message": self.message, **self.headers}
        if self.code:
            headers["X-Error-Code"] = self.code
        return Response.json({"error": self.message, **self.extra}, self.status, **headers)


def repo_not_found(token: Token | None) -> HubError:
    # The Hub answers anonymous callers 401 for private *and* missing repos (no enumeration),
    # authenticated ones 404 RepoNotFound.
    if token is None:
        return HubError(401, MSG_ANONYMOUS)
    return HubError(404, MSG_REPO_NOT_FOUND, "RepoNotFound")


def revision_not_found(revision: str) -> HubError:
    return HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # pooled keep-alive connections must not hold up stop()
    hub: HubServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx pools connections
    server: _HTTPServer
    timeout = 60

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm meets the
        # client's delayed ACK and every response takes 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.hub._lock:
            self.server.hub._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.hub._lock:
            self.server.hub._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: tests read `HubServer.requests()` instead

    def do_GET(self) -> None:
        self.server.hub._serve(self)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send(self, response: Response) -> None:
        self.send_response(response.status)
        headers = {
            "X-Request-Id": f"Root={uuid.uuid4()}",
            "Content-Length": str(len(response.body)),
            **response.headers,
        }
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def drop(self, *, reset: bool) -> None:
        """Close the connection without a response: a clean close (the client reads EOF), or a
        TCP reset (SO_LINGER 0; the client reads ECONNRESET)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            if reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)


# --------------------------------------------------------------------------------------------
# The server: state, routing and the endpoint handlers.
# --------------------------------------------------------------------------------------------


class HubServer:
    """A Hub on loopback. Use as a context manager, or `start()`/`stop()`.

    `token` (write) and `read_token` (read) are accepted from the start, both for user `user`
    and every namespace; `add_token` adds more. `tree_page_size` / `commits_page_size` are the
    page sizes of the paginated listings (the Hub's are 1000 tree entries, 50 with `expand`,
    and 50 commits); lower them to exercise the client's pagination.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        read_token: str = DEFAULT_READ_TOKEN,
        user: str = DEFAULT_USER,
        tree_page_size: int = 1000,
        commits_page_size: int = 50,
    ):
        self.token, self.read_token, self.user = token, read_token, user
        self.tree_page_size = tree_page_size
        self.commits_page_size = commits_page_size
        self._tokens: dict[str, Token] = {
            token: Token(user, "write"),
            read_token: Token(user, "read"),
        }
        self._repos: dict[tuple[str, str], Repo] = {}
        self._lock = threading.RLock()  # guards repos, tokens, log and faults
        self._log: list[RequestRecord] = []
        self._faults: list[Fault] = []
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.internal_errors: list[BaseException] = []  # bugs in this server, for tests to check

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> HubServer:
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.hub = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # wake handler threads idling on keep-alive
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd = None

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The endpoint to give `HfApi(endpoint=...)` and `hf_hub_download(endpoint=...)`."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- direct access for tests (no HTTP, not logged) ---------------------------------------

    def add_token(
        self, token: str, user: str, role: str = "write", namespaces: set[str] | None = None
    ) -> None:
        with self._lock:
            self._tokens[token] = Token(user, role, frozenset(namespaces) if namespaces else None)

    def create_repo(
        self,
        repo_id: str,
        repo_type: str = "dataset",
        *,
        private: bool = False,
        files: Mapping[str, bytes | str] | None = None,
        gated: str | bool = False,
        likes: int = 0,
    ) -> str:
        """Create a repo as the Hub does (initial commit with .gitattributes), optionally with a
        second commit holding `files`; returns the head sha."""
        with self._lock:
            repo = self._new_repo(repo_type, repo_id, private)
            repo.gated, repo.likes = gated, likes
            if files:
                contents = {p: c.encode() if isinstance(c, str) else c for p, c in files.items()}
                head = repo.commits[repo.branches["main"]]
                self._add_commit(
                    repo, "main", {**head.files, **contents}, "Seed files", "", self.user
                )
            return repo.branches["main"]

    def head(self, repo_id: str, repo_type: str = "dataset", branch: str = "main") -> str:
        with self._lock:
            return self._repos[(repo_type, repo_id)].branches[branch]

    def files(
        self, repo_id: str, repo_type: str = "dataset", revision: str = "main"
    ) -> Mapping[str, bytes]:
        with self._lock:
            commit = self._repos[(repo_type, repo_id)].resolve(revision)
            assert commit is not None, f"unknown revision {revision}"
            return commit.files

    def commits(
        self, repo_id: str, repo_type: str = "dataset", branch: str = "main"
    ) -> list[Commit]:
        """The branch's history, newest first."""
        with self._lock:
            repo = self._repos[(repo_type, repo_id)]
            return repo.history(repo.commits[repo.branches[branch]])

    # -- instrumentation ---------------------------------------------------------------------

    def inject(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        drop: bool = False,
        reset: bool = False,
        times: int = 1,
        after_apply: bool = False,
        retry_after: int | None = 0,
        delay: float = 0.0,
    ) -> None:
        """Make the next `times` requests matching `method` ("*" for any) and the regex `path`
        misbehave: answer `status` (429 carries `Retry-After: retry_after` and the Hub's
        `RateLimit` headers; 5xx the Hub's JSON error), or `drop` the connection without a
        response, or `reset` it. With `after_apply` the request is handled first, so its
        effect lands (a commit is applied) and only the answer is lost or replaced. `delay`
        sleeps before anything else, to provoke client timeouts."""
        if sum((status is not None, drop, reset)) != 1:
            raise ValueError("give exactly one of status=, drop=True, reset=True")
        action = "status" if status is not None else "drop" if drop else "reset"
        with self._lock:
            self._faults.append(
                Fault(
                    method.upper(),
                    re.compile(path),
                    action,
                    status or 0,
                    times,
                    after_apply,
                    retry_after,
                    delay,
                )
            )

    def requests(self, method: str | None = None, path: str | None = None) -> list[RequestRecord]:
        """Logged requests, optionally only those of `method` whose path matches regex `path`."""
        with self._lock:
            return [
                record
                for record in self._log
                if (method is None or record.method == method.upper())
                and (path is None or re.search(path, record.path))
            ]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return sum(fault.remaining for fault in self._faults)

    # -- request cycle -----------------------------------------------------------------------

    def _serve(self, handler: _Handler) -> None:
        raw_path, _, query = handler.path.partition("?")
        body = handler.read_body()  # always read all of it, even to answer with a fault
        with self._lock:
            fault = next((f for f in self._faults if f.matches(handler.command, raw_path)), None)
            if fault is not None:
                fault.remaining -= 1
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        response = None
        if fault is None or fault.after_apply:
            response = self._answer(handler, raw_path, query, body)
        note = None
        if fault is not None:
            note = f"status {fault.status}" if fault.action == "status" else fault.action
            note += " after apply" if fault.after_apply else ""
            response = self._fault_response(fault) if fault.action == "status" else None
        # Logged before answering: once the client has its answer, the log already shows it.
        with self._lock:
            status = response.status if response is not None else None
            self._log.append(RequestRecord(handler.command, raw_path, query, status, note))
        if response is not None:
            with contextlib.suppress(OSError):
                handler.send(response)
        else:
            handler.drop(reset=fault is not None and fault.action == "reset")

    def _answer(self, handler: _Handler, raw_path: str, query: str, body: bytes) -> Response:
        request = Request(
            method=handler.command,
            raw_path=raw_path,
            segments=[unquote(s) for s in raw_path.strip("/").split("/")],
            query=parse_qs(query, keep_blank_values=True),
            headers=handler.headers,
            body=body,
        )
        try:
            return self._dispatch(request)
        except HubError as error:
            return error.response()
        except Exception as error:  # a bug here: answer like the Hub, keep it for the test
            self.internal_errors.append(error)
            return HubError(500, MSG_SERVER_ERROR).response()

    @staticmethod
    def _fault_response(fault: Fault) -> Response:
        if fault.status == 429:
            headers = {"RateLimit-Policy": '"fixed window";"api";q=500;w=300'}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
                headers["RateLimit"] = f'"api";r=0;t={fault.retry_after}'
            return HubError(429, "Too Many Requests", headers=headers).response()
        if fault.status >= 500:
            return HubError(fault.status, MSG_SERVER_ERROR).response()
        return HubError(fault.status, f"Injected error {fault.status}").response()

    def _dispatch(self, request: Request) -> Response:
        segments, method = request.segments, request.method
        if segments[0] == "api":
            route = segments[1:]
            if route == ["whoami-v2"] and method == "GET":
                return self._whoami(request)
            if route == ["repos", "create"] and method == "POST":
                return self._create_repo(request)
            if route == ["validate-yaml"] and method == "POST":
                return self._validate_yaml(request)
            if len(route) >= 3 and route[0] in REPO_TYPES:
                repo_type, repo_id, rest = REPO_TYPES[route[0]], f"{route[1]}/{route[2]}", route[3:]
                return self._repo_api(request, repo_type, repo_id, rest)
        else:
            repo_type = (
                REPO_TYPES.get(segments[0]) if segments[0] in ("datasets", "spaces") else None
            )
            head = segments[1:] if repo_type else segments
            if len(head) >= 5 and head[2] == "resolve" and method in ("GET", "HEAD"):
                repo_id = f"{head[0]}/{head[1]}"
                return self._resolve(
                    request, repo_type or "model", repo_id, head[3], "/".join(head[4:])
                )
        raise HubError(404, "Sorry, we can't find the page you are looking for.")

    def _repo_api(
        self, request: Request, repo_type: str, repo_id: str, rest: list[str]
    ) -> Response:
        method = request.method
        action = rest[0] if rest else ""
        if not rest and method == "GET":
            return self._info(request, repo_type, repo_id, "main")
        if action == "revision" and len(rest) == 2 and method == "GET":
            return self._info(request, repo_type, repo_id, rest[1])
        if action == "tree" and len(rest) >= 2 and method == "GET":
            return self._tree(request, repo_type, repo_id, rest[1], "/".join(rest[2:]).strip("/"))
        if action == "paths-info" and len(rest) == 2 and method == "POST":
            return self._paths_info(request, repo_type, repo_id, rest[1])
        if action == "commits" and len(rest) <= 2 and method == "GET":
            return self._commits(request, repo_type, repo_id, rest[1] if len(rest) == 2 else "main")
        if action == "refs" and len(rest) == 1 and method == "GET":
            return self._refs(request, repo_type, repo_id)
        if action == "preupload" and len(rest) == 2 and method == "POST":
            return self._preupload(request, repo_type, repo_id, rest[1])
        if action == "commit" and len(rest) == 2 and method == "POST":
            return self._commit(request, repo_type, repo_id, rest[1])
        raise HubError(404, "Sorry, we can't find the page you are looking for.")

    # -- auth ----------------------------------------------------------------------------------

    def _token(self, request: Request) -> Token | None:
        """The caller's token; an unknown one is refused on every endpoint, as on the Hub."""
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        with self._lock:
            token = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise HubError(401, MSG_INVALID_TOKEN)
        return token

    def _readable(
        self, request: Request, repo_type: str, repo_id: str
    ) -> tuple[Repo, Token | None]:
        token = self._token(request)
        with self._lock:
            repo = self._repos.get((repo_type, repo_id))
        if repo is None or (
            repo.private and (token is None or not token.covers(repo_id.split("/")[0]))
        ):
            raise repo_not_found(token)
        return repo, token

    def _writable(self, request: Request, repo_type: str, repo_id: str) -> tuple[Repo, Token]:
        repo, token = self._readable(request, repo_type, repo_id)
        if token is None:
            raise HubError(401, MSG_ANONYMOUS)
        if token.role != "write":
            raise HubError(403, MSG_READ_TOKEN)
        if not token.covers(repo_id.split("/")[0]):
            raise HubError(403, f"You don't have the rights to write to {repo_type} {repo_id}")
        return repo, token

    @staticmethod
    def _commit_at(repo: Repo, revision: str) -> Commit:
        commit = repo.resolve(revision)
        if commit is None:
            raise revision_not_found(revision)
        return commit

    # -- account and repos -----------------------------------------------------------------------

    def _whoami(self, request: Request) -> Response:
        token = self._token(request)
        if token is None:
            raise HubError(401, MSG_ANONYMOUS)
        return Response.json(
            {
                "type": "user",
                "id": hashlib.sha1(token.user.encode()).hexdigest()[:24],
                "name": token.user,
                "fullname": token.user,
                "orgs": [{"type": "org", "name": ns} for ns in sorted(token.namespaces or ())],
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "hub-server", "role": token.role},
                },
            }
        )

    def _new_repo(self, repo_type: str, repo_id: str, private: bool) -> Repo:
        repo = Repo(repo_type, repo_id, private, datetime.now(UTC), secrets.token_hex(12))
        self._add_commit(
            repo, "main", {".gitattributes": DEFAULT_GITATTRIBUTES}, "initial commit", "", "system"
        )
        self._repos[(repo_type, repo_id)] = repo
        return repo

    def _add_commit(
        self,
        repo: Repo,
        branch: str,
        files: Mapping[str, bytes],
        title: str,
        message: str,
        author: str,
    ) -> Commit:
        parents = (repo.branches[branch],) if branch in repo.branches else ()
        commit = Commit.create(files, parents, title, message, author)
        repo.commits[commit.oid] = commit
        repo.branches[branch] = commit.oid
        return commit

    def _repo_url(self, repo_type: str, repo_id: str) -> str:
        return f"{self.url}/{URL_PREFIXES[repo_type]}{repo_id}"

    def _create_repo(self, request: Request) -> Response:
        token = self._token(request)
        payload = _json_body(request)
        repo_type = payload.get("type") or "model"
        name, namespace = payload.get("name"), payload.get("organization")
        if repo_type not in URL_PREFIXES:
            raise HubError(400, f"Invalid repo type: {repo_type}")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}", name):
            raise HubError(400, "Invalid repo name")
        if token is None:
            raise HubError(401, MSG_ANONYMOUS)
        namespace = namespace or token.user
        if token.role != "write" or not token.covers(namespace):
            message = f"You don't have the rights to create a {repo_type} under the namespace"
            raise HubError(403, f'{message} "{namespace}"')
        repo_id = f"{namespace}/{name}"
        private = (
            payload.get("visibility", "private" if payload.get("private") else "public") != "public"
        )
        with self._lock:
            if (repo_type, repo_id) in self._repos:
                url = self._repo_url(repo_type, repo_id)
                raise HubError(
                    409, f"You already created this {repo_type} repo", extra={"url": url}
                )
            repo = self._new_repo(repo_type, repo_id, private)
        return Response.json(
            {"url": self._repo_url(repo_type, repo_id), "name": repo_id, "id": repo.object_id}
        )

    @staticmethod
    def _validate_yaml(request: Request) -> Response:
        """A README's metadata header must be YAML mapping; 400 with `errors` otherwise."""
        content = str(_json_body(request).get("content", ""))
        if content.startswith("---") and "\n---" in content:
            try:
                loaded = yaml.safe_load(content.split("\n---", 1)[0].removeprefix("---"))
            except yaml.YAMLError as exc:
                loaded = exc
            if loaded is not None and not isinstance(loaded, dict):
                error = {"message": f"Invalid YAML metadata: {loaded}"}
                return Response.json({"errors": [error], "warnings": []}, status=400)
        return Response.json({"errors": [], "warnings": []})

    def _info(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        with self._lock:
            commit = self._commit_at(repo, revision)
        blobs = request.flag("blobs")
        siblings = [
            {
                "rfilename": path,
                **({"blobId": commit.blobs[path], "size": len(content)} if blobs else {}),
            }
            for path, content in commit.files.items()
        ]
        info: dict[str, object] = {
            "_id": repo.object_id,
            "id": repo_id,
            **({"modelId": repo_id} if repo_type == "model" else {}),
            "author": repo_id.split("/")[0],
            "sha": commit.oid,
            "lastModified": _iso(commit.date),
            "private": repo.private,
            "gated": repo.gated,
            "disabled": False,
            "downloads": 0,
            "likes": repo.likes,
            "tags": [],
            "description": "",
            "createdAt": _iso(repo.created_at),
            "siblings": siblings,
            "usedStorage": sum(len(content) for content in commit.files.values()),
        }
        if repo_type == "model":
            info.update(_model_metadata(commit))
        expand = request.query.get("expand", []) + request.query.get("expand[]", [])
        if expand:
            if blobs:
                raise HubError(400, "`expand` cannot be used with `blobs`")
            unknown = sorted(set(expand) - DATASET_EXPAND) if repo_type == "dataset" else []
            if unknown:
                raise HubError(
                    400, f'"expand" must be one of {sorted(DATASET_EXPAND)}, got {unknown}'
                )
            info = {key: value for key, value in info.items() if key in {"_id", "id", *expand}}
        return Response.json(info)

    def _refs(self, request: Request, repo_type: str, repo_id: str) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        with self._lock:

            def refs(kind: str, names: Mapping[str, str]) -> list[dict[str, str]]:
                return [
                    {"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": o}
                    for n, o in names.items()
                ]

            payload: dict[str, object] = {
                "branches": refs("heads", repo.branches),
                "converts": [],
                "tags": refs("tags", repo.tags),
            }
        if request.flag("include_prs"):
            payload["pullRequests"] = []
        return Response.json(payload)

    # -- listings ------------------------------------------------------------------------------

    def _entry(self, repo: Repo, commit: Commit, path: str, expand: bool) -> dict[str, object]:
        kind, oid = commit.node(path)  # type: ignore[misc]
        entry: dict[str, object] = {"type": kind, "oid": oid, "size": 0, "path": path}
        if kind == "file":
            entry["size"] = len(commit.files[path])
        if expand:
            last = repo.last_commit(commit, path)
            entry["lastCommit"] = {"id": last.oid, "title": last.title, "date": _iso(last.date)}
            if kind == "file":
                entry["securityFileStatus"] = {
                    "status": "safe",
                    "avScan": {"virusFound": False, "virusNames": None},
                    "pickleImportScan": None,
                }
        return entry

    @staticmethod
    def _children(commit: Commit, folder: str, recursive: bool) -> list[str]:
        """Paths under `folder`, folders before their contents, each level in git order."""
        prefix = f"{folder}/" if folder else ""
        nodes = [p for p in (*commit.trees, *commit.blobs) if p and p.startswith(prefix)]
        if not recursive:
            nodes = [p for p in nodes if "/" not in p[len(prefix) :]]
        return sorted(nodes, key=lambda p: p.split("/"))

    def _tree(
        self, request: Request, repo_type: str, repo_id: str, revision: str, path: str
    ) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        recursive, expand = request.flag("recursive"), request.flag("expand")
        with self._lock:
            offset, commit = 0, self._commit_at(repo, revision)
            if cursor := request.param("cursor"):
                # The cursor pins the commit listed first, so the pages of one listing never mix
                # two snapshots even if the branch moves in between.
                try:
                    state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
                    commit, offset = repo.commits[state["commit"]], int(state["offset"])
                except (ValueError, KeyError, TypeError, binascii.Error) as error:
                    raise HubError(400, "Invalid cursor") from error
            if path and path not in commit.trees:
                raise HubError(
                    404, MSG_ENTRY_NOT_FOUND, "EntryNotFound", {"X-Repo-Commit": commit.oid}
                )
            paths = self._children(commit, path, recursive)
            size = 50 if expand else self.tree_page_size
            page = [self._entry(repo, commit, p, expand) for p in paths[offset : offset + size]]
        headers = {}
        if offset + size < len(paths):
            cursor = base64.urlsafe_b64encode(
                json.dumps({"commit": commit.oid, "offset": offset + size}).encode()
            ).decode()
            query = urlencode(
                {
                    "recursive": str(recursive).lower(),
                    "expand": str(expand).lower(),
                    "cursor": cursor,
                }
            )
            headers["Link"] = f'<{self.url}{request.raw_path}?{query}>; rel="next"'
        return Response.json(page, **headers)

    def _paths_info(
        self, request: Request, repo_type: str, repo_id: str, revision: str
    ) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        if "json" in request.headers.get("Content-Type", ""):
            form = _json_body(request)
            paths, expand = list(form.get("paths") or []), bool(form.get("expand"))
        else:
            form = parse_qs(request.body.decode(), keep_blank_values=True)
            paths, expand = (
                form.get("paths", []),
                (form.get("expand") or [""])[-1].lower() == "true",
            )
        with self._lock:
            commit = self._commit_at(repo, revision)
            found = [p.strip("/") for p in paths if commit.node(p.strip("/")) and p.strip("/")]
            return Response.json([self._entry(repo, commit, p, expand) for p in found])

    def _commits(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        try:
            page = int(request.param("p") or 0)
            limit = int(request.param("limit") or self.commits_page_size)
        except ValueError as error:
            raise HubError(400, "Invalid pagination parameters") from error
        with self._lock:
            history = repo.history(self._commit_at(repo, revision))
        items = [
            {
                "id": c.oid,
                "title": c.title,
                "message": c.message,
                "authors": [{"user": c.author, "avatar": None}],
                "date": _iso(c.date),
            }
            for c in history[page * limit : (page + 1) * limit]
        ]
        headers = {"X-Total-Count": str(len(history))}
        if (page + 1) * limit < len(history):
            query = urlencode({"p": page + 1, "limit": limit})
            headers["Link"] = f'<{self.url}{request.raw_path}?{query}>; rel="next"'
        return Response.json(items, **headers)

    # -- downloads -----------------------------------------------------------------------------

    def _resolve(
        self, request: Request, repo_type: str, repo_id: str, revision: str, path: str
    ) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        with self._lock:
            commit = self._commit_at(repo, revision)
        if path not in commit.files:
            raise HubError(404, MSG_ENTRY_NOT_FOUND, "EntryNotFound", {"X-Repo-Commit": commit.oid})
        content = commit.files[path]
        headers = {
            "ETag": f'"{commit.blobs[path]}"',
            "X-Repo-Commit": commit.oid,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/json"
            if path.endswith(".json")
            else "application/octet-stream",
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}",
        }
        match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", request.headers.get("Range") or "")
        if match and (match.group(1) or match.group(2)):
            start_text, end_text = match.groups()
            if start_text:
                start, end = (
                    int(start_text),
                    min(int(end_text or len(content) - 1), len(content) - 1),
                )
            else:
                start, end = max(len(content) - int(end_text), 0), len(content) - 1
            if start >= len(content) or start > end:
                headers["Content-Range"] = f"bytes */{len(content)}"
                return Response(416, b"", headers)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
            return Response(206, content[start : end + 1], headers)
        return Response(200, content, headers)

    # -- uploads -------------------------------------------------------------------------------

    def _preupload(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        repo, _ = self._writable(request, repo_type, repo_id)
        if request.flag("create_pr"):
            raise HubError(400, "Pull requests are not supported by this test Hub")
        files = _json_body(request).get("files")
        if not isinstance(files, list):
            raise HubError(400, '"files" must be a list')
        with self._lock:
            commit = self._commit_at(repo, revision)
        answer = []
        for item in files:
            path = item.get("path") if isinstance(item, dict) else None
            if not isinstance(path, str):
                raise HubError(400, "Each file needs a path")
            entry = {"path": path, "uploadMode": "regular", "shouldIgnore": False}
            if path in commit.blobs:
                entry["oid"] = commit.blobs[path]  # lets the client skip unchanged files
            answer.append(entry)
        return Response.json({"files": answer})

    def _commit(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        repo, token = self._writable(request, repo_type, repo_id)
        if request.flag("create_pr"):
            raise HubError(400, "Pull requests are not supported by this test Hub")
        try:
            lines = [
                json.loads(line) for line in request.body.decode().splitlines() if line.strip()
            ]
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise HubError(400, f"Invalid NDJSON commit payload: {error}") from error
        if not lines or not isinstance(lines[0], dict) or lines[0].get("key") != "header":
            raise HubError(400, "The first line of a commit payload must be its header")
        header = lines[0].get("value") or {}
        title = str(header.get("summary") or "").strip()
        if not title:
            raise HubError(400, "Commit summary is required")
        parent = header.get("parentCommit")
        with self._lock:  # check-and-set: nothing else commits between the check and the move
            if revision not in repo.branches:
                raise revision_not_found(revision)
            head = repo.commits[repo.branches[revision]]
            if parent is not None and not (
                isinstance(parent, str) and len(parent) >= 5 and head.oid.startswith(parent.lower())
            ):
                raise HubError(412, MSG_PARENT_MOVED)
            files = _apply_operations(dict(head.files), lines[1:])
            commit = self._add_commit(
                repo, revision, files, title, str(header.get("description") or ""), token.user
            )
        return Response.json(
            {
                "success": True,
                "commitOid": commit.oid,
                "commitUrl": f"{self._repo_url(repo_type, repo_id)}/commit/{commit.oid}",
                "hookOutput": "",
                "pullRequestUrl": None,
            }
        )


def _model_metadata(commit: Commit) -> dict[str, object]:
    """What the Hub derives from a model repo's files: `cardData` and tags from the README's
    YAML header (with `license:<id>`), and `safetensors` (parameters per dtype) from the
    headers of its safetensors files."""
    extra: dict[str, object] = {}
    readme = commit.files.get("README.md", b"").decode("utf-8", errors="replace")
    card: dict = {}
    if readme.startswith("---") and "\n---" in readme:
        loaded = yaml.safe_load(readme.split("\n---", 1)[0].removeprefix("---"))
        card = loaded if isinstance(loaded, dict) else {}
    if card:
        extra["cardData"] = card
    tags = [str(tag) for tag in card.get("tags") or []]
    if card.get("license"):
        tags.append(f"license:{card['license']}")
    extra["tags"] = tags
    parameters: dict[str, int] = {}
    for path, content in commit.files.items():
        if not path.endswith(".safetensors") or len(content) < 8:
            continue
        (length,) = struct.unpack("<Q", content[:8])
        header = json.loads(content[8 : 8 + length])
        for name, tensor in header.items():
            if name != "__metadata__":
                count = math.prod(tensor["shape"])
                parameters[tensor["dtype"]] = parameters.get(tensor["dtype"], 0) + count
    if parameters:
        extra["safetensors"] = {"parameters": parameters, "total": sum(parameters.values())}
    return extra


def _json_body(request: Request) -> dict:
    try:
        payload = json.loads(request.body or b"{}")
    except json.JSONDecodeError as error:
        raise HubError(400, f"Invalid JSON body: {error}") from error
    if not isinstance(payload, dict):
        raise HubError(400, "The JSON body must be an object")
    return payload


def _valid_path(path: object) -> str:
    if not isinstance(path, str) or not path.strip("/"):
        raise HubError(400, "A path is required")
    path = path.strip("/")
    if any(part in ("", ".", "..") for part in path.split("/")) or "\0" in path:
        raise HubError(400, f"Invalid path: {path!r}")
    return path


def _apply_operations(files: dict[str, bytes], operations: list[object]) -> dict[str, bytes]:
    """Apply a commit's operations to a copy of the head's files; any error refuses them all."""
    for line in operations:
        if not isinstance(line, dict) or not isinstance(line.get("value"), dict):
            raise HubError(400, "Each commit line must be {'key': ..., 'value': {...}}")
        key, value = line.get("key"), line["value"]
        path = _valid_path(value.get("path"))
        if key == "file":
            content = value.get("content", "")
            try:
                data = (
                    base64.b64decode(content, validate=True)
                    if value.get("encoding") == "base64"
                    else str(content).encode()
                )
            except binascii.Error as error:
                raise HubError(400, f"Invalid base64 content for {path}") from error
            if any(existing.startswith(f"{path}/") for existing in files):
                raise HubError(400, f"Cannot create file {path}: a folder of that name exists")
            parts = path.split("/")
            if any("/".join(parts[:i]) in files for i in range(1, len(parts))):
                raise HubError(400, f"Cannot create file {path}: a parent of it is a file")
            files[path] = data
        elif key == "deletedFile":
            if path not in files:
                raise HubError(404, MSG_MISSING_FILE, "EntryNotFound")
            del files[path]
        elif key == "deletedFolder":
            doomed = [p for p in files if p.startswith(f"{path}/")]
            if not doomed:
                raise HubError(404, MSG_MISSING_FILE, "EntryNotFound")
            for p in doomed:
                del files[p]
        elif key == "lfsFile":
            raise HubError(400, "This test Hub stores regular files only (no LFS/Xet uploads)")
        else:
            raise HubError(400, f"Unknown commit operation: {key!r}")
    return files


# --------------------------------------------------------------------------------------------
# pytest integration.
# --------------------------------------------------------------------------------------------


def allow_hub_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the suite's offline switch for tests that talk to a loopback Hub.

    `huggingface_hub` reads HF_HUB_OFFLINE once, at import, into `constants.HF_HUB_OFFLINE`,
    and refuses every request while it is true: removing the variable is not enough.
    """
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@contextlib.contextmanager
def serve_hub(**options: object) -> Iterator[HubServer]:
    """A started `HubServer` for the duration of the block."""
    server = HubServer(**options)  # type: ignore[arg-type]
    with server:
        yield server


@pytest.fixture
def hub_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """A fresh loopback Hub per test, with the client allowed online. Other test modules get it
    with `pytest_plugins = ["hub_server"]` in the root conftest, or by wrapping `serve_hub`."""
    allow_hub_requests(monkeypatch)
    with serve_hub() as server:
        yield server
    assert not server.internal_errors, server.internal_errors
