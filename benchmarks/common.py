"""Shared helpers of the benchmark scripts: timing, cached synthetic stores, the app as a
subprocess, process memory, and printing small tables.

Nothing here asserts a timing: the scripts print figures (and ratios against a baseline run
in the same process) for people to read.

Generated data lives under a work folder (`--workdir`, default `<tmp>/leaderboard-benchmarks`),
never in the repository. Synthetic stores are generated once per size and reused.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
SHARED = REPO.parent / "shared"
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "leaderboard-benchmarks"

if str(SRC) not in sys.path:  # runnable without PYTHONPATH=src too
    sys.path.insert(0, str(SRC))


# ---------------------------------------------------------------------------------------------
# Command line


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help=f"where generated stores and caches go (default: {DEFAULT_WORKDIR})",
    )
    return parser


# ---------------------------------------------------------------------------------------------
# Timing


@dataclass(frozen=True)
class Stats:
    """Seconds over `n` runs."""

    median: float
    p90: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        ordered = sorted(samples)
        return cls(
            median=statistics.median(ordered),
            p90=percentile(ordered, 90),
            min=ordered[0],
            max=ordered[-1],
            n=len(ordered),
        )


def alternating(first, second, *, runs: int) -> tuple[Stats, Stats]:
    """Both timed in turn, run after run, so that a busy machine slows both alike (after one
    untimed warm-up call of each)."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for run, box in ((first, times[0]), (second, times[1])):
            with stopwatch() as took:
                run()
            box.append(took[0])
    return Stats.of(times[0]), Stats.of(times[1])


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Nearest-rank-with-interpolation percentile of already sorted values."""
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * pct / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure(
    run: Callable[[], object],
    *,
    repeats: int,
    warmup: int = 0,
    setup: Callable[[], object] | None = None,
    collect: bool = True,
) -> Stats:
    """Time `run()` `repeats` times (after `warmup` untimed runs); `setup()` runs untimed
    before every call. The garbage collector is run between calls, not during them."""
    for _ in range(warmup):
        if setup is not None:
            setup()
        run()
    samples = []
    for _ in range(repeats):
        if setup is not None:
            setup()
        if collect:
            gc.collect()
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return Stats.of(samples)


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` then `t[0]` holds the seconds taken."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------
# Printing


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(baseline: float | None, ours: float | None) -> str:
    """`baseline / ours`: how many times faster (or smaller) ours is."""
    if not baseline or not ours or baseline != baseline or ours != ours:
        return "-"
    return f"{baseline / ours:.1f}x"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> None:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    if title:
        print(f"\n{title}")
    line = "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(
            "  ".join(
                c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in zip(row, widths, strict=True)
            )
        )


def _numeric(cell: str) -> bool:
    head = cell.split(" ", 1)[0].rstrip("x%")
    try:
        float(head.replace(",", ""))
    except ValueError:
        return False
    return True


def machine_line() -> str:
    return (
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{platform.machine()}, {platform.system()} {platform.release()}"
    )


# ---------------------------------------------------------------------------------------------
# Synthetic stores, generated once per size


@dataclass(frozen=True)
class StorePair:
    queue: Path
    results: Path
    models: int

    @property
    def root(self) -> Path:
        return self.queue.parent


def synthetic_stores(
    workdir: Path, models: int, *, suite: str = "v2", seed: int = 0, quiet: bool = False
) -> StorePair:
    """`<workdir>/synthetic-<suite>-<models>-seed<seed>/{queue,results}`, written once.

    Generation goes to a temporary sibling folder that is renamed into place when complete,
    so an interrupted run never leaves a half store that a later run would trust.
    """
    from leaderboard.demo_data import write_synthetic
    from leaderboard.stores import LocalStore
    from leaderboard.suites import get_suite

    root = Path(workdir) / f"synthetic-{suite}-{models}-seed{seed}"
    done = root / ".complete"
    if not done.exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        temp = root.with_name(root.name + ".partial")
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        if not quiet:
            print(f"[setup] writing {models:,} synthetic models into {root} (once) ...", flush=True)
        start = time.perf_counter()
        write_synthetic(
            models,
            get_suite(suite),
            queue=LocalStore(temp / "queue", durable=False),
            results=LocalStore(temp / "results", durable=False),
            seed=seed,
        )
        temp.rename(root)
        done.write_text(f"{models}\n")
        if not quiet:
            print(f"[setup] done in {time.perf_counter() - start:.1f} s", flush=True)
    return StorePair(root / "queue", root / "results", models)


def fresh_dir(parent: Path, prefix: str) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


# ---------------------------------------------------------------------------------------------
# Process memory


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc/<pid>/status (VmRSS)."""
    return _status_field(pid, "VmRSS")


