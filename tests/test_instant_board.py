"""The board table of the Leaderboard tab, driven in headless Chromium against the real app, on
both of its sources: the board held whole in the page (`page`, boards up to
`LEADERBOARD_BROWSER_ROWS` models) and the board queried on the server and fetched window by
window (`windows`, the setting forced to 0). It checks behaviour, not timings: the rows and
their order for every case of the query grammar's table, no Gradio event per click, the URL
kept in step, every row reachable by scrolling, names shown as text."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import copy_demo_stores, start_app, stop_app
from test_browser import SOURCES, Visitor, app_env
from test_query_grammar import CASES, IDS, in_process, url_params
from test_table import EXPECTED_ORDER

READ_JS = """() => {
  const board = document.querySelector('#instant-board .lb-board');
  if (!board || !board.dataset.ready || board.querySelector('tr.lb-loading')) return null;
  const rows = [...board.querySelectorAll('tbody tr.lb-row')];
  const headers = [...board.querySelectorAll('thead th')].map(th => th.innerText.trim());
  const model = headers.indexOf('Model');
  return {
    headers,
    models: rows.map(tr => tr.children[model].querySelector('a.lb-page').innerText),
    links: rows.map(tr => tr.children[model].querySelector('a.lb-hub')?.getAttribute('href')
      ?? null),
    pages: rows.map(tr => tr.children[model].querySelector('a.lb-page').getAttribute('href')),
    count: board.querySelector('.lb-count').innerText,
    total: Number(board.querySelector('table').getAttribute('aria-rowcount')) - 1,
  };
}"""


@pytest.fixture(scope="module", params=list(SOURCES))
def source(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def instant_app(tmp_path_factory, source) -> Iterator[str]:
    root = tmp_path_factory.mktemp(f"instant-{source}")
    queue, results = copy_demo_stores(root)
    process, url = start_app(app_env(queue, results, root) | SOURCES[source])
    yield url
    stop_app(process)


@pytest.fixture
def visitor(browser, instant_app) -> Iterator[Visitor]:
    visitor = Visitor(browser, instant_app)
    yield visitor
    visitor.check_and_close()


def read(page, expected_count: int | None = None) -> dict:
    condition = f"(n) => {{ const r = ({READ_JS})(); return r && (n === null || r.total === n); }}"
    with contextlib.suppress(PlaywrightTimeout):  # the assertions say what is shown instead
        page.wait_for_function(condition, arg=expected_count)
    return page.evaluate(READ_JS)


def test_the_board_is_in_the_page_with_its_links(visitor):
    visitor.page.goto(visitor.base_url)
    shown = read(visitor.page, 12)
    assert shown["models"] == [model for model, _ in EXPECTED_ORDER]
    assert shown["count"] == "Showing 12 of 12 models"
    pairs = zip(shown["models"], shown["links"], strict=True)
    assert all(link == f"https://huggingface.co/{model}" for model, link in pairs)
    assert shown["headers"][:4] == ["Rank", "T", "Model", "Average ⬆️"]


# The page's own: the link applied to the controls, the queue, my submissions, and a link's
# model page or comparison.
LOAD_EVENTS = 4


def test_a_click_filters_in_the_page_without_a_server_call(visitor):
    page = visitor.page
    joins: list[str] = []
    page.on("request", lambda r: joins.append(r.url) if "/queue/join" in r.url else None)
    page.goto(visitor.base_url)
    read(page, 12)
    deadline = time.monotonic() + 20
    while len(joins) < LOAD_EVENTS and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    before = len(joins)
    assert before == LOAD_EVENTS, joins
    page.locator("#filter-precision").get_by_label("bfloat16").uncheck()
    shown = read(page, 10)
    assert "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct" not in shown["models"]
    assert len(shown["models"]) == 10
    page.wait_for_function("() => location.search.includes('precision=')")
    assert len(joins) == before  # the click, the redraw and the URL: all in the page


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_case_of_the_grammar_table_gives_the_servers_rows(visitor, case, request):
    reference = in_process(request.getfixturevalue("grammar_view"), case)
    visitor.page.goto(visitor.base_url + "?" + urlencode(url_params(case)))
    shown = read(visitor.page, len(reference))
    assert shown["models"][: len(reference)] == reference[: len(shown["models"])]
    assert shown["total"] == len(reference)


@pytest.fixture(scope="module")
def grammar_view(tmp_path_factory):
    from leaderboard.config import Settings
    from leaderboard.stores import LocalStore
    from leaderboard.table import TableLoader
    from leaderboard.ui.leaderboard_tab import LeaderboardView

    root = tmp_path_factory.mktemp("instant-reference")
    queue, results = copy_demo_stores(root)
    settings = Settings(queue=str(queue), results=str(results), cache_dir=str(root / "cache"))
    loader = TableLoader(LocalStore(results), LocalStore(queue), settings)
    loader.load()
    return LeaderboardView(loader, browser_rows=50_000)


@pytest.mark.parametrize("source", list(SOURCES))
def test_html_in_names_and_licenses_is_shown_as_text(browser, tmp_path, source):
    from conftest import eval_request, write_json
    from test_browser import IMG, SCRIPT, results_file

    queue, results = copy_demo_stores(tmp_path)
    sha = "1111111111111111111111111111111111111111"
    write_json(results, "evil/model/results_2024-01-01T00-00-00.json", results_file(IMG, sha))
    write_json(queue, "evil/model_eval_request_False_float16_Original.json",
               eval_request(IMG, revision=sha, license=SCRIPT))  # fmt: skip
    process, url = start_app(app_env(queue, results, tmp_path) | SOURCES[source])
    visitor = Visitor(browser, url)
    try:
        page = visitor.page
        page.goto(url + "?search=onerror&columns=license")
        shown = read(page, 1)
        assert shown["models"] == [IMG] and shown["links"] == [None]  # not a Hub id: no link
        # Its page's link holds the name as a URL parameter, encoded.
        assert shown["pages"] == ["?" + urlencode({"model": IMG, "precision": "float16"})]
        board = page.locator("#instant-board")
        assert board.locator("img").count() == 0 and board.locator("script").count() == 0
        assert board.get_by_text(SCRIPT, exact=True).count() == 1
        assert visitor.dialogs == []
    finally:
        visitor.check_and_close()
        stop_app(process)


@pytest.mark.parametrize("source", list(SOURCES))
def test_every_row_of_a_large_board_can_be_scrolled_to(browser, tmp_path, source):
    """3,000 models: the page holds them all (or fetches the windows in view) but draws only
    the rows in view."""
    from leaderboard.demo_data import write_synthetic
    from leaderboard.stores import LocalStore
    from leaderboard.suites import get_suite

    queue, results = tmp_path / "queue", tmp_path / "results"
    write_synthetic(
        3_000, get_suite("v2"), queue=LocalStore(queue), results=LocalStore(results), seed=3
    )
    process, url = start_app(app_env(queue, results, tmp_path) | SOURCES[source])
    visitor = Visitor(browser, url)
    try:
        page = visitor.page
        page.goto(url)
        first = read(page, 3_000)
        assert len(first["models"]) < 100  # virtualized: only the rows in view exist
        page.locator("#instant-board .lb-scroll").evaluate(
            "el => { el.scrollTop = el.scrollHeight; }"
        )
        page.wait_for_function(
            "() => [...document.querySelectorAll('#instant-board tbody tr.lb-row')]"
            ".at(-1)?.getAttribute('aria-rowindex') === '3001'"  # the header is row 1
        )
        last = read(page, 3_000)
        assert last["models"][-1] != first["models"][-1]
        header = page.locator("#instant-board thead th").first
        assert header.is_visible()  # the header sticks while the rows scroll
    finally:
        visitor.check_and_close()
        stop_app(process)


def test_a_header_click_sorts_and_the_next_filter_keeps_that_sort(visitor, grammar_view):
    from test_query_grammar import Case

    page = visitor.page
    page.goto(visitor.base_url)
    read(page, 12)
    likes = page.locator("#instant-board thead th", has_text="Hub ❤️").get_by_role("button")
    likes.click()  # descending first
    expected = in_process(grammar_view, Case("likes", sort="likes"))
    page.wait_for_function("() => location.search.includes('sort=-likes')")
    assert read(page, 12)["models"] == expected
    assert (
        page.locator("#instant-board thead th[aria-sort=descending]")
        .inner_text()
        .startswith("Hub ❤️")
    )
    page.locator("#filter-precision").get_by_label("bfloat16").uncheck()
    narrowed = in_process(grammar_view, Case("f16", sort="likes", precisions=["float16", "8bit",
        "4bit", "GPTQ", "float32", "Unknown"]))  # fmt: skip
    assert read(page, 10)["models"] == narrowed
    assert "sort=-likes" in page.url


@pytest.mark.parametrize("source", list(SOURCES))
def test_new_results_reach_the_board_in_an_open_page(browser, tmp_path, source):
    from test_refresh import NEW, add_model

    queue, results = copy_demo_stores(tmp_path)
    env = app_env(queue, results, tmp_path) | SOURCES[source] | {"LEADERBOARD_REFRESH_SECONDS": "1"}
    process, url = start_app(env)
    visitor = Visitor(browser, url)
    try:
        page = visitor.page
        page.goto(url + "?search=new")
        assert read(page, 0)["models"] == []
        from leaderboard.config import Settings

        add_model(Settings(queue=str(queue), results=str(results)))
        assert read(page, 1)["models"] == [NEW]  # no reload: the page got the new board
        assert "search=new" in page.url
    finally:
        visitor.check_and_close()
        stop_app(process)


def test_the_board_travels_compressed_once_not_inside_the_page(instant_app, source):
    import gzip
    import json
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(instant_app + "config", timeout=30) as response:
        config = response.read().decode()
    assert '\\"storage\\"' not in config and '"storage"' not in config  # no payload inline ...
    assert "gradio_api/board-data/v1?g=" in config  # ... only where to fetch them
    generation = config.split("gradio_api/board-data/v1?g=")[1].split('"')[0].split("\\")[0]
    request = urllib.request.Request(
        f"{instant_app}gradio_api/board-data/v1?g={generation}", headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert "immutable" in response.headers["Cache-Control"]
        payload = json.loads(gzip.decompress(response.read()))
    models = next(c for c in payload["columns"] if c["key"] == "model")["values"]
    if source == "windows":  # the columns and the grammar, not the rows
        assert models == [] and payload["rows"] == 12
        assert payload["remote"]["url"] == f"gradio_api/board-rows/v1?g={generation}"
    else:
        assert models == [model for model, _ in EXPECTED_ORDER]
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{instant_app}gradio_api/board-data/v9", timeout=30)
    assert missing.value.code == 404 and "Unknown suite 'v9'" in missing.value.read().decode()


def get_json(url: str) -> tuple[int, dict]:
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def windows_app(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("windows")
    queue, results = copy_demo_stores(root)
    process, url = start_app(app_env(queue, results, root) | SOURCES["windows"])
    yield url
    stop_app(process)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_window_of_rows_is_the_servers_query(windows_app, grammar_view, case):
    reference = in_process(grammar_view, case)
    params = urlencode({**url_params(case), "offset": 1, "limit": 3})
    status, window = get_json(f"{windows_app}gradio_api/board-rows/v1?{params}")
    assert status == 200, window
    assert window["total"] == len(reference) and window["offset"] == 1
    models = next(c for c in window["columns"] if c["key"] == "model")["values"]
    assert models == reference[1:4]
    assert len(window["linkable"]) == len(models)
    assert [c["key"] for c in window["columns"]] == window["keys"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("precision=float61", "`precision` cannot be `float61`"),
        ("search=" + "x" * 300, "can be at most 200 characters"),
        ("sort=nope", "sort"),
        ("offset=-1", "`offset` must be a whole number"),
        ("limit=5000", "`limit` must be a whole number from 0 to 1,000"),
        ("offset=%C2%B2", "`offset` must be a whole number"),
    ],
)
def test_a_window_of_a_bad_query_is_refused_with_the_grammars_message(windows_app, query, message):
    status, answer = get_json(f"{windows_app}gradio_api/board-rows/v1?{query}")
    assert status == 400
    assert message in answer["error"]


def test_the_board_paints_with_gradios_server_side_rendering(browser, tmp_path):
    """GRADIO_SSR_MODE (the default on a Space): a Node server answers the page and forwards
    only some paths to Python; the board's routes must be among them."""
    import shutil

    assert shutil.which("node"), "SSR needs Node (Debian's nodejs; .ci/run installs it)"
    queue, results = copy_demo_stores(tmp_path)
    env = app_env(queue, results, tmp_path) | {"GRADIO_SSR_MODE": "true"}
    process, url = start_app(env, timeout=120)
    visitor = Visitor(browser, url)
    try:
        visitor.page.goto(url)
        shown = read(visitor.page, 12)
        assert shown["models"] == [model for model, _ in EXPECTED_ORDER]
        status, window = get_json(f"{url}gradio_api/board-rows/v1?search=carbon&limit=2")
        assert status == 200 and window["total"] == 7
    finally:
        visitor.check_and_close()
        stop_app(process)
