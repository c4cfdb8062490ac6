"""The Charts tab: its pure computations by hand arithmetic, its figures' JSON for known
boards (the embedded demo board and small frames built here), sampling at a large board,
hostile names, and the real app in Chromium following the Leaderboard tab's filters."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import pytest

from conftest import eval_request, write_json
from leaderboard.charts import (
    BEST_KEPT,
    HUMAN_BASELINES,
    MAX_POINTS,
    build_charts,
    pareto_mask,
    running_best,
    sample_mask,
    submission_days,
)
from leaderboard.suites import get_suite
from leaderboard.table import TableLoader
from leaderboard.ui.charts_tab import ChartsView

V1, V2 = get_suite("v1"), get_suite("v2")
CHAT = "💬 chat models (RLHF, DPO, IFT, ...)"
PRETRAINED = "🟢 pretrained"
FINE_TUNED = "🔶 fine-tuned on domain-specific datasets"
FRONTIER = "Pareto frontier"
ALL_TYPES = ["pretrained", "continuously-pretrained", "fine-tuned", "chat", "merge"]
ALL_TYPES += ["multimodal", "other"]
NO_FILTER = ("", "", ALL_TYPES, None, None, [], None, None, [])  # ChartsView.charts' values


def decoded(figure) -> dict:
    """The figure as the page gets it (JSON), numeric arrays decoded from plotly's base64."""

    def plain(value):
        if isinstance(value, dict) and set(value) >= {"dtype", "bdata"}:
            data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            return data.tolist()
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    return plain(json.loads(figure.to_json()))


def traces(figure) -> dict[str, dict]:
    return {trace["name"]: trace for trace in decoded(figure)["data"]}


def board(rows: list[dict], suite=V1) -> pd.DataFrame:
    """A board frame with the columns the charts read; each row's missing values default."""
    defaults = {
        "precision": "bfloat16",
        "model_type": CHAT,
        "submitted": "2024-01-01T00:00:00Z",
        "co2_kg": np.nan,
        **{b.key: np.nan for b in suite.benchmarks},
    }
    return pd.DataFrame([defaults | row for row in rows])


# -- the Pareto frontier -----------------------------------------------------------------------


def test_pareto_frontier_by_hand():
    # (params, average): at 1B nothing is smaller, so 10 is on it; at 2B, 20 > 10 is, 15 is
    # beaten by 20 at the same size; at 3B, 20 is only equal to the 2B model's 20 (beaten: it
    # is larger and no better); at 4B the two 30s tie (neither beats the other: both on
    # it); at 5B, 25 < 30; the NaN rows are on nothing.
    params = [1, 2, 2, 3, 4, 4, 5, np.nan, 6]
    average = [10, 20, 15, 20, 30, 30, 25, 99, np.nan]
    assert pareto_mask(np.array(params), np.array(average)).tolist() == [
        True,
        True,
        False,
        False,
        True,
        True,
        False,
        False,
        False,
    ]


def test_pareto_frontier_edge_cases():
    assert pareto_mask(np.array([]), np.array([])).tolist() == []
    assert pareto_mask(np.array([7.0]), np.array([50.0])).tolist() == [True]
    # Larger and better: both on it; larger and worse: only the small one.
    assert pareto_mask(np.array([1.0, 2.0]), np.array([1.0, 2.0])).tolist() == [True, True]
    assert pareto_mask(np.array([1.0, 2.0]), np.array([2.0, 1.0])).tolist() == [True, False]


# -- the running best through time -------------------------------------------------------------


