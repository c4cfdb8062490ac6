"""Query speed over a large board: search + filters + sort, in-process, vs the template's way.

    PYTHONPATH=src python benchmarks/query_speed.py [--workdir DIR] [--rows 100000]
        [--runs 30] [--baseline-runs 30] [--profile]

The board (default 100,000 rows) is built in memory from synthetic entries: the synthetic
models of `leaderboard.demo_data.synthetic_models` go through the same functions a store's
files go through (`parse_results` -> `result_entries`, `request_entry`, `results_frame`,
`requests_frame`, `build_board`), without writing 200,000 files. The entry frames are cached
as parquet in the work folder, so only the first run pays for generating them.

Ours, per query: `run_query(board, suite, query)` over every row, then the first window of
rows encoded for the page (`columns_payload` and `linkable` of WINDOW_ROWS rows, 200): what
the `board-rows` route computes for a board served by windows (above LEADERBOARD_BROWSER_ROWS
models), before it is sent.

Baseline per query (template_like.update_table and friends): the template-era app's callbacks
over an un-indexed display frame (rounded, labelled columns, Model as an HTML link, a hidden
`model_name_for_query` column): a copy of the hidden frame per call (Gradio sends it back from
the browser on every event; a copy is a lower bound of that), `filter_models` (its size filter
is a per-row `apply` over an IntervalIndex), `filter_queries` (`str.contains` per `;`
alternative, concat, drop_duplicates), naive `str.contains` / boolean filters for what the
template lacks (`@license:`, hide merged/flagged), `sort_values` for another sort column, and
`select_columns`.

The last rows are the worst searches the limits of `leaderboard.query` allow (SEARCH_MAX_TERMS
terms, SEARCH_MAX_CHARS characters), built from the board so that narrowing cannot help:
one-letter words every name holds, latest first occurrence first (AND: every term reads every
row), one-letter `;` alternatives no name holds (OR: every alternative reads every row), the
`-`-led near misses that were the slowest single terms measured, one word of the longest
length; and a 1 MB search of one-letter words, refused before it reads a row (no baseline: the
template would run it for minutes).
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import pstats
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import template_like as tl
from leaderboard.config import Settings
from leaderboard.demo_data import synthetic_models
from leaderboard.domain import parse_results
from leaderboard.errors import QueryError
from leaderboard.query import (
    PRECISION_CHOICES,
    SEARCH_MAX_CHARS,
    SEARCH_MAX_TERMS,
    Query,
    run_query,
)
from leaderboard.suites import get_suite
from leaderboard.table.build import build_board
from leaderboard.table.entries import request_entry, result_entries
from leaderboard.table.fields import FIELDS
from leaderboard.table.frames import requests_frame, results_frame
from leaderboard.ui.board_payload import columns_payload
from leaderboard.ui.board_view import WINDOW_ROWS, linkable

SUITE = get_suite("v2")
ALL_PRECISIONS = [p.value for p in PRECISION_CHOICES]


def entry_frames(workdir: Path, rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results entries, request entries) of `rows` synthetic models, cached as parquet."""
    # The frames' columns follow the field table: a new field is a new cache.
    fields = hashlib.sha256(" ".join(f.key for f in FIELDS).encode()).hexdigest()[:8]
    folder = Path(workdir) / f"entries-v2-{rows}-seed0-{fields}"
    results_path, requests_path = folder / "results.parquet", folder / "requests.parquet"
    if results_path.exists() and requests_path.exists():
        return pd.read_parquet(results_path), pd.read_parquet(requests_path)
    print(f"[setup] building {rows:,} synthetic entries in memory (once) ...", flush=True)
    start = time.perf_counter()
    result_rows, request_rows = [], []
    for index, model in enumerate(synthetic_models(rows, SUITE, seed=0)):
        version = f"synthetic-{index}"
        result = parse_results(model.results, path=model.results_path)
        result_rows.extend(result_entries(result, model.results_path, version))
        request_rows.append(request_entry(model.request, model.request.path, version))
    results, requests = results_frame(result_rows), requests_frame(request_rows)
    folder.mkdir(parents=True, exist_ok=True)
    results.to_parquet(results_path, index=False)
    requests.to_parquet(requests_path, index=False)
    print(f"[setup] done in {time.perf_counter() - start:.1f} s", flush=True)
    return results, requests


