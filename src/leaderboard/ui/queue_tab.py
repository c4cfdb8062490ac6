"""The Queue tab: the signed-in user's submissions, then running, pending, finished and failed
requests with counts. Read-only; refreshed on load, by a timer and after each submission."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from leaderboard.domain import Status
from leaderboard.table import TableLoader
from leaderboard.table.queue import (
    QUEUE_COLUMNS,
    UNREADABLE_COLUMNS,
    queue_groups,
    submissions_of,
    unreadable_rows,
)

TITLES = {
    Status.RUNNING: "🔄 Running",
    Status.PENDING: "⏳ Pending",
    Status.FINISHED: "✅ Finished",
    Status.FAILED: "❌ Failed",
}


SHOWN = 200  # rows per section sent to the browser (a real queue holds thousands)


def queue_sections(loader: TableLoader) -> list[tuple[str, pd.DataFrame]]:
    """(title with count, labelled rows) for every status, in the order of TITLES."""
    requests = loader.snapshot.requests
    counts = requests["status"].value_counts()
    groups = queue_groups(requests, limit=SHOWN)
    sections = []
    for status, title in TITLES.items():
        total = int(counts.get(status.value, 0))
        count = f"{total:,}" + (f", newest {SHOWN} shown" if total > SHOWN else "")
        sections.append((f"{title} ({count})", groups[status].rename(columns=QUEUE_COLUMNS)))
    return sections


def unreadable_section(loader: TableLoader) -> tuple[str, pd.DataFrame]:
    """(title with count, rows) of the files left out because they could not be read."""
    rows = unreadable_rows(loader.snapshot.skipped)
    title = f"⚠️ Unreadable files ({len(rows):,}): left out of the board and the queue"
    return title, rows.head(SHOWN).rename(columns=UNREADABLE_COLUMNS)


def queue_updates(loader: TableLoader) -> list:
    updates = []
    for title, rows in queue_sections(loader):
        updates += [gr.Accordion(label=title), gr.Dataframe(value=rows)]
    title, rows = unreadable_section(loader)
    updates += [gr.Accordion(label=title, visible=len(rows) > 0), gr.Dataframe(value=rows)]
    return updates


def make_my_submissions(loader: TableLoader, anonymous_sender: str | None):
    """The callback that lists the signed-in user's submissions (the anonymous sender's when
    nobody is signed in and anonymous submissions are accepted)."""

    def my_submissions(profile: gr.OAuthProfile | None = None):
        sender = profile.username if profile is not None else anonymous_sender
        if sender is None:
            return gr.Accordion(label="📬 My submissions (sign in to see them)"), gr.Dataframe(
                value=pd.DataFrame(columns=list(QUEUE_COLUMNS.values()))
            )
        rows = submissions_of(loader.snapshot.requests, sender).rename(columns=QUEUE_COLUMNS)
        return gr.Accordion(label=f"📬 My submissions ({len(rows)})"), gr.Dataframe(value=rows)

    return my_submissions


def build_my_submissions() -> list:
    """An accordion with the user's own requests; returns its output components."""
    with gr.Accordion(label="📬 My submissions", open=True, elem_id="queue-mine") as accordion:
        table = gr.Dataframe(interactive=False, max_height=300, wrap=True)
    return [accordion, table]


def build_queue_tab(loader: TableLoader) -> list:
    """Lay out the status sections; returns their output components (for refreshes)."""
    outputs = []
    for status, (title, rows) in zip(TITLES, queue_sections(loader), strict=True):
        with gr.Accordion(
            label=title, open=status is not Status.FINISHED, elem_id=f"queue-{status.value.lower()}"
        ) as accordion:
            table = gr.Dataframe(value=rows, interactive=False, max_height=400, wrap=True)
        outputs += [accordion, table]
    title, rows = unreadable_section(loader)
    with gr.Accordion(
        label=title, open=False, visible=len(rows) > 0, elem_id="queue-unreadable"
    ) as accordion:
        # Plain-text cells: paths and reasons quote what the files hold.
        table = gr.Dataframe(value=rows, interactive=False, max_height=300, wrap=True)
    return [*outputs, accordion, table]
