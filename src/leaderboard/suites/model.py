"""What a benchmark suite is, and how one results file is scored against it.

A benchmark reads one or more *parts* (lm-eval tasks or subtasks). Each part names where its
raw value may be found, in the spellings of every results format we read. Scoring is pure:
`score_result(result, suite)` returns each benchmark's raw value (0-1) and its normalized
score (0-100), or nothing for a benchmark the file does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple

from leaderboard.domain.results import EvalResult


def normalize(value: float, lower_bound: float) -> float:
    """The Open LLM Leaderboard normalization: random baseline -> 0, perfect -> 100."""
    if lower_bound >= 1:
        raise ValueError("the lower bound of a normalization must be below 1")
    return max(0.0, (value - lower_bound) / (1.0 - lower_bound)) * 100.0


def lower_bound(num_choices: int | None) -> float:
    """Random-guess accuracy: 1/num_choices, or 0 for generative tasks."""
    return 1.0 / num_choices if num_choices else 0.0


# Every metric a suite reads (accuracies, exact match, IFEval's strict accuracies, MC2) is a
# fraction: a value outside this range is a broken or forged file, never a score.
LOWEST, HIGHEST = 0.0, 1.0


# A raw value as a file holds it, and the standard error the file gives for it: a plain
# tuple, as a cold build makes one per benchmark part of every file.
Reading = tuple[float, float | None]


@dataclass(frozen=True)
class Source:
    """One way a raw value may be spelled: the first task and metric present (and in range)
    win."""

    tasks: tuple[str, ...]
    metrics: tuple[str, ...]

    def read(self, result: EvalResult, n_shot: int | None) -> Reading | None:
        metrics = result.metrics
        for task in self.tasks:
            values = metrics.get(task)
            if values is None:
                continue
            if n_shot is not None and not _shots_match(result, task, n_shot):
                continue
            for metric in self.metrics:
                value = values.get(metric)
                if value is not None and LOWEST <= value <= HIGHEST:
                    errors = result.stderrs.get(task)
                    return value, (errors.get(metric) if errors else None)
        return None


def _shots_match(result: EvalResult, task: str, n_shot: int) -> bool:
    """A value run with other shots than the benchmark's is not comparable; groups report 0."""
    stated = result.n_shot.get(task)
    return stated is None or stated == n_shot or (stated == 0 and task in result.groups)


@dataclass(frozen=True)
class Part:
    name: str
    sources: tuple[Source, ...]
    num_choices: int | None = None
    # How many items the metric is the mean of: the dataset's published size, checked against
    # results files' `n-samples` (lm-eval) and against their stderrs. It estimates the stderr
    # of a file that gives none (the v1 archive, template files).
    items: int | None = None

    def read(self, result: EvalResult, n_shot: int | None) -> Reading | None:
        for source in self.sources:
            reading = source.read(result, n_shot)
            if reading is not None:
                return reading
        return None


class Scoring(StrEnum):
    SINGLE = "single"  # one value, normalized with its part's lower bound
    MEAN = "mean"  # mean of the parts' raw values, then normalized (IFEval; MMLU in v1)
    NORMALIZED_MEAN = "normalized mean"  # each part normalized, then averaged (BBH, MuSR)


_SINGLE, _MEAN = Scoring.SINGLE, Scoring.MEAN  # read once: member lookups cost in a hot loop


@dataclass(frozen=True)
class Benchmark:
    key: str  # column key, unique within its suite
    label: str  # what the table shows
    description: str
    n_shot: int | None
    parts: tuple[Part, ...]
    scoring: Scoring = Scoring.SINGLE
    metric_label: str = "acc"
    # Where a file may carry the benchmark's raw aggregate directly (lm-eval groups, template
    # files): used as the raw value, and as the score itself for MEAN when parts are missing.
    aggregate: Part | None = None
    paper: str = ""

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(part.sources[0].tasks[0] for part in self.parts)

    @cached_property
    def lower_bounds(self) -> tuple[float, ...]:
        """Each part's random baseline, read once: scoring is a cold build's hot loop."""
        return tuple(lower_bound(part.num_choices) for part in self.parts)

    @cached_property
    def part_tasks(self) -> tuple[str, ...]:
        """Every spelling of every part's task."""
        return tuple(
            task for part in self.parts for source in part.sources for task in source.tasks
        )


class BenchmarkScore(NamedTuple):  # a tuple: one per benchmark of every file in a cold build
    raw: float  # 0-1, as the harness reports it
    normalized: float  # 0-100, what the leaderboard shows and averages
    # Standard error of `raw` (0-1): the file's own stderr values, or where it gives none the
    # binomial estimate from the part's number of items (parts combined as independent);
    # None when neither is known for a value used.
    stderr: float | None = None
    normalized_stderr: float | None = None  # of `normalized` (0-100), carried through it
    estimated: bool = False  # some stderr used was estimated, not read from the file


