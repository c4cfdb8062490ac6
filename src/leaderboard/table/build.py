"""From parsed files to boards: pure, vectorised, no I/O.

Three frames carry everything:
- *result entries*: one row per (results file, suite it covers), with that file's benchmark
  scores (normalized in `<key>`, raw in `<key>_raw`);
- *request entries*: one row per request file;
- a *board*: one row per evaluated (model, precision) of one suite, the table people see.

Building a board from entries is a few grouped pandas operations, so a refresh that changes
one file rebuilds the board in milliseconds without re-reading any other file.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd

from leaderboard.domain import EvalRequest, EvalResult, ModelType, Status, parse_results
from leaderboard.domain.names import format_timestamp, is_repo_id
from leaderboard.errors import ParseError
from leaderboard.suites import SUITES, Suite, score_result
from leaderboard.table.columns import board_columns, raw_key

KEYS = ["model", "precision"]
LINK_COLUMN = "model_link"  # the Model column as escaped markdown; carried beside `model`
HUB_URL = "https://huggingface.co/"

ALL_BENCHMARK_KEYS = tuple(b.key for suite in SUITES.values() for b in suite.benchmarks)
RESULT_COLUMNS = (
    "path",
    "version",
    "suite",
    "model",
    "precision",
    "model_link",
    "model_sha",
    "evaluated_at",
    "evaluation_seconds",
    "harness",
    *ALL_BENCHMARK_KEYS,
    *(raw_key(key) for key in ALL_BENCHMARK_KEYS),
)
REQUEST_COLUMNS = (
    "path",
    "version",
    "model",
    "precision",
    "weight_type",
    "status",
    "revision",
    "submitted_at",
    "submitted",
    "model_type",
    "type_symbol",
    "likes",
    "params_b",
    "license",
    "architecture",
    "chat_template",
    "merged",
    "moe",
    "flagged",
    "available",
    "base_model",
    "sender",
    "reason",
)
# What a board takes from the request that matches its row.
_FROM_REQUEST = (
    "weight_type",
    "submitted",
    "model_type",
    "type_symbol",
    "likes",
    "params_b",
    "license",
    "architecture",
    "chat_template",
    "merged",
    "moe",
    "flagged",
    "available",
    "base_model",
)
_UNKNOWN_TYPE = ModelType.UNKNOWN


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    version: str
    reason: str


# ---------------------------------------------------------------------------------------------
# Files -> entries


def decode_json(data: bytes, path: str) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON ({exc})") from None


def markdown_text(text: str) -> str:
    """Any text, shown literally by a Markdown renderer: no HTML, no formatting, no links."""
    return _escape_markdown(html.escape(text, quote=True))


def model_link(model: str) -> str:
    """Markdown for the Model column: a link for Hub ids, escaped text for anything else."""
    text = markdown_text(model)
    if is_repo_id(model):
        return f"[{text}]({HUB_URL}{model})"
    return text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def _escape_markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def result_entries(result: EvalResult, path: str, version: str) -> list[dict]:
    """One entry per suite the file covers; none when it covers no suite's benchmark."""
    entries = []
    for suite in SUITES.values():
        scores = score_result(result, suite)
        if not scores:
            continue
        entry: dict = {
            "path": path,
            "version": version,
            "suite": suite.name,
            "model": result.model,
            "precision": result.precision.value,
            "model_link": model_link(result.model),
            "model_sha": result.model_sha,
            "evaluated_at": result.evaluated_at,
            "evaluation_seconds": result.evaluation_seconds,
            "harness": result.harness_version,
        }
        for key, score in scores.items():
            entry[key] = score.normalized
            entry[raw_key(key)] = score.raw
        entries.append(entry)
    return entries


def parse_result_file(path: str, version: str, data: bytes) -> list[dict] | Skipped:
    try:
        result = parse_results(decode_json(data, path), path=path)
    except ParseError as exc:
        return Skipped(path, version, str(exc))
    entries = result_entries(result, path, version)
    if not entries:
        tasks = ", ".join(sorted(result.metrics)[:5])
        return Skipped(path, version, f"covers no benchmark of any suite (tasks: {tasks})")
    return entries


def request_entry(request: EvalRequest, path: str, version: str) -> dict:
    return {
        "path": path,
        "version": version,
        "model": request.model,
        "precision": request.precision.value,
        "weight_type": request.weight_type.value,
        "status": request.status.value,
        "revision": request.revision,
        "submitted_at": request.submitted_time,
        "submitted": format_timestamp(request.submitted_time),
        "model_type": request.model_type.value,
        "type_symbol": request.model_type.symbol,
        "likes": request.likes,
        "params_b": request.params,
        "license": request.license,
        "architecture": request.architectures or "Unknown",
        "chat_template": request.use_chat_template,
        "merged": request.is_merged,
        "moe": request.is_moe,
        "flagged": request.flagged,
        "available": request.still_on_hub,
        "base_model": request.base_model,
        "sender": request.sender,
        "reason": request.failure_reason,
    }


def parse_request_file(path: str, version: str, data: bytes) -> dict | Skipped:
    try:
        request = EvalRequest.from_json(decode_json(data, path), path=path)
    except ParseError as exc:
        return Skipped(path, version, str(exc))
    return request_entry(request, path, version)


