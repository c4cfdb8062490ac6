"""Start-up and refresh against their floors: cold build, app start, refresh, new file -> board.

    PYTHONPATH=src python benchmarks/startup.py [--workdir DIR] [--sizes real,100000]
        [--repeats 3] [--floor-repeats 5] [--app-repeats 3] [--refresh-repeats 10]
        [--latency-repeats 5] [--latency-refresh-seconds N] [--skip-apps]

Datasets: `real` (the 4,576 models of the real v2 board, converted by real_board.py) and N
synthetic models (N results files + N request files, generated once under the work folder by
common.synthetic_stores and reused by later runs).

Every figure is printed beside a baseline measured in the same run, with the issue's target:
- floor: listing both stores, then reading and orjson-parsing every file on all cores
  (table_build.read_floor: os.cpu_count() forked children, one slice each; no scoring, no
  pandas). The baseline of the cold build.
- cold build: `TableLoader(results, queue, settings).load()` with an empty cache folder, in
  this process; target at most 2x the floor.
- refresh that finds nothing new: `loader.refresh()` on the loader the last cold build left,
  median of `--refresh-repeats` calls; target at most 50 ms. Printed beside it: walking both
  stores with os.scandir and stat-ing every file (what a full re-scan costs).
- where `TableLoader` has `watch()` (file-system events for local stores), the same on a
  loader loaded from that cache and watched, then new file -> board in this process: one new
  model written (see below) and `loader.snapshot.board()` checked every 10 ms until it holds
  the model; the loader's own background refresh folds it in. Without `watch()` these rows
  are left out (a line says so).
- app start with a warm cache: spawn `python app.py` -> first HTTP 200 on `/` (polled every
  20 ms), the cache folder filled by one untimed start before; versus an empty Gradio Blocks
  app (one `gr.Markdown`) spawned the same way, the two started alternately; target at most
  1.5x the empty app. The app's RSS right after start is printed beside the empty app's
  (psutil, else /proc/<pid>/status).
- new file -> board through the app: with `python app.py` running (`LEADERBOARD_REFRESH_SECONDS`
  = `--latency-refresh-seconds`; by default the app's own setting where `TableLoader` has
  `watch()`, else 1 s), one new model's request and results file (copies of an existing
  model's two files under the name `startup-bench/new-<n>-<pid>`) are written atomically
  (LocalStore.write: temporary file, rename) and `/query` is polled through gradio_client
  (search = the new name, every 50 ms) until a row shows it; the figure runs from just before
  the first write to the answer that showed it. Target at most 1 s. The files are removed
  again afterwards (and at the start of a run, in case one was interrupted), so the cached
  stores stay as generated.

Phases, in order: floor, cold builds and unwatched refreshes for every dataset; then the
watched loaders; then the apps. The loader parses in forked children only while its process
has one thread, and a watch or a gradio_client leaves threads behind. The OS file cache is
warm throughout; "cold" means no parquet cache, not a cold disk. Nothing here asserts a timing.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import table_build
from leaderboard.domain.names import results_file_path
from leaderboard.stores import LocalStore
from leaderboard.table import TableLoader

EMPTY_APP = """import gradio as gr

with gr.Blocks() as demo:
    gr.Markdown("x")
