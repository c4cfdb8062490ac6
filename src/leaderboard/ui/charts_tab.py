"""The Charts tab: the figures of `leaderboard.charts` for the rows the Leaderboard tab shows.

The Leaderboard tab's search and filters run in the page, but its widgets keep their values,
so the charts read them as the page does (`APPLY_JS` -> `from_values`, lenient) and run the
same query on the server. They are drawn when the tab is opened, and again when new data
arrives while it is open (the board's generation changes); never while it is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import gradio as gr

from leaderboard.charts import Charts, build_charts
from leaderboard.errors import LeaderboardError
from leaderboard.query import Query, query_positions
from leaderboard.table import TableLoader
from leaderboard.ui.leaderboard_tab import LeaderboardTab
from leaderboard.ui.safe import warn

INTRO = (
    "The models the **Leaderboard** tab's search and filters keep, drawn four ways. Hover a "
    "point for its model; click it to open the model's page. A chart of more models than it "
    "can draw point by point shows a sample that always holds the Pareto frontier and the "
    "best models, and says so under its title."
)

# Runs in the page before the first drawing: a click on a point whose `customdata` is a
# model page's link (`charts.model_link`) opens it as a click on a board name does
# (`links.py`'s `leaderboardOpenModel`). Plotly's click is an event of the plot's own
# emitter, not of the DOM, so each plot gets the listener once it exists; Gradio redraws a
# plot in the same element (`Plotly.react`), which keeps it.
CLICKS_JS = """(board, search, types, precisions, weightTypes, sizes, low, high, hide) => {
  if (!window.leaderboardChartClicks) {
    window.leaderboardChartClicks = true;
    const open = (event) => {
      const href = event && event.points && event.points[0] && event.points[0].customdata;
      if (typeof href !== "string" || !href.startsWith("?")) return;
      const params = new URLSearchParams(href.slice(1));
      if (window.leaderboardOpenModel) {
        window.leaderboardOpenModel(params.get("model"), params.get("precision"), href);
      } else {
        window.location.assign(href);
      }
    };
    let queued = false;
    const attach = () => {
      queued = false;
      for (const plot of document.querySelectorAll("#charts-plots .js-plotly-plot")) {
        if (plot.dataset.lbClick || typeof plot.on !== "function") continue;
        plot.dataset.lbClick = "1";
        plot.on("plotly_click", open);
      }
    };
    new MutationObserver(() => {
      if (!queued) { queued = true; requestAnimationFrame(attach); }
    }).observe(document.body, { childList: true, subtree: true });
  }
  return [board, search, types, precisions, weightTypes, sizes, low, high, hide];
}"""

# On new data: whether the charts are on screen (a hidden tab's element has no offsetParent).
SHOWN_JS = """(shown, board, search, types, precisions, weightTypes, sizes, low, high, hide) => [
  document.querySelector("#charts-plots")?.offsetParent != null,
  board, search, types, precisions, weightTypes, sizes, low, high, hide,
]"""


@dataclass(frozen=True)
class ChartsTab:
    note: gr.Markdown
    time: gr.Plot
    params: gr.Plot
    speed: gr.Plot
    co2: gr.Plot

    @property
    def outputs(self) -> list:
        return [self.note, self.time, self.params, self.speed, self.co2]


def filters(tab: LeaderboardTab) -> list:
    """The Leaderboard tab's widgets that choose rows, in `ChartsView.draw`'s order."""
    return [
        tab.board,
        tab.search,
        tab.model_types,
        tab.precisions,
        tab.weight_types,
        tab.sizes,
        tab.params_min,
        tab.params_max,
        tab.hide,
    ]


@dataclass(frozen=True)
class ChartsView:
    loader: TableLoader

    def charts(
        self, board, search, types, precisions, weight_types, sizes, low, high, hide
    ) -> tuple[Charts, str]:
        """The figures and a one-line note for the filter widgets' values."""
        snapshot = self.loader.snapshot
        suite = snapshot.shown_suite(board)
        values = {  # as APPLY_JS hands them to the page's engine; None: no filter
            "search": search or "",
            "type": types,
            "precision": precisions,
            "weight_type": weight_types,
            "size": sizes,
            "hide": hide,
            "params": [low, high],
        }
        read = Query.from_values(values, suite, strict=False)
        if read.ignored:
            warn("Some of the Leaderboard tab's settings were ignored: " + " ".join(read.ignored))
        rows = snapshot.board(suite.name)
        kept = rows.take(query_positions(rows, suite, read.query))
        note = (
            f"{len(kept):,} of the {len(rows):,} models of the board *{suite.title}* match the "
            "Leaderboard tab's search and filters."
        )
        return build_charts(kept, suite), note

    def draw(self, *values) -> list:
        try:
            charts, note = self.charts(*values)
        except LeaderboardError as exc:
            warn(str(exc))
            return [gr.skip()] * len(fields(ChartsTab))
        return [note, charts.time, charts.params, charts.speed, charts.co2]

    def redraw_if_shown(self, shown: bool, *values) -> list:
        return self.draw(*values) if shown else [gr.skip()] * len(fields(ChartsTab))


def build_charts_tab(view: ChartsView, tab: LeaderboardTab) -> ChartsTab:
    """The "📈 Charts" tab (inside an open `gr.Tabs`), wired to the Leaderboard tab's filters."""
    with gr.Tab("📈 Charts", id="charts") as charts_tab:
        gr.Markdown(INTRO)
        note = gr.Markdown(elem_id="charts-note")
        with gr.Column(elem_id="charts-plots"):
            with gr.Row():
                time = gr.Plot(elem_id="charts-time", show_label=False)
                params = gr.Plot(elem_id="charts-params", show_label=False)
            with gr.Row():
                speed = gr.Plot(elem_id="charts-speed", show_label=False)
                co2 = gr.Plot(elem_id="charts-co2", show_label=False)
        # SHOWN_JS sets it to whether the charts are on screen. (Not a gr.State: the server
        # keeps a State's value and would ignore the one the page sends.)
        shown = gr.Checkbox(False, visible=False)
    built = ChartsTab(note, time, params, speed, co2)
    charts_tab.select(
        view.draw,
        inputs=filters(tab),
        outputs=built.outputs,
        js=CLICKS_JS,
        api_visibility="private",
    )
    tab.generation.change(
        view.redraw_if_shown,
        inputs=[shown, *filters(tab)],
        outputs=built.outputs,
        js=SHOWN_JS,
        show_progress="hidden",
        api_visibility="private",
    )
    return built
