"""Browser speed: the real app in headless Chromium (Playwright), as a reader uses it.

    PYTHONPATH=src python benchmarks/browser_speed.py [--workdir DIR] [--sizes real,50000]
        [--repeats 5] [--timeout 180]

For each dataset (`real`: the 4,576 models of the real v2 board; N: N synthetic models), the
app is started as a subprocess (`python app.py`, warm parquet cache after the first run of
this script) and driven in Debian's Chromium:
- first table paint: a fresh browser context per run, from `page.goto` to the first table cell
  that holds a model name. Two elements are watched: `#leaderboard-table tbody tr td` (in
  Gradio 6 that `tbody` is the table's hidden *sizing* row, which already holds a model name)
  and the Model cell of the first visible data row (`[data-testid="cell-0-2"]`, what a person
  sees). Reported: the in-page time from navigation start (`performance.now()`), and the wall
  time seen from Python (goto -> condition observed);
- checkbox click: unchecking the precision of the top row in `#filter-precision`, from the
  click (a capture-phase listener stamps it in the page) until both the row count text in
  `#row-count` and the first row's model have changed (a MutationObserver stamps each);
  the box is checked again (and the page waited for) between runs;
- search: typing a term into `#search input` (`page.fill`: one `input` event, stamped in the
  page) until the row count and the first row have changed; cleared between runs.
The app's RSS is read from /proc after the first page load and after all interactions.

Baseline, measured in the same run: bare Gradio, a page holding only one `gr.Dataframe` with
the same first rows (what any Gradio page costs before the leaderboard adds anything), for
first paint and for swapping the rows on a checkbox click. The template's own app does not run
on Gradio 6, so the issue's figures for it are printed beside ours for reference.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import real_board
from leaderboard.config import Settings
from leaderboard.stores import LocalStore
from leaderboard.table import TableLoader

# Stamps, in page time (ms since navigation start), of what the benchmark waits for.
INSTRUMENT = r"""
(() => {
  const b = window.__bench = {
    firstTd: null, firstCell: null, inputAt: null,
    count: null, countAt: null, top: null, topAt: null,
  };
  const mark = () => {
    const now = performance.now();
    if (b.firstTd === null) {
      for (const td of document.querySelectorAll('#leaderboard-table tbody tr td')) {
        if (td.textContent.includes('/')) { b.firstTd = now; break; }
      }
    }
    const cell = document.querySelector('#leaderboard-table [data-testid="cell-0-2"]');
    const top = cell ? cell.textContent.trim() : '';
    if (top.includes('/')) {
      if (b.firstCell === null) b.firstCell = now;
      if (top !== b.top) { b.top = top; b.topAt = now; }
    }
    const counter = document.querySelector('#row-count');
    const match = counter && counter.textContent.match(/([\d,]+)\s+of\s+[\d,]+\s+models/);
    if (match && match[1] !== b.count) { b.count = match[1]; b.countAt = now; }
  };
  const observe = () => new MutationObserver(mark).observe(document, {
    subtree: true, childList: true, characterData: true,
  });
  observe();
  for (const type of ['click', 'input']) {
    document.addEventListener(type, () => { b.inputAt = performance.now(); }, true);
  }
})();
"""

ISSUE_TEMPLATE_FIGURES = {
    "first paint": "1.3 s",
    "checkbox click": "0.46 s",
    "search": "0.42 s",
    "rss": "520 MB",
}


def state(page) -> dict:
    return page.evaluate("() => ({...window.__bench})")


def first_paint(browser, url: str, timeout_ms: float) -> dict:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(INSTRUMENT)
        start = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        page.wait_for_function(
            "() => window.__bench && window.__bench.firstCell !== null"
            " && window.__bench.firstTd !== null",
            polling="raf",
            timeout=timeout_ms,
        )
        wall = time.perf_counter() - start
        marks = state(page)
        return {"wall": wall, "cell": marks["firstCell"] / 1000, "td": marks["firstTd"] / 1000}
    finally:
        context.close()


def wait_changed(
    page, before: dict, timeout_ms: float, *, top_changes: bool = True, count: bool = True
) -> dict:
    parts = (["b.count !== before.count"] if count else []) + (
        ["b.top !== before.top"] if top_changes else []
    )
    condition = " && ".join(parts)
    page.wait_for_function(
        f"(before) => {{ const b = window.__bench; return {condition}; }}",
        arg=before,
        polling="raf",
        timeout=timeout_ms,
    )
    return state(page)


def interaction_ms(before: dict, after: dict) -> float:
    """Input event -> both the count and the first row changed, in seconds."""
    done = max(after["countAt"], after["topAt"])
    return (done - after["inputAt"]) / 1000


def pick_search(board, candidates=("qwen", "llama", "mistral", "model-0001", "org-001")) -> str:
    top = str(board["model"].iloc[0]).lower()
    for term in candidates:
        hits = board["model"].str.contains(term, case=False, regex=False).sum()
        if term not in top and 0 < hits < len(board):
            return term
    raise RuntimeError("no search term changes both the count and the first row")


def bench_dataset(name: str, queue: Path, results: Path, args, playwright) -> dict:
    cache = args.workdir / f"appcache-{queue.parent.name}"
    settings = Settings(queue=str(queue), results=str(results), cache_dir=str(cache))
    print(f"\n## {name}: {queue.parent}", flush=True)
    with common.running_app(
        queue=queue,
        results=results,
        cache_dir=cache,
        log_dir=args.workdir / "logs",
        extra_env={
            "LEADERBOARD_REFRESH_SECONDS": "0",
            **({"LEADERBOARD_MAX_ROWS": str(args.max_rows)} if args.max_rows else {}),
        },
        timeout=args.timeout * 4,
    ) as app:
        print(f"app answered HTTP 200 after {app.started_in:.1f} s (pid {app.pid})", flush=True)
        board = TableLoader(LocalStore(results), LocalStore(queue), settings).load().board()
        precision = str(board["precision"].iloc[0])
        term = pick_search(board)
        timeout_ms = args.timeout * 1000
        browser = common.launch_chromium(playwright)
        try:
            paints = [first_paint(browser, app.url, timeout_ms) for _ in range(args.repeats)]
            rss_loaded = app.rss()
            print(
                "first paint (Model cell of row 1), per run: "
                + ", ".join(common.fmt_seconds(p["cell"]) for p in paints),
                flush=True,
            )
            context = browser.new_context()
            page = context.new_page()
            page.add_init_script(INSTRUMENT)
            page.goto(app.url, timeout=timeout_ms)
            page.wait_for_function(
                "() => window.__bench && window.__bench.firstCell !== null"
                " && window.__bench.count !== null",
                polling="raf",
                timeout=timeout_ms,
            )
            checkbox = page.locator(f'#filter-precision input[name="{precision}"]')
            clicks, click_walls = [], []
            for _ in range(args.repeats):
                before = state(page)
                start = time.perf_counter()
                checkbox.click()
                after = wait_changed(page, before, timeout_ms)
                click_walls.append(time.perf_counter() - start)
                clicks.append(interaction_ms(before, after))
                shown = after["count"]
                restore = state(page)
                checkbox.click()
                wait_changed(page, restore, timeout_ms)
            print(f"click: {len(board):,} -> {shown} rows after unchecking {precision}")
            box = page.locator("#search input, #search textarea").first
            searches, search_walls = [], []
            for _ in range(args.repeats):
                before = state(page)
                start = time.perf_counter()
                box.fill(term)
                after = wait_changed(page, before, timeout_ms)
                search_walls.append(time.perf_counter() - start)
                searches.append(interaction_ms(before, after))
                shown = after["count"]
                restore = state(page)
                box.fill("")
                wait_changed(page, restore, timeout_ms)
            print(f"search: {len(board):,} -> {shown} rows for `{term}`")
            context.close()
        finally:
            browser.close()
        rss_after = app.rss()
        peak = common.peak_rss_bytes(app.pid)
    return {
        "name": name,
        "rows": len(board),
        "paint_cell": statistics.median(p["cell"] for p in paints),
        "paint_td": statistics.median(p["td"] for p in paints),
        "paint_wall": statistics.median(p["wall"] for p in paints),
        "click": statistics.median(clicks),
        "click_wall": statistics.median(click_walls),
        "search": statistics.median(searches),
        "search_wall": statistics.median(search_walls),
        "rss_loaded": rss_loaded,
        "rss_after": rss_after,
        "rss_peak": peak,
        "started_in": app.started_in,
        "precision": precision,
        "term": term,
    }


BARE_PAGE = """
import sys
import gradio as gr
import pandas as pd

