"""The real page in headless Chromium: what a visitor sees after each thing they do.

`python app.py` serves copies of the embedded stores; Playwright drives Debian's Chromium
(never a downloaded browser) and every test reads the rows back from the DOM of the board
table (`#instant-board`), in order, with its count line and, where the view changes, the
address bar (DESIGN.md §7, README "What you can do"). The leaderboard's scenarios run on both
of the table's sources: the board held in the page, and the board fetched window by window
from the server (`LEADERBOARD_BROWSER_ROWS=0`). Each page records JavaScript errors,
Gradio error toasts and dialogs, and fails its test if any appeared; requests that leave the
app's own server are refused.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from conftest import (
    V1_LABELS,
    copy_demo_stores,
    eval_request,
    start_app,
    stop_app,
    write_json,
)
from test_table import EXPECTED_ORDER

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000
ALL = [model for model, _ in EXPECTED_ORDER]  # board order: Average, descending
CARBON = [m for m in ALL if "carbon" in m.lower()]
WEYAXI = {"Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct", "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct-test"}
# Mixtures of experts: tagged `moe` in eval-queue/ (both also have "MOE" in their name);
# no other embedded model is tagged `moe` or has "moe" in its name.
MOE = {"DopeorNope/SOLARC-MOE-10.7Bx6", "DopeorNope/SOLARC-MOE-10.7Bx4"}
FLAGGED = {"DopeorNope/SOLARC-MOE-10.7Bx4"}
BIG = MOE  # 53B and 36B; every other embedded model has 10B
# GSM8K ascending (eval-results/: v1 and 13B-v1 64.29, Bx4 64.37, StopCarbon-v4 64.44,
# Weyaxi 64.67 twice, Bx6 64.90, v3 / StopCarbon-v5 / Sakura 65.20, v2 65.28, v4 65.58);
# equal scores keep the board's order.
GSM8K_ASCENDING = [
    "jeonsworld/CarbonVillain-en-10.7B-v1",
    "jeonsworld/CarbonVillain-en-13B-v1",
    "DopeorNope/SOLARC-MOE-10.7Bx4",
    "kekmodel/StopCarbon-10.7B-v4",
    "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct",
    "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct-test",
    "DopeorNope/SOLARC-MOE-10.7Bx6",
    "jeonsworld/CarbonVillain-en-10.7B-v3",
    "kekmodel/StopCarbon-10.7B-v5",
    "kyujinpy/Sakura-SOLAR-Instruct",
    "jeonsworld/CarbonVillain-en-10.7B-v2",
    "jeonsworld/CarbonVillain-en-10.7B-v4",
]
GSM8K_DESCENDING = [
    "jeonsworld/CarbonVillain-en-10.7B-v4",
    "jeonsworld/CarbonVillain-en-10.7B-v2",
    "jeonsworld/CarbonVillain-en-10.7B-v3",
    "kekmodel/StopCarbon-10.7B-v5",
    "kyujinpy/Sakura-SOLAR-Instruct",
    "DopeorNope/SOLARC-MOE-10.7Bx6",
    "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct",
    "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct-test",
    "kekmodel/StopCarbon-10.7B-v4",
    "DopeorNope/SOLARC-MOE-10.7Bx4",
    "jeonsworld/CarbonVillain-en-10.7B-v1",
    "jeonsworld/CarbonVillain-en-13B-v1",
]
# The carbon models by GSM8K, descending (65.58, 65.28, 65.20, 65.20, 64.44, 64.29, 64.29).
CARBON_BY_GSM8K = [
    "jeonsworld/CarbonVillain-en-10.7B-v4",
    "jeonsworld/CarbonVillain-en-10.7B-v2",
    "jeonsworld/CarbonVillain-en-10.7B-v3",
    "kekmodel/StopCarbon-10.7B-v5",
    "kekmodel/StopCarbon-10.7B-v4",
    "jeonsworld/CarbonVillain-en-10.7B-v1",
    "jeonsworld/CarbonVillain-en-13B-v1",
]
DEFAULT_HEADERS = V1_LABELS  # the embedded data's board is v1
ALL_PRECISIONS = ["float16", "bfloat16", "8bit", "4bit", "GPTQ", "float32", "Unknown"]

# The board table (ui/static/board_view.js): a <table> whose header buttons hold the labels and
# whose rows in view are `tr.lb-row`s (`lb-loading` while their window is being fetched).
READ_TABLE_JS = """() => {
  const root = document.querySelector('#instant-board .lb-board');
  if (!root || !root.dataset.ready || root.querySelector('tr.lb-loading')) return null;
  const headers = [...root.querySelectorAll('thead th')].map(th => th.innerText.trim());
  const rows = [...root.querySelectorAll('tbody tr.lb-row')].map(row => {
    const cells = [...row.children];
    return {
      cells: cells.map(c => (c.querySelector('a.lb-page') ?? c).innerText.trim()),
      links: cells.map(c => c.querySelector('a.lb-hub')?.getAttribute('href') ?? null),
    };
  });
  const count = root.querySelector('.lb-count')?.innerText.trim() ?? null;
  return {headers, rows, count};
}"""
VIEW_IS_JS = f"""([models, count]) => {{
  const view = ({READ_TABLE_JS})();
  if (!view || view.count !== count) return false;
  const column = view.headers.indexOf('Model');
  const shown = view.rows.map(row => row.cells[column]);
  return JSON.stringify(shown) === JSON.stringify(models);
}}"""
# Records Gradio's toasts (errors and warnings) as they appear, before they fade out.
RECORD_TOASTS_JS = """
window.__toasts = [];
new MutationObserver(() => {
  for (const toast of document.querySelectorAll('[data-testid="toast-body"]')) {
    if (!toast.__recorded) {
      toast.__recorded = true;
      window.__toasts.push(toast.className + ': ' + toast.innerText);
    }
  }
}).observe(document, {childList: true, subtree: true});
"""


@dataclass
class View:
    headers: list[str]
    rows: list[list[str]]
    links: list[list[str | None]]
    count: str

    def column(self, label: str) -> list[str]:
        index = self.headers.index(label)
        return [row[index] for row in self.rows]

    @property
    def models(self) -> list[str]:
        return self.column("Model")


def read_view(page) -> View:
    data = page.evaluate(READ_TABLE_JS)
    assert data is not None, "no board table (#instant-board) ready on the page"
    return View(
        headers=data["headers"],
        rows=[row["cells"] for row in data["rows"]],
        links=[row["links"] for row in data["rows"]],
        count=data["count"],
    )


def count_text(shown: int, total: int = 12) -> str:
    return f"Showing {shown} of {total} models"


def expect_rows(page, models: list[str], total: int = 12) -> View:
    """Wait until the table shows exactly `models`, in order, and the count line agrees."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    expected = count_text(len(models), total)
    with contextlib.suppress(PlaywrightTimeout):  # the assertions say what is shown instead
        page.wait_for_function(VIEW_IS_JS, arg=[models, expected], timeout=TIMEOUT_MS)
    view = read_view(page)
    assert view.models == models
    assert view.count == expected
    return view


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def expect_query(page, expected: dict[str, str]) -> None:
    """Wait until the address bar's query is exactly `expected` (history.replaceState)."""
    want = {key: [value] for key, value in expected.items()}
    page.wait_for_function(
        """want => {
          const got = {};
          for (const [k, v] of new URLSearchParams(location.search)) (got[k] ??= []).push(v);
          return JSON.stringify(Object.entries(got).sort()) ===
                 JSON.stringify(Object.entries(want).sort());
        }""",
        arg=want,
        timeout=TIMEOUT_MS,
    )
    assert query_of(page) == want