def test_running_best_per_day_by_hand():
    frame = board(
        [
            {"model": "a/first", "submitted": "2024-01-01T09:00:00Z", "average": 50.0},
            {"model": "a/worse", "submitted": "2024-01-01T18:00:00Z", "average": 40.0},
            {"model": "a/late", "submitted": "2024-01-03T00:00:00Z", "average": 45.0},
            {"model": "a/better", "submitted": "2024-01-02T12:00:00Z", "average": 60.0},
            {"model": "a/tie", "submitted": "2024-01-04T00:00:00Z", "average": 60.0},
            {"model": "a/unscored", "submitted": "2024-01-05T00:00:00Z", "average": np.nan},
            {"model": "a/undated", "submitted": "", "average": 99.0},
        ]
    )
    days = submission_days(frame)
    assert np.isnat(days).tolist() == [False] * 6 + [True]
    run = running_best(days, frame["average"].to_numpy())
    assert [str(day)[:10] for day in run.days] == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
        "2024-01-05",
    ]
    # Day 1: max(50, 40); day 2: 60 arrives; later days keep it (45, an equal 60, nothing).
    assert run.best.tolist() == [50.0, 60.0, 60.0, 60.0, 60.0]
    # The first model to reach a best holds it; an equal score later does not take it over.
    assert [frame["model"][i] for i in run.holder] == [
        "a/first",
        "a/better",
        "a/better",
        "a/better",
        "a/better",
    ]


def test_running_best_starts_at_the_first_score():
    frame = board(
        [
            {"model": "a/x", "submitted": "2024-01-01T00:00:00Z", "arc": np.nan},
            {"model": "a/y", "submitted": "2024-01-02T00:00:00Z", "arc": 30.0},
        ]
    )
    run = running_best(submission_days(frame), frame["arc"].to_numpy())
    assert [str(day)[:10] for day in run.days] == ["2024-01-02"]
    assert run.best.tolist() == [30.0]
    empty = running_best(submission_days(frame.iloc[:0]), np.array([]))
    assert len(empty.days) == len(empty.best) == len(empty.holder) == 0


# -- figures of known boards ---------------------------------------------------------------------


@pytest.fixture
def demo_board(settings) -> pd.DataFrame:
    loader = TableLoader.from_settings(settings)
    loader.load(validate=False)
    return loader.snapshot.board("v1")


def test_figures_of_the_demo_board(demo_board):
    charts = build_charts(demo_board, V1)

    params = traces(charts.params)
    assert list(params) == [FINE_TUNED, CHAT, FRONTIER]  # model types in the enum's order
    assert sorted(params[FINE_TUNED]["x"]) == [10.0, 10.0, 36.0, 53.0]
    assert params[CHAT]["x"] == [10.0] * 8
    assert all(trace["type"] == "scatter" for trace in params.values())  # 12 points: SVG
    # Every other model has 10B and a lower Average, or more parameters and a lower one.
    frontier = params[FRONTIER]
    assert frontier["x"] == [10.0] and frontier["y"] == pytest.approx([74.518333], abs=1e-4)
    assert frontier["hovertext"][0].startswith("jeonsworld/CarbonVillain-en-10.7B-v4 (float16)")
    assert frontier["customdata"] == [
        "?model=jeonsworld%2FCarbonVillain-en-10.7B-v4&precision=float16&board=v1"
    ]

    time = traces(charts.time)
    benchmarks = ["ARC", "HellaSwag", "MMLU", "TruthfulQA", "Winogrande", "GSM8K"]
    assert list(time) == ["Average", *benchmarks]
    average = time["Average"]
    # Submissions on Dec 21 (74.26 twice), 24 (Sakura 74.398), 27 (74.27), 28 (74.278 twice),
    # 30 (CarbonVillain-v4 74.518 among five).
    assert [day[:10] for day in average["x"]] == [
        "2023-12-21",
        "2023-12-24",
        "2023-12-27",
        "2023-12-28",
        "2023-12-30",
    ]
    assert average["y"] == pytest.approx([74.26, 74.398333, 74.398333, 74.398333, 74.518333])
    assert "Sakura-SOLAR-Instruct" in average["hovertext"][2]
    layout = decoded(charts.time)["layout"]
    lines = sorted(shape["y0"] for shape in layout["shapes"])
    # A dotted line per baseline: TruthfulQA and Winogrande (both 94) share one.
    assert lines == sorted(set(HUMAN_BASELINES["v1"].values())) == [80, 89.8, 94, 95, 100]
    labels = {note["text"] for note in layout["annotations"]}
    assert "TruthfulQA · Winogrande human baseline (94)" in labels
    assert all(shape["line"]["dash"] == "dot" for shape in layout["shapes"])
    assert "human baseline" in layout["title"]["subtitle"]["text"]

    # The embedded results record no evaluation time and no speed: each chart says so.
    for figure, text in ((charts.speed, "No speed measured yet"), (charts.co2, "No CO₂ cost")):
        document = decoded(figure)
        assert document["data"] == []
        assert document["layout"]["annotations"][0]["text"].startswith(text)