rows = pd.read_json(sys.argv[1])
other = rows.iloc[::-1].reset_index(drop=True)
with gr.Blocks() as demo:
    box = gr.Checkbox(label="swap", elem_id="bare-box")
    table = gr.Dataframe(value=rows, interactive=False, elem_id="leaderboard-table")
    box.input(lambda c: other if c else rows, box, table, show_progress="hidden")
demo.launch(server_port=int(sys.argv[2]))
"""


def bench_bare_gradio(board, max_rows: int, args, playwright) -> dict:
    """First paint and a click that swaps the rows, on a page with only a Dataframe."""
    from leaderboard.query import Query, present, run_query
    from leaderboard.suites import get_suite

    suite = get_suite("v2")
    shown = present(run_query(board, suite, Query()), suite, links=True).head(max_rows)
    rows_file = args.workdir / "bare-rows.json"
    shown.to_json(rows_file)
    port = common.free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", BARE_PAGE, str(rows_file), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        common.wait_http(url, args.timeout)
        browser = common.launch_chromium(playwright)
        try:
            timeout_ms = args.timeout * 1000
            paints = [first_paint(browser, url, timeout_ms) for _ in range(args.repeats)]
            page = browser.new_page()
            page.add_init_script(INSTRUMENT)
            page.goto(url)
            page.wait_for_function("() => window.__bench && window.__bench.firstCell !== null")
            clicks = []
            for _ in range(args.repeats):
                before = state(page)
                page.locator("#bare-box input").click()
                after = wait_changed(page, before, timeout_ms, top_changes=True, count=False)
                clicks.append((after["topAt"] - after["inputAt"]) / 1000)
        finally:
            browser.close()
    finally:
        process.terminate()
        process.wait()
    return {
        "paint_cell": statistics.median(p["cell"] for p in paints),
        "click": statistics.median(clicks),
    }


def main() -> int:
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="real,50000", help="datasets (default real,50000)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each measurement (5)")
    parser.add_argument(
        "--max-rows", type=int, default=0, help="LEADERBOARD_MAX_ROWS for the app (its default)"
    )
    parser.add_argument("--timeout", type=float, default=180, help="seconds per wait (180)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    print(f"# browser_speed ({common.machine_line()}; Chromium {common.CHROMIUM}, headless)")
    results = []
    with sync_playwright() as playwright:
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            if size == "real":
                queue, store = real_board.ensure_real_board(args.workdir)
                name = "real v2 (4,576)"
            else:
                stores = common.synthetic_stores(args.workdir, int(size))
                queue, store = stores.queue, stores.results
                name = f"synthetic {int(size):,}"
            results.append(bench_dataset(name, queue, store, args, playwright))
            if size == "real":
                board = (
                    TableLoader(
                        LocalStore(store),
                        LocalStore(queue),
                        Settings(queue=str(queue), results=str(store), cache_dir=str(args.workdir)),
                        use_cache=False,
                    )
                    .load()
                    .board()
                )
                bare = bench_bare_gradio(board, args.max_rows or 100, args, playwright)
                print(
                    f"bare Gradio ({args.max_rows or 100} rows): first paint "
                    f"{bare['paint_cell']:.2f} s, click {bare['click'] * 1000:.0f} ms",
                    flush=True,
                )
                results[-1]["bare"] = bare

    rows = []
    for r in results:
        real = r["name"].startswith("real")
        ref = ISSUE_TEMPLATE_FIGURES if real else {}
        bare = r.get("bare")
        if bare:
            rows += [
                (r["name"], "BASELINE bare Gradio: first paint",
                 common.fmt_seconds(bare["paint_cell"]), "-", "-"),
                (r["name"], "BASELINE bare Gradio: click -> rows swapped",
                 common.fmt_seconds(bare["click"]), "-", "-"),
            ]  # fmt: skip
        rows += [
            (r["name"], "first paint: row 1 Model cell", common.fmt_seconds(r["paint_cell"]),
             common.fmt_seconds(r["paint_wall"]), ref.get("first paint", "-")),
            (r["name"], "first paint: tbody tr td (sizing row)",
             common.fmt_seconds(r["paint_td"]), "-", "-"),
            (r["name"], f"uncheck {r['precision']} -> rows updated", common.fmt_seconds(r["click"]),
             common.fmt_seconds(r["click_wall"]), ref.get("checkbox click", "-")),
            (r["name"], f"search `{r['term']}` -> rows updated", common.fmt_seconds(r["search"]),
             common.fmt_seconds(r["search_wall"]), ref.get("search", "-")),
            (r["name"], "app RSS after first page loads", common.fmt_mb(r["rss_loaded"]), "-",
             ref.get("rss", "-")),
            (r["name"], "app RSS after the interactions", common.fmt_mb(r["rss_after"]), "-", "-"),
            (r["name"], "app peak RSS (VmHWM)", common.fmt_mb(r["rss_peak"]), "-", "-"),
            (r["name"], "app start (spawn -> HTTP 200)", common.fmt_seconds(r["started_in"]), "-",
             "-"),
        ]  # fmt: skip
    common.print_table(
        ["dataset", "measure (median)", "in page", "wall (Python)", "template, issue #2"],
        rows,
        title=f"Browser: medians of {args.repeats} runs (in page: from navigation start or from"
        " the input event, stamped in the page; wall: seen from Playwright)",
    )
    print(
        "\nThe template column repeats the figures of issue #2 (measured on this machine with the"
        " template's own app); it is not re-measured in this run."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
