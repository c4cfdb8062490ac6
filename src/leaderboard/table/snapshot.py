"""The Snapshot: everything the UI and the CLI read, as one immutable value."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from leaderboard.suites import Suite, get_suite
from leaderboard.table.build import build_board
from leaderboard.table.entries import Skipped
from leaderboard.table.frames import requests_frame, results_frame


@dataclass(frozen=True)
class Snapshot:
    """Swapped whole on refresh, so a reader never sees half of a change."""

    results: pd.DataFrame
    requests: pd.DataFrame
    skipped: tuple[Skipped, ...]
    boards: dict[str, pd.DataFrame]
    board_order: tuple[str, ...]  # suites with rows: the configured one first, then by size
    generation: int = 0  # grows with every change, so a page can tell it shows old data
    loaded_at: float = field(default_factory=time.time)

    def board(self, suite: str | None = None) -> pd.DataFrame:
        name = suite or (self.board_order[0] if self.board_order else None)
        if name in self.boards:
            return self.boards[name]
        get_suite(name or "")  # unknown name -> UnknownNameError listing the suites
        return empty_board(name or "")

    @property
    def default_suite(self) -> str | None:
        return self.board_order[0] if self.board_order else None

    def shown_suite(self, name: str | None) -> Suite:
        """The suite of board `name` when it has rows, else of the board shown by default
        (a link or a form may name a board this snapshot does not have)."""
        return get_suite(name if name in self.boards else self.default_suite or "v2")


def empty_board(suite: str) -> pd.DataFrame:
    return build_board(
        results_frame([]),
        requests_frame([]),
        get_suite(suite),
        co2_power_kw=0,
        co2_grid_g_per_kwh=0,
    )
