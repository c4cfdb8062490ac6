"""A model's page as data: every score with its interval, its standings, its request, the
provenance of its results, the command that reproduces them, its files and its history.

Pure, like `query.py`: `build_profile` reads a snapshot and the model's results documents
(already read and parsed as JSON by the caller, `load_profile`, the one place with I/O), so
the Model tab, the `/model` API and `python -m leaderboard model` show the same record.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import orjson
import pandas as pd

from leaderboard.backend.spec import UnsupportedRequest, lm_eval_command
from leaderboard.domain import Precision, WeightType, parse_results
from leaderboard.domain.efficiency import Efficiency
from leaderboard.domain.names import is_repo_id
from leaderboard.domain.provenance import Provenance, read_provenance
from leaderboard.errors import LeaderboardError, UnknownNameError
from leaderboard.query import SIZE_BUCKETS, Query, filter_mask
from leaderboard.samples import parse_details_path
from leaderboard.suites import CI_Z, Suite
from leaderboard.suites.model import score_benchmark, score_parts
from leaderboard.table.build import average_ranks
from leaderboard.table.columns import ci_key
from leaderboard.table.frames import ESTIMATED, RAW, score_column
from leaderboard.table.snapshot import Snapshot

MAX_HISTORY = 50  # results files listed, newest first
MAX_DETAILS = 500  # per-sample files listed


class ModelNotFound(LeaderboardError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class ScoreLine:
    """A benchmark's (or one of its subtasks') score, 0-100, and its 95% interval."""

    key: str
    label: str
    score: float | None
    interval: float | None  # half-width, in points
    raw: float | None  # 0-1, as the harness reports it
    estimated: bool = False  # the interval is estimated from the number of items
    subtasks: tuple[ScoreLine, ...] = ()


@dataclass(frozen=True)
class Standing:
    """The model's rank (the board's rule: by intervals) among one group of models."""

    group: str
    rank: int | None
    of: int


@dataclass(frozen=True)
class RequestFacts:
    model_type: str
    weight_type: str
    base_model: str
    license: str
    params_b: float | None
    model_sha: str
    submitted: str
    sender: str
    chat_template: bool
    status: str


@dataclass(frozen=True)
class HistoryEntry:
    file: str
    evaluated: str
    harness: str
    scores: tuple[tuple[str, float | None], ...]  # (benchmark label, score)


@dataclass(frozen=True)
class DetailsFile:
    task: str
    stamp: str
    file: str  # its path in the results store (not `path`: gradio_client downloads those)


@dataclass(frozen=True)
class ModelProfile:
    model: str
    precision: str
    suite: str
    suite_title: str
    hub_url: str | None  # only for a well-formed Hub id
    average: ScoreLine
    benchmarks: tuple[ScoreLine, ...]
    standings: tuple[Standing, ...]
    request: RequestFacts
    provenance: Provenance
    results_path: str  # the newest results file the scores come from
    log_path: str
    command: str  # the lm_eval command that reproduces these scores ("" when none can)
    command_note: str  # why there is none, or what to fill in
    details: tuple[DetailsFile, ...]
    history: tuple[HistoryEntry, ...]
    co2_kg: float | None
    efficiency: Efficiency | None  # the newest results file's efficiency pass, if any
    evaluated: str
    precisions: tuple[str, ...]  # of this model on this board, for links to the others

    def to_json(self) -> dict:
        return json_ready(asdict(self))


def json_ready(value: object) -> object:
    """JSON-ready: NaN as None, tuples as lists, numpy scalars unwrapped."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _number(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def find_row(snapshot: Snapshot, suite: Suite, model: str, precision: str = "") -> pd.Series:
    """The board row of (model, precision); without a precision, the model's best row."""
    board = snapshot.board(suite.name)
    rows = board[board["model"] == model]
    if rows.empty:
        raise ModelNotFound(
            f"No model `{_quote(model)}` on the {suite.title} board: check the name (the "
            "Leaderboard tab's search finds it), or look on another board."
        )
    if precision:
        exact = rows[rows["precision"].astype(str) == precision]
        if exact.empty:
            found = ", ".join(sorted(rows["precision"].astype(str)))
            raise ModelNotFound(
                f"`{_quote(model)}` has no {_quote(precision)} row on the {suite.title} board; "
                f"it has: {found}."
            )
        rows = exact
    return rows.iloc[0]


