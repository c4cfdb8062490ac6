"""The GPU paths of the worker, each run once on a tiny model built offline: one line per path,
`passed`, `failed` with the reason, or `skipped` with why, and its seconds.

    bash benchmarks/gpu_check.sh          (on a GPU machine; it runs this file)

Each path is the real worker (`Worker.run_cycle`) evaluating one queued request of the tiny
model on the `sample` suite, in local folders, through the real executor the path names, and
checks that the request ended FINISHED with a results file. No network: the model is built
here, the tasks ship with the project.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from leaderboard.backend.worker import Outcome, Worker
from leaderboard.demo_model import build_tiny_model
from leaderboard.domain import Precision
from leaderboard.stores import LocalStore

MODEL = "gpu-check/tiny-model"


@dataclass(frozen=True)
class GpuPath:
    name: str
    precision: Precision
    settings: dict
    needs: tuple[str, ...] = ()  # importable packages
    min_gpus: int = 1
    params: float = 0.001  # billions: one GPU


def paths() -> list[GpuPath]:
    return [
        GpuPath("hf, cuda, bfloat16", Precision.BFLOAT16, {"device": "cuda"}),
        GpuPath(
            "hf, accelerate launch, data parallel over 2 GPUs",
            Precision.BFLOAT16,
            {"device": "cuda", "data_parallel": 2},
            min_gpus=2,
        ),
        GpuPath(
            "hf, model parallel (parallelize=True) over 2 GPUs",
            Precision.BFLOAT16,
            {"device": "cuda", "gpu_memory_gb": 1.0},
            min_gpus=2,
            params=0.6,  # 1.44 GB in bfloat16: more than a "1 GB" GPU, less than two
        ),
        GpuPath(
            "vllm, cuda, bfloat16",
            Precision.BFLOAT16,
            {"device": "cuda", "lm_eval_backend": "vllm"},
            needs=("vllm",),
        ),
        GpuPath("hf, 8bit (bitsandbytes)", Precision.INT8, {"device": "cuda"}, ("bitsandbytes",)),
        GpuPath("hf, 4bit (bitsandbytes)", Precision.INT4, {"device": "cuda"}, ("bitsandbytes",)),
        GpuPath(
            "ray executor, a local cluster, num_gpus=1",
            Precision.BFLOAT16,
            {"device": "cuda", "executor": "ray"},
            needs=("ray",),
        ),
    ]


def run_path(root: Path, models: Path, check: GpuPath, timeout: int) -> str:
    folder = root / check.name.split(",")[0].replace(" ", "-") / str(time.monotonic_ns())
    common.queue_tiny_model(
        folder / "queue", models, MODEL, precision=check.precision.value, params=check.params
    )
    settings = common.worker_settings(folder, models, eval_timeout=timeout, **check.settings)
    worker = Worker(LocalStore(settings.queue), LocalStore(settings.results), settings)
    try:
        (result,) = worker.run_cycle()
    finally:
        worker.close()
    if result.outcome is not Outcome.FINISHED:
        return f"failed: {result.outcome.value}: {result.reason}"
    logs = list((folder / "results").rglob("eval_*.log"))
    shown = []  # where it ran, and what the efficiency pass measured there
    for line in logs[0].read_text(errors="replace").splitlines() if logs else []:
        if line.startswith("leaderboard: ") and (
            "CUDA_VISIBLE_DEVICES" in line or line.startswith("leaderboard: efficiency: ")
        ):
            shown.append(line.removeprefix("leaderboard: "))
    return f"passed ({'; '.join(shown)})" if shown else "passed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=int, default=240, help="seconds per path (240)")
    parser.add_argument("--only", default="", help="run only paths whose name has this text")
    args = parser.parse_args()
    import torch

    gpus = torch.cuda.device_count()
    names = ", ".join(torch.cuda.get_device_name(i) for i in range(gpus)) or "none"
    print(f"gpu_check: torch {torch.__version__}, {gpus} GPU(s): {names}", flush=True)
    if not gpus:
        print("gpu_check: skipped: no CUDA GPU here", flush=True)
        return 0
    root = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    try:
        started = time.monotonic()
        models = root / "models"
        build_tiny_model(models / MODEL)
        print(f"gpu_check: tiny model built in {time.monotonic() - started:.1f} s", flush=True)
        for check in paths():
            if args.only and args.only not in check.name:
                continue
            line = checked(check, gpus, lambda c: run_path(root, models, c, args.timeout))
            print(f"gpu_check: {check.name}: {line}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def checked(check: GpuPath, gpus: int, run: Callable[[GpuPath], str]) -> str:
    missing = [name for name in check.needs if importlib.util.find_spec(name) is None]
    if missing:
        return f"skipped: {', '.join(missing)} is not installed here"
    if gpus < check.min_gpus:
        return f"skipped: needs {check.min_gpus} GPUs, {gpus} here"
    started = time.monotonic()
    try:
        outcome = run(check)
    except Exception as exc:  # one path's failure is its line, not the end of the check
        traceback.print_exc()
        outcome = f"failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    return f"{outcome} in {time.monotonic() - started:.1f} s"


if __name__ == "__main__":
    sys.exit(main())
