"""The queue as people follow it: requests grouped by status, newest first. Pure."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from leaderboard.domain import Status
from leaderboard.table.entries import Skipped

QUEUE_COLUMNS = {
    "model": "Model",
    "revision": "Revision",
    "precision": "Precision",
    "weight_type": "Weight type",
    "model_type": "Type",
    "submitted": "Submitted",
    "sender": "Sender",
    "status": "Status",
    "progress": "Progress",
    "reason": "Reason",
    "log_tail": "Log tail",
}
# Columns only some statuses have.
_ONLY = {"progress": {Status.RUNNING}, "reason": {Status.FAILED}, "log_tail": {Status.FAILED}}
STATUS_ORDER = (Status.RUNNING, Status.PENDING, Status.FINISHED, Status.FAILED)


def queue_groups(requests: pd.DataFrame, limit: int | None = None) -> dict[Status, pd.DataFrame]:
    """One frame per status, newest submission first, columns keyed as in QUEUE_COLUMNS;
    with `limit`, only the newest `limit` of each (a page refresh then copies 200 rows of a
    queue of 100,000, not the whole queue)."""
    status_values = requests["status"].to_numpy()
    sort_keys = requests[["submitted_at", "path"]]
    groups = {}
    for status in STATUS_ORDER:
        keys = sort_keys.iloc[np.flatnonzero(status_values == status.value)]
        order = keys.sort_values(
            ["submitted_at", "path"], ascending=False, na_position="last", kind="stable"
        ).index[:limit]
        columns = [c for c in QUEUE_COLUMNS if status in _ONLY.get(c, {status})]
        groups[status] = requests.loc[order, columns].reset_index(drop=True)
    return groups


def submissions_of(requests: pd.DataFrame, sender: str) -> pd.DataFrame:
    """One sender's requests, newest first, with their status and (if failed) reason."""
    mine = requests[requests["sender"] == sender].sort_values(
        ["submitted_at", "path"], ascending=False, na_position="last", kind="stable"
    )
    return mine[[c for c in QUEUE_COLUMNS if c != "log_tail"]].reset_index(drop=True)


# Not "path": gradio_client takes an object with a "path" for a file to download.
UNREADABLE_COLUMNS = {"store": "Store", "file": "File", "reason": "Why it was left out"}


def unreadable_rows(skipped: Iterable[Skipped]) -> pd.DataFrame:
    """Files of either store left out of the table, by store and path, keyed as in
    UNREADABLE_COLUMNS: what the operator has to fix or delete."""
    rows = sorted((s.store, s.path, s.reason) for s in skipped)
    return pd.DataFrame(rows, columns=list(UNREADABLE_COLUMNS))


def status_json(requests: pd.DataFrame, skipped: Iterable[Skipped] = ()) -> dict[str, list[dict]]:
    """`{"pending": [...], "running": [...], "finished": [...], "failed": [...]}` (DESIGN §6),
    then `"unreadable"`: the files of either store that could not be read, with the reason."""
    out: dict[str, list[dict]] = {}
    for status, rows in queue_groups(requests).items():
        items = []
        for record in rows.to_dict("records"):
            item = {
                "model": record["model"],
                "revision": record["revision"],
                "precision": record["precision"],
                "weight_type": record["weight_type"],
                "status": record["status"],
                "submitted_time": record["submitted"],
                "model_type": record["model_type"],
                "sender": record["sender"],
            }
            if status is Status.RUNNING:
                item["progress"] = record["progress"]
            if status is Status.FAILED:
                item["reason"] = record["reason"]
                item["log_tail"] = record["log_tail"]
            items.append({k: (None if _is_nan(v) else v) for k, v in item.items()})
        out[status.value.lower()] = items
    ordered = {name: out[name] for name in ("pending", "running", "finished", "failed")}
    ordered["unreadable"] = unreadable_rows(skipped).to_dict("records")
    return ordered


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)
