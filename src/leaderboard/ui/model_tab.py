"""The Model tab: one model's page (`?model=org/name&precision=...`) and, below it, the
per-sample viewer of its evaluation (`&task=<samples file>&sample=<doc id>`).

A model name on the board links here; the page is built on the server from the snapshot and
the model's results files (`profile.load_profile`) and sent as escaped HTML.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import gradio as gr

from leaderboard.comparison import task_metric
from leaderboard.errors import LeaderboardError
from leaderboard.profile import ModelProfile, load_profile
from leaderboard.sample_query import Outcome, SamplePage, SampleQuery, view
from leaderboard.samples import TaskSamples
from leaderboard.suites import SUITES
from leaderboard.table import TableLoader
from leaderboard.ui.model_page import render_message, render_profile
from leaderboard.ui.sample_viewer import SampleReader, render_page
from leaderboard.ui.store_files import file_url

MODEL_NAME_CHARS = 300  # a Hub id is at most 96; a local name a little more
INTRO = "Open a model from the board, or type its name (`org/name`)."

# Runs in the page before the server's callback: the address bar becomes the view's link.
MODEL_URL_JS = """(model, precision, board) => {
  const url = new URL(window.location.href);
  const params = new URLSearchParams({ model: model || "" });
  if (precision) params.set("precision", precision);
  url.search = "?" + params.toString();
  window.history.replaceState(null, "", url.toString());
  return [model, precision, board];
}"""


@dataclass
class ModelTab:
    model: gr.Textbox
    precision: gr.Textbox
    page: gr.HTML
    task: gr.Dropdown
    outcome: gr.Radio
    search: gr.Textbox
    sample: gr.Textbox  # a doc id, or empty for every sample
    page_number: gr.Number
    samples: gr.HTML

    @property
    def viewer_inputs(self) -> list:
        return [
            self.model,
            self.task,
            self.outcome,
            self.search,
            self.sample,
            self.page_number,
        ]


def doc_id(text: str | int | None) -> int | None:
    """A doc id typed or linked (`sample=12`): None when empty; LeaderboardError when not a
    whole number."""
    if text is None or isinstance(text, int):
        return text
    text = str(text).strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise LeaderboardError(f"The doc id must be a whole number, not {text[:20]!r}.")
    return int(text)


def scored_view(samples: TaskSamples, query: SampleQuery) -> SamplePage:
    """`view`, judging correct and incorrect by the metric the suites score the task by (the
    board's `acc_norm`, not the file's first metric), unless the query names one."""
    metric = query.metric or task_metric(SUITES.values(), samples.task, samples.metrics)
    return view(samples, replace(query, metric=metric))


class ModelView:
    """Callbacks of the tab; the reader keeps the tasks opened last."""

    def __init__(self, loader: TableLoader):
        self.loader = loader
        self.reader = SampleReader(loader.results_store)

    def profile(self, model: str, precision: str = "", board: str = "") -> ModelProfile:
        snapshot = self.loader.snapshot
        suite = snapshot.shown_suite(board)
        model = (model or "").strip()[:MODEL_NAME_CHARS]
        if not model:
            raise LeaderboardError(INTRO)
        return load_profile(
            snapshot, suite, model, (precision or "").strip(), self.loader.results_store
        )

    def show(self, model: str, precision: str, board: str, task: str = "", sample: str = ""):
        """A model's page, and its viewer reset to the first page of `task` (a samples file;
        default its first) and `sample` (a doc id; default every one): one event, one round
        trip. Yields the outputs `links.open_link` and the Show button set."""
        page, choices, chosen = self.opened(model, precision, board, task)
        tasks = gr.Dropdown(choices=choices, value=chosen)
        for samples in self.sample_pages(model, chosen, Outcome.ALL, "", sample, 1):
            yield page, tasks, Outcome.ALL, "", sample, 1, samples

    def first_page(self, model, path, outcome, search, sample):
        """A new task, outcome, search or doc id: its first page (and the page box at 1)."""
        for samples in self.sample_pages(model, path, outcome, search, sample, 1):
            yield samples, 1

    def opened(self, model: str, precision: str, board: str, task: str = ""):
        """(page HTML, the task choices, the chosen task's file: `task` if it is one)."""
        try:
            profile = self.profile(model, precision, board)
        except LeaderboardError as exc:
            return render_message(str(exc)), [], None
        choices = [(f"{d.task} ({d.stamp})", d.file) for d in profile.details]
        files = [file for _, file in choices]
        chosen = task if task in files else (files[0] if files else None)
        return render_profile(profile, file_url), choices, chosen

    def sample_html(self, model, path, outcome, search, sample, page) -> str:
        """The viewer's page, once the task is read whole."""
        *_, last = self.sample_pages(model, path, outcome, search, sample, page)
        return last

    def sample_pages(
        self,
        model: str,
        path: str | None,
        outcome: str,
        search: str,
        sample: str | int | None,
        page: float | None,
    ) -> Iterator[str]:
        """The viewer's page as HTML; for the first page of every sample of a large task not
        read before, first from its first lines (at once), then from the whole file."""
        if not path:
            yield render_message("Pick a task to see its samples.")
            return
        try:
            query = SampleQuery(
                outcome=outcome or Outcome.ALL,
                search=search or "",
                doc_id=doc_id(sample),
                page=int(page or 1),
            )
            plain = query.outcome is Outcome.ALL and not query.search and query.doc_id is None
            for samples, reading in self.reader.opening(path, (model or "").strip()):
                if reading is not None and not (plain and query.page == 1):
                    continue  # only the whole file answers a filter, a search or a page
                yield render_page(samples, scored_view(samples, query), reading=reading)
        except (LeaderboardError, ValueError, OverflowError) as exc:
            yield render_message(str(exc))


def build_model_tab(model_view: ModelView, board: gr.Radio) -> ModelTab:
    """Lay out the tab (inside an open `gr.Tab`) and wire its events; `board` is the
    Leaderboard tab's board selector (a model is shown from the board shown there)."""
    with gr.Row():
        model = gr.Textbox(
            label="Model",
            placeholder="org/name",
            max_lines=1,
            max_length=MODEL_NAME_CHARS,
            scale=3,
            elem_id="model-name",
        )
        precision = gr.Textbox(
            label="Precision", placeholder="any", max_lines=1, max_length=20, elem_id="model-prec"
        )
        show = gr.Button("Show", variant="primary", elem_id="model-show")
    page = gr.HTML(render_message(INTRO), elem_id="model-page")
    gr.Markdown("### Samples", elem_id="samples-title")
    with gr.Row():
        task = gr.Dropdown(label="Task", choices=[], scale=3, elem_id="sample-task")
        outcome = gr.Radio(
            choices=[o.value for o in Outcome],
            value=Outcome.ALL.value,
            label="Outcome",
            elem_id="sample-outcome",
        )
    with gr.Row():
        search = gr.Textbox(
            label="Search the samples' text",
            max_lines=1,
            max_length=200,
            scale=3,
            elem_id="sample-search",
        )
        sample = gr.Textbox(
            label="Doc id", placeholder="any", max_lines=1, max_length=12, elem_id="sample-doc"
        )
        page_number = gr.Number(
            label="Page", value=1, precision=0, minimum=1, elem_id="sample-page-number"
        )
    samples = gr.HTML(render_message("Pick a task to see its samples."), elem_id="sample-page")
    tab = ModelTab(model, precision, page, task, outcome, search, sample, page_number, samples)

    # Each control is one event (one round trip): a model's page with its viewer reset, a new
    # task, outcome, search or doc id at its first page, another page.
    gr.on(
        [show.click, model.submit, precision.submit],
        model_view.show,
        inputs=[model, precision, board],
        outputs=[page, task, outcome, search, sample, page_number, samples],
        js=MODEL_URL_JS,
        api_visibility="private",
    )
    gr.on(
        [task.input, outcome.input, search.submit, sample.submit],
        model_view.first_page,
        inputs=tab.viewer_inputs[:-1],
        outputs=[samples, page_number],
        trigger_mode="always_last",  # a change while a task opens runs after it, not never
        api_visibility="private",
    )
    page_number.submit(
        model_view.sample_html,
        inputs=tab.viewer_inputs,
        outputs=samples,
        api_visibility="private",
    )
    return tab