def results_frame(entries: Iterable[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(list(entries), columns=list(RESULT_COLUMNS))
    return _typed_results(frame)


def _typed_results(frame: pd.DataFrame) -> pd.DataFrame:
    frame["evaluated_at"] = pd.to_datetime(frame["evaluated_at"], utc=True)
    numeric = ["evaluation_seconds", *ALL_BENCHMARK_KEYS, *(raw_key(k) for k in ALL_BENCHMARK_KEYS)]
    frame[numeric] = frame[numeric].astype("float64")
    for name in ("path", "version", "suite", "model", "precision", "model_link", "harness"):
        frame[name] = frame[name].astype("str")
    frame["model_sha"] = frame["model_sha"].fillna("").astype("str")
    return frame


def requests_frame(entries: Iterable[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(list(entries), columns=list(REQUEST_COLUMNS))
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    frame["params_b"] = frame["params_b"].astype("float64")
    frame["likes"] = frame["likes"].astype("int64")
    for name in ("chat_template", "merged", "moe", "available"):
        frame[name] = frame[name].astype("bool")
    return frame


# ---------------------------------------------------------------------------------------------
# Entries -> board


def suites_with_rows(results: pd.DataFrame) -> dict[str, int]:
    """How many (model, precision) rows each suite's board has, most first."""
    counts = results.drop_duplicates(["suite", *KEYS])["suite"].value_counts()
    return {str(name): int(count) for name, count in counts.items()}


def build_board(
    results: pd.DataFrame,
    requests: pd.DataFrame,
    suite: Suite,
    *,
    co2_power_kw: float,
    co2_grid_g_per_kwh: float,
) -> pd.DataFrame:
    """The suite's board: one row per (model, precision), columns keyed as in `board_columns`."""
    bench = [b.key for b in suite.benchmarks]
    raws = [raw_key(key) for key in bench]
    mine = results[results["suite"] == suite.name]
    mine = mine.sort_values(["evaluated_at", "path"], na_position="first", kind="stable")
    grouped = mine.groupby(KEYS, sort=False)
    # "Newest value wins per benchmark": last() takes each column's last non-missing value.
    board = grouped[[*bench, *raws, "model_link", "model_sha", "harness"]].last()
    board["evaluated_at"] = grouped["evaluated_at"].max()
    board["evaluation_seconds"] = _contributing_seconds(mine, bench)
    board = board.reset_index()
    board = _join_requests(board, requests)

    board["average"] = board[bench].mean(axis=1, skipna=False)
    shown_average = round_half_up(board["average"], 2)
    board["rank"] = shown_average.rank(method="min", ascending=False).astype("Int64")
    hours = board["evaluation_seconds"] / 3600.0
    board["co2_kg"] = hours * co2_power_kw * co2_grid_g_per_kwh / 1000.0
    board["evaluated"] = board["evaluated_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")
    keys = [c.key for c in board_columns(suite)]
    board = board.sort_values(
        ["average", "model"], ascending=[False, True], na_position="last", kind="stable"
    )
    return board[[*keys, LINK_COLUMN]].reset_index(drop=True)


def round_half_up(values: pd.Series, decimals: int) -> pd.Series:
    """Display rounding as people do it: 74.405 -> 74.41, although the float 74.405 is
    74.40499... The epsilon is far below any difference the leaderboard shows."""
    scale = 10.0**decimals
    rounded = np.floor(values.to_numpy(dtype="float64", na_value=np.nan) * scale + 0.5 + 1e-9)
    return pd.Series(rounded / scale, index=values.index)


def _contributing_seconds(mine: pd.DataFrame, bench: list[str]) -> pd.Series:
    """Evaluation time of the files whose values the board shows (each file counted once)."""
    winners = [mine.loc[mine[key].notna()].groupby(KEYS, sort=False).tail(1).index for key in bench]
    if not winners:
        return pd.Series(dtype="float64")
    rows = mine.loc[np.unique(np.concatenate([w.to_numpy() for w in winners]))]
    return rows.groupby(KEYS, sort=False)["evaluation_seconds"].sum(min_count=1)


def _join_requests(board: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    """Attach each row's request: same model and precision, else any of the same model.

    Among candidates, a FINISHED request beats others, then the newest submission.
    """
    ordered = requests.assign(_finished=requests["status"] == Status.FINISHED.value).sort_values(
        ["_finished", "submitted_at", "path"], na_position="first", kind="stable"
    )
    columns = list(_FROM_REQUEST)
    exact = ordered.drop_duplicates(KEYS, keep="last").set_index(KEYS)[columns]
    by_model = ordered.drop_duplicates(["model"], keep="last").set_index("model")[columns]
    joined = board.join(exact, on=KEYS)
    missing = joined["model_type"].isna()
    if missing.any():
        fallback = board.loc[missing, ["model"]].join(by_model, on="model")
        joined.loc[missing, columns] = fallback[columns]
    return _fill_without_request(joined)


def _fill_without_request(board: pd.DataFrame) -> pd.DataFrame:
    defaults = {
        "weight_type": "Original",
        "submitted": "",
        "model_type": _UNKNOWN_TYPE.value,
        "type_symbol": _UNKNOWN_TYPE.symbol,
        "likes": 0,
        "license": "",
        "architecture": "Unknown",
        "chat_template": False,
        "merged": False,
        "flagged": "",
        "available": True,
        "base_model": "",
    }
    for name, value in defaults.items():
        board[name] = board[name].fillna(value)
    board["moe"] = board["moe"].fillna(board["model"].str.lower().str.contains("moe", regex=False))
    for name in ("chat_template", "merged", "available", "moe"):
        board[name] = board[name].astype("bool")
    board["flagged"] = board["flagged"].astype("str").str.len() > 0
    board["likes"] = board["likes"].astype("int64")
    board["params_b"] = board["params_b"].astype("float64")
    return board
