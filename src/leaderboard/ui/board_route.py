"""The board table's two routes, answered from the view's current snapshot.

`GET gradio_api/board-data/<suite>?g=<generation>`: the board's payload (`board_view.payload_for`),
gzip-compressed once per board and generation (`LeaderboardView.encoded_payload`). Inline in
the page (as the component's value) it would travel uncompressed in every page load (35 MB
at 100,000 models) and stay in the server's memory as JSON text; here it is encoded once,
sent with `Content-Encoding: gzip` (8 MB at 100,000) and cached by the browser for good: a
new generation is a new URL. A board above `LEADERBOARD_BROWSER_ROWS` models gets a payload
without values: its columns and the grammar only.

`GET gradio_api/board-rows/<suite>?g=<generation>&offset=N&limit=M&<query parameters>`: a window of
the rows a query shows, for such a board. The query parameters are the page's (its URL's,
as `to_params` writes them), read strictly: the page only sends values the grammar accepts,
so anything else is refused (400, with the grammar's message). The positions a query keeps
are kept for the next windows of the same query (scrolling asks for one window after the
other), so a window costs a slice, not a query.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict

import numpy as np
import orjson

from leaderboard.errors import LeaderboardError, UnknownNameError
from leaderboard.query import Query, query_positions, visible_columns
from leaderboard.suites import Suite, get_suite
from leaderboard.table.columns import board_columns, ci_key
from leaderboard.ui.board_payload import columns_payload
from leaderboard.ui.board_view import WINDOW_ROWS, linkable
from leaderboard.ui.limits import ASGIApp, Receive, Scope, Send, query_params, send_bytes

# Under Gradio's API prefix: with server-side rendering (GRADIO_SSR_MODE, the default on a
# Space) a Node server answers every other path with the page, and forwards only a few
# prefixes, this one among them, to Python.
ROUTE = "/gradio_api/board-data/"
ROWS_ROUTE = "/gradio_api/board-rows/"
MAX_WINDOW_ROWS = 1000  # the most one request gets
_KEPT_QUERIES = 16  # queries whose positions are kept (a 100,000-row query: 400 kB)
_JSON = [(b"content-type", b"application/json")]


def board_url(suite: str, generation: int) -> str:
    """Relative to the page, so that it works under a proxy's root path (a Space)."""
    return f"gradio_api/board-data/{suite}?g={generation}"


def rows_url(suite: str, generation: int) -> str:
    return f"gradio_api/board-rows/{suite}?g={generation}"


class BoardData:
    """ASGI middleware answering ROUTE and ROWS_ROUTE."""

    def __init__(self, app: ASGIApp, *, view) -> None:
        self.app = app
        self.view = view  # a LeaderboardView: its loader's snapshot, its payloads
        self._lock = threading.Lock()
        self._positions: OrderedDict[tuple, np.ndarray] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        route = next((r for r in (ROUTE, ROWS_ROUTE) if path.startswith(r)), None)
        if route is None or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        try:
            suite = get_suite(path[len(route) :].strip("/"))
        except UnknownNameError as exc:
            await send_bytes(send, 404, str(exc).encode(), [(b"content-type", b"text/plain")])
            return
        params = query_params(scope)
        snapshot = self.view.loader.snapshot
        # The URL names the generation: the same URL is always the same board.
        fresh = params.pop("g", "") == str(snapshot.generation)
        cache = b"private, max-age=31536000, immutable" if fresh else b"no-store"
        head = scope["method"] == "HEAD"
        if route == ROUTE:
            body = await asyncio.to_thread(self.view.encoded_payload, suite, snapshot)
            headers = [*_JSON, (b"content-encoding", b"gzip"), (b"vary", b"accept-encoding")]
            await send_bytes(
                send, 200, b"" if head else body, [*headers, (b"cache-control", cache)]
            )
            return
        try:
            body = await asyncio.to_thread(self._window, suite, snapshot, params)
        except LeaderboardError as exc:
            await send_bytes(send, 400, orjson.dumps({"error": str(exc)}), _JSON)
            return
        await send_bytes(send, 200, b"" if head else body, [*_JSON, (b"cache-control", cache)])

    def _window(self, suite: Suite, snapshot, params: dict[str, str]) -> bytes:
        offset = _count(params.pop("offset", "0"), "offset", 10**9)
        limit = _count(params.pop("limit", str(WINDOW_ROWS)), "limit", MAX_WINDOW_ROWS)
        intervals = params.pop("ci", "") == "1"
        query = Query.from_values(params, suite, strict=True).query
        board = snapshot.board(suite.name)
        positions = self._kept_positions(suite, snapshot, query, board)
        keys = visible_columns(suite, query)
        carried = list(keys)
        if intervals:  # the ± toggle: each shown score's interval travels beside it
            known = {c.key for c in board_columns(suite)}
            carried += [ci_key(key) for key in keys if ci_key(key) in known]
        rows = board.iloc[positions[offset : offset + limit]]
        return orjson.dumps(
            {
                "total": len(positions),
                "offset": offset,
                "keys": keys,
                "columns": columns_payload(rows, suite, carried, part=True),
                "linkable": linkable(rows),
                "precision": rows["precision"].astype(str).tolist(),  # for the model links
            }
        )

    def _kept_positions(self, suite: Suite, snapshot, query: Query, board) -> np.ndarray:
        key = (suite.name, snapshot.generation, query)
        with self._lock:
            positions = self._positions.get(key)
            if positions is not None:
                self._positions.move_to_end(key)
                return positions
        positions = query_positions(board, suite, query).astype(np.int32)
        with self._lock:
            self._positions[key] = positions
            while len(self._positions) > _KEPT_QUERIES:
                self._positions.popitem(last=False)
        return positions


def _count(text: str, name: str, most: int) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or int(text) > most:
        raise LeaderboardError(f"`{name}` must be a whole number from 0 to {most:,}.")
    return int(text)