class Visitor:
    """One browser context and page, with everything that went wrong on it recorded."""

    def __init__(self, browser, base_url: str):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1600, "height": 1200})
        self.context.route("**/*", self._only_the_app)
        self.context.add_init_script(RECORD_TOASTS_JS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.refused: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)

    def _only_the_app(self, route) -> None:
        if route.request.url.startswith(self.base_url):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, query: str = ""):
        self.page.goto(self.base_url + query)
        self.page.wait_for_selector("#instant-board tbody tr.lb-row:not(.lb-loading)")
        return self.page

    def toasts(self) -> list[str]:
        return self.page.evaluate("() => window.__toasts ?? []")

    def check_and_close(self) -> None:
        try:
            assert self.errors == [], "JavaScript errors on the page"
            assert self.dialogs == [], "the page opened dialogs"
            assert self.toasts() == [], "the page showed error or warning toasts"
        finally:
            self.context.close()


def app_env(queue: Path, results: Path, root: Path) -> dict[str, str]:
    return {
        "LEADERBOARD_QUEUE": str(queue),
        "LEADERBOARD_RESULTS": str(results),
        "LEADERBOARD_CACHE_DIR": str(root / "cache"),
        "HF_HOME": str(root / "hf_home"),
        "HF_HUB_OFFLINE": "1",
        "HF_TOKEN": "",
    }


