"""The model page and the per-sample viewer in headless Chromium, against the same app's board.

    PYTHONPATH=src python benchmarks/model_page_speed.py [--workdir DIR] [--repeats 5]

Data: the real v2 board (4,576 models, `real_board.py`), copied, with two samples files
added for its top model: a HellaSwag-like task of 10,042 samples (`viewer_speed.py`'s
generator, ~5 kB lines as real HellaSwag files have, 50 MB) and a small one of 50 samples.

Measured, medians of `--repeats`, in page time (`performance.now()`, stamped by a
MutationObserver when the awaited element appears), a fresh browser context per paint:
- the model page's paint: from navigation start (`?model=<top model>&precision=...`) to its
  heading (`#model-page h2`) in the page;
- opening a task in the viewer: from the click on the task in the Task dropdown (stamped by
  a capture-phase listener) to its first page of samples in the page; cold (the file's
  version changed since it was last read, so it is read and parsed again: what a reader
  opening a task pays; its first page is shown from the file's first lines, then the page
  of the whole file replaces it, timed too) and warm (opened again: the parsed task is
  kept);
- the incorrect filter on the 10,042-sample task (a click on the Outcome radio to the new
  page of samples).

Baselines, in the same run: the same app's board paint (navigation to the first board row,
`/`) for the model page; opening the 50-sample task (a Gradio round trip and a page of rows,
no parsing to speak of) for the viewer, the floor of any server-rendered view.
"""

from __future__ import annotations

import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import real_board
from leaderboard.config import Settings
from leaderboard.samples import details_path, parse_samples
from leaderboard.stores import LocalStore
from leaderboard.table import TableLoader
from viewer_speed import HELLASWAG_SAMPLES, hellaswag_file

STAMP = "2026-01-01T00-00-00.000000"
BIG, SMALL = "hellaswag", "arc_easy"  # the small one sorts last: the dropdown opens on BIG

# Stamps `performance.now()` when an element matching a selector first appears (and, for a
# text, when an element's text first holds it), and the last click's time.
INSTRUMENT = r"""
(() => {
  const b = window.__bench = { seen: {}, click: null, observers: {} };
  window.__watch = (name, selector, text) => {
    delete b.seen[name];
    if (b.observers[name]) b.observers[name].disconnect();  // one watch per name
    const check = () => {
      if (b.seen[name] !== undefined) return;
      const element = document.querySelector(selector);
      if (element && (!text || element.innerText.includes(text))) b.seen[name] = performance.now();
    };
    b.observers[name] = new MutationObserver(check);
    b.observers[name].observe(document, {childList: true, subtree: true, characterData: true});
    check();
  };
  document.addEventListener("click", () => { b.click = performance.now(); }, true);
  window.__watch("board", "#instant-board tbody tr.lb-row");
  window.__watch("model", "#model-page h2");
})();
"""


def seen(page, name: str, timeout_ms: float) -> float:
    page.wait_for_function(
        "(name) => window.__bench && window.__bench.seen[name] !== undefined",
        arg=name,
        timeout=timeout_ms,
    )
    return page.evaluate("(name) => window.__bench.seen[name]", name)


def paint(browser, url: str, name: str, timeout_ms: float) -> float:
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    try:
        page.goto(url)
        return seen(page, name, timeout_ms)
    finally:
        context.close()


def choose_task(page, task: str, timeout_ms: float, whole: str = "") -> tuple[float, float]:
    """Click the task in the dropdown: ms from the click to its first page of samples, and
    to the page of the whole file (its summary holding `whole`; the first page of a large
    file is shown from its first lines while the rest is read)."""
    page.evaluate("(task) => window.__watch('samples', '#sample-page p', task + ': ')", task)
    page.evaluate("(text) => window.__watch('whole', '#sample-page p', text)", whole or f"{task}: ")
    page.locator("#sample-task input").click()
    page.get_by_role("option").filter(has_text=f"{task} (").click()
    first, done = seen(page, "samples", timeout_ms), seen(page, "whole", timeout_ms)
    click = page.evaluate("() => window.__bench.click")
    return first - click, done - click


def outcome(page, label: str, expected: str, timeout_ms: float) -> float:
    page.evaluate("(text) => window.__watch('samples', '#sample-page p', text)", expected)
    page.locator("#sample-outcome").get_by_label(label, exact=True).check()
    at = seen(page, "samples", timeout_ms)
    return at - page.evaluate("() => window.__bench.click")


