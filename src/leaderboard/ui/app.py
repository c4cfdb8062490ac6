"""The Gradio app: tabs, API endpoints, and the background refresh of the table."""

from __future__ import annotations

import logging
import os
import threading
from functools import partial

import gradio as gr
from apscheduler.schedulers.background import BackgroundScheduler
from starlette.middleware import Middleware

from leaderboard.config import Settings
from leaderboard.contents import contents_schedule
from leaderboard.submission import ANONYMOUS_SENDER, Submitter, submitter_from_settings
from leaderboard.suites import get_suite
from leaderboard.table import TableLoader
from leaderboard.ui.about_tab import build_about_tab
from leaderboard.ui.api import register_api
from leaderboard.ui.board_route import BoardData
from leaderboard.ui.board_view import PREFETCH_HEAD
from leaderboard.ui.charts_tab import ChartsView, build_charts_tab
from leaderboard.ui.compare_page import CSS as COMPARE_CSS
from leaderboard.ui.compare_tab import CompareView, build_compare_tab
from leaderboard.ui.export_route import BoardExport
from leaderboard.ui.leaderboard_tab import (
    LeaderboardView,
    build_leaderboard_tab,
    wire_page_load,
)
from leaderboard.ui.limits import RequestLimits
from leaderboard.ui.links import OPEN_MODEL_HEAD, wire_links
from leaderboard.ui.model_page import CSS as MODEL_CSS
from leaderboard.ui.model_tab import ModelView, build_model_tab
from leaderboard.ui.queue_tab import (
    build_my_submissions,
    build_queue_tab,
    make_my_submissions,
    queue_updates,
)
from leaderboard.ui.sample_viewer import CSS as SAMPLES_CSS
from leaderboard.ui.store_files import StoreFiles
from leaderboard.ui.submit_tab import build_submit_tab, wire_submit
from leaderboard.ui.texts import INTRODUCTION, TITLE

log = logging.getLogger(__name__)

# Events run at most CONCURRENCY at a time and at most QUEUE_MAX_SIZE wait: a flood gets
# "queue full" answers at once instead of an ever longer wait for everyone. Every event is
# bounded (a search of at most a few terms, a submission whose fields are checked first), so
# the longest wait is QUEUE_MAX_SIZE / CONCURRENCY events of ~100 ms.
CONCURRENCY = 8
QUEUE_MAX_SIZE = 64
MAX_FILE_SIZE = "1kb"  # nothing is uploaded (the route answers 404); a second fence

CSS = (
    """
.citation textarea, .command textarea { font-family: ui-monospace, monospace; font-size: 0.8rem; }
"""
    + MODEL_CSS
    + SAMPLES_CSS
    + COMPARE_CSS
)


def build_app(
    settings: Settings, loader: TableLoader | None = None, submitter: Submitter | None = None
) -> gr.Blocks:
    """The whole app; `loader` is shared with the refresh job (tests pass their own)."""
    loader = loader or TableLoader.from_settings(settings)
    loader.load(validate=False)  # a warm start serves the cached boards; `serve` checks them
    submitter = submitter or submitter_from_settings(settings, loader.queue_store)
    anonymous_sender = ANONYMOUS_SENDER if settings.anonymous_submissions else None
    my_submissions = make_my_submissions(loader, anonymous_sender)
    with gr.Blocks(title="Open LLM Leaderboard", analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRODUCTION}", elem_id="intro")
        with gr.Tabs() as tabs:
            with gr.Tab("🏅 Leaderboard", id="leaderboard"):
                view = LeaderboardView(loader, browser_rows=settings.browser_rows)
                tab = build_leaderboard_tab(view)
            build_charts_tab(ChartsView(loader), tab)  # follows the tab's filters
            with gr.Tab("🔎 Model", id="model"):
                model_view = ModelView(loader)
                model_tab = build_model_tab(model_view, tab.board)
            with gr.Tab("⚖️ Compare", id="compare"):
                compare_view = CompareView(model_view)
                compare_tab = build_compare_tab(compare_view, tab.board)
            with gr.Tab("📝 About", id="about"):
                build_about_tab(loader, settings.suite)
            with gr.Tab("🚀 Submit", id="submit"):
                submit_tab = build_submit_tab(settings, submitter, loader)
            with gr.Tab("🗂️ Queue", id="queue"):
                mine_outputs = build_my_submissions()
                queue_outputs = build_queue_tab(loader)
        refreshes = [
            (lambda: queue_updates(loader), queue_outputs),
            (my_submissions, mine_outputs),
        ]
        wire_submit(submit_tab, submitter, loader, after=refreshes)
        wire_page_load(demo, tab, view)
        wire_links(demo, tabs, model_tab, model_view, compare_tab, compare_view)
        timer = gr.Timer(settings.refresh_seconds) if settings.refresh_seconds else None
        if timer is not None:  # the board in the page follows new data
            timer.tick(
                view.refreshed_payload,
                inputs=[tab.board, tab.generation],
                outputs=[tab.table, tab.generation],
                show_progress="hidden",
                api_visibility="private",
            )
        for refresh, outputs in refreshes:
            demo.load(refresh, outputs=outputs, show_progress="hidden", api_visibility="private")
            if timer is not None:
                timer.tick(
                    refresh, outputs=outputs, show_progress="hidden", api_visibility="private"
                )
        register_api(loader, model_view, compare_view)
    demo.leaderboard_loader = loader  # type: ignore[attr-defined]  # for tests and `serve`
    demo.leaderboard_view = view  # type: ignore[attr-defined]  # the board route reads it
    return demo


