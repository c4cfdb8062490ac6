"""Two to four models side by side: their scores with intervals, each difference from the
first model marked significant or not, and, per task both have samples of, the paired view
(agreement, McNemar or a paired bootstrap, the samples where one is right and the other
wrong). Pure over profiles and parsed samples (`compare.py` holds the statistics); the one
edge, `load_comparison`, reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

from leaderboard.compare import (
    MAX_SERIES,
    MIN_SERIES,
    Difference,
    PairedTest,
    paired_test,
    score_difference,
)
from leaderboard.errors import LeaderboardError
from leaderboard.profile import ModelProfile, ScoreLine, json_ready, load_profile
from leaderboard.samples import TaskSamples
from leaderboard.suites import CI_Z, Suite
from leaderboard.table.snapshot import Snapshot

PAIRED_ITERATIONS = 2_000  # of a bootstrap in the page: ~0.1 s for 12,000 items
PAIRED_IDS_SHOWN = 50  # doc ids listed per side in the page (the API gives up to 1,000)
MAX_COMPARE_CHARS = 1_200  # of `?compare=` (4 names of at most 300 characters)


@dataclass(frozen=True)
class ComparedModel:
    model: str
    precision: str
    hub_url: str | None


@dataclass(frozen=True)
class ComparedScore:
    """One benchmark (or the Average) across the models; `differences[i]` is model i's
    difference from the first model (None for the first itself)."""

    key: str
    label: str
    scores: tuple[float | None, ...]
    intervals: tuple[float | None, ...]
    differences: tuple[Difference | None, ...]


@dataclass(frozen=True)
class PairedTask:
    """The first model against another on one task's samples."""

    task: str
    metric: str
    other: int  # index of the other model
    test: PairedTest | None
    note: str = ""  # why there is no test
    paths: tuple[str, str] = ("", "")  # the two samples files (for the viewer's links)


@dataclass(frozen=True)
class Comparison:
    suite: str
    models: tuple[ComparedModel, ...]
    scores: tuple[ComparedScore, ...]
    paired: tuple[PairedTask, ...]

    def to_json(self) -> dict:
        return json_ready(asdict(self))


def parse_names(text: str | Sequence[str]) -> list[tuple[str, str]]:
    """`a,b,c` (or a list) as (model, precision) pairs: `org/name@bfloat16` names a
    precision; 2 to 4 distinct entries, else LeaderboardError saying what to change."""
    if isinstance(text, str):
        if len(text) > MAX_COMPARE_CHARS:
            raise LeaderboardError(
                f"The list of models is {len(text):,} characters; at most {MAX_COMPARE_CHARS}."
            )
        items = [item.strip() for item in text.split(",")]
    else:
        items = [str(item).strip() for item in text][: MAX_SERIES + 1]
    names = []
    for item in items:
        if not item:
            continue
        model, _, precision = item.partition("@")
        entry = (model.strip(), precision.strip())
        if entry not in names:
            names.append(entry)
    if not MIN_SERIES <= len(names) <= MAX_SERIES:
        raise LeaderboardError(
            f"Compare {MIN_SERIES} to {MAX_SERIES} models, separated by commas "
            f"(`org/a, org/b`; `org/a@bfloat16` picks a precision), not {len(names)}."
        )
    return names


def _line(profile: ModelProfile, key: str) -> ScoreLine:
    if key == "average":
        return profile.average
    return next(line for line in profile.benchmarks if line.key == key)


def compare_scores(profiles: Sequence[ModelProfile], suite: Suite) -> tuple[ComparedScore, ...]:
    rows = []
    for key, label in (("average", "Average"), *((b.key, b.label) for b in suite.benchmarks)):
        lines = [_line(profile, key) for profile in profiles]
        first = lines[0]
        differences: list[Difference | None] = [None]
        for line in lines[1:]:
            if line.score is None or first.score is None:
                differences.append(None)
                continue
            se = [None if x.interval is None else x.interval / CI_Z for x in (line, first)]
            differences.append(score_difference(line.score, se[0], first.score, se[1]))
        rows.append(
            ComparedScore(
                key,
                label,
                tuple(line.score for line in lines),
                tuple(line.interval for line in lines),
                tuple(differences),
            )
        )
    return tuple(rows)


def task_metric(suites: Iterable[Suite], task: str, available: Sequence[str]) -> str | None:
    """The metric a suite scores `task` by (`acc_norm` for most multiple choice), else the
    first the samples have: what the board shows is what correct and incorrect mean."""
    for suite in suites:
        for benchmark in suite.benchmarks:
            for part in benchmark.parts:
                for source in part.sources:
                    if task in source.tasks:
                        for metric in source.metrics:
                            name = metric.split(",", 1)[0]
                            if name in available:
                                return name
    return available[0] if available else None


def values_by_doc(samples: TaskSamples, metric: str) -> dict[int, float]:
    """doc_id -> the metric's value, from the samples of the file's first filter."""
    first = samples.filters[0] if samples.filters else None
    values = {}
    for sample in samples.samples:
        if sample.filter == first:
            value = sample.value(metric)
            if value is not None:
                values[sample.doc_id] = value
    return values


def paired_task(
    task: str, suite: Suite, mine: TaskSamples, theirs: TaskSamples, other: int
) -> PairedTask:
    metric = task_metric([suite], task, [m for m in mine.metrics if m in theirs.metrics])
    if metric is None:
        return PairedTask(task, "", other, None, "The two files share no metric.")
    try:
        test = paired_test(
            values_by_doc(mine, metric), values_by_doc(theirs, metric), iterations=PAIRED_ITERATIONS
        )
    except ValueError as exc:
        return PairedTask(task, metric, other, None, str(exc))
    return PairedTask(task, metric, other, test)


def build_comparison(
    profiles: Sequence[ModelProfile],
    suite: Suite,
    samples: Callable[[str], TaskSamples],
) -> Comparison:
    """`samples`: reads one samples file by its store path (the viewer's reader)."""
    paired = []
    first = profiles[0]
    newest_first = {d.task: d.file for d in reversed(first.details)}  # newest wins
    for index, profile in enumerate(profiles[1:], start=1):
        theirs = {d.task: d.file for d in reversed(profile.details)}
        for task in sorted(set(newest_first) & set(theirs)):
            paths = (newest_first[task], theirs[task])
            try:
                found = paired_task(task, suite, samples(paths[0]), samples(paths[1]), index)
            except LeaderboardError as exc:
                found = PairedTask(task, "", index, None, str(exc))
            paired.append(
                PairedTask(found.task, found.metric, index, found.test, found.note, paths)
            )
    return Comparison(
        suite=suite.name,
        models=tuple(ComparedModel(p.model, p.precision, p.hub_url) for p in profiles),
        scores=compare_scores(profiles, suite),
        paired=tuple(paired),
    )


def load_comparison(
    snapshot: Snapshot,
    suite: Suite,
    names: str | Sequence[str],
    store,
    samples: Callable[[str], TaskSamples],
) -> Comparison:
    profiles = [
        load_profile(snapshot, suite, model, precision, store)
        for model, precision in parse_names(names)
    ]
    return build_comparison(profiles, suite, samples)
