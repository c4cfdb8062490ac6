"""`GET board-data/<suite>?g=<generation>`: the instant board's payload, gzip-compressed once
per board and generation, for every page that asks.

Inline in the page (as the component's value), the payload would travel uncompressed in
every page load (35 MB at 100,000 models) and stay in the server's memory as JSON text. Here
it is encoded once (`encode_payload`), sent with `Content-Encoding: gzip` (8 MB at 100,000),
and cached by the browser for good: a new generation is a new URL.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

from leaderboard.errors import UnknownNameError
from leaderboard.suites import get_suite
from leaderboard.ui.board_payload import encode_payload
from leaderboard.ui.limits import ASGIApp, Receive, Scope, Send

ROUTE = "/board-data/"


def board_url(suite: str, generation: int) -> str:
    """Relative to the page, so that it works under a proxy's root path (a Space)."""
    return f"board-data/{suite}?g={generation}"


class BoardData:
    """ASGI middleware answering ROUTE from the view's current snapshot."""

    def __init__(self, app: ASGIApp, *, view) -> None:
        self.app = app
        self.view = view  # a LeaderboardView: its loader's snapshot, its payloads
        self._lock = threading.Lock()
        self._encoded: dict[str, tuple[int, bytes]] = {}  # suite -> (generation, gzip)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(ROUTE) or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        name = path[len(ROUTE) :].strip("/")
        snapshot = self.view.loader.snapshot
        try:
            suite = get_suite(name)
        except UnknownNameError as exc:
            await _send(send, 404, str(exc).encode(), [(b"content-type", b"text/plain")])
            return
        wanted = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("g", [""])[0]
        body = self._payload(suite.name, snapshot)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-encoding", b"gzip"),
            (b"vary", b"accept-encoding"),
            # The URL names the generation: the same URL is always the same board.
            (
                b"cache-control",
                b"private, max-age=31536000, immutable"
                if wanted == str(snapshot.generation)
                else b"no-store",
            ),
        ]
        await _send(send, 200, b"" if scope["method"] == "HEAD" else body, headers)

    def _payload(self, suite: str, snapshot) -> bytes:
        with self._lock:  # one encoding per board and generation, whoever asks first
            cached = self._encoded.get(suite)
            if cached is None or cached[0] != snapshot.generation:
                payload = self.view.payload_dict(get_suite(suite), snapshot)  # the same one
                cached = (snapshot.generation, encode_payload(payload))
                self._encoded[suite] = cached
            return cached[1]


async def _send(send: Send, status: int, body: bytes, headers: list) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
