"""What the web server accepts at all, before Gradio sees a request.

Nothing on this leaderboard takes a file, so Gradio's upload route (which would otherwise
keep anything anyone posts on disk) answers 404; and no request body may be larger than
`max_body_bytes`, so no client can make the server hold megabytes per request. Searches and
form fields are bounded again, with a message, where they are parsed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 4 * 1024 * 1024  # a form or a search; the largest legitimate body is ~1 kB
UPLOAD_SUFFIXES = ("/upload",)


class RequestLimits:
    """ASGI middleware: refuse uploads and bodies over `max_body_bytes`."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].rstrip("/").endswith(UPLOAD_SUFFIXES):
            await _answer(send, 404, "This leaderboard takes no file uploads.")
            return
        length = _content_length(scope)
        if length is not None and length > self.max_body_bytes:
            await _answer(send, 413, f"Request bodies are limited to {self.max_body_bytes} bytes.")
            return
        if length is None and scope.get("method", "GET") not in ("GET", "HEAD"):
            body = await _read_at_most(receive, self.max_body_bytes)  # chunked: count it
            if body is None:
                await _answer(
                    send, 413, f"Request bodies are limited to {self.max_body_bytes} bytes."
                )
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_at_most(receive: Receive, limit: int) -> bytes | None:
    chunks, total = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(send: Send, status: int, text: str) -> None:
    await send_bytes(send, status, text.encode(), [(b"content-type", b"text/plain; charset=utf-8")])


async def send_bytes(
    send: Send, status: int, body: bytes, headers: list, *, length: int = -1
) -> None:
    """One whole response, for the app's own routes. `length`: the Content-Length to state
    when it is not the body's (a HEAD answer's empty body stands for `length` bytes)."""
    size = len(body) if length < 0 else length
    headers = [*headers, (b"content-length", str(size).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def query_params(scope: Scope) -> dict[str, str]:
    """The request's query parameters, the last of each name; `type=` stays, empty."""
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
