"""The Leaderboard tab: its controls, and the board table they drive in the page.

The table is the instant board (`board_view.py`): the controls' changes run in the browser
(`APPLY_JS`), which keeps the view in the URL. The server's callbacks only send what the
page lacks: a shared link's settings into the controls, another board's payload, a newer
generation's. Searching, filtering and sorting live in `leaderboard.query` (and in its
JavaScript twin, `static/board_query.js`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import gradio as gr

from leaderboard.query import (
    CHOICES,
    HIDE_OPTIONS,
    MODEL_TYPE_CHOICES,
    SEARCH_MAX_CHARS,
    SIZE_BUCKETS,
    Query,
)
from leaderboard.suites import Suite, get_suite
from leaderboard.table import Snapshot, TableLoader, board_columns, default_visible_keys
from leaderboard.ui.board_payload import encode_payload
from leaderboard.ui.board_route import board_url, rows_url
from leaderboard.ui.board_view import APPLY_JS, as_value, instant_board, payload_for
from leaderboard.ui.safe import warn
from leaderboard.ui.texts import SEARCH_PLACEHOLDER

ALL_TYPES = CHOICES["type"]
ALL_PRECISIONS = CHOICES["precision"]
ALL_WEIGHT_TYPES = CHOICES["weight_type"]
DESCENDING, ASCENDING = "descending", "ascending"


def column_choices(suite: Suite) -> list[tuple[str, str]]:
    return [(c.label, c.key) for c in board_columns(suite) if not c.pinned]


def column_values(suite: Suite, keys: tuple[str, ...] | None = None) -> list[str]:
    """The Columns box's value: the chosen (default: the suite's visible) non-pinned keys.

    Pinned columns are always shown and are not choices; a value outside the choices makes
    Gradio refuse every event that reads the box."""
    chosen = default_visible_keys(suite) if keys is None else keys
    return [key for _, key in column_choices(suite) if key in chosen]


def sort_choices(suite: Suite) -> list[tuple[str, str]]:
    return [(c.label, c.key) for c in board_columns(suite) if c.key != "rank"]


@dataclass
class LeaderboardTab:
    """The tab's widgets; `inputs` are in the order the callbacks take them."""

    board: gr.Radio
    search: gr.Textbox
    model_types: gr.CheckboxGroup
    precisions: gr.CheckboxGroup
    weight_types: gr.CheckboxGroup
    sizes: gr.CheckboxGroup
    params_min: gr.Number
    params_max: gr.Number
    hide: gr.CheckboxGroup
    columns: gr.CheckboxGroup
    sort: gr.Dropdown
    order: gr.Radio
    intervals: gr.Checkbox  # the ± toggle (`ci=1`): scores with their 95% interval
    table: gr.HTML
    generation: gr.State

    @property
    def inputs(self) -> list:
        return [
            self.board,
            self.search,
            self.model_types,
            self.precisions,
            self.weight_types,
            self.sizes,
            self.params_min,
            self.params_max,
            self.hide,
            self.columns,
            self.sort,
            self.order,
            self.intervals,
        ]


