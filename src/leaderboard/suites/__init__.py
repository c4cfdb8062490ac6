"""Benchmark suites (v2, v1, sample): the one place the leaderboard's columns come from."""

from __future__ import annotations

import re
from collections.abc import Iterable

from leaderboard.errors import unknown
from leaderboard.suites.model import (
    CI_Z,
    RESERVED_SUFFIXES,
    Benchmark,
    BenchmarkScore,
    Part,
    Reading,
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

_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


def register(suites: Iterable[Suite]) -> dict[str, Suite]:
    """Suites by name, each checked. Two suites may reuse a benchmark key (the results frame
    namespaces scores by suite: `v2.gsm8k`, `mysuite.gsm8k`); refused with a message: two
    suites of one name (both named), a key used twice in one suite, a key that is not a plain
    lowercase identifier (the table layer also refuses a key that names one of its own
    columns: `table.fields.check_benchmark_keys`)."""
    registry: dict[str, Suite] = {}
    for suite in suites:
        if not _KEY.fullmatch(suite.name):
            raise ValueError(f"suite name {suite.name!r} must be a lowercase identifier")
        if suite.name in registry:
            raise ValueError(
                f"two suites are named {suite.name!r}: {registry[suite.name].title!r} and "
                f"{suite.title!r}; rename one"
            )
        seen: dict[str, str] = {}
        for benchmark in suite.benchmarks:
            key = benchmark.key
            if not _KEY.fullmatch(key) or key.endswith(RESERVED_SUFFIXES):
                raise ValueError(
                    f"benchmark key {key!r} of suite {suite.name!r} must be a lowercase "
                    "identifier (letters, digits, `_`) not ending in "
                    + ", ".join(RESERVED_SUFFIXES)
                )
            if key in seen:
                raise ValueError(
                    f"suite {suite.name!r} has two benchmarks keyed {key!r}: "
                    f"{seen[key]!r} and {benchmark.label!r}"
                )
            seen[key] = benchmark.label
        registry[suite.name] = suite
    return registry


SUITES: dict[str, Suite] = register((V2, V1, SAMPLE))


def get_suite(name: str) -> Suite:
    """The suite called `name`; an unknown name is answered with the known ones."""
    try:
        return SUITES[name]
    except KeyError:
        raise unknown("suite", name, SUITES) from None


__all__ = [
    "CI_Z",
    "SUITES",
    "Benchmark",
    "BenchmarkScore",
    "Part",
    "Reading",
    "Run",
    "Scoring",
    "Source",
    "Suite",
    "get_suite",
    "lower_bound",
    "normalize",
    "out_of_range",
    "register",
    "score_benchmark",
    "score_result",
]
