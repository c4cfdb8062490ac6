"""The instant board: the Leaderboard tab's table held in the browser (`gr.HTML`).

The board travels once, as the columnar payload of `board_payload.py`; the tab's controls
then run `static/board_query.js` (query.py's grammar, in JavaScript) and
`static/board_view.js` (a virtualized `<table>`) in the page: a click or a search redraws
the rows without a server round trip. A board above `LEADERBOARD_BROWSER_ROWS` models gets a
payload without rows (`payload_for`), and the same view fetches windows of a query's rows
from the server (`board_route.py`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import gradio as gr
import orjson
import pandas as pd

from leaderboard.domain.names import is_repo_id
from leaderboard.suites import Suite
from leaderboard.ui.board_payload import board_payload

STATIC = Path(__file__).parent / "static"
WINDOW_ROWS = 200  # rows per window of a board served by windows: ~6 screens of 34 px rows

TEMPLATE = """
<div class="lb-board">
  <p class="lb-count" role="status" aria-live="polite"></p>
  <p class="lb-export" hidden>Download this view:
    <a class="lb-download" data-format="csv">CSV</a> ·
    <a class="lb-download" data-format="parquet">Parquet</a> ·
    <a class="lb-download" data-format="json">JSON</a></p>
  <p class="lb-message" role="alert" hidden></p>
  <div class="lb-scroll" tabindex="0" role="region" aria-label="Leaderboard rows">
    <table class="lb-table"><thead></thead><tbody></tbody></table>
  </div>
</div>
"""

CSS = """
.lb-scroll { max-height: 70vh; overflow: auto; border: 1px solid var(--border-color-primary); }
.lb-scroll:focus-visible, .lb-table button:focus-visible {
  outline: 2px solid var(--color-accent); }
.lb-table { border-collapse: separate; border-spacing: 0; font-size: 0.92rem;
  width: max-content; }
.lb-table th, .lb-table td { padding: 0 0.6rem; height: 34px; box-sizing: border-box;
  white-space: nowrap; border-bottom: 1px solid var(--border-color-primary); }
.lb-table thead th { position: sticky; top: 0; z-index: 2;
  background: var(--background-fill-secondary); }
.lb-table th button { all: unset; cursor: pointer; font-weight: 600; }
.lb-table th[aria-sort="descending"] button::after { content: " ▼"; }
.lb-table th[aria-sort="ascending"] button::after { content: " ▲"; }
.lb-table .lb-pinned { position: sticky; z-index: 1; background: var(--background-fill-primary); }
.lb-table thead .lb-pinned { z-index: 3; background: var(--background-fill-secondary); }
.lb-table .lb-number { text-align: right; font-variant-numeric: tabular-nums; }
.lb-table .lb-spacer td, .lb-table tr.lb-spacer { border: 0; padding: 0; }
.lb-table .lb-loading td { color: transparent; }
.lb-message { color: var(--error-text-color, #b91c1c); }
.lb-export { font-size: 0.85rem; margin: 0 0 0.4rem; }
.lb-table a.lb-hub { margin-left: 0.35rem; text-decoration: none; }
.lb-table tr.lb-tied td { background: var(--background-fill-secondary); }
.lb-table tr.lb-tied td.lb-pinned { background: var(--background-fill-secondary); }
.lb-table tr.lb-band-start td { border-top: 2px solid var(--border-color-accent, #999); }
"""


@cache
def _script() -> str:
    """The engine, then the view: one js_on_load, no file served, nothing fetched."""
    return (STATIC / "board_query.js").read_text() + "\n" + (STATIC / "board_view.js").read_text()


def payload_for(
    board: pd.DataFrame, suite: Suite, *, default_board: str | None, rows_url: str | None = None
) -> dict:
    """The board's payload, with which model names may be links (decided here, by the same
    rule as every other link: a well-formed Hub id) and which board a URL may leave out.

    With `rows_url` (a board above LEADERBOARD_BROWSER_ROWS models), the payload holds no
    rows: its columns, their dictionaries and the grammar, and where the page asks for
    windows of a query's rows (`board_route.py`)."""
    if rows_url is None:
        payload = board_payload(board, suite) | {"linkable": linkable(board)}
    else:
        window = {"url": rows_url, "rows": WINDOW_ROWS}
        payload = board_payload(board.iloc[:0], suite, part=True)
        payload |= {"rows": len(board), "linkable": [], "remote": window}
    payload["default_board"] = default_board
    return payload


def linkable(rows: pd.DataFrame) -> list[int]:
    """1 where the row's model may be a link to its Hub page."""
    return [int(is_repo_id(str(model))) for model in rows["model"]]


def as_value(payload: dict) -> str:
    """The payload as the component's value: JSON text, parsed once in the page. (An object
    would become a reactive proxy there, every cell read going through it: 5 s to first
    paint on the real board instead of well under one.)"""
    return orjson.dumps(payload).decode()


def instant_board(value: str) -> gr.HTML:
    """`value`: `as_value` of a payload, or of `{"url": ...}` where the page fetches it."""
    return gr.HTML(
        value=value,
        html_template=TEMPLATE,
        css_template=CSS,
        js_on_load=_script(),
        elem_id="instant-board",
        apply_default_css=False,
    )


# In the page's <head> (Gradio adds it once it has read the page's config, before it loads
# the components' code): starts fetching the board named by the instant board's first value,
# so that it has arrived and been parsed when the component mounts (board_view.js's `start`
# takes it). A page with the server-side table has no such component and fetches nothing.
PREFETCH_HEAD = """<script>
(() => {
  const components = (window.gradio_config && window.gradio_config.components) || [];
  const board = components.find((c) => c.props && c.props.elem_id === "instant-board");
  let value = board && board.props.value;
  for (let depth = 0; depth < 2 && typeof value === "string" && value; depth++) {
    try { value = JSON.parse(value); } catch (error) { return; }
  }
  if (!value || typeof value.url !== "string") return;
  const payload = fetch(value.url, { credentials: "same-origin" }).then((response) =>
    response.ok ? response.json() : Promise.reject(response.status));
  payload.catch(() => {});  // the component reports a failure when it takes the payload
  window.leaderboardPrefetch = { url: value.url, payload };
})();
</script>"""

# Runs in the browser on every control change (no server call): the controls' values, in
# LeaderboardTab.inputs order, become URL-style parameters that the engine reads as a link
# would be read (`from_values`, lenient: the controls offer only accepted values).
APPLY_JS = """(board, search, types, precisions, weightTypes, sizes, low, high, hide, columns,
  sort, order, intervals) => {
  const view = window.leaderboardBoard;
  if (!view) return [];
  const params = new URLSearchParams();
  params.set("search", search || "");
  params.set("type", (types || []).join(","));
  params.set("precision", (precisions || []).join(","));
  params.set("weight_type", (weightTypes || []).join(","));
  params.set("size", (sizes || []).join(","));
  params.set("hide", (hide || []).join(","));
  params.set("columns", (columns || []).join(","));
  if (low || high) params.set("params", `${low || ""}-${high || ""}`);
  // The Sort controls' value, unless they did not change since a header click sorted.
  const controls = (order === "ascending" ? "" : "-") + (sort || "average");
  const current = view.state.query;
  const clicked = (current.descending ? "-" : "") + current.sort;
  const keep = view.lastControls !== undefined && view.lastControls === controls;
  view.lastControls = controls;
  params.set("sort", keep ? clicked : controls);
  view.apply(BoardQuery.fromParams(view.payload, params).query, intervals);
  return [];
}"""
