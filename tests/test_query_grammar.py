"""One table of queries through all four entry points: the Leaderboard tab's controls (the
function Gradio runs in the page on their change, `APPLY_JS`), gradio_client `/query`,
`python -m leaderboard table --json`, and a URL opened in Chromium.
Every entry point reads its values with `Query.from_values`; here they must give the same rows
in the same order (and the same as `run_query` in-process)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from gradio_client import Client
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import REPO, copy_demo_stores, start_app, stop_app
from leaderboard.config import Settings
from leaderboard.query import Query, present, run_query
from leaderboard.stores import LocalStore
from leaderboard.suites import get_suite
from leaderboard.table import TableLoader
from leaderboard.ui.board_view import APPLY_JS
from leaderboard.ui.leaderboard_tab import (
    ALL_PRECISIONS,
    ALL_TYPES,
    ALL_WEIGHT_TYPES,
    ASCENDING,
    DESCENDING,
    LeaderboardView,
    column_values,
)
from test_browser import VIEW_IS_JS, Visitor, app_env, count_text, read_view


@dataclass(frozen=True)
class Case:
    """A query in neutral form: None is "not given" (no filter), a list is exactly those."""

    name: str
    search: str = ""
    types: list[str] | None = None
    precisions: list[str] | None = None
    weight_types: list[str] | None = None
    params: tuple[float | None, float | None] = (None, None)
    sizes: list[str] = field(default_factory=list)
    hide: list[str] = field(default_factory=list)
    sort: str = "average"
    descending: bool = True
    expected_count: int = 0


CASES = [
    Case("default", expected_count=12),
    Case("search", search="carbon", expected_count=7),
    Case("alternatives and a field", search="sakura; @license:cc-by-nc-4.0", expected_count=3),
    Case("one precision", precisions=["bfloat16"], expected_count=2),
    Case("one type", types=["fine-tuned"], expected_count=4),
    Case("no type ticked", types=[], expected_count=0),
    Case("every weight type is no filter", weight_types=["Original", "Adapter", "Delta"],
         expected_count=12),
    Case("at least 20B", params=(20, None), expected_count=2),
    Case("a zero bound is no bound", params=(0, 12), expected_count=10),
    Case("a size bucket", sizes=["midrange"], expected_count=12),
    Case("hide two", hide=["moe", "unavailable"], expected_count=8),
    Case("ascending by likes", sort="likes", descending=False, expected_count=12),
    Case("everything at once", search="solar", types=["chat", "fine-tuned"],
         precisions=["float16", "bfloat16"], hide=["flagged"], sort="likes", expected_count=4),
]  # fmt: skip
IDS = [case.name for case in CASES]


def url_params(case: Case) -> dict[str, str]:
    params = {"board": "v1"}
    if case.search:
        params["search"] = case.search
    for name, values in (
        ("type", case.types),
        ("precision", case.precisions),
        ("weight_type", case.weight_types),
    ):
        if values is not None:
            params[name] = ",".join(values)
    low, high = case.params
    if low is not None or high is not None:
        params["params"] = "-".join("" if bound is None else f"{bound:g}" for bound in (low, high))
    if case.sizes:
        params["size"] = ",".join(case.sizes)
    if case.hide:
        params["hide"] = ",".join(case.hide)
    params["sort"] = ("-" if case.descending else "") + case.sort
    return params


def cli_args(case: Case) -> list[str]:
    return [f"--{name.replace('_', '-')}={value}" for name, value in url_params(case).items()]


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("grammar")
    queue, results = copy_demo_stores(root)
    return root, queue, results


@pytest.fixture(scope="module")
def app_url(stores) -> Iterator[str]:
    root, queue, results = stores
    process, url = start_app(app_env(queue, results, root / "app"))
    yield url
    stop_app(process)


@pytest.fixture(scope="module")
def view(stores) -> LeaderboardView:
    root, queue, results = stores
    settings = Settings(queue=str(queue), results=str(results), cache_dir=str(root / "cache"))
    loader = TableLoader(LocalStore(results), LocalStore(queue), settings)
    loader.load()
    return LeaderboardView(loader, browser_rows=50_000)


def in_process(view: LeaderboardView, case: Case) -> list[str]:
    """The reference: the Query built by hand, run in-process."""
    suite = get_suite("v1")
    query = Query(
        search=case.search,
        model_types=None if case.types is None else tuple(case.types),
        precisions=None if case.precisions is None else tuple(case.precisions),
        weight_types=None if case.weight_types is None else tuple(case.weight_types),
        params_min=case.params[0] or None,
        params_max=case.params[1] or None,
        sizes=tuple(case.sizes),
        hide=tuple(case.hide),
        sort=case.sort,
        descending=case.descending,
    )
    board = view.loader.snapshot.board("v1")
    return list(present(run_query(board, suite, query), suite)["Model"])


def through_the_tab(page, case: Case, reference: list[str]) -> list[str]:
    """The controls' values as the tab sends them, through the function their change runs."""
    controls = [
        "v1",
        case.search,
        ALL_TYPES if case.types is None else case.types,
        ALL_PRECISIONS if case.precisions is None else case.precisions,
        ALL_WEIGHT_TYPES if case.weight_types is None else case.weight_types,
        case.sizes,
        case.params[0],
        case.params[1],
        case.hide,
        column_values(get_suite("v1")),
        case.sort,
        DESCENDING if case.descending else ASCENDING,
    ]
    page.evaluate(f"(controls) => ({APPLY_JS})(...controls)", controls)
    with contextlib.suppress(PlaywrightTimeout):  # the comparison says what differs
        page.wait_for_function(VIEW_IS_JS, arg=[reference, count_text(len(reference))])
    return read_view(page).models