# What the results frame keeps of each BenchmarkScore beside the normalized score, each in a
# column named `<suite>.<key>_<part>` (table/frames.py), and what a board keeps beside it
# (`<key>_raw`, `<key>_ci`, table/columns.py): no benchmark key may end in one of these.
SCORE_PARTS = ("raw", "stderr", "se", "estimated")
RESERVED_SUFFIXES = tuple(f"_{part}" for part in (*SCORE_PARTS, "ci"))
# A 95% confidence interval is the score plus or minus this many standard errors.
CI_Z = 1.959964


def binomial_stderr(value: float, items: int) -> float:
    """`sqrt(p(1-p)/(n-1))`: the standard error of a mean of n 0/1 values, as lm-eval's
    `mean_stderr` computes it (for a metric that is not 0/1 per item, such as TruthfulQA's
    mc2, an upper bound)."""
    return (value * (1.0 - value) / (items - 1)) ** 0.5


def normalized_stderr(stderr: float, lower_bound: float) -> float:
    """The stderr of `normalize(value, lower_bound)`, which is linear in the value (its clip
    at 0 is ignored: a conservative bound for a score at the random baseline)."""
    return stderr * 100.0 / (1.0 - lower_bound)


# A reading with its stderr filled in: (value, stderr, whether the stderr was estimated). A
# plain tuple, as a cold build makes one per part of every file (BBH has 24).
Estimate = tuple[float, float | None, bool]


def _estimate(reading: Reading, part: Part) -> Estimate:
    """A reading with its stderr: the file's, else the binomial one from the part's items."""
    value, stderr = reading
    items = part.items
    if stderr is not None or items is None or items < 2:
        return value, stderr, False
    return value, binomial_stderr(value, items), True


def score_benchmark(result: EvalResult, benchmark: Benchmark) -> BenchmarkScore | None:
    readings = [part.read(result, benchmark.n_shot) for part in benchmark.parts]
    scoring = benchmark.scoring
    if scoring is _SINGLE:
        part = benchmark.parts[0]
        if readings[0] is not None:
            raw, stderr, estimated = _estimate(readings[0], part)
        elif (aggregate := _aggregate(result, benchmark)) is not None:
            raw, stderr, estimated = _estimate(aggregate, benchmark.aggregate)  # type: ignore[arg-type]
        else:
            return None
        low = lower_bound(part.num_choices)
        scaled = None if stderr is None else normalized_stderr(stderr, low)
        return BenchmarkScore(raw, normalize(raw, low), stderr, scaled, estimated)
    complete = None not in readings
    if scoring is _MEAN:
        if complete:
            parts = [_estimate(r, p) for r, p in zip(readings, benchmark.parts, strict=True)]  # type: ignore[arg-type]
            raw = sum(p[0] for p in parts) / len(parts)
            stderr = _combined_stderr([p[1] for p in parts], None)
            estimated = any(p[2] for p in parts)
        elif (aggregate := _aggregate(result, benchmark)) is not None:
            raw, stderr, estimated = _estimate(aggregate, benchmark.aggregate)  # type: ignore[arg-type]
        else:
            return None
        scaled = None if stderr is None else normalized_stderr(stderr, 0.0)
        return BenchmarkScore(raw, normalize(raw, 0.0), stderr, scaled, estimated)
    if not complete:
        return None
    parts = [_estimate(r, p) for r, p in zip(readings, benchmark.parts, strict=True)]  # type: ignore[arg-type]
    lows = benchmark.lower_bounds
    normalized = sum(normalize(p[0], low) for p, low in zip(parts, lows, strict=True))
    errors = [p[1] for p in parts]
    scaled = None
    if None not in errors:
        scaled = _combined_stderr(
            [normalized_stderr(e, low) for e, low in zip(errors, lows, strict=True)],
            None,  # type: ignore[arg-type]
        )
    estimated = any(p[2] for p in parts)
    aggregate = _aggregate(result, benchmark)
    if aggregate is not None:
        raw, stderr, from_items = _estimate(aggregate, benchmark.aggregate)  # type: ignore[arg-type]
        estimated = estimated or from_items
    else:
        weights = _weights(result, benchmark)
        raw = sum(w * p[0] for w, p in zip(weights, parts, strict=True)) / sum(weights)
        stderr = _combined_stderr(errors, weights)
    return BenchmarkScore(raw, normalized / len(parts), stderr, scaled, estimated)


class PartScore(NamedTuple):
    """One part (subtask) of a benchmark scored on its own, for a model's page."""

    name: str
    raw: float
    normalized: float
    stderr: float | None
    normalized_stderr: float | None
    estimated: bool


