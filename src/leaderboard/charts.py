"""The Charts view's figures: a board's rows (after the query) in, plotly figures out.

Pure: no gradio, no I/O. Four figures, each built from the board's stable keys:

- *Metrics through time*: the best score per benchmark (and the Average) among the models
  submitted up to each day (`running_best`), with the human baselines the Open LLM
  Leaderboard published for its v1 benchmarks (`HUMAN_BASELINES`; none exist for v2).
- *Score against parameter count*, one trace per model type, with the Pareto frontier
  (`pareto_mask`): the models no other model beats on both size and score.
- *Score against output speed* (`tokens_per_second`, by `hardware`), and *CO₂ cost against
  score* (`co2_kg`): the same scatter, each with its own frontier; a chart with nothing to
  draw says why instead of showing empty axes.

A scatter above MAX_POINTS models draws a deterministic sample (`sample_mask`) that always
keeps the frontier and the BEST_KEPT best models, and says so in its subtitle; above
WEBGL_ABOVE points a figure draws with WebGL (`Scattergl`), below it with SVG, which needs
no WebGL and is sharper. Every text plotly shows is escaped (`compare.plotly_text`): model
names are hostile input. A point's `customdata` is the link to its model page
(`?model=&precision=&board=`), set only for a well-formed repo id; the page opens it on click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from leaderboard.compare import plotly_text
from leaderboard.domain import ModelType
from leaderboard.domain.names import is_repo_id
from leaderboard.query import app_link
from leaderboard.suites import Suite

# A scatter of more models than this draws a sample of them: 5,000 WebGL points redraw on a
# zoom or a hover well within a frame, and the figure's JSON stays about 1 MB.
MAX_POINTS = 5_000
BEST_KEPT = 200  # the best models by Average, always drawn (with the frontier)
WEBGL_ABOVE = 1_000  # points in a figure above which it draws with WebGL
NAME_CHARS = 100  # a name is cut in a hover label, as in a board cell
HARDWARE_TRACES = 8  # the most common hardware each get a trace; the rest share one
SPEED_KEY = "tokens_per_second"

# The human baselines of the Open LLM Leaderboard v1, in percent, as its source published
# them: the `human_baseline_row` of `src/display/utils.py` (read in the copy of that code
# at github.com/prometheus-eval/leaderboard), from which its "Metrics through time" plot drew
# its dotted lines. Its Average baseline (92.75) is left out: it is the mean of these six
# and DROP's (96.42), a benchmark the board later dropped, not of the six our Average is of.
# The v2 suite has no published human baselines, so its chart shows none.
HUMAN_BASELINES: dict[str, dict[str, float]] = {
    "v1": {
        "arc": 80.0,
        "hellaswag": 95.0,
        "mmlu": 89.8,
        "truthfulqa": 94.0,
        "winogrande": 94.0,
        "gsm8k": 100.0,
    }
}
_COLORS = qualitative.Plotly
_TYPE_ORDER = {member.value: index for index, member in enumerate(ModelType)}
_FRONTIER = "Pareto frontier"


@dataclass(frozen=True)
class Charts:
    """The four figures of the Charts tab, for one board and one query."""

    time: go.Figure
    params: go.Figure
    speed: go.Figure
    co2: go.Figure


@dataclass(frozen=True)
class Axis:
    key: str
    label: str
    log: bool = False


@dataclass(frozen=True)
class Scatter:
    """One score-against-cost chart: which columns, and which way is better on the cost."""

    title: str
    x: Axis
    y: Axis
    cost: str  # the key of the axis that is a cost
    cost_lower_is_better: bool
    group: str  # `model_type`, or `hardware`
    missing: str  # said instead of an empty plot when no row has both values


PARAMS = Scatter(
    "Score against parameter count",
    Axis("params_b", "#Params (B)", log=True),
    Axis("average", "Average"),
    cost="params_b",
    cost_lower_is_better=True,
    group="model_type",
    missing="No model shown has both a parameter count and an Average.",
)
SPEED = Scatter(
    "Score against output speed",
    Axis(SPEED_KEY, "Output speed (tokens/s, batch size 1)", log=True),
    Axis("average", "Average"),
    cost=SPEED_KEY,
    cost_lower_is_better=False,
    group="hardware",
    missing="No speed measured yet for the models shown.",
)
CO2 = Scatter(
    "CO₂ cost against score",
    Axis("average", "Average"),
    Axis("co2_kg", "CO₂ cost of the evaluation (kg)", log=True),
    cost="co2_kg",
    cost_lower_is_better=True,
    group="model_type",
    missing="No CO₂ cost recorded yet for the models shown.",
)


def build_charts(frame: pd.DataFrame, suite: Suite) -> Charts:
    """The four figures for `frame`: the rows a query kept, with the board's columns. The
    figures share most of their points: each point's label and link is made once, and each
    row's sampling hash is computed once."""
    labels = PointLabels(suite)
    hashes = row_hashes(frame)
    return Charts(
        time=time_figure(frame, suite, labels),
        params=scatter_figure(frame, suite, PARAMS, labels, hashes),
        speed=scatter_figure(frame, suite, SPEED, labels, hashes),
        co2=scatter_figure(frame, suite, CO2, labels, hashes),
    )


