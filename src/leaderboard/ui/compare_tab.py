"""The Compare tab: two to four models side by side (`?compare=org/a,org/b`)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from leaderboard.comparison import MAX_COMPARE_CHARS, Comparison, load_comparison
from leaderboard.errors import LeaderboardError
from leaderboard.ui.compare_page import radar, render_comparison
from leaderboard.ui.model_page import render_message
from leaderboard.ui.model_tab import ModelView

INTRO = (
    "Type two to four models, separated by commas: `org/a, org/b` (`org/a@bfloat16` picks "
    "a precision)."
)


# Runs in the page before the server's callback: the address bar becomes the view's link.
COMPARE_URL_JS = """(models, board) => {
  const url = new URL(window.location.href);
  url.search = "?" + new URLSearchParams({ compare: models || "" }).toString();
  window.history.replaceState(null, "", url.toString());
  return [models, board];
}"""


@dataclass
class CompareTab:
    models: gr.Textbox
    page: gr.HTML
    chart: gr.Plot


class CompareView:
    def __init__(self, model_view: ModelView):
        self.model_view = model_view  # its loader and its samples reader

    def comparison(self, names, board: str = "") -> Comparison:
        loader = self.model_view.loader
        snapshot = loader.snapshot
        suite = snapshot.shown_suite(board)
        return load_comparison(
            snapshot, suite, names, loader.results_store, self.model_view.reader.read
        )

    def show(self, names: str, board: str):
        try:
            comparison = self.comparison(names or "", board)
        except LeaderboardError as exc:
            return render_message(str(exc)), gr.Plot(value=None, visible=False)
        return render_comparison(comparison), gr.Plot(value=radar(comparison), visible=True)


def build_compare_tab(compare_view: CompareView, board: gr.Radio) -> CompareTab:
    with gr.Row():
        models = gr.Textbox(
            label="Models",
            placeholder="org/a, org/b",
            max_lines=1,
            max_length=MAX_COMPARE_CHARS,
            scale=4,
            elem_id="compare-models",
        )
        button = gr.Button("Compare", variant="primary", elem_id="compare-go")
    page = gr.HTML(render_message(INTRO), elem_id="compare-page")
    chart = gr.Plot(visible=False, elem_id="compare-chart", label="Scores")
    gr.on(
        [button.click, models.submit],
        compare_view.show,
        inputs=[models, board],
        outputs=[page, chart],
        js=COMPARE_URL_JS,
        api_visibility="private",
    )
    return CompareTab(models, page, chart)