def start_schedule(loader: TableLoader, settings: Settings) -> BackgroundScheduler | None:
    """The app's periodic jobs, each never twice at once: fold new and changed files into
    the table every `refresh_seconds`; publish the boards as `contents/` after a change
    (`contents.py`). None when both are off."""
    jobs = []
    if settings.refresh_seconds:
        jobs.append((partial(_refresh, loader), settings.refresh_seconds, "refresh-table"))
    publishing = contents_schedule(loader, settings)
    if publishing is not None:
        jobs.append((publishing.tick, publishing.tick_seconds, "publish-contents"))
    if not jobs:
        return None
    scheduler = BackgroundScheduler(daemon=True)
    for job, seconds, name in jobs:
        scheduler.add_job(job, "interval", seconds=seconds, max_instances=1, coalesce=True, id=name)
    scheduler.start()
    return scheduler


def _watch_and_check(loader: TableLoader, view: LeaderboardView, settings: Settings) -> None:
    """Once the app answers: encode the first board's payload, so that the first page does
    not wait for it; watch local folders (a new file is then on the board within a second;
    watching 100,000 folders takes seconds), then fold in what changed while the app was
    not running (a warm start served the cached boards unchecked)."""
    snapshot = loader.snapshot
    if snapshot.default_suite:
        view.encoded_payload(get_suite(snapshot.default_suite), snapshot)
    if settings.refresh_seconds:
        loader.watch()
    if settings.refresh_seconds or not loader.validated:
        _refresh(loader)


def _refresh(loader: TableLoader) -> None:
    if loader.refresh():
        log.info("Table refreshed: generation %d", loader.snapshot.generation)


def start_worker_in_app(loader: TableLoader, settings: Settings):
    """The evaluation worker inside the app (`LEADERBOARD_WORKER=on`); the table folds in a
    finished evaluation at once instead of at the next refresh."""
    from leaderboard.backend.scheduler import start_worker
    from leaderboard.backend.worker import Worker

    worker = Worker(loader.queue_store, loader.results_store, settings)

    def after(result) -> None:
        loader.refresh()

    return worker, start_worker(worker, interval=settings.worker_interval, after=after)


def use_system_allocator() -> None:
    """Let pyarrow allocate with glibc's malloc instead of its own mimalloc pool, which keeps
    freed pages: for a long-lived process that reads the parquet cache once and then holds
    the table, that is about 40 MB less at 50,000 models (benchmarks/browser_speed.py)."""
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    use_system_allocator()
    demo = build_app(settings)
    loader = demo.leaderboard_loader  # type: ignore[attr-defined]
    view = demo.leaderboard_view  # type: ignore[attr-defined]
    scheduler = start_schedule(loader, settings)
    worker = start_worker_in_app(loader, settings) if settings.worker else None
    try:
        demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_MAX_SIZE).launch(
            prevent_thread_lock=True,  # answer first, then check the cached table (below)
            server_name=host or os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
            server_port=port or int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
            footer_links=["api", "settings"],
            css=CSS,
            head=PREFETCH_HEAD + OPEN_MODEL_HEAD,
            max_file_size=MAX_FILE_SIZE,
            app_kwargs={
                "middleware": [
                    Middleware(RequestLimits),
                    Middleware(BoardData, view=view),  # the instant board's payload
                    Middleware(StoreFiles, store=loader.results_store),  # a model's files
                    Middleware(BoardExport, loader=loader),  # the view as CSV/Parquet/JSON
                ]
            },
        )
        check = threading.Thread(target=_watch_and_check, args=(loader, view, settings))
        check.daemon = True
        check.start()
        demo.block_thread()
    finally:
        if worker is not None:
            from leaderboard.backend.scheduler import stop_worker

            stop_worker(worker[1], worker[0])
        if scheduler is not None:
            scheduler.shutdown(wait=False)
