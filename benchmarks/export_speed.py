"""The board as data at 100,000 models: a view's download and the published contents file.

    PYTHONPATH=src python benchmarks/export_speed.py [--rows 100000] [--runs 5]

Ours, per format: how the `board-export` route writes the default view (every row, the
default columns, as `present(run_query(...))` gives them; the query's own cost is
`query_speed.py`'s): `export.FORMATS[...].write` (CSV with formulas neutralised, JSON as
`table --json` prints it, Parquet under the displayed labels); and
`export.contents_parquet` of the whole board (stable keys, every column, labels in the
schema's metadata), what the app publishes after a change.
Floor, in the same run, alternating: pandas writing the same presented rows by itself
(`to_csv`, `to_json(orient="records")`, `to_parquet`), and `to_parquet` of the whole board:
what the serialisation costs without our rules on top.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from leaderboard import export
from leaderboard.query import Query, present, run_query
from query_speed import SUITE, synthetic_board


def main() -> int:
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="board rows (100000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (5)")
    args = parser.parse_args()
    print(f"# export_speed ({common.machine_line()})")
    board, _ = synthetic_board(args.workdir, args.rows)
    print(f"board: {len(board):,} models x {board.shape[1]} columns ({SUITE.name})")

    shown = present(run_query(board, SUITE, Query()), SUITE)
    floors = {
        "csv": lambda: shown.to_csv(index=False).encode(),
        "json": lambda: shown.to_json(orient="records").encode(),
        "parquet": lambda: _parquet(shown),
    }
    table = []
    for name, floor in floors.items():
        write = export.FORMATS[name].write
        base, mine = common.alternating(floor, lambda write=write: write(shown), runs=args.runs)
        size = len(write(shown))
        table.append(_row(f"download, {name}", size, mine, base, f"pandas {name} of the rows"))
    base, mine = common.alternating(
        lambda: _parquet(board), lambda: export.contents_parquet(board, SUITE), runs=args.runs
    )
    size = len(export.contents_parquet(board, SUITE))
    table.append(_row("contents/<suite>.parquet", size, mine, base, "to_parquet of the board"))
    common.print_table(
        ["measure", "size", "ours", "floor", "floor is", "ratio"],
        table,
        title=f"The board as data, {len(board):,} models (medians of {args.runs})",
    )
    return 0


def _parquet(frame) -> bytes:
    sink = io.BytesIO()
    frame.to_parquet(sink, index=False)
    return sink.getvalue()


def _row(name: str, size: int, mine: common.Stats, base: common.Stats, floor: str) -> list:
    return [
        name,
        f"{size / 1e6:.1f} MB",
        common.fmt_seconds(mine.median),
        common.fmt_seconds(base.median),
        floor,
        f"{mine.median / base.median:.2f}x",
    ]


if __name__ == "__main__":
    sys.exit(main())
