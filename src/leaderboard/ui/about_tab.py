"""The About tab: what is measured, how scores are computed, how to reproduce, how to cite."""

from __future__ import annotations

import gradio as gr

from leaderboard.suites import get_suite
from leaderboard.table import TableLoader
from leaderboard.ui.texts import FAQ, benchmarks_markdown, reproduce_command


def build_about_tab(loader: TableLoader, configured_suite: str) -> None:
    """One section per board the stores hold (the configured suite's first)."""
    names = list(loader.snapshot.board_order)
    if configured_suite not in names:
        names.append(configured_suite)
    for name in names:
        suite = get_suite(name)
        with gr.Accordion(suite.title, open=name == names[0]):
            gr.Markdown(benchmarks_markdown(suite))
            gr.Markdown("### Reproduce a result\nRun lm-evaluation-harness with:")
            # Textboxes, not gr.Code: its editor is the page's largest script, loaded (and
            # parsed) before the first paint of the board even though this tab is closed.
            for label, chat_template in (
                ("Base models", False),
                ("Models evaluated with their chat template", True),
            ):
                command = reproduce_command(suite, chat_template=chat_template)
                gr.Textbox(
                    command,
                    label=label,
                    lines=command.count("\n") + 1,
                    interactive=False,
                    buttons=["copy"],
                    elem_classes=["command"],
                )
            if suite.citation:
                gr.Textbox(
                    suite.citation,
                    label="Citation",
                    lines=8,
                    interactive=False,
                    buttons=["copy"],
                    elem_classes=["citation"],
                )
    gr.Markdown(FAQ)
