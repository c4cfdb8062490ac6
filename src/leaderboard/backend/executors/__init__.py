"""Executors by name (`LEADERBOARD_EXECUTOR`): where the worker's evaluations run.

Adding one: a module with a class that implements `Executor` (base.py), built from the
settings, and a line in `EXECUTORS`. A module is imported only when its executor is chosen,
so `ray` costs nothing to a worker that does not use it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from leaderboard.backend.executors.base import (
    Capacity,
    Execution,
    Executor,
    Unavailable,
)
from leaderboard.config import Settings
from leaderboard.errors import ConfigError, unknown


@dataclass(frozen=True)
class ExecutorEntry:
    module: str  # below leaderboard.backend.executors
    cls: str
    summary: str


EXECUTORS: dict[str, ExecutorEntry] = {
    "local": ExecutorEntry("local", "LocalExecutor", "child processes on this machine's GPUs"),
    "ray": ExecutorEntry("ray_cluster", "RayExecutor", "Ray tasks on a cluster (pip install ray)"),
}


def executor_names() -> list[str]:
    return list(EXECUTORS)


def executor_factory(name: str) -> Callable[[Settings], Executor]:
    entry = EXECUTORS.get(name)
    if entry is None:
        raise ConfigError(str(unknown("executor", name, EXECUTORS)))
    module = importlib.import_module(f"{__name__}.{entry.module}")
    return getattr(module, entry.cls)


def make_executor(settings: Settings) -> Executor:
    return executor_factory(settings.executor)(settings)


__all__ = [
    "EXECUTORS",
    "Capacity",
    "Execution",
    "Executor",
    "Unavailable",
    "executor_factory",
    "executor_names",
    "make_executor",
]