# The board table's two sources of rows, by the settings that choose them.
SOURCES = {"page": {}, "windows": {"LEADERBOARD_BROWSER_ROWS": "0"}}


@pytest.fixture(scope="module", params=list(SOURCES))
def server(tmp_path_factory, request) -> Iterator[subprocess.Popen]:
    """One app for the read-only scenarios (every test opens its own page), per source."""
    root = tmp_path_factory.mktemp(f"browser_app_{request.param}")
    queue, results = copy_demo_stores(root)
    process, url = start_app(app_env(queue, results, root) | SOURCES[request.param])
    process.url = url  # type: ignore[attr-defined]
    yield process
    stop_app(process)


@pytest.fixture
def visitor(browser, server) -> Iterator[Visitor]:
    if server.poll() is not None:
        pytest.fail(f"the app exited (code {server.returncode}):\n{server.stdout.read()}")
    visitor = Visitor(browser, server.url)
    yield visitor
    visitor.check_and_close()


def open_columns_and_sorting(page) -> None:
    page.locator("#columns-accordion").get_by_role("button", name="Columns and sorting").click()
    page.locator("#columns").wait_for(state="visible")


# --- the leaderboard ---------------------------------------------------------------------


def test_first_load_shows_the_12_models_linked_to_the_hub(visitor):
    page = visitor.open()
    view = expect_rows(page, ALL)
    assert view.headers == DEFAULT_HEADERS
    averages = [float(value) for value in view.column("Average ⬆️")]
    assert averages == [average for _, average in EXPECTED_ORDER]
    assert view.column("Rank") == ["1"] * 12  # statistically tied: one rank
    model = view.headers.index("Model")
    assert [links[model] for links in view.links] == [f"https://huggingface.co/{m}" for m in ALL]
    links = page.locator("#instant-board tbody a.lb-hub")
    assert links.first.get_attribute("target") == "_blank"
    pages = page.locator("#instant-board tbody a.lb-page")  # each name opens its model page
    assert pages.first.get_attribute("href") == "?" + urlencode(
        {"model": ALL[0], "precision": "float16"}
    )
    assert urlsplit(page.url).query == ""
    assert page.locator("#search input").input_value() == ""
    assert visitor.refused == [], "the page tried to load something from another server"


def test_search_filters_rows_and_is_kept_in_the_address_bar(visitor):
    page = visitor.open()
    search = page.locator("#search input")
    search.fill("carbon")
    expect_rows(page, CARBON)
    expect_query(page, {"search": "carbon"})

    search.fill("carbon; sakura")  # `;` separates alternatives
    expect_rows(page, [m for m in ALL if "carbon" in m.lower() or "sakura" in m.lower()])
    expect_query(page, {"search": "carbon; sakura"})

    # Cleared as a person does it, with the keyboard (Gradio sends no `input` for Backspace).
    search.click()
    search.press("Control+a")
    search.press("Backspace")
    expect_rows(page, ALL)
    expect_query(page, {})


def test_unchecking_a_precision_hides_its_models(visitor):
    page = visitor.open()
    page.locator("#filter-precision").get_by_label("bfloat16", exact=True).uncheck()
    expect_rows(page, [m for m in ALL if m not in WEYAXI])
    remaining = [p for p in ALL_PRECISIONS if p != "bfloat16"]
    expect_query(page, {"precision": ",".join(remaining)})

    page.locator("#filter-precision").get_by_label("bfloat16", exact=True).check()
    expect_rows(page, ALL)
    expect_query(page, {})