def test_v2_boards_show_no_human_baseline():
    frame = board([{"model": "a/b", "average": 30.0, "params_b": 7.0, "ifeval": 40.0}], suite=V2)
    layout = decoded(build_charts(frame, V2).time)["layout"]
    assert "shapes" not in layout and "annotations" not in layout
    assert "human" not in json.dumps(layout).lower()


def test_speed_and_co2_charts_of_a_small_board():
    frame = board(
        [
            {"model": "a/fast", "average": 40.0, "params_b": 1.0, "co2_kg": 0.5},
            {"model": "a/slow", "average": 60.0, "params_b": 70.0, "co2_kg": 8.0},
            {"model": "a/mid", "average": 30.0, "params_b": 8.0, "co2_kg": 2.0},
            {"model": "a/unmeasured", "average": 50.0, "params_b": 7.0, "co2_kg": np.nan},
        ]
    )
    frame["tokens_per_second"] = [120.0, 15.0, 60.0, np.nan]
    frame["hardware"] = ["1x H100", "1x H100", "CPU", ""]
    charts = build_charts(frame, V1)

    speed = traces(charts.speed)
    assert list(speed) == ["1x H100", "CPU", FRONTIER]  # the unmeasured model is left out
    assert sorted(speed["1x H100"]["x"]) == [15.0, 120.0]
    # Faster is better: 120 tok/s at 40 and 15 tok/s at 60 are both on it; 60 tok/s at 30
    # is slower than 120 and worse: not. Drawn from the fastest.
    assert speed[FRONTIER]["x"] == [120.0, 15.0]
    subtitle = decoded(charts.speed)["layout"]["title"]["subtitle"]["text"]
    assert "1 of 4 without both values left out" in subtitle

    co2 = traces(charts.co2)
    assert sorted(co2[CHAT]["y"]) == [0.5, 2.0, 8.0]  # CO₂ up the y axis, score along x
    # Less CO₂ and a higher score is better: 0.5 kg at 40 and 8 kg at 60; 2 kg at 30 is not.
    assert sorted(co2[FRONTIER]["y"]) == [0.5, 8.0]

    frame["tokens_per_second"] = np.nan  # the column, never measured
    assert traces(build_charts(frame, V1).speed) == {}
    layout = decoded(build_charts(frame.drop(columns="tokens_per_second"), V1).speed)["layout"]
    assert layout["annotations"][0]["text"] == "No speed measured yet for the models shown."


def test_hostile_names_are_shown_as_text():
    link = "<a href=x>evil</a>"
    image = "<img src=x onerror=alert(1)>"
    frame = board(
        [
            {"model": link, "average": 50.0, "params_b": 7.0, "co2_kg": 1.0},
            {"model": image, "precision": "<b>x</b>", "average": 40.0, "params_b": 7.0},
        ]
    )
    frame["tokens_per_second"] = [10.0, 20.0]
    frame["hardware"] = ["<script>alert(1)</script>", "A & B"]
    charts = build_charts(frame, V1)
    for figure in (charts.time, charts.params, charts.speed, charts.co2):
        raw = figure.to_json()
        for tag in ("<a ", "<img", "<b>", "<script", "</a>"):
            assert tag not in raw
    hover = " ".join(traces(charts.params)[CHAT]["hovertext"])
    assert "&lt;a href=x&gt;evil&lt;/a&gt;" in hover  # plotly.js shows these as `<a href=x>`
    assert "&lt;img src=x onerror=alert(1)&gt; (&lt;b&gt;x&lt;/b&gt;)" in hover
    assert set(traces(charts.speed)) == {"&lt;script&gt;alert(1)&lt;/script&gt;", "A &amp; B"} | {
        FRONTIER
    }
    # Neither is a well-formed repo id: no point links anywhere.
    assert traces(charts.params)[CHAT]["customdata"] == [None, None]


