"""Browser speed: the real app in headless Chromium (Playwright), as a reader uses it.

    PYTHONPATH=src python benchmarks/browser_speed.py [--workdir DIR]
        [--sizes real,50000,100000] [--paths server,instant,instant-ssr]
        [--browser-rows 200000]
        [--repeats 5] [--timeout 180]

For each dataset (`real`: the 4,576 models of the real v2 board; N: N synthetic models), the
app is started once untimed (it fills its parquet cache), then measured on two paths, each a
fresh `python app.py` subprocess driven in Debian's Chromium:
- `server`: `LEADERBOARD_BROWSER_ROWS=0`, the board table served by windows: every click asks
  the server to run the query and send the first window of rows (`board-rows`), and scrolling
  fetches the windows in view, as a board above the threshold is served;
- `instant`: `LEADERBOARD_BROWSER_ROWS=--browser-rows` (200,000), the instant board: the whole
  board travels once (`board-data`) and is searched, filtered and sorted in the page.
Both draw the same virtualized `<table>` (`#instant-board`). `instant-ssr` (not in the
default paths) is `instant` with Gradio's server-side rendering (`GRADIO_SSR_MODE=true`,
which needs Node; on a Space it is the default).

Measured on each path (in page: `performance.now()`, stamped by a MutationObserver on the
document; "+ frame": the end of the next frame after that change, a requestAnimationFrame
then a posted message, i.e. once the change has been laid out and painted):
- first table paint: a fresh browser context per run, from navigation start to the first row
  that holds a model name: the first `#instant-board tbody tr.lb-row` with one (checked
  visible afterwards; for bare Gradio, the Model cell of the Dataframe's first visible row,
  `[data-testid="cell-0-2"]`). Beside it: when Gradio mounted the board (the
  `leaderboard:mounted` mark of board_view.js: what is left after it is the board's own
  work), the wall time seen from Python (goto -> condition observed), and the bytes the page
  load transferred;
- checkbox click: unchecking the precision of the top row in `#filter-precision`, from the
  click (a capture-phase listener stamps it in the page) until both the row count text
  (`#row-count`, or the board's `.lb-count`) and the first row's model have changed; the box
  is checked again (and the page waited for) between runs;
- search: a term typed into `#search input` (`page.fill`: one `input` event, stamped in the
  page; Gradio 6's Textbox sends `change`, which both paths listen to, on that event, not on
  Enter) until the row count and the first row have changed; cleared between runs;
- on the page the clicks and searches then run on: when the main thread goes quiet after load
  (the end of the last long task, a task over 50 ms, once none has run for 2 s: the first
  click would wait for it, and the in-page click figure, which starts at the click's dispatch,
  would not show that wait) and the sum of those long tasks; then the page's JS heap (CDP
  `Runtime.getHeapUsage`, before and after a forced `HeapProfiler.collectGarbage`);
- the app's RSS from /proc after the first page loads and at the end.
If the instant board does not load at some size (payload too large, page crashed, a wait
past `--timeout`), that is printed as a FAILED row and the run goes on.

Baseline, measured in the same run: bare Gradio, a page holding only one `gr.Dataframe` with
the same first rows (what any Gradio page costs before the leaderboard adds anything), for
first paint and for swapping the rows on a checkbox click; it is measured once, on the first
dataset's rows, and is the same page whatever the board's size. Ratios are ours / baseline
(lower is better) against bare Gradio and against the server-side path of the same dataset.
The template's own app does not run on Gradio 6, so the issue's figures for it are printed
beside ours for reference.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import common
import real_board
from leaderboard.config import Settings
from leaderboard.stores import LocalStore
from leaderboard.table import TableLoader

# Stamps, in page time (ms since navigation start), of what the benchmark waits for. Both
# tables are watched: the board table (`#instant-board`, with its `.lb-count`) and bare
# Gradio's Dataframe (`#leaderboard-table`); a page holds one of them.
INSTRUMENT = r"""
(() => {
  const b = window.__bench = {
    firstTd: null, firstCell: null, inputAt: null,
    count: null, countAt: null, top: null, topAt: null, frameAt: null,
  };
  const COUNT = /([\d,]+)\s+of\s+[\d,]+\s+models/;
  const afterFrame = () => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { b.frameAt = performance.now(); };
    channel.port2.postMessage(null);
  });
  const seen = (now, top, counter) => {
    let changed = false;
    if (top.includes('/')) {
      if (b.firstCell === null) { b.firstCell = now; changed = true; }
      if (top !== b.top) { b.top = top; b.topAt = now; changed = true; }
    }
    const match = counter && counter.textContent.match(COUNT);
    if (match && match[1] !== b.count) { b.count = match[1]; b.countAt = now; changed = true; }
    return changed;
  };
  const dataframe = (now) => {
    if (b.firstTd === null) {
      for (const td of document.querySelectorAll('#leaderboard-table tbody tr td')) {
        if (td.textContent.includes('/')) { b.firstTd = now; break; }
      }
    }
    const cell = document.querySelector('#leaderboard-table [data-testid="cell-0-2"]');
    return seen(now, cell ? cell.textContent.trim() : '', document.querySelector('#row-count'));
  };
  const instant = (now) => {
    const board = document.querySelector('#instant-board .lb-board');
    if (!board) return false;
    const row = board.querySelector('tbody tr.lb-row');
    const keys = [...board.querySelectorAll('thead th')].map((th) => th.dataset.key);
    const cell = row && row.children[keys.indexOf('model')];
    if (cell && b.firstTd === null) b.firstTd = now;
    return seen(now, cell ? cell.textContent.trim() : '', board.querySelector('.lb-count'));
  };
  const mark = () => {
    const now = performance.now();
    const changed = document.querySelector('#instant-board') ? instant(now) : dataframe(now);
    if (changed) afterFrame();
  };
  new MutationObserver(mark).observe(document, {
    subtree: true, childList: true, characterData: true,
  });
  for (const type of ['click', 'input']) {
    document.addEventListener(type, () => { b.inputAt = performance.now(); }, true);
  }
  b.busy = 0; b.busyUntil = 0; // main-thread tasks over 50 ms: their sum and the last one's end
  if (PerformanceObserver.supportedEntryTypes.includes('longtask')) {
    new PerformanceObserver((list) => {
      for (const task of list.getEntries()) {
        b.busy += task.duration;
        b.busyUntil = Math.max(b.busyUntil, task.startTime + task.duration);
      }
    }).observe({ type: 'longtask', buffered: true });
  }
})();
"""

# Everything the page load transferred (the document and every resource), in bytes.
TRANSFERRED_JS = """() => [
  ...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource'),
].reduce((sum, e) => sum + (e.transferSize || 0), 0)"""

ISSUE_TEMPLATE_FIGURES = {
    "first paint": "1.3 s",
    "checkbox click": "0.46 s",
    "search": "0.42 s",
    "rss": "520 MB",
}
# The issue's targets for the instant board: click and search on the real board and at
# 100,000 models; first paint no later than bare Gradio's one-table page (every size).
INTERACTION_TARGETS = {"real": 0.025, "100000": 0.100}
PATH_NAMES = {"server": "server-side", "instant": "instant", "instant-ssr": "instant, SSR"}


class LoadFailed(Exception):
    """The page never showed its table (or crashed) within the timeout."""


def state(page) -> dict:
    return page.evaluate("() => ({...window.__bench})")


def wait_frame(page, after: float, timeout_ms: float) -> dict:
    """Until the frame after the page time `after` (ms) has been drawn."""
    page.wait_for_function(
        "(after) => window.__bench.frameAt !== null && window.__bench.frameAt >= after",
        arg=after,
        polling="raf",
        timeout=timeout_ms,
    )
    return state(page)


def wait_loaded(page, timeout_ms: float, *, counted: bool = True) -> dict:
    """Until the first row's model and (`counted`) the row count are shown, and drawn."""
    page.wait_for_function(
        "(counted) => window.__bench && window.__bench.firstCell !== null"
        " && window.__bench.firstTd !== null && (!counted || window.__bench.count !== null)",
        arg=counted,
        polling="raf",
        timeout=timeout_ms,
    )
    marks = state(page)
    return wait_frame(page, max(marks["firstCell"], marks["firstTd"]), timeout_ms)