def test_choosing_columns_adds_and_removes_them(visitor):
    page = visitor.open()
    open_columns_and_sorting(page)
    columns = page.locator("#columns")
    columns.get_by_label("Model sha", exact=True).check()
    page.wait_for_selector("#instant-board th[data-key='model_sha']")
    view = expect_rows(page, ALL)
    assert view.headers == [*DEFAULT_HEADERS[:-3], "Model sha", *DEFAULT_HEADERS[-3:]]
    assert view.column("Model sha")[0] == "904ffe8106a3facbea0d0e61d9a53a525675871e"
    assert view.column("Model sha")[-1] == "ae0cab05b071dcde2e89e80ab511fa1bc0f53f1c"
    assert "model_sha" in query_of(page)["columns"][0].split(",")

    columns.get_by_label("ARC", exact=True).uncheck()
    page.wait_for_selector("#instant-board th[data-key='arc']", state="detached")
    view = expect_rows(page, ALL)
    assert "ARC" not in view.headers
    assert {"HellaSwag", "Model sha"} <= set(view.headers)
    chosen = query_of(page)["columns"][0].split(",")
    assert "model_sha" in chosen and "arc" not in chosen


def test_sorting_by_a_column_ascending(visitor):
    page = visitor.open()
    open_columns_and_sorting(page)
    page.locator("#sort input").click()
    page.get_by_role("option", name="GSM8K", exact=True).click()
    expect_rows(page, GSM8K_DESCENDING)
    expect_query(page, {"sort": "-gsm8k"})
    page.locator("#order").get_by_label("ascending").check()
    view = expect_rows(page, GSM8K_ASCENDING)
    scores = [float(value) for value in view.column("GSM8K")]
    assert scores == sorted(scores)
    assert view.column("Rank")[0] == "1"  # Rank stays the rank by Average, all tied
    expect_query(page, {"sort": "gsm8k"})


def test_a_shared_url_restores_the_whole_view(visitor):
    page = visitor.open("?search=carbon&hide=flagged&sort=-gsm8k&precision=float16")
    view = expect_rows(page, CARBON_BY_GSM8K)
    scores = [float(value) for value in view.column("GSM8K")]
    assert scores == sorted(scores, reverse=True)
    # The page applies the link to the board at once; the server's answer to the page load
    # sets the controls to it, a moment later on a busy machine: wait for it.
    expect(page.locator("#search input")).to_have_value("carbon")
    hide = page.locator("#filter-hide")
    expect(hide.get_by_label("Flagged models")).to_be_checked()
    assert not hide.get_by_label("Mixtures of experts").is_checked()
    precision = page.locator("#filter-precision")
    assert precision.get_by_label("float16", exact=True).is_checked()
    assert not precision.get_by_label("bfloat16", exact=True).is_checked()
    open_columns_and_sorting(page)
    assert page.locator("#sort input").input_value() == "GSM8K"
    assert page.locator("#order").get_by_label("descending").is_checked()

    # The restored controls are the view: changing one keeps all the others in the URL.
    hide.get_by_label("Flagged models").uncheck()
    expect_query(page, {"search": "carbon", "precision": "float16", "sort": "-gsm8k"})
    expect_rows(page, CARBON_BY_GSM8K)


def test_a_shared_url_restores_columns_and_an_ascending_sort(visitor):
    page = visitor.open("?columns=gsm8k,model_sha&sort=gsm8k&hide=moe")
    view = expect_rows(page, [m for m in GSM8K_ASCENDING if m not in MOE])
    assert view.headers == ["Rank", "T", "Model", "GSM8K", "Model sha"]
    expect(page.locator("#filter-hide").get_by_label("Mixtures of experts")).to_be_checked()
    open_columns_and_sorting(page)
    columns = page.locator("#columns input[type=checkbox]")
    checked = [box.get_attribute("name") for box in columns.all() if box.is_checked()]
    assert checked == ["gsm8k", "model_sha"]
    assert page.locator("#order").get_by_label("ascending").is_checked()

    page.locator("#columns").get_by_label("ARC", exact=True).check()
    page.wait_for_selector("#instant-board th[data-key='arc']")
    view = expect_rows(page, [m for m in GSM8K_ASCENDING if m not in MOE])
    assert view.headers == ["Rank", "T", "Model", "ARC", "GSM8K", "Model sha"]
    expect_query(page, {"columns": "arc,gsm8k,model_sha", "sort": "gsm8k", "hide": "moe"})


