"""From entries to boards: pure, vectorised, no I/O.

A *board* is one row per evaluated (model, precision) of one suite, the table people see,
built from the two entry frames of `frames.py`: the suite's score columns of its results
entries (the newest value per benchmark wins), joined with the row's request. Building a
board is a few grouped pandas operations, so a refresh that changes one file rebuilds the
board in milliseconds without re-reading any other file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leaderboard.domain import Status
from leaderboard.suites import CI_Z, Suite
from leaderboard.table.columns import board_columns, ci_key, raw_key
from leaderboard.table.fields import FROM_REQUEST, FROM_RESULT
from leaderboard.table.frames import RAW, SE, score_column

KEYS = ["model", "precision"]
_FROM_REQUEST = [f.key for f in FROM_REQUEST]
_FROM_RESULT = [f.key for f in FROM_RESULT]
_RESULT_KEEP = ["path", *KEYS, "evaluated_at", "evaluation_seconds", *_FROM_RESULT]


# ---------------------------------------------------------------------------------------------
# Entries -> board


def _se_key(key: str) -> str:
    """A benchmark's standard error while a board is built (the board keeps `ci_key`)."""
    return f"{key}_se"


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
    """The suite's board: one row per (model, precision), columns keyed as in `board_columns`,
    ranked and sorted by Average."""
    rows = board_rows(
        results, requests, suite, co2_power_kw=co2_power_kw, co2_grid_g_per_kwh=co2_grid_g_per_kwh
    )
    return rank_and_sort(rows, suite)


def update_board(
    board: pd.DataFrame,
    results: pd.DataFrame,
    requests: pd.DataFrame,
    suite: Suite,
    models: set[str],
    *,
    co2_power_kw: float,
    co2_grid_g_per_kwh: float,
) -> pd.DataFrame:
    """`board` with the rows of `models` rebuilt from the entries: what `build_board` gives,
    at the cost of those models only (a refresh that changes one file stays fast)."""
    wanted = list(models)
    fresh = board_rows(
        results[results["model"].isin(wanted)],
        requests[requests["model"].isin(wanted)],
        suite,
        co2_power_kw=co2_power_kw,
        co2_grid_g_per_kwh=co2_grid_g_per_kwh,
    )
    kept = board[~board["model"].isin(wanted)].drop(columns="rank")
    rows = pd.concat([kept, fresh], ignore_index=True) if len(fresh) else kept
    return rank_and_sort(rows, suite)


def board_rows(
    results: pd.DataFrame,
    requests: pd.DataFrame,
    suite: Suite,
    *,
    co2_power_kw: float,
    co2_grid_g_per_kwh: float,
) -> pd.DataFrame:
    """One row per (model, precision) of the suite's entries, every column but the rank."""
    bench = [b.key for b in suite.benchmarks]
    # The suite's own score columns, under the board's plain keys (`gsm8k`, `gsm8k_raw`).
    renames = {score_column(suite.name, key): key for key in bench}
    renames |= {score_column(suite.name, key, RAW): raw_key(key) for key in bench}
    renames |= {score_column(suite.name, key, SE): _se_key(key) for key in bench}
    mine = results.loc[results["suite"] == suite.name, [*_RESULT_KEEP, *renames]]
    mine = mine.rename(columns=renames)
    carried = [raw_key(key) for key in bench] + [_se_key(key) for key in bench]
    mine = mine.sort_values(["evaluated_at", "path"], na_position="first", kind="stable")
    grouped = mine.groupby(KEYS, sort=False)
    # "Newest value wins per benchmark": last() takes each column's last non-missing value.
    board = grouped[[*bench, *carried, *_FROM_RESULT]].last()
    board["evaluated_at"] = grouped["evaluated_at"].max()
    board["evaluation_seconds"] = _contributing_seconds(mine, bench)
    board = board.reset_index()
    board = _join_requests(board, requests)
    board["average"] = board[bench].mean(axis=1, skipna=False)
    errors = board[[_se_key(key) for key in bench]].to_numpy()
    for key, error in zip(bench, errors.T, strict=True):
        board[ci_key(key)] = CI_Z * error
    # The Average's: its benchmarks' errors as independent, sqrt(sum se_i^2) / k.
    board[ci_key("average")] = CI_Z * np.sqrt((errors**2).sum(axis=1)) / len(bench)
    hours = board["evaluation_seconds"] / 3600.0
    board["co2_kg"] = hours * co2_power_kw * co2_grid_g_per_kwh / 1000.0
    gpu_hours = board["gpu_hours"].where(board["gpu_hours"] > 0)
    board["score_per_gpu_hour"] = board["average"] / gpu_hours
    board["evaluated"] = _iso_seconds(board["evaluated_at"])
    keys = [c.key for c in board_columns(suite) if c.key != "rank"]
    return board[keys]