def score_parts(result: EvalResult, benchmark: Benchmark) -> tuple[PartScore, ...]:
    """Each part the file holds, normalized with its own baseline (BBH's subtasks have 2 to 7
    choices); a one-part benchmark has no subtasks to show."""
    if len(benchmark.parts) < 2:
        return ()
    scores = []
    for part, low in zip(benchmark.parts, benchmark.lower_bounds, strict=True):
        reading = part.read(result, benchmark.n_shot)
        if reading is None:
            continue
        raw, stderr, estimated = _estimate(reading, part)
        scaled = None if stderr is None else normalized_stderr(stderr, low)
        scores.append(PartScore(part.name, raw, normalize(raw, low), stderr, scaled, estimated))
    return tuple(scores)


def _aggregate(result: EvalResult, benchmark: Benchmark) -> Reading | None:
    """The file's own aggregate, unless it or the parts it sums ran with other shots."""
    if benchmark.aggregate is None:
        return None
    if benchmark.n_shot is not None and any(
        task in result.metrics and not _shots_match(result, task, benchmark.n_shot)
        for task in benchmark.part_tasks
    ):
        return None
    return benchmark.aggregate.read(result, benchmark.n_shot)


def _weights(result: EvalResult, benchmark: Benchmark) -> list[int]:
    """The weights lm-eval gives a group's parts: their sample counts, else equal."""
    weights = [result.n_samples.get(task, 0) for task in benchmark.tasks]
    return weights if all(weights) else [1] * len(weights)


def _combined_stderr(errors: list[float | None], weights: list[int] | None) -> float | None:
    """The stderr of a (weighted) mean of independent values; None if any has none."""
    if None in errors:
        return None
    if weights is None:
        return sum(e * e for e in errors) ** 0.5 / len(errors)  # type: ignore[operator]
    variance = sum((w * e) ** 2 for w, e in zip(weights, errors, strict=True))  # type: ignore[operator]
    return variance**0.5 / sum(weights)


@dataclass(frozen=True)
class Run:
    """One lm-eval invocation of a suite: its tasks and their few-shot count (None: the task's)."""

    tasks: tuple[str, ...]
    num_fewshot: int | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    description: str
    benchmarks: tuple[Benchmark, ...]
    runs: tuple[Run, ...]
    shows_raw_columns: bool  # v2 shows normalized scores and keeps raw ones as hidden columns
    normalization: str  # one paragraph for the About tab
    citation: str = ""
    include_path: str = ""  # local task folder (sample suite), relative to the package

    @cached_property
    def task_names(self) -> frozenset[str]:
        """Every task spelling any of its benchmarks reads: a file with none of them is not
        of this suite, and scoring it can stop at once."""
        parts = [
            part
            for benchmark in self.benchmarks
            for part in (*benchmark.parts, *((benchmark.aggregate,) if benchmark.aggregate else ()))
        ]
        return frozenset(task for part in parts for source in part.sources for task in source.tasks)

    @cached_property
    def metrics_read(self) -> dict[str, frozenset[str]]:
        """task -> the metrics any benchmark of the suite reads from it."""
        read: dict[str, set[str]] = {}
        for benchmark in self.benchmarks:
            parts = (*benchmark.parts, *((benchmark.aggregate,) if benchmark.aggregate else ()))
            for part in parts:
                for source in part.sources:
                    for task in source.tasks:
                        read.setdefault(task, set()).update(source.metrics)
        return {task: frozenset(metrics) for task, metrics in read.items()}

    def benchmark(self, key: str) -> Benchmark:
        for benchmark in self.benchmarks:
            if benchmark.key == key:
                return benchmark
        from leaderboard.errors import unknown

        raise unknown("benchmark", key, [b.key for b in self.benchmarks])


def out_of_range(result: EvalResult, suite: Suite) -> list[str]:
    """The values the suite would read that lie outside LOWEST..HIGHEST, described for the
    log: scoring leaves them out and uses the file's other values."""
    if result.fractions_only:  # every value in 0..1, which is LOWEST..HIGHEST: none is out
        return []
    found = []
    for task in suite.task_names.intersection(result.metrics):
        for metric, value in result.metrics[task].items():
            if not LOWEST <= value <= HIGHEST and metric in suite.metrics_read[task]:
                found.append(f"{task} {metric} = {value:g} is outside {LOWEST:g}..{HIGHEST:g}")
    return sorted(found)


def score_result(result: EvalResult, suite: Suite) -> dict[str, BenchmarkScore]:
    """Scores of the suite's benchmarks that this file covers (possibly none)."""
    if suite.task_names.isdisjoint(result.metrics):
        return {}
    scores = {}
    for benchmark in suite.benchmarks:
        score = score_benchmark(result, benchmark)
        if score is not None:
            scores[benchmark.key] = score
    return scores
