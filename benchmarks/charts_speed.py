"""The Charts tab's render time at 100,000 models, against the floor of one plain WebGL plot.

    PYTHONPATH=src python benchmarks/charts_speed.py [--workdir DIR] [--rows 100000] [--runs 7]

The board is query_speed.py's: `--rows` synthetic v2 models (entry frames cached as parquet
in the work folder), built by `build_board`. The synthetic results record no output speed,
so where the board has no `tokens_per_second` column the script adds one (and `hardware`),
drawn from a seeded generator with 10% left unmeasured, so that the speed chart draws too.

Ours: `build_charts(board, suite)` and `to_json()` of its four figures, what the Charts tab
computes and sends when it is opened with no filter (the query before it is measured by
query_speed.py): the running best per day, three scatters each with its Pareto frontier,
sampled to MAX_POINTS models with hover texts and links.

Floor: one `go.Scattergl` of the same `--rows` (params, Average) points, and its `to_json()`:
the least a chart of every point costs, with no sampling, hover text, frontier or grouping.
Each figure is also timed alone (built and encoded), with its JSON size and points drawn.
Every measure alternates with the floor, run after run, and its ratio is to the floor's
median of those same runs, so that a busy machine slows both alike.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from leaderboard.charts import (
    CO2,
    MAX_POINTS,
    PARAMS,
    SPEED,
    SPEED_KEY,
    build_charts,
    scatter_figure,
    time_figure,
)
from query_speed import SUITE, synthetic_board


def with_speed(board):
    """The board with a synthetic output speed where it has none (see the docstring)."""
    if SPEED_KEY in board and board[SPEED_KEY].notna().any():
        return board, False
    rng = np.random.default_rng(0)
    speed = (
        2_000
        / np.sqrt(board["params_b"].to_numpy(dtype="float64"))
        * rng.uniform(0.5, 1.5, len(board))
    )
    speed[rng.random(len(board)) < 0.1] = np.nan
    hardware = rng.choice(["1x H100", "1x H200", "2x A100", "1x L4", "CPU"], size=len(board))
    return board.assign(**{SPEED_KEY: speed, "hardware": hardware}), True


def points(figure: go.Figure) -> int:
    return sum(len(trace.x) for trace in figure.data if trace.x is not None)


def main() -> int:
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="board rows (100000)")
    parser.add_argument("--runs", type=int, default=7, help="runs per measure (7)")
    args = parser.parse_args()

    print(f"# charts_speed ({common.machine_line()})")
    board, _ = synthetic_board(args.workdir, args.rows)
    board, synthetic = with_speed(board)
    print(
        f"board: {len(board):,} models ({SUITE.name}); output speed "
        + ("synthetic (the board has none)" if synthetic else "from the board")
    )

    x = board["params_b"].to_numpy(dtype="float64")
    y = board["average"].to_numpy(dtype="float64")

    def floor() -> str:
        return go.Figure(go.Scattergl(x=x, y=y, mode="markers")).to_json()

    def ours() -> list[str]:
        charts = build_charts(board, SUITE)
        return [f.to_json() for f in (charts.time, charts.params, charts.speed, charts.co2)]

    base, mine = common.alternating(floor, ours, runs=args.runs)
    base_bytes = len(floor())
    our_bytes = sum(len(text) for text in ours())
    rows = [
        (
            "floor: one go.Scattergl, every point",
            f"{len(board):,}",
            f"{base_bytes / 1e6:.2f} MB",
            common.fmt_seconds(base.median),
            common.fmt_seconds(base.p90),
            "1.0x",
        ),
        (
            "ours: build_charts + 4 x to_json",
            "",
            f"{our_bytes / 1e6:.2f} MB",
            common.fmt_seconds(mine.median),
            common.fmt_seconds(mine.p90),
            f"{mine.median / base.median:.1f}x",
        ),
    ]
    parts = {
        "  metrics through time": lambda: time_figure(board, SUITE),
        "  score vs #params": lambda: scatter_figure(board, SUITE, PARAMS),
        "  score vs output speed": lambda: scatter_figure(board, SUITE, SPEED),
        "  CO2 cost vs score": lambda: scatter_figure(board, SUITE, CO2),
    }
    for name, build in parts.items():
        figure = build()

        def encoded(build=build) -> str:
            return build().to_json()

        base_again, alone = common.alternating(floor, encoded, runs=args.runs)
        rows.append(
            (
                name,
                f"{points(figure):,}",
                f"{len(figure.to_json()) / 1e6:.2f} MB",
                common.fmt_seconds(alone.median),
                common.fmt_seconds(alone.p90),
                f"{alone.median / base_again.median:.1f}x",
            )
        )
    common.print_table(
        ["figure", "points drawn", "JSON", "median", "p90", "ratio"],
        rows,
        title=f"Charts of {len(board):,} models ({args.runs} runs each, alternating with the "
        "floor's; ratio = median / the floor's median in the same runs, lower is better)",
    )
    print(
        f"\nScatters draw at most {MAX_POINTS:,} models (a sample that keeps the Pareto "
        "frontier and the best), plus the frontier's trace; the time chart draws one point per "
        "submission day per series."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