def _quote(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def results_paths(snapshot: Snapshot, suite: Suite, model: str, precision: str) -> list[str]:
    """The model's results files of this suite, newest first (what `build_profile` reads)."""
    results = snapshot.results
    mine = results[
        (results["model"] == model)
        & (results["precision"].astype(str) == precision)
        & (results["suite"] == suite.name)
    ]
    mine = mine.sort_values(["evaluated_at", "path"], na_position="first", kind="stable")
    return list(mine["path"][::-1][:MAX_HISTORY])


def build_profile(
    snapshot: Snapshot,
    suite: Suite,
    model: str,
    precision: str = "",
    *,
    documents: Mapping[str, object],
    details: tuple[DetailsFile, ...] = (),
) -> ModelProfile:
    """`documents`: the results files of `results_paths`, parsed JSON by path (a file that
    could not be read is left out: the page shows what the board shows without it)."""
    row = find_row(snapshot, suite, model, precision)
    precision = str(row["precision"])
    board = snapshot.board(suite.name)
    paths = results_paths(snapshot, suite, model, precision)
    newest = next((path for path in paths if path in documents), "")
    parsed = {}
    for path in paths:
        if path in documents:
            try:
                parsed[path] = parse_results(documents[path], path=path)
            except LeaderboardError:
                continue
    sources = _sources(snapshot, suite, paths)
    benchmarks = []
    for benchmark in suite.benchmarks:
        source = sources.get(benchmark.key)
        subtasks = ()
        if source is not None and source.name in parsed:
            subtasks = tuple(
                ScoreLine(
                    key=part.name,
                    label=part.name,
                    score=part.normalized,
                    interval=None
                    if part.normalized_stderr is None
                    else CI_Z * part.normalized_stderr,
                    raw=part.raw,
                    estimated=part.estimated,
                )
                for part in score_parts(parsed[source.name], benchmark)
            )
        raw, estimated = (score_column(suite.name, benchmark.key, p) for p in (RAW, ESTIMATED))
        benchmarks.append(
            ScoreLine(
                key=benchmark.key,
                label=benchmark.label,
                score=_number(row[benchmark.key]),
                interval=_number(row[ci_key(benchmark.key)]),
                raw=None if source is None else _number(source[raw]),
                estimated=bool(source is not None and source[estimated]),
                subtasks=subtasks,
            )
        )
    average = ScoreLine(
        key="average",
        label="Average",
        score=_number(row["average"]),
        interval=_number(row[ci_key("average")]),
        raw=None,
        estimated=any(line.estimated for line in benchmarks),
    )
    command, note = _command(row, suite)
    requests = _requests_of(snapshot, row)
    return ModelProfile(
        model=model,
        precision=precision,
        suite=suite.name,
        suite_title=suite.title,
        hub_url=f"https://huggingface.co/{model}" if is_repo_id(model) else None,
        average=average,
        benchmarks=tuple(benchmarks),
        standings=standings(board, row),
        request=_request_facts(row, requests),
        provenance=read_provenance(documents.get(newest)) if newest else Provenance(),
        results_path=newest,
        log_path=_log_path(requests),
        command=command,
        command_note=note,
        details=details,
        history=tuple(_history(parsed, paths, suite)),
        co2_kg=_number(row["co2_kg"]),
        efficiency=next(
            (parsed[p].efficiency for p in paths if p in parsed and parsed[p].efficiency), None
        ),
        evaluated=str(row["evaluated"]),
        precisions=tuple(sorted(board.loc[board["model"] == model, "precision"].astype(str))),
    )


def _sources(snapshot: Snapshot, suite: Suite, paths: list[str]) -> dict[str, pd.Series]:
    """Per benchmark key, the results-frame row of the newest file holding its value: the
    file the board shows it from (with its raw value and whether its stderr was estimated)."""
    results = snapshot.results
    mine = results[results["path"].isin(paths)].set_index("path").reindex(paths)
    found = {}
    for benchmark in suite.benchmarks:
        column = score_column(suite.name, benchmark.key)
        if column in mine.columns and mine[column].notna().any():
            found[benchmark.key] = mine.loc[mine[column].first_valid_index()]
    return found


def standings(board: pd.DataFrame, row: pd.Series) -> tuple[Standing, ...]:
    """Its rank among every model, among models of its type, and of its size bucket: the
    board's rule over the rows the Leaderboard tab's filters keep (`query.filter_mask`)."""
    position = np.flatnonzero(
        (board["model"] == row["model"]).to_numpy()
        & (board["precision"] == row["precision"]).to_numpy()
    )[0]
    groups = [("all models", np.ones(len(board), dtype=bool))]
    groups.append((str(row["model_type"]), (board["model_type"] == row["model_type"]).to_numpy()))
    for bucket in SIZE_BUCKETS:
        members = filter_mask(board, Query(sizes=(bucket.key,)))
        if members[position]:
            groups.append((bucket.label, members))
    found = []
    for label, members in groups:
        ranks = average_ranks(board[members])
        rank = ranks[int(members[:position].sum())]
        ranked = int((~pd.isna(ranks)).sum())
        found.append(Standing(label, None if rank is pd.NA else int(rank), ranked))
    return tuple(found)


def _requests_of(snapshot: Snapshot, row: pd.Series) -> pd.DataFrame:
    """The row's requests (same model and precision), oldest submission first."""
    requests = snapshot.requests
    mine = requests[
        (requests["model"] == row["model"])
        & (requests["precision"].astype(str) == str(row["precision"]))
    ]
    return mine.sort_values(["submitted_at", "path"], na_position="first", kind="stable")


def _request_facts(row: pd.Series, mine: pd.DataFrame) -> RequestFacts:
    request = mine.iloc[-1] if len(mine) else None
    return RequestFacts(
        model_type=str(row["model_type"]),
        weight_type=str(row["weight_type"]),
        base_model=str(row["base_model"]),
        license=str(row["license"]),
        params_b=_number(row["params_b"]),
        model_sha=str(row["model_sha"] if isinstance(row["model_sha"], str) else ""),
        submitted=str(row["submitted"]),
        sender="" if request is None else str(request["sender"] or ""),
        chat_template=bool(row["chat_template"]),
        status="" if request is None else str(request["status"] or ""),
    )


def _log_path(mine: pd.DataFrame) -> str:
    """The newest evaluation log of the row's requests."""
    logs = [str(path) for path in mine["log_path"] if isinstance(path, str) and path]
    return logs[-1] if logs else ""


def _command(row: pd.Series, suite: Suite) -> tuple[str, str]:
    """The worker's own command for this model at its evaluated commit and precision."""
    sha = row["model_sha"] if isinstance(row["model_sha"], str) else ""
    try:
        precision = Precision(str(row["precision"]))
        weight_type = WeightType(str(row["weight_type"]))
        command = lm_eval_command(
            str(row["model"]),
            revision=sha,
            precision=precision,
            chat_template=bool(row["chat_template"]),
            suite=suite,
            weight_type=weight_type,
            base=str(row["base_model"]),
            include_path="<path to this leaderboard's tasks>" if suite.include_path else None,
        )
    except (LeaderboardError, UnsupportedRequest, ValueError) as exc:
        return "", f"No command reproduces this row: {exc}"
    note = "" if sha else "The results name no commit: the command evaluates the newest one."
    return command.shell, note


def _history(parsed: Mapping, paths: list[str], suite: Suite) -> list[HistoryEntry]:
    entries = []
    for path in paths:
        result = parsed.get(path)
        if result is None:
            continue
        scores = []
        for benchmark in suite.benchmarks:
            score = score_benchmark(result, benchmark)
            scores.append((benchmark.label, None if score is None else score.normalized))
        evaluated = (
            result.evaluated_at.strftime("%Y-%m-%dT%H:%M:%SZ") if result.evaluated_at else ""
        )
        entries.append(HistoryEntry(path, evaluated, result.harness_version, tuple(scores)))
    return entries


# --- the edge: reading the files -------------------------------------------------------------

MAX_RESULTS_BYTES = 64 * 1024 * 1024  # a results file with embedded samples can be large


def load_profile(
    snapshot: Snapshot, suite: Suite, model: str, precision: str, store
) -> ModelProfile:
    """`build_profile` with the model's files read from the results store (`store`); a file
    that cannot be read or parsed is left out, as the board leaves it out."""
    row = find_row(snapshot, suite, model, precision)
    precision = str(row["precision"])
    documents = {}
    for path in results_paths(snapshot, suite, model, precision):
        try:
            data = store.read(path)
            if len(data) <= MAX_RESULTS_BYTES:
                documents[path] = orjson.loads(data)
        except (LeaderboardError, OSError, orjson.JSONDecodeError):
            continue
    return build_profile(
        snapshot,
        suite,
        model,
        precision,
        documents=documents,
        details=details_files(store, model),
    )


def details_files(store, model: str) -> tuple[DetailsFile, ...]:
    """The model's per-sample files (`<model>/details_<stamp>/samples_<task>.jsonl`), newest
    evaluation first."""
    try:
        listed = store.list_files(".jsonl", prefix=f"{model}/")
    except (LeaderboardError, OSError, UnknownNameError):
        return ()
    found = []
    for file in listed[: MAX_DETAILS * 4]:
        parsed = parse_details_path(file.path)
        if parsed is not None and parsed[0] == model:
            found.append(DetailsFile(task=parsed[2], stamp=parsed[1], file=file.path))
    found.sort(key=lambda d: (d.stamp, d.task), reverse=True)
    return tuple(found[:MAX_DETAILS])
