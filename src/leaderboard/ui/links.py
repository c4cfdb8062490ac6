"""Shared links to the model page and the compare view: `?model=org/name&precision=...`
(with `&task=<samples file>&sample=<doc id>` for the viewer) and `?compare=org/a,org/b`.

On page load the link opens its tab, filled in; the board's own parameters are read by the
Leaderboard tab (`leaderboard_tab.on_load`). Typing a model or a list and pressing Show
keeps the address bar in step (the tabs' `*_URL_JS`), so the view can be shared as it is.
"""

from __future__ import annotations

import gradio as gr

from leaderboard.comparison import MAX_COMPARE_CHARS
from leaderboard.ui.compare_tab import CompareTab, CompareView
from leaderboard.ui.model_tab import MODEL_NAME_CHARS, ModelTab, ModelView

# In the page's <head>: a click on a model name on the board opens its page in the Model tab
# without loading the page again (board_view.js calls this; the link's own `href`, the same
# `?model=` link, is what a new tab or a shared link opens). The tab's widgets exist only
# once the tab is shown, so it fills them when they appear, then presses Show, whose
# MODEL_URL_JS keeps the address bar in step; Back shows the board again.
OPEN_MODEL_HEAD = """<script>
(() => {
  const field = (id) => document.querySelector(`#${id} textarea, #${id} input`);
  const selectTab = (id) => document.querySelector(`[role="tab"][data-tab-id="${id}"]`)?.click();
  window.leaderboardOpenModel = (model, precision, href) => {
    history.pushState(null, "", href);
    selectTab("model");
    const started = performance.now();
    const fill = () => {
      const name = field("model-name"), chosen = field("model-prec");
      const show = document.querySelector("#model-show");
      if (!name || !chosen || !show) {
        if (performance.now() - started < 5000) requestAnimationFrame(fill);
        else window.location.assign(href);
        return;
      }
      for (const [input, value] of [[name, model], [chosen, precision]]) {
        input.value = value;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
      requestAnimationFrame(() => show.click()); // once the widgets have taken the values
    };
    fill();
  };
  window.addEventListener("popstate", () => {
    const params = new URLSearchParams(window.location.search);
    if (!params.has("model") && !params.has("compare")) selectTab("leaderboard");
  });
})();
</script>"""


def wire_links(
    demo: gr.Blocks,
    tabs: gr.Tabs,
    model_tab: ModelTab,
    model_view: ModelView,
    compare_tab: CompareTab,
    compare_view: CompareView,
) -> None:
    def open_link(request: gr.Request):
        params = dict(request.query_params) if request else {}
        board = params.get("board", "")
        if "model" in params:
            model = params["model"][:MODEL_NAME_CHARS]
            precision = params.get("precision", "")[:20]
            task, sample = params.get("task", ""), params.get("sample", "")[:12]
            *_, shown = model_view.show(model, precision, board, task, sample)
            return [gr.Tabs(selected="model"), model, precision, *shown, *[gr.skip()] * 3]
        if "compare" in params:
            names = params["compare"][:MAX_COMPARE_CHARS]
            page, chart = compare_view.show(names, board)
            return [gr.Tabs(selected="compare"), *[gr.skip()] * 9, names, page, chart]
        return [gr.skip()] * 13

    outputs = [
        tabs,
        model_tab.model,
        model_tab.precision,
        model_tab.page,
        model_tab.task,
        model_tab.outcome,
        model_tab.search,
        model_tab.sample,
        model_tab.page_number,
        model_tab.samples,
        compare_tab.models,
        compare_tab.page,
        compare_tab.chart,
    ]
    demo.load(open_link, outputs=outputs, show_progress="hidden", api_visibility="private")