demo.launch()
"""
NEW_ORG = "startup-bench"  # the folder (in both stores) the latency runs write into
POLL_START = 0.02  # seconds between HTTP probes while an app starts
POLL_QUERY = 0.05  # seconds between /query calls while waiting for a new model


@dataclass
class Row:
    scenario: str
    dataset: str
    ours: float | None  # seconds, or bytes when `unit` is "bytes"
    baseline: float | None
    baseline_label: str
    target: str
    met: bool | None
    unit: str = "s"

    def cells(self) -> tuple[str, ...]:
        fmt = common.fmt_mb if self.unit == "bytes" else common.fmt_seconds
        baseline = "-" if self.baseline is None else f"{self.baseline_label} {fmt(self.baseline)}"
        met = "-" if self.met is None else ("yes" if self.met else "NO")
        return (
            self.scenario,
            self.dataset,
            fmt(self.ours),
            baseline.strip(),
            table_build.fmt_times(self.ours, self.baseline),
            self.target,
            met,
        )


def within(value: float | None, limit: float) -> bool | None:
    if value is None or value != value:
        return None
    return value <= limit


# ---------------------------------------------------------------------------------------------
# In process: floor, cold build, refresh that finds nothing new


def bench_in_process(name: str, queue: Path, results: Path, args, work: Path) -> list[Row]:
    """Floor, cold builds (their last cache stays in `work` for the watched phase), and
    refresh() finding nothing new on the last cold build's loader."""
    print(f"\n## {name}: {queue.parent} (in process)", flush=True)
    if threading.active_count() > 1:
        print(f"(note: {threading.active_count()} threads here; the loader may parse in-process)")
    floor, floor_run = table_build.measure_floor(queue, results, args.floor_repeats)
    print(table_build.describe_floor(floor, floor_run), flush=True)

    holder: dict = {}

    def cold_setup():
        holder.pop("loader", None)
        for cache in work.glob("cold-cache-*"):
            shutil.rmtree(cache, ignore_errors=True)
        gc.collect()
        holder["cache"] = common.fresh_dir(work, "cold-cache-")

    def cold_run():
        loader = table_build.make_loader(queue, results, holder["cache"])
        loader.load()
        holder["loader"] = loader

    cold = common.measure(cold_run, repeats=args.repeats, setup=cold_setup)
    loader = holder.pop("loader")
    print(
        f"cold build: {len(loader.snapshot.board()):,} rows, median"
        f" {common.fmt_seconds(cold.median)} over {cold.n} runs (min"
        f" {common.fmt_seconds(cold.min)}, max {common.fmt_seconds(cold.max)});"
        f" cold / floor {table_build.fmt_times(cold.median, floor.median)}",
        flush=True,
    )
    refresh = measure_refresh(loader, args.refresh_repeats, "refresh() finding nothing new")
    rescan = common.measure(
        lambda: (
            table_build.walk_store(queue, stat=True),
            table_build.walk_store(results, stat=True),
        ),
        repeats=args.refresh_repeats,
        warmup=1,
    )
    listing = common.measure(
        lambda: (loader.results_store.list_files(), loader.queue_store.list_files()),
        repeats=args.refresh_repeats,
    )
    print(
        f"os.scandir + stat of both stores: {common.fmt_seconds(rescan.median)};"
        f" LocalStore.list_files() of both: {common.fmt_seconds(listing.median)}",
        flush=True,
    )
    return [
        Row(
            f"floor: list + read + parse ({floor_run.workers} procs)",
            name,
            floor.median,
            None,
            "",
            "-",
            None,
        ),
        Row(
            "cold build (empty cache)",
            name,
            cold.median,
            floor.median,
            "floor",
            "<= 2x floor",
            within(cold.median, 2 * floor.median),
        ),
        refresh_row("refresh(), nothing new", name, refresh, rescan.median),
    ]


def measure_refresh(loader, repeats: int, label: str) -> common.Stats:
    changed = [loader.refresh()]  # untimed first call
    stats = common.measure(lambda: changed.append(loader.refresh()), repeats=repeats)
    found = sum(changed)
    print(
        f"{label}: median {common.fmt_seconds(stats.median)} over {stats.n} calls"
        f" (p90 {common.fmt_seconds(stats.p90)})"
        + (f", but {found} of {len(changed)} calls reported a change!" if found else ""),
        flush=True,
    )
    return stats


def refresh_row(scenario: str, name: str, refresh: common.Stats, rescan: float | None) -> Row:
    return Row(
        scenario,
        name,
        refresh.median,
        rescan,
        "scandir+stat",
        "<= 50 ms",
        within(refresh.median, 0.050),
    )


