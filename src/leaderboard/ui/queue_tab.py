"""The Queue tab: finished, running, pending and failed requests, with counts. Read-only."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from leaderboard.domain import Status
from leaderboard.table import TableLoader
from leaderboard.table.queue import QUEUE_COLUMNS, queue_groups

TITLES = {
    Status.RUNNING: "🔄 Running",
    Status.PENDING: "⏳ Pending",
    Status.FINISHED: "✅ Finished",
    Status.FAILED: "❌ Failed",
}


def queue_sections(loader: TableLoader) -> list[tuple[str, pd.DataFrame]]:
    """(title with count, labelled rows) for every status, in the order of TITLES."""
    groups = queue_groups(loader.snapshot.requests)
    return [
        (f"{title} ({len(groups[status])})", groups[status].rename(columns=QUEUE_COLUMNS))
        for status, title in TITLES.items()
    ]


def queue_updates(loader: TableLoader) -> list:
    updates = []
    for title, rows in queue_sections(loader):
        updates += [gr.Accordion(label=title), gr.Dataframe(value=rows)]
    return updates


def build_queue_tab(loader: TableLoader) -> list:
    """Lay out the tab; returns its output components (for refreshing on load and by timer)."""
    outputs = []
    for status, (title, rows) in zip(TITLES, queue_sections(loader), strict=True):
        with gr.Accordion(
            label=title, open=status is not Status.FINISHED, elem_id=f"queue-{status.value.lower()}"
        ) as accordion:
            table = gr.Dataframe(value=rows, interactive=False, max_height=400, wrap=True)
        outputs += [accordion, table]
    return outputs
