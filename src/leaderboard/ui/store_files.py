"""`GET gradio_api/results-file/<path>`: a file of the results store, for the links of a
model's page (its results file, its samples, its evaluation log).

The path is read through the store, which refuses any path that leaves its folder
(`stores.base.safe_relative_path`), and only the kinds of file the worker publishes are
served, as inert text: JSON as `application/json`, samples and logs as `text/plain`, with
`nosniff` and a content security policy that runs nothing. The same route serves a local
folder and a Hub dataset, so a page's links never name a local path.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote, unquote

from leaderboard.errors import LeaderboardError, MissingFileError
from leaderboard.ui.limits import ASGIApp, Receive, Scope, Send, send_bytes

ROUTE = "/gradio_api/results-file/"
MAX_FILE_BYTES = 128 * 1024 * 1024
_TYPES = {
    ".json": b"application/json",
    ".jsonl": b"text/plain; charset=utf-8",
    ".log": b"text/plain; charset=utf-8",
}
_SAFE = [
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'none'; sandbox"),
    (b"cache-control", b"no-cache"),
]


def file_url(path: str) -> str:
    """Relative to the page (it works under a Space's proxy path)."""
    return "gradio_api/results-file/" + quote(path, safe="/")


class StoreFiles:
    """ASGI middleware answering ROUTE from `store` (the results store)."""

    def __init__(self, app: ASGIApp, *, store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(ROUTE) or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        wanted = unquote(path[len(ROUTE) :])
        kind = next((t for suffix, t in _TYPES.items() if wanted.endswith(suffix)), None)
        if kind is None:
            await _text(send, 404, "Only results files, samples and logs are served here.")
            return
        try:
            data = await asyncio.to_thread(self.store.read, wanted)
        except MissingFileError:
            await _text(send, 404, "No such file in the results store.")
            return
        except (LeaderboardError, OSError) as exc:
            await _text(send, 400, f"This file cannot be served: {exc}")
            return
        if len(data) > MAX_FILE_BYTES:
            await _text(send, 413, "The file is too large to be served here.")
            return
        body = b"" if scope["method"] == "HEAD" else data
        await send_bytes(send, 200, body, [(b"content-type", kind), *_SAFE], length=len(data))


async def _text(send: Send, status: int, message: str) -> None:
    body = message.encode()
    await send_bytes(send, status, body, [(b"content-type", b"text/plain; charset=utf-8"), *_SAFE])