class LeaderboardView:
    """Callbacks of the tab, bound to a loader whose snapshot may be refreshed at any time."""

    def __init__(self, loader: TableLoader, *, browser_rows: int):
        self.loader = loader
        self.browser_rows = browser_rows  # boards up to this many rows live in the browser
        self._lock = threading.Lock()
        self._encoded: dict[str, tuple[int, bytes]] = {}  # suite -> (generation, gzip)

    def encoded_payload(self, suite: Suite, snapshot: Snapshot | None = None) -> bytes:
        """`payload_dict` gzip-encoded, once per board and generation whoever asks first
        (0.6 s at 50,000 models: `serve` encodes the first board before anyone asks)."""
        snapshot = snapshot or self.loader.snapshot
        with self._lock:
            cached = self._encoded.get(suite.name)
            if cached is None or cached[0] != snapshot.generation:
                cached = (snapshot.generation, encode_payload(self.payload_dict(suite, snapshot)))
                self._encoded[suite.name] = cached
            return cached[1]

    def payload_dict(self, suite: Suite, snapshot: Snapshot | None = None) -> dict:
        """The board whole, or (above `browser_rows` rows) where to ask for its windows."""
        snapshot = snapshot or self.loader.snapshot
        board = snapshot.board(suite.name)
        windows = (
            rows_url(suite.name, snapshot.generation) if len(board) > self.browser_rows else None
        )
        return payload_for(board, suite, default_board=snapshot.default_suite, rows_url=windows)

    def switch_payload(self, board: str) -> str:
        return self.payload(get_suite(board))

    def refreshed_payload(self, board: str, generation: int):
        """(payload, generation) when the table changed since the page got its board; the
        page then redraws it with the view it shows (the query lives in its URL)."""
        snapshot = self.loader.snapshot
        if generation == snapshot.generation:
            return gr.skip(), gr.skip()
        suite = snapshot.shown_suite(board)
        return self.payload(suite), snapshot.generation

    def payload(self, suite: Suite) -> str:
        """The component's value: where the page fetches the board (`board_route.py`)."""
        generation = self.loader.snapshot.generation
        return as_value({"url": board_url(suite.name, generation), "suite": suite.name})

    def switch_board(self, board: str):
        """A new board has other benchmark columns: reset the column and sort choices."""
        suite = get_suite(board)
        return (
            gr.CheckboxGroup(choices=column_choices(suite), value=column_values(suite)),
            gr.Dropdown(choices=sort_choices(suite), value="average"),
        )

    def on_load(self, generation: int, request: gr.Request):
        """Apply a shared URL's parameters; refresh a page built before the latest data."""
        snapshot = self.loader.snapshot
        params = dict(request.query_params) if request else {}
        intervals = params.pop("ci", "") == "1"
        if "model" in params:  # a model page's link: its precision names the model's
            params.pop("precision", None)
        if not params and not intervals and generation == snapshot.generation:
            return [gr.skip()] * 15
        suite = snapshot.shown_suite(params.get("board"))
        read = Query.from_values(params, suite, strict=False)
        query = read.query
        if read.ignored:  # the rest of the link still applies
            warn("Some of this link's settings were ignored: " + " ".join(read.ignored))
        # The page applies the link itself; send it a board it lacks.
        fresh = suite.name != snapshot.default_suite or generation != snapshot.generation
        table = self.payload(suite) if fresh else gr.skip()
        return [
            gr.Radio(
                choices=board_choices(self.loader),
                value=suite.name,
                visible=len(snapshot.board_order) > 1,
            ),
            query.search,
            list(query.model_types) if query.model_types is not None else ALL_TYPES,
            list(query.precisions) if query.precisions is not None else ALL_PRECISIONS,
            list(query.weight_types) if query.weight_types is not None else ALL_WEIGHT_TYPES,
            list(query.sizes),
            query.params_min,
            query.params_max,
            list(query.hide),
            gr.CheckboxGroup(
                choices=column_choices(suite), value=column_values(suite, query.columns)
            ),
            gr.Dropdown(choices=sort_choices(suite), value=query.sort),
            DESCENDING if query.descending else ASCENDING,
            intervals,
            table,
            snapshot.generation,
        ]


def board_choices(loader: TableLoader) -> list[tuple[str, str]]:
    snapshot = loader.snapshot
    return [(get_suite(name).title, name) for name in snapshot.board_order]