def bench_watched(
    name: str, queue: Path, results: Path, args, work: Path, rescan: float | None
) -> list[Row]:
    """Where `TableLoader` offers `watch()`: a loader loaded from the cold build's cache and
    watched; refresh() finding nothing new, then new file -> board in this process (the
    snapshot polled every 10 ms, the watch's own background refresh folding the file in)."""
    caches = sorted(work.glob("cold-cache-*"))
    loader = table_build.make_loader(queue, results, caches[-1] if caches else work / "cache")
    watch = getattr(loader, "watch", None)
    if not callable(watch):
        print(f"\n(## {name}: TableLoader has no watch(); no watched figures)")
        return []
    print(f"\n## {name}: {queue.parent} (in process, watched)", flush=True)
    loader.load()
    rows = []
    writer = NewModel(queue, results)
    try:
        if not watch():
            print("(watch() refused: the figures below are of an unwatched loader)")
        refresh = measure_refresh(loader, args.refresh_repeats, "watched refresh() nothing new")
        rows.append(refresh_row("refresh(), nothing new, watched", name, refresh, rescan))
        if args.latency_repeats:
            samples = []
            for _ in range(args.latency_repeats):
                time.sleep(0.3)
                start = time.perf_counter()
                model = writer()
                samples.append(
                    wait_for(
                        lambda m=model: bool((loader.snapshot.board()["model"] == m).any()),
                        start,
                        args.latency_timeout,
                        0.01,
                    )
                )
            rows.append(latency_row("new file -> board, in-process watch", name, samples))
    finally:
        stop = getattr(loader, "stop_watching", None)
        if callable(stop):
            stop()
        writer.remove()
    return rows


def wait_for(done, start: float, timeout: float, pause: float) -> float:
    """Seconds from `start` until `done()` first holds (nan after `timeout`)."""
    while True:
        if done():
            return time.perf_counter() - start
        if time.perf_counter() - start > timeout:
            print(f"(still not on the board after {timeout:.0f} s)")
            return float("nan")
        time.sleep(pause)


def latency_row(scenario: str, name: str, samples: list[float]) -> Row:
    print(f"{scenario}, per run: " + ", ".join(common.fmt_seconds(s) for s in samples))
    seen = [s for s in samples if s == s]
    median = statistics.median(seen) if seen else None
    return Row(scenario, name, median, None, "", "<= 1 s", within(median, 1.0))


# ---------------------------------------------------------------------------------------------
# Apps as child processes


