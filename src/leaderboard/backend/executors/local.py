"""`local`: evaluations in child processes on this machine, one per slot of its GPUs.

The worker's GPUs (`LEADERBOARD_GPUS`, else every GPU `nvidia-smi` lists within
CUDA_VISIBLE_DEVICES) are handed out by the layout each evaluation needs, and a child sees
only its own (`CUDA_VISIBLE_DEVICES`), so a machine with eight GPUs runs eight small models
at once, or two that need four. Without a GPU (or with `LEADERBOARD_DEVICE=cpu`) there is
one slot: evaluations on the CPU would only slow each other down.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from leaderboard.backend.executors.base import DEFAULT_GPU_MEMORY_GB, Capacity, Unavailable
from leaderboard.backend.resources import Layout
from leaderboard.backend.runner import EvaluationProcess, RunOutcome
from leaderboard.backend.spec import EvalSpec
from leaderboard.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Gpu:
    index: int  # as CUDA numbers it with no CUDA_VISIBLE_DEVICES (nvidia-smi's index)
    memory_gb: float


def machine_gpus() -> list[Gpu]:
    """The GPUs `nvidia-smi` lists, within this process's CUDA_VISIBLE_DEVICES (numeric
    indices); none where there is no driver. Never imports torch (the app process never
    does)."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listed = subprocess.run(
            ["nvidia-smi", "--query-gpu=index,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    gpus = []
    for line in listed.stdout.splitlines():
        index, _, memory = line.partition(",")
        if index.strip().isdigit():
            try:
                gpus.append(Gpu(int(index), float(memory) / 1024))
            except ValueError:
                continue
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        allowed = [int(d) for d in visible.split(",") if d.strip().isdigit()]
        gpus = [gpu for gpu in gpus if gpu.index in allowed]
    return gpus


@dataclass
class LocalExecution:
    process: EvaluationProcess
    gpus: tuple[int, ...]
    executor: LocalExecutor
    released: bool = field(default=False)

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    @property
    def output_dir(self) -> Path:
        return self.process.output_dir

    def poll(self) -> RunOutcome | None:
        outcome = self.process.poll()
        if outcome is not None:
            self._release()
        return outcome

    def cancel(self) -> None:
        self.process.kill()
        self._release()

    def _release(self) -> None:
        if not self.released:
            self.released = True
            self.executor.release(self.gpus)


class LocalExecutor:
    name = "local"

    def __init__(self, settings: Settings, *, gpus: list[Gpu] | None = None):
        found = machine_gpus() if gpus is None else gpus
        if settings.device == "cpu":
            found = []
        elif settings.gpus:
            by_index = {gpu.index: gpu for gpu in found}
            missing = [index for index in settings.gpus if index not in by_index]
            if missing:
                log.warning(
                    "LEADERBOARD_GPUS names GPUs this machine does not show: %s",
                    ", ".join(map(str, missing)),
                )
            found = [by_index[index] for index in settings.gpus if index in by_index]
        self.gpus = tuple(gpu.index for gpu in found)
        smallest = min((gpu.memory_gb for gpu in found), default=DEFAULT_GPU_MEMORY_GB)
        self.gpu_memory_gb = settings.gpu_memory_gb or smallest
        self.free: list[int] = list(self.gpus)
        self.cpu_busy = False

    def capacity(self) -> Capacity:
        return Capacity(
            gpus=len(self.gpus),
            gpu_memory_gb=self.gpu_memory_gb,
            free_gpus=len(self.free),
            free_cpu_slots=0 if self.gpus or self.cpu_busy else 1,
        )

    def fits_now(self, layout: Layout) -> bool:
        return self.capacity().fits(layout)

    def start(self, spec: EvalSpec, layout: Layout, *, log_path: Path) -> LocalExecution:
        if not self.fits_now(layout):
            raise Unavailable(f"no free slot of {layout.gpus} GPU(s) here")
        taken = tuple(self.free[: layout.gpus])
        del self.free[: layout.gpus]
        self.cpu_busy = self.cpu_busy or not taken
        try:
            process = EvaluationProcess(spec, log_path=log_path, visible_gpus=taken)
        except BaseException:
            self.release(taken)
            raise
        return LocalExecution(process, taken, self)

    def release(self, gpus: tuple[int, ...]) -> None:
        if not gpus:
            self.cpu_busy = False
        self.free = sorted({*self.free, *gpus})

    def close(self) -> None:
        return None