def synthetic_board(workdir: Path, rows: int) -> tuple[pd.DataFrame, float]:
    """The v2 board of `rows` synthetic models (`entry_frames`), and its build's seconds."""
    results, requests = entry_frames(workdir, rows)
    settings = Settings()
    with common.stopwatch() as took:
        board = build_board(
            results,
            requests,
            SUITE,
            co2_power_kw=settings.co2_power_kw,
            co2_grid_g_per_kwh=settings.co2_grid_g_per_kwh,
        )
    return board, took[0]


def template_frame(board: pd.DataFrame) -> pd.DataFrame:
    """The template's display frame for the same rows: what `get_leaderboard_df` returns
    (labelled, rounded, Model as an HTML link) plus the OLL's Merged/MoE/Flagged columns."""
    model_types = board["model_type"].astype(str)
    frame = pd.DataFrame(
        {
            "T": board["type_symbol"],
            "Model": [tl.make_clickable_model(m) for m in board["model"]],
            "Average ⬆️": board["average"],
            **{b.label: board[b.key] for b in SUITE.benchmarks},
            "Type": model_types,
            "Architecture": board["architecture"],
            "Weight type": board["weight_type"],
            "Precision": board["precision"],
            "Hub License": board["license"],
            "#Params (B)": board["params_b"],
            "Hub ❤️": board["likes"],
            "Available on the hub": board["available"],
            "Model sha": board["model_sha"],
            "Merged": board["merged"],
            "MoE": board["moe"],
            "Flagged": board["flagged"],
            "model_name_for_query": board["model"],
        }
    )
    # The template keeps a default RangeIndex after sorting and rounds once at build time.
    return frame.sort_values("Average ⬆️", ascending=False).round(2).reset_index(drop=True)


DEFAULT_COLUMNS = [
    "Average ⬆️",
    *[b.label for b in SUITE.benchmarks],
    "Type",
    "Architecture",
    "Precision",
    "#Params (B)",
    "Hub License",
    "Hub ❤️",
]
ALL_SIZES = list(tl.NUMERIC_INTERVALS)


def template_query(
    hidden: pd.DataFrame,
    *,
    search: str = "",
    precisions: list[str] | None = None,
    sizes: list[str] | None = None,
    license_contains: str | None = None,
    hide: tuple[str, ...] = (),
    sort: str | None = None,
) -> pd.DataFrame:
    df = hidden.copy()  # Gradio deserializes the hidden table on every event; a copy is less
    types = df["T"].unique().tolist()  # every type checked
    # update_table = filter_models + filter_queries + select_columns; the OLL app applied its
    # extra filters (hide merged/flagged ...) inside filter_models, before select_columns.
    shown = tl.filter_models(df, types, sizes or ALL_SIZES, precisions or ALL_PRECISIONS, True)
    for column in hide:
        shown = shown[shown[column] == False]  # noqa: E712  # as the OLL app wrote it
    shown = tl.filter_queries(search, shown)
    if license_contains is not None:
        shown = shown[shown["Hub License"].str.contains(license_contains, case=False)]
    if sort is not None:
        shown = shown.sort_values(sort, ascending=False)
    return tl.select_columns(shown, DEFAULT_COLUMNS)