def wait_quiet(page, timeout_ms: float, quiet_ms: float = 2000) -> dict:
    """Until the page has run no long task (over 50 ms) for `quiet_ms`."""
    page.wait_for_function(
        "(quiet) => performance.now() - Math.max(window.__bench.busyUntil,"
        " window.__bench.firstCell) >= quiet",
        arg=quiet_ms,
        polling=100,
        timeout=timeout_ms,
    )
    return state(page)


# The instant board's own marks (board_view.js): when Gradio mounted it (its js_on_load ran).
MOUNTED_JS = """() => {
  const mark = performance.getEntriesByName("leaderboard:mounted")[0];
  return mark ? mark.startTime : null;
}"""


def first_paint(browser, url: str, timeout_ms: float, *, counted: bool = True) -> dict:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(INSTRUMENT)
        start = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        marks = wait_loaded(page, timeout_ms, counted=counted)
        wall = time.perf_counter() - start
        if counted and not page.locator("#instant-board").count():
            raise LoadFailed("the page shows no board table")
        if counted and not page.locator("#instant-board tbody tr.lb-row").first.is_visible():
            raise LoadFailed("the board's first row is in the page but not visible")
        mounted = page.evaluate(MOUNTED_JS) if counted else None
        return {
            **({"paint_mounted": mounted / 1000} if mounted is not None else {}),
            "paint": marks["firstCell"] / 1000,
            "paint_td": marks["firstTd"] / 1000,
            "paint_frame": marks["frameAt"] / 1000,
            "paint_wall": wall,
            "paint_bytes": page.evaluate(TRANSFERRED_JS),
        }
    finally:
        context.close()