@dataclass
class Started:
    process: subprocess.Popen
    url: str
    seconds: float  # spawn -> first HTTP 200 on /
    log_path: Path

    def rss(self) -> int | None:
        try:
            import psutil
        except ImportError:
            psutil = None
        with contextlib.suppress(Exception):
            if psutil is not None:
                return psutil.Process(self.process.pid).memory_info().rss
            return common.rss_bytes(self.process.pid)
        return None

    def stop(self) -> None:
        """SIGTERM to the child's own process group (it leads it), SIGKILL if it lingers."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def spawn(script: Path, env_extra: dict[str, str], log_dir: Path, timeout: float) -> Started:
    """`python <script>` on a free port; returns once `/` answers HTTP 200."""
    port = common.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADERBOARD_")}
    env.update(
        {
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_SERVER_PORT": str(port),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
            **env_extra,
        }
    )
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{script.stem}-{port}.log"
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(script)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=common.REPO,
            start_new_session=True,
        )
    started = Started(process, url, float("nan"), log_path)
    deadline = start + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{script.name} exited early ({process.returncode}):\n{tail}")
        if common.answers(url):
            started.seconds = time.perf_counter() - start
            return started
        time.sleep(POLL_START)
    started.stop()
    raise RuntimeError(f"{script.name} did not answer on {url} within {timeout:.0f} s")


def app_env(queue: Path, results: Path, cache: Path, **extra: str) -> dict[str, str]:
    return {
        "LEADERBOARD_QUEUE": str(queue),
        "LEADERBOARD_RESULTS": str(results),
        "LEADERBOARD_CACHE_DIR": str(cache),
        **extra,
    }


def bench_apps(name: str, queue: Path, results: Path, args, tmp: Path) -> list[Row]:
    print(f"\n## {name}: {queue.parent} (apps)", flush=True)
    app = common.REPO / "app.py"
    empty = tmp / "empty_app.py"
    empty.write_text(EMPTY_APP)
    cache = common.fresh_dir(tmp, "app-cache-")
    logs = tmp / "logs"
    env = app_env(queue, results, cache)
    first = spawn(app, env, logs, args.timeout)
    first.stop()
    print(f"(priming start, empty cache: HTTP 200 after {common.fmt_seconds(first.seconds)})")
    ours, bare, rss, bare_rss = [], [], [], []
    for _ in range(args.app_repeats):
        for script, times, memory in ((empty, bare, bare_rss), (app, ours, rss)):
            started = spawn(script, env, logs, args.timeout)
            try:
                memory.append(started.rss())
            finally:
                started.stop()
            times.append(started.seconds)
    print(
        "app start, warm cache, per run: "
        + ", ".join(common.fmt_seconds(s) for s in ours)
        + "; empty Gradio app: "
        + ", ".join(common.fmt_seconds(s) for s in bare)
        + f"; RSS after start: ours {common.fmt_mb(_median(rss))},"
        f" empty {common.fmt_mb(_median(bare_rss))}",
        flush=True,
    )
    start_ours, start_bare = statistics.median(ours), statistics.median(bare)
    rows = [
        Row(
            "app start, warm cache -> HTTP 200",
            name,
            start_ours,
            start_bare,
            "empty app",
            "<= 1.5x empty app",
            within(start_ours, 1.5 * start_bare),
        ),
        Row(
            "app RSS after start",
            name,
            _median(rss),
            _median(bare_rss),
            "empty app",
            "-",
            None,
            unit="bytes",
        ),
    ]
    if args.latency_repeats:
        rows.append(bench_latency(name, queue, results, cache, args, logs))
    return rows


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ---------------------------------------------------------------------------------------------
# New file -> board, through the running app


class NewModel:
    """Writes, per call, a request and a results file for a new model `startup-bench/new-<n>`:
    copies of an existing model's two files with the names replaced."""

    def __init__(self, queue: Path, results: Path):
        self.queue = LocalStore(queue, durable=False)
        self.results = LocalStore(results, durable=False)
        self.result_bytes, self.model = self._source_results(results)
        self.request_bytes, self.request_tail = self._source_request(queue, self.model)
        self.count = 0

    @staticmethod
    def _source_results(root: Path) -> tuple[bytes, str]:
        for path in sorted(table_build.walk_store(root))[:50]:
            data = orjson.loads(Path(path).read_bytes())
            model = (data.get("config") or {}).get("model_name")
            if isinstance(model, str) and model.count("/") == 1:
                return Path(path).read_bytes(), model
        raise RuntimeError(f"no results file with config.model_name `org/name` under {root}")

    @staticmethod
    def _source_request(root: Path, model: str) -> tuple[bytes | None, str]:
        org, name = model.split("/")
        with contextlib.suppress(FileNotFoundError):
            for entry in sorted(os.listdir(root / org)):
                if entry.startswith(f"{name}_eval_request_") and entry.endswith(".json"):
                    return (root / org / entry).read_bytes(), entry[len(name) :]
        return None, ""

    def __call__(self) -> str:
        self.count += 1
        model = f"{NEW_ORG}/new-{self.count:03d}-{os.getpid()}"
        if self.request_bytes is not None:
            request = orjson.loads(self.request_bytes)
            request["model"] = model
            self.queue.write(model + self.request_tail, orjson.dumps(request))
        data = orjson.loads(self.result_bytes)
        config = data["config"]
        config["model_name"] = model
        if isinstance(config.get("model_args"), str):
            config["model_args"] = config["model_args"].replace(self.model, model)
        self.results.write(results_file_path(model, datetime.now(UTC)), orjson.dumps(data))
        return model

    def remove(self) -> None:
        for store in (self.queue, self.results):
            shutil.rmtree(store.root / NEW_ORG, ignore_errors=True)