def test_the_interval_toggle_shows_each_score_with_its_interval(visitor):
    page = visitor.open()
    # The twelve share rank 1 (overlapping intervals): one band, begun at the first row.
    bands = page.evaluate(
        "() => [...document.querySelectorAll('#instant-board tbody tr.lb-row')]"
        ".map(tr => tr.className)"
    )
    assert bands[0] == "lb-row lb-tied lb-band-start"
    assert bands[1:] == ["lb-row lb-tied"] * 11
    open_columns_and_sorting(page)
    page.locator("#show-ci").get_by_label("± 95% interval on scores").check()
    expect_query(page, {"ci": "1"})
    view = read_view(page)
    # By hand: the first model's ARC 71.25 of 1,172 items, se = sqrt(p(1-p)/1171) x 100.
    arc_ci = 1.959964 * (0.7125 * 0.2875 / 1171) ** 0.5 * 100
    assert view.column("ARC")[0] == f"71.25 ± {arc_ci:.2f}"
    assert view.column("Average ⬆️")[0] == "74.52 ± 0.88"
    assert all(" ± " in cell for cell in view.column("GSM8K"))
    assert view.column("#Params (B)")[0] == "10.00"  # not a score: no interval

    page = visitor.open("?ci=1&search=carbon")
    view = expect_rows(page, [m for m in ALL if "carbon" in m.lower()])
    open_columns_and_sorting(page)
    expect(page.locator("#show-ci input")).to_be_checked()
    assert view.column("ARC")[0] == f"71.25 ± {arc_ci:.2f}"
    page.locator("#show-ci input").uncheck()
    expect_query(page, {"search": "carbon"})
    assert read_view(page).column("ARC")[0] == "71.25"


def test_hide_toggles_remove_their_models(visitor):
    page = visitor.open()
    hide = page.locator("#filter-hide")
    hide.get_by_label("Mixtures of experts").check()
    expect_rows(page, [m for m in ALL if m not in MOE])
    expect_query(page, {"hide": "moe"})

    hide.get_by_label("Flagged models").check()
    hide.get_by_label("Mixtures of experts").uncheck()
    expect_rows(page, [m for m in ALL if m not in FLAGGED])
    expect_query(page, {"hide": "flagged"})

    hide.get_by_label("Flagged models").uncheck()
    expect_rows(page, ALL)
    expect_query(page, {})


def test_size_buckets_and_the_params_range(visitor):
    page = visitor.open()
    sizes = page.locator("#filter-size")
    sizes.get_by_label("Edge (≤3B)").check()
    expect_rows(page, [])
    expect_query(page, {"size": "edge"})
    sizes.get_by_label("Edge (≤3B)").uncheck()
    sizes.get_by_label("Mid-range (7-65B)").check()
    expect_rows(page, ALL)
    expect_query(page, {"size": "midrange"})
    sizes.get_by_label("Mid-range (7-65B)").uncheck()
    expect_query(page, {})

    # An unset box shows 0; entering and leaving it must not mean "at most 0B".
    maximum = page.locator("#params-max input")
    maximum.click()
    page.locator("#search input").click()
    expect_rows(page, ALL)
    expect_query(page, {})

    maximum.fill("11")
    maximum.press("Enter")
    expect_rows(page, [m for m in ALL if m not in BIG])
    expect_query(page, {"params": "-11"})
    minimum = page.locator("#params-min input")
    minimum.fill("5")
    minimum.press("Enter")
    expect_query(page, {"params": "5-11"})
    expect_rows(page, [m for m in ALL if m not in BIG])


# --- the other tabs ------------------------------------------------------------------------


def test_queue_tab_counts_the_finished_requests(visitor):
    page = visitor.open()
    page.get_by_role("tab", name="Queue").click()
    finished = page.locator("#queue-finished")
    finished.wait_for(state="visible")
    assert finished.get_by_role("button").first.inner_text().startswith("✅ Finished (12)")
    for status, title in (("running", "🔄 Running"), ("pending", "⏳ Pending")):
        label = page.locator(f"#queue-{status}").get_by_role("button").first.inner_text()
        assert label.startswith(f"{title} (0)")
    assert (
        page.locator("#queue-failed")
        .get_by_role("button")
        .first.inner_text()
        .startswith("❌ Failed (0)")
    )

    finished.get_by_role("button", name=re.compile("Finished")).click()
    cells = finished.locator("[role=gridcell][data-col='0']")
    cells.nth(11).wait_for()
    assert sorted(cell.inner_text().strip() for cell in cells.all()) == sorted(ALL)