# -- pure computations -------------------------------------------------------------------------


def pareto_mask(cost: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Which points are on the Pareto frontier of low cost and high score: no other point
    has a cost lower or equal and a score higher or equal, one of them strictly. Points with
    a NaN are not on it; equal points are both on it (neither beats the other).

    So a point is on it when its score is the best among the points of its cost and higher
    than every score at a lower cost. O(n log n)."""
    cost = np.asarray(cost, dtype="float64")
    score = np.asarray(score, dtype="float64")
    on = np.zeros(len(cost), dtype=bool)
    valid = np.flatnonzero(~(np.isnan(cost) | np.isnan(score)))
    if not len(valid):
        return on
    order = valid[np.lexsort((-score[valid], cost[valid]))]  # cost up, then score down
    costs, scores = cost[order], score[order]
    first = np.r_[True, costs[1:] != costs[:-1]]  # the first point of each cost
    starts, group = np.flatnonzero(first), np.cumsum(first) - 1
    best_of_cost = scores[starts]  # sorted score down within a cost: the first is its best
    best_below = np.r_[-np.inf, np.maximum.accumulate(best_of_cost)[:-1]]
    on[order] = (scores == best_of_cost[group]) & (scores > best_below[group])
    return on


@dataclass(frozen=True)
class RunningBest:
    """One benchmark's best score through time: one row per day with a submission."""

    days: np.ndarray  # datetime64, UTC days, ascending
    best: np.ndarray  # the best score among the models submitted up to that day
    holder: np.ndarray  # position (in the input) of the first model to reach `best`


def running_best(days: np.ndarray, scores: np.ndarray) -> RunningBest:
    """The running maximum of `scores` over `days`: for each day on which some model was
    submitted, the best score among the models submitted up to and including it. Rows with
    no day or no score count for nothing; days before the first score are left out."""
    scores = np.asarray(scores, dtype="float64")
    when = np.asarray(days, dtype="datetime64[ns]")
    keep = np.flatnonzero(~np.isnat(when))
    order = keep[np.argsort(when[keep], kind="stable")]
    values = np.where(np.isnan(scores[order]), -np.inf, scores[order])
    if not len(values):
        return RunningBest(when[:0], values, order)
    best = np.maximum.accumulate(values)
    before = np.r_[-np.inf, best[:-1]]
    # The first model to reach each new best holds it until another beats it.
    holder = np.maximum.accumulate(np.where(values > before, np.arange(len(values)), -1))
    sorted_days = when[order]
    last_of_day = np.flatnonzero(np.r_[sorted_days[1:] != sorted_days[:-1], True])
    last_of_day = last_of_day[best[last_of_day] > -np.inf]
    return RunningBest(
        days=sorted_days[last_of_day],
        best=best[last_of_day],
        holder=order[holder[last_of_day]],
    )


def submission_days(frame: pd.DataFrame) -> np.ndarray:
    """Each row's submission day (UTC, as naive datetime64), NaT where it has none or it
    cannot be read."""
    if "submitted" not in frame:
        return np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]")
    parsed = pd.to_datetime(frame["submitted"], utc=True, errors="coerce", format="ISO8601")
    return parsed.dt.floor("D").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """Each row's (model, precision) hash: the order in which `sample_mask` fills its room."""
    return pd.util.hash_pandas_object(frame[["model", "precision"]], index=False).to_numpy()