def build_leaderboard_tab(view: LeaderboardView) -> LeaderboardTab:
    """Lay out the tab (inside an open `gr.Tab`) and wire its events."""
    loader = view.loader
    snapshot = loader.snapshot
    suite = get_suite(snapshot.default_suite or "v2")

    board = gr.Radio(
        choices=board_choices(loader),
        value=suite.name,
        label="Board",
        visible=len(snapshot.board_order) > 1,
        elem_id="board",
    )
    search = gr.Textbox(
        placeholder=SEARCH_PLACEHOLDER,
        show_label=False,
        elem_id="search",
        max_lines=1,
        max_length=SEARCH_MAX_CHARS,  # the server refuses longer ones with a message too
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            model_types = gr.CheckboxGroup(
                choices=[(t.value, t.short) for t in MODEL_TYPE_CHOICES],
                value=ALL_TYPES,
                label="Model types",
                elem_id="filter-types",
            )
            with gr.Row():
                precisions = gr.CheckboxGroup(
                    choices=ALL_PRECISIONS,
                    value=ALL_PRECISIONS,
                    label="Precision",
                    elem_id="filter-precision",
                )
                weight_types = gr.CheckboxGroup(
                    choices=ALL_WEIGHT_TYPES,
                    value=ALL_WEIGHT_TYPES,
                    label="Weight type",
                    elem_id="filter-weight-type",
                )
        with gr.Column(scale=2):
            sizes = gr.CheckboxGroup(
                choices=[(b.label, b.key) for b in SIZE_BUCKETS],
                label="Size",
                elem_id="filter-size",
            )
            with gr.Row():
                params_min = gr.Number(label="Min #params (B)", minimum=0, elem_id="params-min")
                params_max = gr.Number(label="Max #params (B)", minimum=0, elem_id="params-max")
            hide = gr.CheckboxGroup(
                choices=[(label, key) for key, label in HIDE_OPTIONS.items()],
                label="Hide",
                elem_id="filter-hide",
            )
    with gr.Accordion("Columns and sorting", open=False, elem_id="columns-accordion"):
        columns = gr.CheckboxGroup(
            choices=column_choices(suite),
            value=column_values(suite),
            label="Columns",
            elem_id="columns",
        )
        with gr.Row():
            sort = gr.Dropdown(
                choices=sort_choices(suite), value="average", label="Sort by", elem_id="sort"
            )
            order = gr.Radio(
                choices=[DESCENDING, ASCENDING], value=DESCENDING, label="Order", elem_id="order"
            )
            intervals = gr.Checkbox(
                value=False,
                label="± 95% interval on scores",
                info="Rows that share a rank (overlapping intervals) are drawn as one band.",
                elem_id="show-ci",
            )
    table = instant_board(view.payload(suite))
    generation = gr.State(snapshot.generation)
    tab = LeaderboardTab(
        board,
        search,
        model_types,
        precisions,
        weight_types,
        sizes,
        params_min,
        params_max,
        hide,
        columns,
        sort,
        order,
        intervals,
        table,
        generation,
    )

    triggers = [
        search.submit,
        # Not `search.input`: Gradio's Textbox sends it on key presses only, so deleting text
        # (Backspace, cut) or pasting would leave the table filtered by the old search.
        search.change,
        model_types.input,
        precisions.input,
        weight_types.input,
        sizes.input,
        params_min.submit,
        params_min.blur,
        params_max.submit,
        params_max.blur,
        hide.input,
        columns.input,
        sort.input,
        order.input,
        intervals.input,
    ]
    # Filters, search and sort run in the page: no server call per click.
    gr.on(triggers, None, inputs=tab.inputs, js=APPLY_JS, api_visibility="private")
    board.input(
        view.switch_board, inputs=board, outputs=[columns, sort], api_visibility="private"
    ).then(view.switch_payload, inputs=board, outputs=table, api_visibility="private")
    return tab


def wire_page_load(demo: gr.Blocks, tab: LeaderboardTab, view: LeaderboardView) -> None:
    outputs = [*tab.inputs, tab.table, tab.generation]
    demo.load(
        view.on_load,
        inputs=tab.generation,
        outputs=outputs,
        show_progress="hidden",
        api_visibility="private",
    )