def test_a_long_name_is_cut_in_its_hover():
    frame = board([{"model": "org/" + "x" * 500, "average": 50.0, "params_b": 7.0}])
    hover = traces(build_charts(frame, V1).params)[CHAT]["hovertext"][0]
    assert hover.split(" (")[0] == "org/" + "x" * 95 + "…"


# -- a large board -----------------------------------------------------------------------------


def large_board(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    params = rng.choice([0.5, 1.5, 3.0, 7.0, 8.0, 13.0, 34.0, 70.0], size=n)
    average = np.clip(rng.normal(20 + 4 * np.log(params), 6), 0, 100)
    days = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365, n), "D")
    return pd.DataFrame(
        {
            "model": [f"org-{i % 97}/model-{i}" for i in range(n)],
            "precision": "bfloat16",
            "model_type": rng.choice([CHAT, PRETRAINED, FINE_TUNED], size=n),
            "submitted": days.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "average": average,
            "params_b": params,
            "co2_kg": rng.uniform(0.1, 50, n),
            **{b.key: np.clip(average + rng.normal(0, 5, n), 0, 100) for b in V1.benchmarks},
        }
    )


def test_a_large_board_draws_a_sample_that_keeps_the_frontier_and_the_best():
    frame = large_board(20_000)
    charts = build_charts(frame, V1)
    params = traces(charts.params)
    drawn = [x for name, trace in params.items() if name != FRONTIER for x in trace["x"]]
    assert len(drawn) == MAX_POINTS
    assert all(trace["type"] == "scattergl" for trace in params.values())
    subtitle = decoded(charts.params)["layout"]["title"]["subtitle"]["text"]
    assert f"showing {MAX_POINTS:,} of 20,000 models: a sample plus the frontier" in subtitle

    drawn_names = {
        text.split(" (")[0]
        for name, trace in params.items()
        if name != FRONTIER
        for text in trace["hovertext"]
    }
    frontier = pareto_mask(frame["params_b"].to_numpy(), frame["average"].to_numpy())
    assert set(frame["model"][frontier]) <= drawn_names
    assert len(params[FRONTIER]["x"]) == frontier.sum()
    best = frame.nlargest(BEST_KEPT, "average")["model"]
    assert set(best) <= drawn_names
    # The time chart is aggregated: one point per day per series, never sampled.
    assert all(len(trace["x"]) <= 365 for trace in traces(charts.time).values())


def test_the_sample_is_deterministic_and_stable_under_filtering():
    frame = large_board(12_000, seed=1)
    keep = np.zeros(len(frame), dtype=bool)
    first, again = sample_mask(frame, keep), sample_mask(frame, keep)
    assert np.array_equal(first, again) and first.sum() == MAX_POINTS
    # A narrower board (every other row): what was drawn and is still there is drawn again.
    half = frame.iloc[::2].reset_index(drop=True)
    narrower = sample_mask(half, np.zeros(len(half), dtype=bool))
    before = set(frame["model"][first]) & set(half["model"])
    assert before <= set(half["model"][narrower])
    small = frame.head(100)
    assert sample_mask(small, np.zeros(100, dtype=bool)).all()


# -- the tab's view, in process -------------------------------------------------------------------


def test_the_view_follows_the_leaderboard_filters(settings):
    loader = TableLoader.from_settings(settings)
    loader.load(validate=False)
    view = ChartsView(loader)

    def drawn(*values) -> int:
        charts, _ = view.charts(*values)
        return sum(
            len(trace["x"]) for name, trace in traces(charts.params).items() if name != FRONTIER
        )

    assert drawn(*NO_FILTER) == 12
    only_fine_tuned = list(NO_FILTER)
    only_fine_tuned[2] = ["fine-tuned"]
    assert drawn(*only_fine_tuned) == 4
    searched = list(NO_FILTER)
    searched[1] = "carbonvillain"
    _, note = view.charts(*searched)
    assert note.startswith("5 of the 12 models")
    hidden = list(NO_FILTER)
    hidden[8] = ["moe"]  # the two SOLARC-MOE models (36B and 53B)
    assert drawn(*hidden) == 10
    # New data while the tab is hidden draws nothing; while it is shown, the charts.
    assert all(isinstance(update, type(gr.skip())) for update in view.redraw_if_shown(False))
    assert view.redraw_if_shown(True, *NO_FILTER)[0].startswith("12 of the 12 models")