def test_about_tab_shows_the_benchmarks_and_a_copyable_citation(visitor):
    visitor.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = visitor.open()
    page.get_by_role("tab", name="About").click()
    table = page.get_by_role("table").filter(has_text="What it measures")
    table.wait_for()
    rows = [
        [cell.inner_text().strip() for cell in row.locator("th, td").all()]
        for row in table.get_by_role("row").all()
    ]
    assert rows[0] == ["Benchmark", "Shots", "Metric", "What it measures"]
    assert [row[:2] for row in rows[1:]] == [
        ["ARC", "25"],
        ["HellaSwag", "10"],
        ["MMLU", "5"],
        ["TruthfulQA", "0"],
        ["Winogrande", "5"],
        ["GSM8K", "5"],
    ]
    assert table.get_by_role("link", name="ARC").get_attribute("href").startswith("http")

    citation = page.locator(".citation")
    text = citation.locator("textarea").input_value()
    assert text.startswith("@misc{open-llm-leaderboard-v1,")
    citation.get_by_role("button", name="Copy").click()
    page.wait_for_function(
        "text => navigator.clipboard.readText().then(copied => copied === text, () => false)",
        arg=text,
        timeout=TIMEOUT_MS,
    )


# --- hostile data --------------------------------------------------------------------------

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"


def results_file(model: str, sha: str) -> dict:
    """A results file in the template format of eval-results/ (v1 benchmarks)."""
    return {
        "config": {"model_name": model, "model_sha": sha, "model_dtype": "torch.float16"},
        "results": {
            "arc:challenge": {"acc_norm": 0.5},
            "hellaswag": {"acc_norm": 0.5},
            "mmlu": {"acc": 0.5},
            "truthfulqa:mc": {"mc2": 0.5},
            "winogrande": {"acc": 0.5},
            "gsm8k": {"acc": 0.5},
        },
    }


@pytest.fixture
def hostile_server(tmp_path) -> Iterator[str]:
    """The embedded stores plus a model named with HTML and one whose license is a script."""
    queue, results = copy_demo_stores(tmp_path)
    sha = "1111111111111111111111111111111111111111"
    write_json(results, "evil/model/results_2024-01-01T00-00-00.json", results_file(IMG, sha))
    write_json(
        queue,
        "evil/model_eval_request_False_float16_Original.json",
        eval_request(IMG, revision=sha),
    )
    sha = "2222222222222222222222222222222222222222"
    write_json(
        results,
        "safe/licensed/results_2024-01-01T00-00-00.json",
        results_file("safe/licensed", sha),
    )
    write_json(
        queue,
        "safe/licensed_eval_request_False_float16_Original.json",
        eval_request("safe/licensed", revision=sha, license=SCRIPT),
    )
    process, url = start_app(app_env(queue, results, tmp_path))
    yield url
    stop_app(process)


def test_html_in_names_and_licenses_is_shown_as_text(browser, hostile_server):
    visitor = Visitor(browser, hostile_server)
    try:
        page = visitor.open()
        view = expect_rows(page, [*ALL, IMG, "safe/licensed"], total=14)
        evil, safe = view.rows[-2], view.rows[-1]
        model = view.headers.index("Model")
        assert view.links[-2][model] is None  # not a Hub id: plain text, no link
        assert view.links[-1][model] == "https://huggingface.co/safe/licensed"
        assert safe[view.headers.index("Hub License")] == SCRIPT
        assert evil[view.headers.index("Hub License")] == "apache-2.0"
        table = page.locator("#instant-board")
        assert table.locator("img").count() == 0
        assert table.locator("script").count() == 0
        for text in (IMG, SCRIPT):
            cell = table.locator("td").filter(has=page.get_by_text(text, exact=True))
            assert cell.count() == 1
            cell.scroll_into_view_if_needed()
            assert cell.is_visible()
            assert cell.inner_text().strip() == text

        page.locator("#search input").fill("onerror")
        expect_rows(page, [IMG], total=14)

        page.get_by_role("tab", name="Queue").click()
        finished = page.locator("#queue-finished")
        finished.get_by_role("button", name=re.compile("Finished")).click()
        finished.get_by_text(IMG, exact=True).first.wait_for()
        assert finished.locator("img").count() == 0
        assert json.dumps(visitor.dialogs) == "[]"  # no alert(1), no alert(2)
    finally:
        visitor.check_and_close()
