"""A comparison (`comparison.Comparison`) as HTML and a radar chart, for the Compare tab.

As on the model page, every text is escaped and the only links are the Hub page of a
well-formed id and this app's own views (`query.app_link`).
"""

from __future__ import annotations

import plotly.graph_objects as go

from leaderboard.compare import Difference, radar_figure
from leaderboard.comparison import PAIRED_IDS_SHOWN, Comparison, PairedTask
from leaderboard.query import app_link
from leaderboard.ui.safe import escaped as _e

CSS = """
#compare-page table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-size: 0.92rem; }
#compare-page th, #compare-page td { padding: 0.2rem 0.6rem; text-align: left;
  vertical-align: top; border-bottom: 1px solid var(--border-color-primary); }
#compare-page td.num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
#compare-page .sig { font-weight: 600; }
#compare-page .muted { color: var(--body-text-color-subdued); }
#compare-page th { word-break: break-all; }
"""


def _difference(difference: Difference | None) -> str:
    if difference is None or difference.difference is None:
        return ""
    text = f"{difference.difference:+.2f}"
    if difference.half_width is not None:
        text += f" ± {difference.half_width:.2f}"
    if difference.significant is True:
        title = "The 95% interval of the difference excludes 0."
        return f'<br><span class="sig" title="{title}">{text} significant</span>'
    title = "The 95% interval of the difference holds 0."
    return f'<br><span class="muted" title="{title}">{text} not significant</span>'


def _model_header(comparison: Comparison, index: int) -> str:
    model = comparison.models[index]
    link = app_link(model=model.model, precision=model.precision, board=comparison.suite)
    hub = ""
    if model.hub_url:
        hub = f' <a href="{_e(model.hub_url)}" target="_blank" rel="noopener noreferrer">↗</a>'
    precision = f'<span class="muted">{_e(model.precision)}</span>'
    return f'<a href="{_e(link)}">{_e(model.model)}</a> {precision}{hub}'


def render_comparison(comparison: Comparison) -> str:
    heads = "".join(
        f"<th>{_model_header(comparison, i)}</th>" for i in range(len(comparison.models))
    )
    rows = []
    for score in comparison.scores:
        cells = []
        for index, value in enumerate(score.scores):
            interval = score.intervals[index]
            text = "" if value is None else f"{value:.2f}"
            if value is not None and interval is not None:
                text += f" ± {interval:.2f}"
            cells.append(f'<td class="num">{text}{_difference(score.differences[index])}</td>')
        rows.append(f"<tr><th>{_e(score.label)}</th>{''.join(cells)}</tr>")
    first = _e(comparison.models[0].model)
    table = (
        f"<p>Each score with its 95% interval; below the others' scores, their difference "
        f"from {first} and whether it is significant (its 95% interval excludes 0).</p>"
        f"<table><thead><tr><th>Benchmark</th>{heads}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return table + _paired(comparison)


def _ids(comparison: Comparison, task: PairedTask, side: int, ids: tuple[int, ...]) -> str:
    model = comparison.models[0 if side == 0 else task.other]
    links = []
    for doc in ids[:PAIRED_IDS_SHOWN]:
        href = app_link(
            model=model.model,
            precision=model.precision,
            board=comparison.suite,
            task=task.paths[side],
            sample=str(doc),
        )
        links.append(f'<a href="{_e(href)}">{doc}</a>')
    more = "" if len(ids) <= PAIRED_IDS_SHOWN else " …"
    return ", ".join(links) + more


def _paired(comparison: Comparison) -> str:
    if not comparison.paired:
        return (
            '<h3>Paired samples</h3><p class="muted">No task has per-sample files of both the '
            "first model and another one: the paired view needs both.</p>"
        )
    first = comparison.models[0].model
    rows = []
    for task in comparison.paired:
        other = comparison.models[task.other].model
        if task.test is None:
            rows.append(
                f"<tr><td>{_e(task.task)}</td><td>{_e(other)}</td>"
                f'<td colspan="6" class="muted">{_e(task.note)}</td></tr>'
            )
            continue
        test = task.test
        verdict = "significant" if test.significant else "not significant"
        rows.append(
            f"<tr><td>{_e(task.task)}</td><td>{_e(other)}</td><td>{_e(task.metric)}</td>"
            f'<td class="num">{test.n:,}</td><td class="num">{test.agreement:.1%}</td>'
            f"<td>{_e(test.method)}: p = {test.p_value:.3g}, {verdict}</td>"
            f"<td>{test.only_a_count:,}: {_ids(comparison, task, 0, test.only_a)}</td>"
            f"<td>{test.only_b_count:,}: {_ids(comparison, task, 1, test.only_b)}</td></tr>"
        )
    heads = (
        "<th>Task</th><th>Against</th><th>Metric</th><th>Samples</th><th>Agree</th>"
        f"<th>Paired test</th><th>{_e(first)} right, other wrong</th>"
        "<th>Other right, first wrong</th>"
    )
    return (
        "<h3>Paired samples</h3><p>On the samples both models answered: how often they agree, "
        "a paired test of the difference (McNemar's exact test for right/wrong metrics, else a "
        "paired bootstrap), and the samples where one is right and the other wrong (each "
        "opens in the viewer).</p>"
        f"<table><thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def radar(comparison: Comparison) -> go.Figure:
    series = [
        (
            f"{model.model} ({model.precision})",
            [(score.label, score.scores[index]) for score in comparison.scores[1:]],
        )
        for index, model in enumerate(comparison.models)
    ]
    return radar_figure(series)
