"""Benchmark suites (v2, v1, sample): the one place the leaderboard's columns come from."""

from __future__ import annotations

from leaderboard.errors import unknown
from leaderboard.suites.model import (
    Benchmark,
    BenchmarkScore,
    Part,
    Run,
    Scoring,
    Source,
    Suite,
    lower_bound,
    normalize,
    out_of_range,
    score_benchmark,
    score_result,
)
from leaderboard.suites.sample import SAMPLE
from leaderboard.suites.v1 import V1
from leaderboard.suites.v2 import V2

SUITES: dict[str, Suite] = {suite.name: suite for suite in (V2, V1, SAMPLE)}


def get_suite(name: str) -> Suite:
    """The suite called `name`; an unknown name is answered with the known ones."""
    try:
        return SUITES[name]
    except KeyError:
        raise unknown("suite", name, SUITES) from None


__all__ = [
    "SUITES",
    "Benchmark",
    "BenchmarkScore",
    "Part",
    "Run",
    "Scoring",
    "Source",
    "Suite",
    "get_suite",
    "lower_bound",
    "normalize",
    "out_of_range",
    "score_benchmark",
    "score_result",
]