def sample_mask(
    frame: pd.DataFrame,
    keep: np.ndarray,
    *,
    limit: int = MAX_POINTS,
    best: int = BEST_KEPT,
    hashes: np.ndarray | None = None,
) -> np.ndarray:
    """At most about `limit` rows to draw: every row of `keep` (the frontier), the `best`
    rows by Average, and the rest filled by the rows whose (model, precision) hash lowest.

    Deterministic, and about stable under filtering: a model sampled at one filter is
    sampled again at a narrower one (no model that hashes lower can be added), unless the
    narrower board's frontier and best take more of the `limit`. `hashes`: `row_hashes`
    of `frame`, when the caller has them."""
    n = len(frame)
    if n <= limit:
        return np.ones(n, dtype=bool)
    chosen = np.asarray(keep, dtype=bool).copy()
    average = frame["average"].to_numpy(dtype="float64", na_value=np.nan)
    ranked = np.where(np.isnan(average), -np.inf, average)
    chosen[np.argpartition(-ranked, min(best, n) - 1)[:best]] = True
    room = limit - int(chosen.sum())
    if room > 0:
        hashes = row_hashes(frame) if hashes is None else hashes
        hashes = np.where(chosen, np.iinfo(np.uint64).max, hashes)
        chosen[np.argpartition(hashes, room - 1)[:room]] = True
    return chosen


# -- texts ------------------------------------------------------------------------------------


def model_link(model: str, precision: str, suite: Suite) -> str | None:
    """The model page's link (what a click opens), only for a well-formed repo id."""
    return (
        app_link(model=model, precision=precision, board=suite.name) if is_repo_id(model) else None
    )


class PointLabels:
    """Each (model, precision)'s hover label and model page link, made once for all the
    figures of one drawing."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self._made: dict[tuple[str, str], tuple[str, str | None]] = {}

    def __call__(self, model: str, precision: str) -> tuple[str, str | None]:
        made = self._made.get((model, precision))
        if made is None:
            label = f"{shown_name(model)} ({shown_name(precision)})"
            made = self._made[(model, precision)] = (
                label,
                model_link(model, precision, self.suite),
            )
        return made


def shown_name(value: str) -> str:
    """A name from a file as plotly shows it: cut to NAME_CHARS, then escaped."""
    if len(value) > NAME_CHARS:
        value = value[: NAME_CHARS - 1] + "…"
    return plotly_text(value)


def _layout(
    figure: go.Figure, title: str, notes: Sequence[str], suite: Suite, **layout: object
) -> None:
    """The layout every chart shares: its title over its notes, hover on the nearest point,
    and the reader's zoom kept across a refresh (`uirevision`)."""
    figure.update_layout(
        title={"text": plotly_text(title), "subtitle": {"text": " · ".join(filter(None, notes))}},
        hovermode="closest",
        height=480,
        uirevision=suite.name,
        **layout,
    )


def _message(title: str, text: str) -> go.Figure:
    """A chart with nothing to draw: the reason, in the middle, with no axes."""
    figure = go.Figure()
    figure.update_layout(
        title={"text": plotly_text(title)},
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": plotly_text(text),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 15},
            }
        ],
        height=420,
    )
    return figure


# -- the figures --------------------------------------------------------------------------------