# -- the real app --------------------------------------------------------------------------------


HOSTILE = "evil/<img src=x onerror=alert(1)>"


def write_hostile_model(settings) -> None:
    """A model named like markup, the smallest and best of the board, into both stores."""
    write_json(
        Path(settings.queue),
        f"{HOSTILE}_eval_request_False_float16_Original.json",
        eval_request(HOSTILE, params=1.0, submitted_time="2024-01-02T00:00:00Z"),
    )
    results = {"arc:challenge": {"acc_norm": 0.99}, "hellaswag": {"acc_norm": 0.99}}
    results |= {"mmlu": {"acc": 0.99}, "truthfulqa:mc": {"mc2": 0.99}}
    results |= {"winogrande": {"acc": 0.99}, "gsm8k": {"acc": 0.99}}
    config = {"model_name": HOSTILE, "model_sha": "0" * 40, "model_dtype": "torch.float16"}
    write_json(
        Path(settings.results),
        f"{HOSTILE}/results_2024-01-02T01-00-00.000000.json",
        {"config": config, "results": results},
    )


@pytest.mark.browser
def test_the_charts_tab_follows_the_board_and_opens_a_model(app_server, settings, browser):
    """Opened: the charts of every model; new results while it is open are drawn (a name of
    markup shown as its characters); a search on the Leaderboard tab narrows them; a click
    on a point opens its model's page."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from test_browser import Visitor

    visitor = Visitor(browser, app_server)
    try:
        page = visitor.open()
        count = """() => {
          const plot = document.querySelector('#charts-params .js-plotly-plot');
          if (!plot || !plot.data) return -1;
          return plot.data.filter((t) => t.name !== 'Pareto frontier')
            .reduce((n, t) => n + t.hovertext.length, 0);
        }"""
        page.locator('[role="tab"][data-tab-id="charts"]').click()
        page.wait_for_function(f"() => ({count})() === 12")
        for chart in ("time", "params", "speed", "co2"):
            page.wait_for_selector(f"#charts-{chart} .js-plotly-plot")
        assert "No speed measured yet" in page.locator("#charts-speed").inner_text()

        write_hostile_model(settings)  # the app refreshes every second
        page.wait_for_function(f"() => ({count})() === 13")
        frontier = page.locator("#charts-params .scatterlayer .trace").last.locator(".point")
        hover = "() => document.querySelector('#charts-params .hoverlayer')?.textContent || ''"
        for _ in range(3):  # a hover during the redraw may be lost: move away and back
            page.mouse.move(0, 0)
            frontier.first.hover(force=True)
            with contextlib.suppress(PlaywrightTimeout):
                page.wait_for_function(f"() => ({hover})().includes('onerror')", timeout=3_000)
                break
        assert f"{HOSTILE} (float16)" in page.evaluate(hover)
        assert page.locator("#charts-plots img, #charts-plots a[href='x']").count() == 0

        page.locator('[role="tab"][data-tab-id="leaderboard"]').click()
        page.locator("#search textarea, #search input").first.fill("carbonvillain")
        page.wait_for_function(
            "() => document.querySelectorAll('#instant-board tbody tr.lb-row').length === 5"
        )
        page.locator('[role="tab"][data-tab-id="charts"]').click()
        page.wait_for_function(f"() => ({count})() === 5")
        assert "5 of the 13 models" in page.locator("#charts-note").inner_text()

        # A click on the frontier's point opens its model's page in the Model tab.
        page.wait_for_function(
            "() => document.querySelector('#charts-params .js-plotly-plot')?.dataset.lbClick"
        )
        frontier.first.click(force=True)
        page.wait_for_selector("#model-page h2")
        assert page.locator("#model-page h2").inner_text() == (
            "jeonsworld/CarbonVillain-en-10.7B-v4"
        )
        assert "model=jeonsworld%2FCarbonVillain-en-10.7B-v4" in page.url
        visitor.check_and_close()
    finally:
        visitor.context.close()
