"""Scale-out: four tiny-model evaluations through Ray, two at once, against the same four
one after the other through `local` (a CPU-only machine has one slot); and each executor's
overhead per evaluation, from the claim to the harness child's first line reaching the
worker.

    PYTHONPATH=src python benchmarks/scale_out.py [--workdir DIR] [--models 4] [--gpus 2]

Both runs are the real worker in this process (`Worker.run_cycle(keep_claiming=True)`) on a
local queue of the same requests, the real harness on the `sample` suite and a tiny model
built offline. The Ray run starts a real local cluster (`ray start --head --num-cpus=2
--num-gpus=N`, logical GPUs), so N evaluations run at once, each on the CPU. The overhead is
measured from the moment the claim's write returned to the moment the child's first line
(`leaderboard: evaluating ...`, printed once lm-eval is imported) is in the worker's log
file: for `ray`, that adds the placement group, the actor's start, the runtime environment and
the log coming back through the actor's polls.
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from leaderboard.backend.worker import Outcome, Worker
from leaderboard.config import Settings
from leaderboard.demo_model import build_tiny_model
from leaderboard.stores import LocalStore

FIRST_LINE = b"leaderboard: evaluating "


class Overheads:
    """Claim -> first line of the child in the worker's log, per request."""

    def __init__(self, worker: Worker):
        self.worker = worker
        self.claimed: dict[str, float] = {}
        self.running: dict[str, float] = {}
        self.done = threading.Event()
        claim_many = worker.queue.claim_many

        def timed_claim(*args, **kwargs):
            claims = claim_many(*args, **kwargs)
            now = time.monotonic()
            for claim in claims:
                self.claimed[claim.path] = now
            return claims

        worker.queue.claim_many = timed_claim
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()

    def _watch(self) -> None:
        while not self.done.is_set():
            for path, flight in list(self.worker.in_flight.items()):
                if path in self.running:
                    continue
                try:
                    head = flight.execution.log_path.read_bytes()[:4096]
                except OSError:
                    continue
                if FIRST_LINE in head:
                    self.running[path] = time.monotonic()
            time.sleep(0.01)

    def seconds(self) -> list[float]:
        self.done.set()
        self.watcher.join()
        return [self.running[p] - self.claimed[p] for p in self.running if p in self.claimed]


def run(settings: Settings, executor_name: str, expected: int) -> tuple[float, list[float]]:
    worker = Worker(
        LocalStore(settings.queue),
        LocalStore(settings.results),
        settings.replace(executor=executor_name),
    )
    overheads = Overheads(worker)
    started = time.monotonic()
    results = worker.run_cycle(keep_claiming=True)
    wall = time.monotonic() - started
    worker.close()
    if [r.outcome for r in results] != [Outcome.FINISHED] * expected:
        raise RuntimeError(f"the {executor_name} run did not finish every evaluation: {results}")
    return wall, overheads.seconds()


def main() -> int:
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=4, help="evaluations (4)")
    parser.add_argument("--gpus", type=int, default=2, help="logical GPUs of the Ray cluster (2)")
    args = parser.parse_args()
    print(f"# scale_out ({common.machine_line()})")
    root = common.fresh_dir(args.workdir / "tmp", "scale-out-")
    models = root / "models"
    names = [f"bench-org/tiny-{index}" for index in range(args.models)]
    first = build_tiny_model(models / names[0])
    for name in names[1:]:
        shutil.copytree(first, models / name)

    def settings_for(name: str, **changes) -> Settings:
        for model in names:  # one GPU each
            common.queue_tiny_model(root / name / "queue", models, model, params=1.0)
        return common.worker_settings(
            root / name, models, log_level="WARNING", worker_interval=1, **changes
        )

    local_wall, local_overheads = run(settings_for("local", device="cpu"), "local", args.models)
    print(f"local: {args.models} evaluations one after the other in {local_wall:.1f} s")

    # On loopback only, with a token of its own (see tests/test_ray.py), set before Ray is
    # imported: this process joins the cluster.
    os.environ.update(
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
        RAY_AUTH_MODE="token",
        RAY_AUTH_TOKEN=secrets.token_hex(32),
        RAY_USAGE_STATS_ENABLED="0",
    )
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    ray_cli = [sys.executable, "-m", "ray.scripts.scripts"]
    port = common.free_port()
    subprocess.run(
        [
            *ray_cli,
            "start",
            "--head",
            f"--port={port}",
            "--node-ip-address=127.0.0.1",
            "--num-cpus=2",
            f"--num-gpus={args.gpus}",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={temp}",
        ],
        check=True,
        capture_output=True,
    )
    try:
        ray_settings = settings_for("ray", device="cpu", ray_address=f"127.0.0.1:{port}")
        ray_wall, ray_overheads = run(ray_settings, "ray", args.models)
    finally:
        subprocess.run([*ray_cli, "stop", "--force"], capture_output=True)
        shutil.rmtree(temp, ignore_errors=True)
    print(f"ray: {args.models} evaluations, {args.gpus} at once, in {ray_wall:.1f} s")

    local_median = statistics.median(local_overheads)
    ray_median = statistics.median(ray_overheads)
    common.print_table(
        ["measure", "ray", "local (baseline)", "ray / local"],
        [
            [
                f"{args.models} evaluations, wall time",
                common.fmt_seconds(ray_wall),
                common.fmt_seconds(local_wall),
                f"{ray_wall / local_wall:.2f}",
            ],
            [
                "claim -> child running, median",
                common.fmt_seconds(ray_median),
                common.fmt_seconds(local_median),
                f"{ray_median / local_median:.2f}",
            ],
            [
                "claim -> child running, max",
                common.fmt_seconds(max(ray_overheads)),
                common.fmt_seconds(max(local_overheads)),
                f"{max(ray_overheads) / max(local_overheads):.2f}",
            ],
        ],
        title=(
            f"Scale-out on {common.machine_line()}: ray with {args.gpus} logical GPUs "
            f"against local with one CPU slot"
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