def time_figure(frame: pd.DataFrame, suite: Suite, labels: PointLabels | None = None) -> go.Figure:
    """Metrics through time: one step line per benchmark and the Average, with the human
    baseline of each benchmark that has a published one as a dotted line of its colour."""
    title = "Metrics through time: the best score up to each submission date"
    labels = labels or PointLabels(suite)
    days = submission_days(frame)
    dated = int((~np.isnat(days)).sum())
    if not dated:
        return _message(title, "No model shown has a submission date.")
    order = np.argsort(days, kind="stable")  # once: each series' own sort is then linear
    days = days[order]
    series = [("average", "Average"), *((b.key, b.label) for b in suite.benchmarks)]
    baselines = HUMAN_BASELINES.get(suite.name, {})
    figure = go.Figure()
    colors = {key: _COLORS[index % len(_COLORS)] for index, (key, _) in enumerate(series)}
    runs = {}
    for key, _ in series:
        if key in frame:
            runs[key] = running_best(
                days, frame[key].to_numpy(dtype="float64", na_value=np.nan)[order]
            )
    many = sum(len(run.days) for run in runs.values()) > WEBGL_ABOVE
    trace = go.Scattergl if many else go.Scatter
    for key, label in series:
        if key not in runs:
            continue
        run = runs[key]
        holders = list(
            zip(
                frame["model"].iloc[order[run.holder]].astype(str),
                frame["precision"].iloc[order[run.holder]].astype(str),
                strict=True,
            )
        )
        since = np.datetime_as_string(days[run.holder], unit="D")
        held = [labels(model, precision) for model, precision in holders]
        hover = [
            f"{plotly_text(label)}: {best:.2f}<br>best since {day}: {name}"
            for best, day, (name, _) in zip(run.best, since, held, strict=True)
        ]
        figure.add_trace(
            trace(
                x=run.days,
                y=run.best,
                name=plotly_text(label),
                mode="lines+markers",
                line={"shape": "hv", "color": colors[key], "width": 3 if key == "average" else 2},
                marker={"size": 5},
                hovertext=hover,
                hoverinfo="text",
                customdata=[link for _, link in held],
            )
        )
    shapes, annotations = _baselines(baselines, dict(series), colors)
    notes = [f"{dated:,} models by submission day"]
    if dated < len(frame):
        notes.append(f"{len(frame) - dated:,} without a submission date left out")
    if baselines:
        notes.append("dotted: human baselines published by the Open LLM Leaderboard v1")
    _layout(
        figure,
        title,
        notes,
        suite,
        xaxis={"title": {"text": "Submission date"}},
        yaxis={"title": {"text": "Best score"}, "range": [0, 105]},
        shapes=shapes,
        annotations=annotations,
    )
    return figure


def _baselines(
    baselines: dict[str, float], labels: dict[str, str], colors: dict
) -> tuple[list[dict], list[dict]]:
    """(shapes, annotations): a dotted line across the plot per human baseline, in its
    benchmark's colour; benchmarks with the same baseline share one line and one label, and
    labels alternate sides so that near ones do not overlap. (Written as layout entries:
    `add_hline` costs ~20 ms a line.)"""
    by_value: dict[float, list[str]] = {}
    for key, value in baselines.items():
        if key in labels:
            by_value.setdefault(value, []).append(key)
    shapes, annotations = [], []
    for index, (value, keys) in enumerate(sorted(by_value.items())):
        color = colors[keys[0]] if len(keys) == 1 else "#666666"
        names = " · ".join(plotly_text(labels[key]) for key in keys)
        left = index % 2 == 0
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": value,
                "y1": value,
                "line": {"dash": "dot", "color": color, "width": 1},
            }
        )
        annotations.append(
            {
                "text": f"{names} human baseline ({value:g})",
                "xref": "paper",
                "x": 0 if left else 1,
                "xanchor": "left" if left else "right",
                "yref": "y",
                "y": value,
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 10, "color": color},
            }
        )
    return shapes, annotations


def _groups(drawn: pd.DataFrame, key: str) -> tuple[list[str], np.ndarray]:
    """(trace names, each drawn row's trace): model types in the enum's order; hardware by
    how common, the HARDWARE_TRACES most common each a trace and the rest one."""
    if key not in drawn:
        return ["all models"], np.zeros(len(drawn), dtype=int)
    values = drawn[key].astype(object).where(drawn[key].notna(), "").astype(str)
    values = values.where(values != "", "unknown")
    if key == "model_type":
        names = sorted(set(values), key=lambda v: (_TYPE_ORDER.get(v, len(_TYPE_ORDER)), v))
    else:
        counts = values.value_counts(sort=True)
        names = [str(v) for v in counts.index[:HARDWARE_TRACES]]
        if len(counts) > HARDWARE_TRACES:
            names.append("other hardware")
    position = {name: index for index, name in enumerate(names)}
    other = len(names) - 1
    return names, np.array([position.get(v, other) for v in values], dtype=int)