def worst_searches(board: pd.DataFrame) -> list[tuple[str, str]]:
    """(name, search) of about the slowest searches the limits allow, for this board's names."""
    names = board["model"].str.lower()
    letters = sorted(set("".join(names.head(5000))) | set("abcdefghijklmnopqrstuvwxyz0123456789"))
    letters = [c for c in letters if not c.isspace() and c not in ";@"]
    first = {c: names.str.find(c) for c in letters}  # first position of c per name, -1: none
    everywhere = [c for c in letters if (first[c] >= 0).all()]
    everywhere.sort(key=lambda c: -first[c].mean())  # matched late: the most to read per row
    nowhere = [c for c in letters if (first[c] < 0).all()]
    n = SEARCH_MAX_TERMS
    searches = []
    if len(everywhere) >= n:
        searches.append(
            (f"worst AND: {n} one-letter words in every name", " ".join(everywhere[:n]))
        )
    if len(nowhere) >= n:
        searches.append((f"worst OR: {n} one-letter alternatives", "; ".join(nowhere[:n])))
    width = SEARCH_MAX_CHARS // n - 2  # n alternatives joined by "; " fill the limit
    near = "; ".join(f"-0{i}".ljust(width, "x") for i in range(n))
    searches.append((f"worst OR: {n} `-`-led near misses ({len(near)} chars)", near))
    searches.append(
        (f"one {SEARCH_MAX_CHARS}-char word", "synthetic-".ljust(SEARCH_MAX_CHARS, "q"))
    )
    return searches


ONE_MB_SEARCH = "a " * (1 << 19)  # the 1 MB search of one-letter words


def scenarios(board: pd.DataFrame):
    """(name, our Query, baseline keyword arguments or None: no baseline) of queries."""
    top_precision = str(board["precision"].iloc[0])
    others = [p for p in ALL_PRECISIONS if p != top_precision]
    return [
        ("default (no filter, sort by Average)", Query(), {}),
        ("search text `model-0004`", Query(search="model-0004"), {"search": "model-0004"}),
        (
            "search `model-0001;model-0002` (a;b)",
            Query(search="model-0001;model-0002"),
            {"search": "model-0001;model-0002"},
        ),
        ("search `@license:mit`", Query(search="@license:mit"), {"license_contains": "mit"}),
        (
            f"uncheck one precision ({top_precision})",
            Query(precisions=tuple(others)),
            {"precisions": others},
        ),
        ("size bucket consumer (3-7B)", Query(sizes=("consumer",)), {"sizes": ["~7"]}),
        (
            "hide merged + flagged",
            Query(hide=("merged", "flagged")),
            {"hide": ("Merged", "Flagged")},
        ),
        ("sort by Hub likes", Query(sort="likes"), {"sort": "Hub ❤️"}),
        (
            "search + 2 filters + sort",
            Query(
                search="synthetic-org-01",
                precisions=tuple(others),
                sizes=("midrange",),
                hide=("merged",),
                sort="params_b",
            ),
            {
                "search": "synthetic-org-01",
                "precisions": others,
                "sizes": ["~13", "~35", "~60"],
                "hide": ("Merged",),
                "sort": "#Params (B)",
            },
        ),
        *[(name, Query(search=text), {"search": text}) for name, text in worst_searches(board)],
        ("refused: 1 MB of one-letter words", Query(search=ONE_MB_SEARCH), None),
    ]


def profile(title: str, run, repeats: int = 20) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        run()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print(f"\n--- cProfile: {title}, {repeats} calls (top 18 by cumulative time) ---")
    print("\n".join(lines[start:]))