def medians(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


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
    after = state(page)
    done = max(after["countAt"] if count else 0, after["topAt"] if top_changes else 0)
    after = wait_frame(page, done, timeout_ms)
    after["doneAt"] = done
    return after


def interaction(name: str, after: dict, wall: float) -> dict:
    """Input event -> the count and the first row changed, -> the next frame; and the wall time
    seen from Python; seconds."""
    return {
        name: (after["doneAt"] - after["inputAt"]) / 1000,
        f"{name}_frame": (after["frameAt"] - after["inputAt"]) / 1000,
        f"{name}_wall": wall,
    }


def js_heap(page) -> tuple[int, int]:
    """(used JS heap, used JS heap after a forced garbage collection), bytes."""
    cdp = page.context.new_cdp_session(page)
    try:
        before = cdp.send("Runtime.getHeapUsage")["usedSize"]
        cdp.send("HeapProfiler.collectGarbage")
        return before, cdp.send("Runtime.getHeapUsage")["usedSize"]
    finally:
        cdp.detach()


def pick_search(board, candidates=("qwen", "llama", "mistral", "model-0001", "org-001")) -> str:
    top = str(board["model"].iloc[0]).lower()
    for term in candidates:
        hits = board["model"].str.contains(term, case=False, regex=False).sum()
        if term not in top and 0 < hits < len(board):
            return term
    raise RuntimeError("no search term changes both the count and the first row")


def settle(pid: int, *, window: float = 0.5, busy: float = 0.1, limit: float = 30.0) -> None:
    """Until the app uses under `busy` of a core over `window` seconds (work it does in the
    background once it answers, such as checking its cache, would otherwise be measured)."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        used = cpu()
        time.sleep(window)
        if cpu() - used < busy * window:
            return


def running_app(path: str, queue: Path, results: Path, cache: Path, args):
    """`python app.py` on one path: the board served by windows, or held in the page."""
    env = {"LEADERBOARD_REFRESH_SECONDS": "0"}
    env["LEADERBOARD_BROWSER_ROWS"] = str(args.browser_rows) if path != "server" else "0"
    if path == "instant-ssr":  # Gradio's server-side rendering, through Node (Debian's nodejs)
        env["GRADIO_SSR_MODE"] = "true"
    return common.running_app(
        queue=queue,
        results=results,
        cache_dir=cache,
        log_dir=args.workdir / "logs",
        extra_env=env,
        timeout=args.timeout * 4,
    )


def warm_cache(queue: Path, results: Path, cache: Path, args) -> None:
    """One untimed start, so that every measured start finds the parquet cache filled."""
    with running_app("server", queue, results, cache, args) as app:
        settle(app.pid, limit=60)
        print(f"cache warmed: untimed start answered after {app.started_in:.1f} s", flush=True)


def bench_path(path: str, queue: Path, results: Path, cache: Path, board, args, playwright, result):
    """Measures one path of one dataset into `result`, as it goes: a failure part way keeps
    what was measured before it."""
    with running_app(path, queue, results, cache, args) as app:
        settle(app.pid)
        print(f"[{path}] app answered HTTP 200 after {app.started_in:.1f} s (pid {app.pid})")
        result["started_in"] = app.started_in
        browser = common.launch_chromium(playwright)
        try:
            result["stage"] = "first paint"
            paints = []
            for _ in range(args.repeats):
                paints.append(first_paint(browser, app.url, args.timeout * 1000))
                if len(paints) == 1:
                    print(f"[{path}] first paint {paints[0]['paint']:.2f} s", flush=True)
            result.update(medians(paints))
            result["rss_loaded"] = app.rss()
            print(
                f"[{path}] first paint (first row's model), per run: "
                + ", ".join(common.fmt_seconds(p["paint"]) for p in paints),
                flush=True,
            )
            result["stage"] = "interactions"
            interact(browser, app.url, board, args, result)
            del result["stage"]
        finally:
            browser.close()
            result["rss_after"] = app.rss()
            result["rss_peak"] = common.peak_rss_bytes(app.pid)


def interact(browser, url: str, board, args, result: dict) -> None:
    """On one page: how long until it is quiet, its JS heap, then the clicks and searches."""
    path, timeout_ms = result["path"], args.timeout * 1000
    page = browser.new_context().new_page()
    page.add_init_script(INSTRUMENT)
    page.goto(url, timeout=timeout_ms)
    wait_loaded(page, timeout_ms)
    try:
        quiet = wait_quiet(page, timeout_ms)  # the first click would wait for the page anyway
    except PlaywrightTimeout:
        quiet = state(page)
        result["quiet_note"] = f"still busy after {args.timeout:.0f} s"
    result["quiet"], result["busy"] = quiet["busyUntil"] / 1000, quiet["busy"] / 1000
    print(f"[{path}] main thread quiet at {result['quiet']:.2f} s", flush=True)
    result["heap"], result["heap_gc"] = js_heap(page)
    checkbox = page.locator(f'#filter-precision input[name="{result["precision"]}"]')
    clicks = []
    for _ in range(args.repeats):
        before = state(page)
        start = time.perf_counter()
        checkbox.click()
        after = wait_changed(page, before, timeout_ms)
        clicks.append(interaction("click", after, time.perf_counter() - start))
        shown = after["count"]
        checkbox.click()
        wait_changed(page, after, timeout_ms)
    result.update(medians(clicks))
    print(f"[{path}] click: {len(board):,} -> {shown} rows after unchecking {result['precision']}")
    box = page.locator("#search input, #search textarea").first
    searches = []
    for _ in range(args.repeats):
        before = state(page)
        start = time.perf_counter()
        box.fill(result["term"])
        after = wait_changed(page, before, timeout_ms)
        searches.append(interaction("search", after, time.perf_counter() - start))
        shown = after["count"]
        box.fill("")
        wait_changed(page, after, timeout_ms)
    result.update(medians(searches))
    print(f"[{path}] search: {len(board):,} -> {shown} rows for `{result['term']}`", flush=True)
    page.context.close()


def bench_dataset(size: str, name: str, queue: Path, results: Path, args, playwright) -> dict:
    cache = args.workdir / f"appcache-{queue.parent.name}"
    print(f"\n## {name}: {queue.parent}", flush=True)
    warm_cache(queue, results, cache, args)
    settings = Settings(queue=str(queue), results=str(results), cache_dir=str(cache))
    board = TableLoader(LocalStore(results), LocalStore(queue), settings).load().board()
    paths = {}
    for path in args.paths:
        result = paths[path] = {
            "path": path,
            "precision": str(board["precision"].iloc[0]),
            "term": pick_search(board),
        }
        try:
            bench_path(path, queue, results, cache, board, args, playwright, result)
        except (LoadFailed, PlaywrightError, RuntimeError) as error:  # the next path still runs
            reason = " ".join(str(error).split())[:300]
            stage = f" during {result['stage']}" if "stage" in result else ""
            result["failed"] = f"{type(error).__name__}{stage}: {reason}"
            print(f"[{path}] FAILED at {name}: {result['failed']}", flush=True)
    return {"size": size, "name": name, "rows": len(board), "board": board, "paths": paths}


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
    shown = present(run_query(board, suite, Query()), suite).head(max_rows)
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
        settle(process.pid)
        browser = common.launch_chromium(playwright)
        try:
            timeout_ms = args.timeout * 1000
            paints = [
                first_paint(browser, url, timeout_ms, counted=False) for _ in range(args.repeats)
            ]
            page = browser.new_page()
            page.add_init_script(INSTRUMENT)
            page.goto(url)
            wait_loaded(page, timeout_ms, counted=False)
            wait_quiet(page, timeout_ms)
            clicks = []
            for _ in range(args.repeats):
                before = state(page)
                start = time.perf_counter()
                page.locator("#bare-box input").click()
                after = wait_changed(page, before, timeout_ms, top_changes=True, count=False)
                clicks.append(interaction("click", after, time.perf_counter() - start))
        finally:
            browser.close()
    finally:
        process.terminate()
        process.wait()
    return medians(paints) | medians(clicks)


def ratio(ours: float | None, baseline: float | None) -> str:
    """ours / baseline: lower is better."""
    if not ours or not baseline:
        return "-"
    return f"{ours / baseline:.2f}x"


def fmt_bytes(value: float) -> str:
    return f"{value / 1e6:.2f} MB" if value >= 1e5 else f"{value / 1e3:.0f} kB"


def table_rows(result: dict, bare: dict | None) -> list[tuple]:
    """The printed rows of one dataset: bare Gradio (where it was measured), then each path."""
    name, seconds = result["name"], common.fmt_seconds
    rows = []
    if bare and result.get("bare_here"):
        rows += [
            (name, "bare Gradio", "BASELINE first paint", seconds(bare["paint"]),
             seconds(bare["paint_frame"]), seconds(bare["paint_wall"]), *["-"] * 5),
            (name, "bare Gradio", "BASELINE click -> rows swapped", seconds(bare["click"]),
             seconds(bare["click_frame"]), *["-"] * 6),
        ]  # fmt: skip
    server = result["paths"].get("server")
    for path, measured in result["paths"].items():
        rows += path_rows(result, path, measured, server, bare)
        if "failed" in measured:
            rows.append((name, PATH_NAMES[path], "FAILED: " + measured["failed"], *["-"] * 8))
    return rows


def path_rows(result: dict, path: str, r: dict, server: dict | None, bare: dict | None):
    """The rows of what was measured on one path (all of it unless the path failed)."""
    seconds, mb = common.fmt_seconds, common.fmt_mb
    instant = path.startswith("instant")
    vs = (server or {}) if instant else {}  # the instant board against the server-side path
    template = ISSUE_TEMPLATE_FIGURES if not instant and result["size"] == "real" else {}
    bare_paint, bare_click = (bare["paint"], bare["click"]) if bare else (None, None)
    limit = INTERACTION_TARGETS.get(result["size"]) if instant else None
    paint_target = (f"<= bare {seconds(bare_paint)}", bare_paint) if instant and bare else None
    click_target = (f"<= {seconds(limit)}", limit) if limit else None

    def row(measure, key, show, *, bare_value=None, target=None, template_key=None):
        ours = r.get(key)
        if ours is None:
            return None
        cells = [
            show(ours),
            seconds(r[key + "_frame"]) if key + "_frame" in r else "-",
            seconds(r[key + "_wall"]) if key + "_wall" in r else "-",
            ratio(ours, bare_value),
            ratio(ours, vs.get(key)),
            *((target[0], "yes" if ours <= target[1] else "no") if target else ("-", "-")),
            template.get(template_key, "-"),
        ]
        return (result["name"], PATH_NAMES[path], measure, *cells)

    def quiet(value):
        return seconds(value) + (f" ({r['quiet_note']})" if "quiet_note" in r else "")

    paint = "first .lb-row"
    rows = [
        row(f"first paint: {paint}", "paint", seconds, bare_value=bare_paint,
            target=paint_target, template_key="first paint"),
        row("  Gradio mounted the board (its js_on_load ran)", "paint_mounted", seconds),
        row("bytes transferred by the page load", "paint_bytes", fmt_bytes),
        row(f"uncheck {r['precision']} -> rows updated", "click", seconds,
            bare_value=bare_click, target=click_target, template_key="checkbox click"),
        row(f"search `{r['term']}` -> rows updated", "search", seconds,
            bare_value=bare_click, target=click_target, template_key="search"),
        row("long tasks after load: the last ends", "quiet", quiet),
        row("long tasks after load: their sum", "busy", seconds),
        row("JS heap after load (used)", "heap", mb),
        row("JS heap after load, after a forced GC", "heap_gc", mb),
        row("app RSS after first page loads", "rss_loaded", mb, template_key="rss"),
        row("app RSS at the end (after the interactions)", "rss_after", mb),
        row("app peak RSS (VmHWM)", "rss_peak", mb),
        row("app start (spawn -> HTTP 200)", "started_in", seconds),
    ]  # fmt: skip
    return [row for row in rows if row is not None]


def main() -> int:
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="real,50000,100000", help="datasets (default real,50000,100000)"
    )
    parser.add_argument(
        "--paths",
        default="server,instant",
        help="server (windows), instant (the board in the page), instant-ssr (the same with "
        "GRADIO_SSR_MODE=true); default: server,instant",
    )
    parser.add_argument(
        "--browser-rows",
        type=int,
        default=200_000,
        help="LEADERBOARD_BROWSER_ROWS of the instant path (200000)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs of each measurement (5)")
    parser.add_argument(
        "--bare-rows", type=int, default=100, help="rows of the bare Gradio page's table (100)"
    )
    parser.add_argument("--timeout", type=float, default=180, help="seconds per wait (180)")
    parser.add_argument("--skip-bare", action="store_true", help="no bare Gradio baseline")
    args = parser.parse_args()
    args.paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    if unknown := set(args.paths) - set(PATH_NAMES):
        parser.error(f"unknown paths: {', '.join(sorted(unknown))}")

    from playwright.sync_api import sync_playwright

    print(f"# browser_speed ({common.machine_line()}; Chromium {common.CHROMIUM}, headless)")
    results, bare = [], None
    with sync_playwright() as playwright:
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            if size == "real":
                queue, store = real_board.ensure_real_board(args.workdir)
                name = "real v2 (4,576)"
            else:
                stores = common.synthetic_stores(args.workdir, int(size))
                queue, store = stores.queue, stores.results
                name = f"synthetic {int(size):,}"
                size = str(int(size))
            result = bench_dataset(size, name, queue, store, args, playwright)
            if bare is None and not args.skip_bare:
                rows = args.bare_rows
                bare = bench_bare_gradio(result["board"], rows, args, playwright)
                result["bare_here"] = True
                print(
                    f"bare Gradio ({rows} rows of {name}): first paint "
                    f"{bare['paint']:.2f} s, click {bare['click'] * 1000:.0f} ms",
                    flush=True,
                )
            del result["board"]
            results.append(result)

    common.print_table(
        [
            "dataset", "path", "measure (median)", "in page", "+ frame", "wall (Python)",
            "vs bare Gradio", "vs server-side", "target", "met?", "template, issue #2",
        ],
        [row for r in results for row in table_rows(r, bare)],
        title=f"Browser: medians of {args.repeats} runs (in page: from navigation start or from"
        " the input event, stamped in the page; + frame: until the next frame is drawn; wall:"
        " seen from Playwright; vs: ours / baseline of this run, lower is better, against bare"
        " Gradio's first paint or row swap and the server-side path's same measure)",
    )  # fmt: skip
    print(
        "\nThe template column repeats the figures of issue #2 (measured on this machine with the"
        " template's own app); it is not re-measured in this run. Targets (the issue's, for the"
        " instant board): click and search <= 25 ms on the real board and <= 100 ms at 100,000"
        " models, in page; first paint no later than bare Gradio's one-table page."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