def prepare(workdir: Path) -> tuple[Path, Path, str, str, bytes]:
    queue, results = real_board.ensure_real_board(workdir)
    copy = common.fresh_dir(workdir, "model-page")
    shutil.copytree(queue, copy / "queue")
    shutil.copytree(results, copy / "results")
    settings = Settings(queue=str(copy / "queue"), results=str(copy / "results"),
                        cache_dir=str(copy / "cache"))  # fmt: skip
    board = TableLoader.from_settings(settings).load().board("v2")
    top = board.iloc[0]
    model, precision = str(top["model"]), str(top["precision"])
    big = hellaswag_file(HELLASWAG_SAMPLES, 300)
    store = LocalStore(copy / "results")
    store.write(details_path(model, STAMP, BIG), big)
    store.write(details_path(model, STAMP, SMALL), hellaswag_file(50, 300, seed=1))
    return copy, copy / "results", model, precision, big


def main() -> int:
    parser = common.base_parser(__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120, help="seconds per wait")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    workdir = Path(args.workdir)
    root, results, model, precision, big = prepare(workdir)
    store = LocalStore(results)
    big_path = details_path(model, STAMP, BIG)
    parsed = parse_samples(big, BIG)
    wrong = sum(s.correct("acc_norm") is False for s in parsed.samples)
    print(common.machine_line())
    print(f"model {model} ({precision}); {BIG}: {len(big) / 1e6:.1f} MB, {HELLASWAG_SAMPLES:,}")
    timeout_ms = args.timeout * 1000
    runs: dict[str, list[float]] = {k: [] for k in
        ("board", "model", "small", "cold", "cold whole", "warm", "incorrect")}  # fmt: skip
    with (
        common.running_app(
            queue=root / "queue", results=results, cache_dir=root / "cache", log_dir=root / "logs"
        ) as app,
        sync_playwright() as playwright,
    ):
        browser = common.launch_chromium(playwright)
        url = app.url + "?" + f"model={model}&precision={precision}".replace("/", "%2F")
        paint(browser, app.url, "board", timeout_ms)  # untimed: the first page after a start
        for _ in range(args.repeats):
            runs["board"].append(paint(browser, app.url, "board", timeout_ms))
            runs["model"].append(paint(browser, url, "model", timeout_ms))
        context = browser.new_context(viewport={"width": 1600, "height": 1200})
        context.add_init_script(INSTRUMENT)
        page = context.new_page()
        page.goto(url)
        seen(page, "model", timeout_ms)
        page.wait_for_selector("#sample-page table")
        whole = f"{BIG}: {HELLASWAG_SAMPLES:,} of {HELLASWAG_SAMPLES:,}"
        for _ in range(args.repeats):
            # A new version, read and parsed again; written before the small task's open, so
            # that the open is not timed against the write's own disk traffic.
            store.write(big_path, big)
            runs["small"].append(choose_task(page, SMALL, timeout_ms)[1])
            first, done = choose_task(page, BIG, timeout_ms, whole)
            runs["cold"].append(first)
            runs["cold whole"].append(done)
            runs["small"].append(choose_task(page, SMALL, timeout_ms)[1])
            runs["warm"].append(choose_task(page, BIG, timeout_ms, whole)[1])
            runs["incorrect"].append(
                outcome(page, "incorrect", f"{BIG}: {wrong:,} of {HELLASWAG_SAMPLES:,}", timeout_ms)
            )
            outcome(page, "all", f"{BIG}: {HELLASWAG_SAMPLES:,} of", timeout_ms)
        context.close()
        browser.close()
    median = {name: statistics.median(values) / 1000 for name, values in runs.items()}
    rows = [
        ("model page paint", median["model"], "board paint (same app)", median["board"]),
        (f"open {BIG} (10,042), cold: first page", median["cold"], "open 50 samples",
         median["small"]),
        (f"open {BIG}, cold: whole file read", median["cold whole"], "open 50 samples",
         median["small"]),
        (f"open {BIG}, warm", median["warm"], "open 50 samples", median["small"]),
        (f"{BIG}: incorrect filter", median["incorrect"], "open 50 samples", median["small"]),
    ]  # fmt: skip
    common.print_table(
        ["measure", "ours", "baseline", "baseline time", "ratio"],
        [
            (name, common.fmt_seconds(ours), base, common.fmt_seconds(time), f"{ours / time:.2f}x")
            for name, ours, base, time in rows
        ],
        title=f"Model page and viewer, medians of {args.repeats} (ratio: ours / baseline)",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
