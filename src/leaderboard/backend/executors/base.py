"""The seam between the worker and where evaluations run.

The worker decides what to run (a claimed request's spec and its GPU layout) and keeps the
queue (leases, results, reasons); an executor only runs: it says how many GPUs it can hand
out, starts an evaluation on a slot of that size, and reports how the evaluation went. Every
executor gives the worker the same things back: the log in a local file (lm-eval's
progress bars, read for the queue view), and lm-eval's output folder on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from leaderboard.backend.resources import Layout
from leaderboard.backend.runner import RunOutcome
from leaderboard.backend.spec import EvalSpec

DEFAULT_GPU_MEMORY_GB = 80.0  # an A100's or H100's, where nothing says otherwise


@dataclass(frozen=True)
class Capacity:
    """What an executor can run, for the worker to size and admit evaluations."""

    gpus: int  # the largest number of GPUs one evaluation can get (0: CPUs only)
    gpu_memory_gb: float  # memory of one of those GPUs
    free_gpus: int  # GPUs free now
    free_cpu_slots: int  # evaluations without a GPU that can start now

    @property
    def full(self) -> bool:
        return self.free_gpus <= 0 and self.free_cpu_slots <= 0

    def fits(self, layout: Layout) -> bool:
        if layout.gpus == 0:
            return self.free_cpu_slots > 0
        return layout.gpus <= self.free_gpus

    def without(self, layout: Layout) -> Capacity:
        """What is left once an evaluation of `layout` has its slot (the worker plans a
        claim of several with it)."""
        if layout.gpus:
            return replace(self, free_gpus=self.free_gpus - layout.gpus)
        return replace(self, free_cpu_slots=self.free_cpu_slots - 1)


class Execution(Protocol):
    """One evaluation started by an executor."""

    log_path: Path  # a local file that grows as the evaluation logs
    output_dir: Path  # lm-eval's output, complete on this machine once `poll` says ok

    def poll(self) -> RunOutcome | None:
        """None while it runs; then how it ended (once ok, the output is here)."""
        ...

    def cancel(self) -> None:
        """Stop it now and free its slot (waits until it is gone)."""
        ...


class Executor(Protocol):
    name: str

    def capacity(self) -> Capacity: ...

    def start(self, spec: EvalSpec, layout: Layout, *, log_path: Path) -> Execution:
        """Start the evaluation on a free slot of `layout`'s size; Unavailable when there
        is none after all (the caller planned by `capacity`, which others may have used)."""
        ...

    def close(self) -> None:
        """Release what the executor holds (a Ray connection); running evaluations are the
        worker's to cancel first."""
        ...


class Unavailable(Exception):
    """No slot of the size asked is free after all (a cluster shared with others, where the
    free resources seen a moment ago were taken): the request goes back to the queue."""