def rank_and_sort(rows: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """Rank by the Average's confidence interval (`interval_ranks`); sort by Average, then
    name (the plain order by Average stays the order)."""
    rows = rows.sort_values(
        ["average", "model"], ascending=[False, True], na_position="last", kind="stable"
    ).reset_index(drop=True)
    rows["rank"] = average_ranks(rows)
    return _compact(rows[[c.key for c in board_columns(suite)]])


def average_ranks(rows: pd.DataFrame) -> pd.arrays.IntegerArray:
    """The ranks of `rows` among themselves by their Average as shown and its interval (the
    board's, and a model page's among models of its type or size)."""
    shown_average = round_half_up(rows["average"], 2).to_numpy()
    half_width = rows[ci_key("average")].to_numpy(dtype="float64", na_value=np.nan)
    return interval_ranks(shown_average, half_width)


def interval_ranks(scores: np.ndarray, half_widths: np.ndarray) -> pd.arrays.IntegerArray:
    """LMArena's rule: 1 + the number of models whose interval lies wholly above this one's
    (their lower bound above its upper bound). Models whose intervals overlap share a rank;
    without a known interval (half-width missing) a score is its own interval, so equal shown
    scores share a rank. A missing score has no rank."""
    widths = np.nan_to_num(half_widths, nan=0.0)
    ranked = ~np.isnan(scores)
    lower = np.sort(scores[ranked] - widths[ranked])
    upper = scores + widths
    above = len(lower) - np.searchsorted(lower, upper, side="right")
    return pd.arrays.IntegerArray((1 + above).astype("int64"), ~ranked)


def _compact(board: pd.DataFrame) -> pd.DataFrame:
    """Text columns as categories: a query takes the rows it shows (in a new order when
    sorted), and taking integer codes is an order of magnitude cheaper than taking strings.
    `model` stays text: searching the names of 100,000 distinct models is faster there."""
    for name in board.columns:
        dtype = board[name].dtype
        categorical = isinstance(dtype, pd.CategoricalDtype)
        if name != "model" and not categorical and pd.api.types.is_string_dtype(dtype):
            board[name] = board[name].astype("category")
    return board


def _iso_seconds(times: pd.Series) -> pd.Series:
    """`2024-06-26T12:00:00Z` strings, "" for missing; numpy formats 10k times in a
    millisecond where `strftime` takes tens."""
    values = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    text = np.datetime_as_string(values, unit="s").astype(object)
    text = np.where(pd.isna(times).to_numpy(), "", text + "Z")
    return pd.Series(text, index=times.index, dtype="str")


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
    columns = _FROM_REQUEST
    exact = ordered.drop_duplicates(KEYS, keep="last").set_index(KEYS)[columns]
    by_model = ordered.drop_duplicates(["model"], keep="last").set_index("model")[columns]
    joined = board.join(exact, on=KEYS)
    missing = joined["model_type"].isna()
    if missing.any():
        fallback = board.loc[missing, ["model"]].join(by_model, on="model")
        joined.loc[missing, columns] = fallback[columns]
    return _fill_without_request(joined)


def _fill_without_request(board: pd.DataFrame) -> pd.DataFrame:
    """Each request field's default where a row has no request; `moe` then from the name."""
    for field in FROM_REQUEST:
        if field.default is not None:
            board[field.key] = board[field.key].fillna(field.default)
    board["moe"] = board["moe"].fillna(board["model"].str.lower().str.contains("moe", regex=False))
    for field in FROM_REQUEST:
        board[field.key] = board[field.key].astype(str(field.dtype))
    return board