def scatter_figure(
    frame: pd.DataFrame,
    suite: Suite,
    chart: Scatter,
    labels: PointLabels | None = None,
    hashes: np.ndarray | None = None,
) -> go.Figure:
    """One score-against-cost chart: a trace per group, the frontier drawn over them.
    `hashes`: `row_hashes(frame)`, when the caller has them."""
    if chart.x.key not in frame or chart.y.key not in frame:
        return _message(chart.title, chart.missing)
    x = frame[chart.x.key].to_numpy(dtype="float64", na_value=np.nan)
    y = frame[chart.y.key].to_numpy(dtype="float64", na_value=np.nan)
    drawable = ~(np.isnan(x) | np.isnan(y))
    for axis, values in ((chart.x, x), (chart.y, y)):
        if axis.log:
            drawable &= values > 0
    total, left_out = len(frame), int((~drawable).sum())
    if not drawable.any():
        return _message(chart.title, chart.missing)
    needed = dict.fromkeys(("model", "precision", "average", chart.group))  # ordered, once
    rows = frame[[key for key in needed if key in frame]][drawable]  # not every column
    x, y = x[drawable], y[drawable]
    cost, score = (x, y) if chart.cost == chart.x.key else (y, x)
    cost = cost if chart.cost_lower_is_better else -cost  # lower is better from here on
    frontier = pareto_mask(cost, score)
    hashes = None if hashes is None else hashes[drawable]
    positions = np.flatnonzero(sample_mask(rows, frontier, hashes=hashes))
    drawn = rows.iloc[positions]  # only these get texts: at most about MAX_POINTS
    x, y, cost, frontier = x[positions], y[positions], cost[positions], frontier[positions]
    trace = go.Scattergl if len(positions) > WEBGL_ABOVE else go.Scatter
    hover, links = _point_texts(drawn, chart, labels or PointLabels(suite))
    template = _hover_template(chart)

    def points(members: np.ndarray, **style: object):
        return trace(
            x=x[members],
            y=y[members],
            hovertext=hover[members],
            hovertemplate=template,
            customdata=links[members],
            **style,
        )

    names, group = _groups(drawn, chart.group)
    figure = go.Figure()
    for index, name in enumerate(names):
        members = np.flatnonzero(group == index)
        if len(members):
            color = _COLORS[index % len(_COLORS)]
            figure.add_trace(
                points(
                    members,
                    name=shown_name(name),
                    mode="markers",
                    marker={"size": 7, "color": color, "opacity": 0.75},
                )
            )
    edge = np.flatnonzero(frontier)
    figure.add_trace(
        points(
            edge[np.argsort(cost[edge])],
            name=_FRONTIER,
            mode="lines+markers",
            line={"color": "#111111", "width": 1.5},
            marker={"size": 11, "symbol": "circle-open", "color": "#111111"},
        )
    )
    notes = [
        f"showing {len(positions):,} of {len(rows):,} models: a sample plus the frontier "
        f"and the {BEST_KEPT:,} best"
        if len(positions) < len(rows)
        else f"{len(rows):,} models"
    ]
    if left_out:
        notes.append(f"{left_out:,} of {total:,} without both values left out")
    notes.append("click a point to open its model page")
    _layout(figure, chart.title, notes, suite, xaxis=_axis(chart.x), yaxis=_axis(chart.y))
    return figure


def _axis(axis: Axis) -> dict:
    return {"title": {"text": plotly_text(axis.label)}, "type": "log" if axis.log else "linear"}


def _point_texts(
    drawn: pd.DataFrame, chart: Scatter, labels: PointLabels
) -> tuple[np.ndarray, ...]:
    """Hover text and link (None: no page to open) of each drawn point, as object arrays;
    the trace's `hovertemplate` adds the point's values (`_hover_template`)."""
    models = drawn["model"].astype(str).tolist()
    precisions = drawn["precision"].astype(str).tolist()
    groups = drawn[chart.group].astype(str).tolist() if chart.group in drawn else None
    shown_groups: dict[str, str] = {}  # types and hardware: a handful of values, escaped once
    hover = np.empty(len(drawn), dtype=object)
    links = np.empty(len(drawn), dtype=object)
    for i, (model, precision) in enumerate(zip(models, precisions, strict=True)):
        text, links[i] = labels(model, precision)
        if groups is not None:
            if groups[i] not in shown_groups:
                shown_groups[groups[i]] = shown_name(groups[i])
            text += f"<br>{shown_groups[groups[i]]}"
        hover[i] = text
    return hover, links


def _hover_template(chart: Scatter) -> str:
    """The point's text, then its values. plotly.js substitutes `%{hovertext}` once, so a
    name holding `%{x}` is shown as written."""
    x, y = plotly_text(chart.x.label), plotly_text(chart.y.label)
    return f"%{{hovertext}}<br>{x}: %{{x:,.2f}}<br>{y}: %{{y:,.2f}}<extra></extra>"
