"""The seam between the worker and where evaluations run.

The worker decides what to run (a claimed request's spec and its GPU layout) and keeps the
queue (leases, results, reasons); an executor only runs: it says how many GPUs it can hand
out, starts an evaluation on a slot of that size, and reports how the evaluation went. Every
executor gives the worker the same things back: the log in a local file (lm-eval's
progress bars, read for the queue view), and lm-eval's output folder on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from leaderboard.backend.resources import Layout
from leaderboard.backend.runner import RunOutcome
from leaderboard.backend.spec import EvalSpec


@dataclass(frozen=True)
class Capacity:
    """What an executor can run, for the worker to size and admit evaluations."""

    gpus: int  # the largest number of GPUs one evaluation can get (0: CPUs only)
    gpu_memory_gb: float  # memory of one of those GPUs
    free_gpus: int  # GPUs free now
    free_cpu_slots: int  # evaluations without a GPU that can start now


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

    def fits_now(self, layout: Layout) -> bool:
        """Whether an evaluation of this layout can start at once."""
        ...

    def start(self, spec: EvalSpec, layout: Layout, *, log_path: Path) -> Execution:
        """Start the evaluation on a free slot of `layout`'s size (the caller checked
        `fits_now`)."""
        ...

    def close(self) -> None:
        """Release what the executor holds (a Ray connection); running evaluations are the
        worker's to cancel first."""
        ...


class Unavailable(Exception):
    """No slot of the size asked is free after all (a cluster shared with others, where the
    free resources seen a moment ago were taken): the request goes back to the queue."""


def fits(layout: Layout, capacity: Capacity) -> bool:
    if layout.gpus == 0:
        return capacity.free_cpu_slots > 0
    return layout.gpus <= capacity.free_gpus
