"""`GET gradio_api/board-export/<suite>.<csv|parquet|json>?<query parameters>`: the view as a file.

What the Leaderboard tab's *Download* links fetch: the rows, columns and order the page shows
for those parameters (its URL's, as `to_params` writes them), from the loader's current
snapshot, written by `export.FORMATS`, so the file is byte for byte what `python -m leaderboard
table --csv|--json|--parquet` gives for the same view. The parameters are read strictly, by
the one grammar (a bad value: 400 with its message); the grammar bounds the search, and the
file is bounded by the board. At most MAX_EXPORTS files are made at once (a flood gets 503
at once rather than a growing queue of threads). The file is an attachment named from the
suite's registry name (`open-llm-leaderboard-v2.csv`), never from the request.

Under Gradio's API prefix for the reason `board_route.py` gives (SSR on a Space).
"""

from __future__ import annotations

import asyncio
import threading

from leaderboard import export
from leaderboard.errors import LeaderboardError, UnknownNameError
from leaderboard.query import Query, present, run_query
from leaderboard.suites import Suite, get_suite
from leaderboard.ui.limits import ASGIApp, Receive, Scope, Send, query_params, send_bytes

ROUTE = "/gradio_api/board-export/"
MAX_EXPORTS = 2  # files made at once; each is one query and one serialisation of its rows
_TEXT = (b"content-type", b"text/plain; charset=utf-8")
_SAFE = [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store")]


class BoardExport:
    """ASGI middleware answering ROUTE from `loader`'s snapshot."""

    def __init__(self, app: ASGIApp, *, loader) -> None:
        self.app = app
        self.loader = loader
        self._slots = threading.BoundedSemaphore(MAX_EXPORTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(ROUTE) or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        name, _, extension = path[len(ROUTE) :].strip("/").rpartition(".")
        fmt = export.FORMATS.get(extension)
        if fmt is None:
            formats = ", ".join(f".{f}" for f in export.FORMATS)
            await _text(send, 404, f"Ask for a board as {formats}: `board-export/v2.csv`.")
            return
        try:
            suite = get_suite(name)
        except UnknownNameError as exc:
            await _text(send, 404, str(exc))
            return
        params = query_params(scope)
        if not self._slots.acquire(blocking=False):
            await _text(send, 503, "Other downloads are being made; try again in a moment.")
            return
        try:
            data = await asyncio.to_thread(self._file, suite, fmt, params)
        except LeaderboardError as exc:  # the grammar's message: what to change in the link
            await _text(send, 400, str(exc))
            return
        finally:
            self._slots.release()
        attachment = f'attachment; filename="{export.file_name(suite, fmt)}"'.encode()
        headers = [
            (b"content-type", fmt.media_type.encode()),
            (b"content-disposition", attachment),
            *_SAFE,
        ]
        body = b"" if scope["method"] == "HEAD" else data
        await send_bytes(send, 200, body, headers, length=len(data))

    def _file(self, suite: Suite, fmt: export.Format, params: dict[str, str]) -> bytes:
        query = Query.from_values(params, suite, strict=True).query
        board = self.loader.snapshot.board(suite.name)
        return fmt.write(present(run_query(board, suite, query), suite))


async def _text(send: Send, status: int, message: str) -> None:
    await send_bytes(send, status, message.encode(), [_TEXT, *_SAFE])