def bench_latency(name, queue: Path, results: Path, cache: Path, args, logs: Path) -> Row:
    from gradio_client import Client

    writer = NewModel(queue, results)
    writer.remove()  # left by an interrupted run
    refresh = args.latency_refresh_seconds
    extra = {} if refresh is None else {"LEADERBOARD_REFRESH_SECONDS": str(refresh)}
    app = spawn(common.REPO / "app.py", app_env(queue, results, cache, **extra), logs, args.timeout)
    samples: list[float] = []
    try:
        client = Client(app.url, verbose=False)

        def shown(model: str) -> bool:
            rows = client.predict(search=model, api_name="/query")
            return any(row.get("Model") == model for row in rows)

        for _ in range(args.latency_repeats):
            time.sleep(0.3)  # a different phase of the refresh each time
            start = time.perf_counter()
            model = writer()
            samples.append(
                wait_for(lambda m=model: shown(m), start, args.latency_timeout, POLL_QUERY)
            )
        with contextlib.suppress(Exception):
            client.close()
    finally:
        app.stop()
        writer.remove()
    setting = "default refresh" if refresh is None else f"refresh {refresh} s"
    return latency_row(f"new file -> board, app ({setting})", name, samples)


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = common.base_parser(__doc__.split("\n\n")[0])
    table_build.add_sizes(parser, "real,100000")
    parser.add_argument("--repeats", type=int, default=3, help="cold builds (3)")
    parser.add_argument("--floor-repeats", type=int, default=5, help="floor runs (5)")
    parser.add_argument(
        "--app-repeats", type=int, default=3, help="timed starts of each app, alternating (3)"
    )
    parser.add_argument("--refresh-repeats", type=int, default=10, help="refresh() calls (10)")
    parser.add_argument(
        "--latency-repeats", type=int, default=5, help="new models written, one by one (5; 0: none)"
    )
    parser.add_argument(
        "--latency-refresh-seconds",
        type=int,
        default=None,
        help="LEADERBOARD_REFRESH_SECONDS of the app the new files go to (default: the app's"
        " own where TableLoader has watch(), else 1)",
    )
    parser.add_argument(
        "--latency-timeout", type=float, default=120.0, help="seconds to wait for one new model"
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds an app may take to answer (900)"
    )
    parser.add_argument("--skip-apps", action="store_true", help="in-process figures only")
    args = parser.parse_args()
    if args.latency_refresh_seconds is None and not callable(getattr(TableLoader, "watch", None)):
        args.latency_refresh_seconds = 1

    print(f"# startup ({common.machine_line()})", flush=True)
    datasets = table_build.datasets(args.sizes, args.workdir)
    for _, queue, results in datasets:  # files of an interrupted latency run
        for root in (queue, results):
            shutil.rmtree(root / NEW_ORG, ignore_errors=True)

    tmp = common.fresh_dir(args.workdir / "tmp", "startup-")
    rows: list[Row] = []
    try:
        works = {name: common.fresh_dir(tmp, "in-process-") for name, _, _ in datasets}
        for name, queue, results in datasets:
            rows.extend(bench_in_process(name, queue, results, args, works[name]))
            gc.collect()
        rescans = {r.dataset: r.baseline for r in rows if r.baseline_label == "scandir+stat"}
        for name, queue, results in datasets:  # after every cold build: a watch runs threads
            rows.extend(bench_watched(name, queue, results, args, works[name], rescans.get(name)))
            gc.collect()
        if not args.skip_apps:
            for name, queue, results in datasets:
                rows.extend(bench_apps(name, queue, results, args, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    order = {name: index for index, (name, _, _) in enumerate(datasets)}
    rows.sort(key=lambda row: order[row.dataset])  # stable: scenarios in the order measured
    common.print_table(
        ["scenario", "dataset", "ours", "baseline", "ratio", "target", "met?"],
        [row.cells() for row in rows],
        title="Start-up and refresh (medians; ratio = ours / baseline, lower is better)",
    )
    print(
        "\nfloor = listing both stores + reading + orjson-parsing every file on"
        f" {os.cpu_count()} forked processes, nothing else. scandir+stat = walking both stores"
        " with os.scandir and stat-ing every file (a full re-scan). empty app = a Gradio Blocks"
        " holding one Markdown, spawned and polled the same way as `python app.py`."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
