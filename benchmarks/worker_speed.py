"""One worker cycle vs running `lm_eval` directly, on the same tiny model and sample tasks.

    PYTHONPATH=src python benchmarks/worker_speed.py [--workdir DIR] [--repeats 3]

Baseline: the `lm_eval run` command line with the exact arguments the worker's spec stands
for (`EvalSpec.command().argvs`), wall time of the whole process.
Ours: `python -m leaderboard worker --once` on a queue holding one PENDING request of the same
model, wall time of the whole process: reconcile, claim, the harness in a child process,
publish (results, samples, log) and FINISHED. Runs alternate (baseline, ours, baseline, ...)
so that both see the same machine. The model is a tiny random Llama built offline, so the
figures measure overhead around the harness, not model compute.

The cost of the efficiency pass (issue 14): the same worker cycle with the pass turned off
(`LEADERBOARD_EFFICIENCY_SECONDS=0`) runs in the same rotation; the pass's share is printed
both as the wall-time difference and as the pass's own time (`pass_seconds` in the results
file) over the evaluation's (`evaluation_seconds`: load and benchmarks).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from leaderboard.backend.spec import build_spec
from leaderboard.demo_model import build_tiny_model
from leaderboard.domain import EvalRequest, Precision
from leaderboard.local_models import LocalModels
from leaderboard.suites import get_suite

MODEL = "bench-org/tiny-model"


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{done.stderr[-3000:]}")
    return seconds


def main() -> int:
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (3)")
    args = parser.parse_args()
    print(f"# worker_speed ({common.machine_line()})")
    root = common.fresh_dir(args.workdir / "tmp", "worker-speed-")
    models = root / "models"
    folder = build_tiny_model(models / MODEL)
    revision = LocalModels(models).content_sha(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADERBOARD_")}
    env.update(
        PYTHONPATH=str(common.SRC),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        HF_HOME=str(root / "hf_home"),
        LEADERBOARD_LOCAL_MODELS=str(models),
        LEADERBOARD_SUITE="sample",
        LEADERBOARD_DEVICE="cpu",
        LEADERBOARD_BATCH_SIZE="8",
        LEADERBOARD_LOG_LEVEL="WARNING",
    )
    request = EvalRequest(model=MODEL, precision=Precision.BFLOAT16, revision=revision)
    spec = build_spec(
        request,
        get_suite("sample"),
        pretrained=str(folder),
        base=None,
        backend="hf",
        device="cpu",
        batch_size="8",
        output_dir=root / "cli",
    )
    (command,) = spec.command().argvs
    baseline_command = [sys.executable, "-m", "lm_eval", *command[1:]]
    print("baseline:", " ".join(command))
    print("ours:     python -m leaderboard worker --once (one PENDING request)")
    baseline, ours, without, shares = [], [], [], []
    for index in range(args.repeats):
        shutil.rmtree(root / "cli", ignore_errors=True)
        baseline.append(timed(baseline_command, env, root))
        seconds, efficiency = worker_cycle(root / f"run{index}", env, models, root)
        ours.append(seconds)
        shares.append(efficiency["pass_seconds"] / efficiency["evaluation_seconds"])
        seconds, efficiency = worker_cycle(root / f"off{index}", env, models, root, pass_off=True)
        without.append(seconds)
        if efficiency is not None:
            raise RuntimeError("LEADERBOARD_EFFICIENCY_SECONDS=0 still measured efficiency")
        print(
            f"run {index + 1}: lm_eval {baseline[-1]:.2f} s, worker --once {ours[-1]:.2f} s, "
            f"without the efficiency pass {without[-1]:.2f} s, pass / evaluation "
            f"{shares[-1]:.1%}"
        )
    base, mine, off = (statistics.median(x) for x in (baseline, ours, without))
    runs = [
        ("lm_eval run (baseline)", baseline),
        ("worker --once (ours)", ours),
        ("worker --once, no efficiency pass", without),
    ]
    common.print_table(
        ["measure", "median", "min", "max", "runs"],
        [
            [name, *(f"{f(times):.2f} s" for f in (statistics.median, min, max)), len(times)]
            for name, times in runs
        ],
        title="One evaluation of the sample suite on a tiny model (wall time of the process)",
    )
    print(f"\nratio ours / baseline: {mine / base:.2f} (issue 4's bound: at most 1.10)")
    print(f"ratio without the pass / baseline: {off / base:.2f}")
    print(
        f"efficiency pass: {mine - off:+.2f} s of wall time ({mine / off - 1:+.1%}); its own "
        f"time / the evaluation's (load + benchmarks), median: {statistics.median(shares):.1%}"
    )
    return 0


def worker_cycle(
    run: Path, env: dict[str, str], models: Path, cwd: Path, *, pass_off: bool = False
) -> tuple[float, dict | None]:
    """`worker --once` on a fresh queue holding the tiny model: its wall time, and the
    results file's `efficiency` object (None when the pass was off)."""
    common.queue_tiny_model(run / "queue", models, MODEL)
    worker_env = {
        **env,
        "LEADERBOARD_QUEUE": str(run / "queue"),
        "LEADERBOARD_RESULTS": str(run / "results"),
        "LEADERBOARD_CACHE_DIR": str(run / "cache"),
    }
    if pass_off:
        worker_env["LEADERBOARD_EFFICIENCY_SECONDS"] = "0"
    seconds = timed([sys.executable, "-m", "leaderboard", "worker", "--once"], worker_env, cwd)
    published = list((run / "results").rglob("results_*.json"))
    if len(published) != 1:
        raise RuntimeError(f"the worker published {len(published)} results files")
    return seconds, json.loads(published[0].read_text()).get("efficiency")


if __name__ == "__main__":
    sys.exit(main())
