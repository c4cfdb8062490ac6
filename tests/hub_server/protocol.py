"""HTTP as the Hub speaks it: requests in, responses out, errors shaped as the Hub shapes them
(JSON `{"error": ...}` plus the `X-Error-*` headers `hf_raise_for_status` reads), and the
keep-alive request handler that hands each request to the server."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from .git_model import Token

REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}

# Messages as the real Hub words them (from recorded Hub answers and huggingface_hub's tests).
MSG_INVALID_TOKEN = "Invalid credentials in Authorization header"
MSG_ANONYMOUS = "Invalid username or password."
MSG_READ_TOKEN = "you must use a write token to upload to a repository"
MSG_REPO_NOT_FOUND = "Repository not found"
MSG_ENTRY_NOT_FOUND = "Entry not found"
MSG_PARENT_MOVED = "A commit has happened since. Please refresh and try again."
MSG_MISSING_FILE = "A file with this name doesn't exist"
MSG_SERVER_ERROR = "Internal Error - We're working hard to fix this as soon as possible!"
# The commit quota's 429, as quoted in huggingface/datasets' docs/source/troubleshoot.mdx
# ("Too Many Requests") and issue #6257 ("HfHubHTTPError - exceeded our hourly quotas for
# action: commit").
MSG_COMMIT_QUOTA = (
    "You have exceeded our hourly quotas for action: commit. We invite you to retry later."
)


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


def json_body(request: Request) -> dict:
    try:
        payload = json.loads(request.body or b"{}")
    except json.JSONDecodeError as error:
        raise HubError(400, f"Invalid JSON body: {error}") from error
    if not isinstance(payload, dict):
        raise HubError(400, "The JSON body must be an object")
    return payload


class Host(Protocol):
    """What the handler needs of the server: its lock, its open connections, its answers."""

    _lock: threading.RLock
    _connections: set[socket.socket]

    def _serve(self, handler: Handler) -> None: ...


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # pooled keep-alive connections must not hold up stop()
    hub: Host


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx pools connections
    server: HTTPServer
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
            "X-Request-Id": f"Root={uuid.uuid4()}",  # the server sets one it logs; a fallback
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