def peak_rss_bytes(pid: int) -> int:
    """High-water mark of the resident set (VmHWM)."""
    return _status_field(pid, "VmHWM")


def _status_field(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/{pid}/status has no {name}")


def tree_rss_bytes(pid: int) -> int:
    """RSS of a process and its children (the app may start helper processes)."""
    total = rss_bytes(pid)
    for child in _children(pid):
        with contextlib.suppress(OSError, RuntimeError):
            total += tree_rss_bytes(child)
    return total


def _children(pid: int) -> list[int]:
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                children.extend(int(p) for p in handle.read().split())
    return children


def mapped_libraries(pid: int, needles: Sequence[str]) -> dict[str, bool]:
    """Which of `needles` appear in the paths of the process's memory maps (shared objects)."""
    with open(f"/proc/{pid}/maps") as handle:
        text = handle.read()
    return {needle: needle in text for needle in needles}


def fmt_mb(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.0f} MB"


# ---------------------------------------------------------------------------------------------
# The app as a subprocess


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppProcess:
    process: subprocess.Popen
    url: str
    log_path: Path
    started_in: float  # seconds from spawn to the first HTTP 200

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_app(
    *,
    queue: Path,
    results: Path,
    cache_dir: Path,
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
    timeout: float = 600.0,
) -> AppProcess:
    """`python app.py` on a free port with the given stores; waits for HTTP 200 on `/`.

    The app's output goes to a log file (a pipe nobody reads would block a chatty app).
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADERBOARD_")}
    env.update(
        {
            "LEADERBOARD_QUEUE": str(queue),
            "LEADERBOARD_RESULTS": str(results),
            "LEADERBOARD_CACHE_DIR": str(cache_dir),
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_SERVER_PORT": str(port),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
        }
    )
    env.update(extra_env or {})
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"app-{port}.log"
    log = open(log_path, "w")  # noqa: SIM115  # closed when the child exits
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "app.py")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    log.close()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    app = AppProcess(process, url, log_path, 0.0)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the app exited early (code {process.returncode}):\n{app.log_tail()}"
            )
        if answers(url):
            app.started_in = time.perf_counter() - start
            return app
        time.sleep(0.2)
    app.stop()
    raise RuntimeError(f"the app did not answer on {url} within {timeout:.0f} s:\n{app.log_tail()}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def wait_http(url: str, timeout: float) -> None:
    """Until `url` answers 200 (RuntimeError after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not answers(url):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.2)


@contextlib.contextmanager
def running_app(**kwargs) -> Iterator[AppProcess]:
    app = start_app(**kwargs)
    try:
        yield app
    finally:
        app.stop()


# ---------------------------------------------------------------------------------------------
# Headless Chromium (Debian's, never a downloaded one)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# -- a worker's queue of tiny models (worker_speed.py, scale_out.py, gpu_check.py) ------------


def queue_tiny_model(
    queue: Path, models: Path, model: str, *, precision: str = "bfloat16", params: float = 0.0
) -> None:
    """A PENDING request of the local model `models/<model>` at its current content, as the
    Submit tab would write it (`params`: billions, as read from larger weights; 0 keeps
    none)."""
    from datetime import UTC, datetime

    from leaderboard.domain import EvalRequest, ModelType, Precision, Status
    from leaderboard.local_models import LocalModels

    request = EvalRequest(
        model=model,
        precision=Precision(precision),
        status=Status.PENDING,
        revision=LocalModels(models).content_sha(models / model),
        submitted_time=datetime.now(UTC),
        model_type=ModelType.PRETRAINED,
        sender="benchmark",
        params=params or None,
    )
    target = queue / request.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(json.dumps(request.to_json()).encode())


def worker_settings(folder: Path, models: Path, **changes):
    """Settings of a worker on the local stores under `folder`, evaluating the local models
    under `models` on the `sample` suite."""
    from leaderboard.config import Settings

    return Settings(
        queue=str(folder / "queue"),
        results=str(folder / "results"),
        cache_dir=str(folder / "cache"),
        local_models=str(models),
        suite="sample",
        batch_size="8",
        **changes,
    )
