"""Stores -> boards: parsing, the column registry, building and incremental refresh."""

from leaderboard.table.build import build_board
from leaderboard.table.columns import (
    Column,
    Kind,
    board_columns,
    column,
    column_by_label_or_key,
    default_visible_keys,
    raw_key,
)
from leaderboard.table.entries import Skipped
from leaderboard.table.loader import Snapshot, TableLoader

__all__ = [
    "Column",
    "Kind",
    "Skipped",
    "Snapshot",
    "TableLoader",
    "board_columns",
    "build_board",
    "column",
    "column_by_label_or_key",
    "default_visible_keys",
    "raw_key",
]