def main() -> int:
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="board rows (100000)")
    parser.add_argument("--runs", type=int, default=30, help="runs per query, ours (30)")
    parser.add_argument("--baseline-runs", type=int, default=30, help="runs per query, baseline")
    parser.add_argument("--profile", action="store_true", help="cProfile ours per query")
    args = parser.parse_args()

    print(f"# query_speed ({common.machine_line()})")
    board, seconds = synthetic_board(args.workdir, args.rows)
    print(
        f"board: {len(board):,} rows x {board.shape[1]} columns, built from entries by "
        f"build_board in {common.fmt_seconds(seconds)} (synthetic entries, no files written)"
    )
    hidden = template_frame(board)

    table = []
    worst: dict[str, float] = {}
    for name, query, baseline_kwargs in scenarios(board):
        holder: dict = {}

        def ours(query=query, holder=holder):
            try:
                holder["rows"] = matches = run_query(board, SUITE, query)
            except QueryError:
                holder["rows"] = None  # refused by the search limits
                return
            window = matches.head(WINDOW_ROWS)
            columns_payload(window, SUITE, list(window.columns))
            linkable(window)

        def theirs(kwargs=baseline_kwargs, holder=holder):
            holder["base"] = template_query(hidden, **kwargs)

        mine = common.measure(ours, repeats=args.runs, warmup=2)
        if baseline_kwargs is None:
            base, base_rows = None, "-"
        else:
            base = common.measure(theirs, repeats=args.baseline_runs, warmup=1)
            base_rows = f"{len(holder['base']):,}"
        table.append(
            (
                name,
                "refused" if holder["rows"] is None else f"{len(holder['rows']):,}",
                common.fmt_seconds(mine.median),
                common.fmt_seconds(mine.p90),
                base_rows,
                common.fmt_seconds(base and base.median),
                common.fmt_seconds(base and base.p90),
                common.fmt_ratio(base and base.median, mine.median),
            )
        )
        print(f"  {name}: ours {common.fmt_seconds(mine.median)}", flush=True)
        if name.startswith("worst"):
            worst[name] = mine.median
        if args.profile:
            profile(f"ours: {name}", ours)

    common.print_table(
        [
            "query",
            "rows",
            "ours median",
            "ours p90",
            "base rows",
            "baseline median",
            "baseline p90",
            "ratio",
        ],
        table,
        title=f"Query over {len(board):,} rows: run_query + present of the shown rows "
        f"(ours, {args.runs} runs) vs the template's callbacks "
        f"(baseline, {args.baseline_runs} runs)",
    )
    print(
        "\nratio = baseline median / ours median. Row counts differ where the template's "
        "semantics differ (its size buckets are (4,9] for `~7`, not 3-7B; its search reads "
        "only the model name; it returns alternatives grouped, not in board order; it reads "
        "words in one alternative as one regular expression, not as terms that must all match; "
        "a search that matches nothing shows every row)."
        f"\nSearch limits: at most {SEARCH_MAX_CHARS} characters and {SEARCH_MAX_TERMS} distinct "
        "terms over all alternatives; the `worst` rows are the slowest searches they allow."
    )
    print_floor(board, worst, runs=args.runs)
    return 0


def print_floor(board: pd.DataFrame, worst: dict[str, float], *, runs: int) -> None:
    """The floor of a search: the raw substring scans it cannot avoid. A worst-case search
    reads every name once per term, so SEARCH_MAX_TERMS scans of the lowercased names (names
    lowercased once, outside the timing) by the fastest of pyarrow's substring kernels is
    the least any implementation of the grammar pays; ours adds parsing, lowercasing,
    narrowing and `present`."""
    lowered = pc.utf8_lower(pa.array(board["model"].astype(str)))
    kernels = {
        "match_substring": lambda: pc.match_substring(lowered, "a"),
        "match_substring_regex": lambda: pc.match_substring_regex(lowered, "a"),
    }
    floors = {}
    for name, scan in kernels.items():

        def scans(scan=scan) -> None:
            for _ in range(SEARCH_MAX_TERMS):
                scan()

        floors[name] = common.measure(scans, repeats=runs, warmup=2).median
    kernel = min(floors, key=floors.get)
    floor = floors[kernel]
    print(
        f"\nFloor: {SEARCH_MAX_TERMS} scans of the {len(board):,} lowercased names by pyarrow's "
        f"`{kernel}` take {common.fmt_seconds(floor)} (median of {runs}; "
        + ", ".join(f"{k} {common.fmt_seconds(v)}" for k, v in floors.items())
        + ")."
    )
    for name, median in worst.items():
        print(f"  {name}: {common.fmt_seconds(median)} = {median / floor:.2f}x the floor")


if __name__ == "__main__":
    sys.exit(main())