def through_the_api(client: Client, case: Case) -> list[str]:
    rows = client.predict(
        search=case.search,
        board="v1",
        model_types=case.types,
        precisions=case.precisions,
        weight_types=case.weight_types,
        params_min=case.params[0],
        params_max=case.params[1],
        sizes=case.sizes,
        hide=case.hide,
        sort=case.sort,
        descending=case.descending,
        api_name="/query",
    )
    return [row["Model"] for row in rows]


def cli_env(stores) -> dict[str, str]:
    root, queue, results = stores
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADERBOARD_")}
    env.update(
        PYTHONPATH=str(REPO / "src"),
        LEADERBOARD_QUEUE=str(queue),
        LEADERBOARD_RESULTS=str(results),
        LEADERBOARD_CACHE_DIR=str(root / "cli-cache"),
    )
    return env


def through_the_cli(stores, case: Case) -> list[str]:
    env = cli_env(stores)
    args = [a.replace("--board=", "--suite=") for a in cli_args(case)]
    done = subprocess.run(
        [sys.executable, "-m", "leaderboard", "table", "--json", *args],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return [row["Model"] for row in json.loads(done.stdout)]


@pytest.fixture(scope="module")
def answers(stores, app_url, view, browser) -> dict[str, dict[str, list[str]]]:
    """Every case through every entry point, once: {case: {entry point: models}}."""
    client = Client(app_url, verbose=False)
    found: dict[str, dict[str, list[str]]] = {}
    for case in CASES:
        reference = in_process(view, case)
        visitor = Visitor(browser, app_url)  # a new visitor per link, as a shared link is
        try:
            page = visitor.page  # not `open`: it waits for a row, and some links show none
            page.goto(app_url + "?" + urlencode(url_params(case)))
            with contextlib.suppress(PlaywrightTimeout):  # the comparison says what differs
                page.wait_for_function(VIEW_IS_JS, arg=[reference, count_text(len(reference))])
            shown = read_view(page).models
            page.goto(app_url)  # the plain board, then the case through its controls
            page.wait_for_function(VIEW_IS_JS, arg=[in_process(view, Case("all")), count_text(12)])
            tab = through_the_tab(page, case, reference)
        finally:
            visitor.check_and_close()  # no warning: every value of these links is valid
        found[case.name] = {
            "in-process": reference,
            "tab": tab,
            "api": through_the_api(client, case),
            "cli": through_the_cli(stores, case),
            "url": shown,
        }
    return found


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_entry_point_gives_the_same_rows(answers, case):
    by_entry = answers[case.name]
    assert len(by_entry["in-process"]) == case.expected_count
    for entry, models in by_entry.items():
        assert models == by_entry["in-process"], entry


def test_a_link_keeps_its_good_values_and_says_which_it_ignored(browser, app_url):
    visitor = Visitor(browser, app_url)
    try:
        page = visitor.open("?board=v1&search=carbon&precision=float16,fp99&sort=-nosuch")
        page.wait_for_function("() => (window.__toasts ?? []).length > 0")
        page.wait_for_function(
            "() => document.querySelector('#instant-board .lb-count')?.innerText"
            ".includes('Showing 7 of 12')"
        )
        (toast,) = visitor.toasts()
        assert "ignored" in toast and "`precision` cannot be `fp99`" in toast
        assert "`sort` cannot be `nosuch`" in toast
        assert all("Carbon" in model for model in read_view(page).models)
        page.evaluate("() => { window.__toasts = []; }")
    finally:
        visitor.check_and_close()


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("--precision=float16,fp99", ["`precision` cannot be `fp99`", "accepted: float16"]),
        ("--params=9-3", ["the minimum 9 is above the maximum 3"]),
        ("--sort=-nosuch", ["`sort` cannot be `nosuch`"]),
    ],
)
def test_strict_entry_points_refuse_what_a_link_would_ignore(stores, app_url, option, words):
    env = cli_env(stores)
    done = subprocess.run(
        [sys.executable, "-m", "leaderboard", "table", "--suite=v1", option],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert all(word in done.stderr for word in words), done.stderr
    name, _, value = option[2:].partition("=")
    arguments = {"precision": {"precisions": value.split(",")}, "params": {}, "sort": {}}[name]
    if name == "params":
        arguments = {"params_min": 9, "params_max": 3}
    if name == "sort":
        arguments = {"sort": "nosuch"}
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as raised:
        Client(app_url, verbose=False).predict(board="v1", api_name="/query", **arguments)
    assert all(word in str(raised.value) for word in words)
