"""The real Open LLM Leaderboard v2 (4,576 models, snapshot of 2025-03-21) as our stores.

    PYTHONPATH=src python benchmarks/real_board.py [--workdir DIR] [--force]

Converts `shared/realdata/snapshots/fboulnois_oll_v2_api_formatted_2025-03-21.csv` into a
results store (one lm-eval-0.4-shaped results file per row) and a queue store (one FINISHED
request per row) in our file formats, then loads them with `TableLoader` and checks that
every row's Average equals the published `model_average_score` within 0.01.

Reconstruction (the snapshot holds one raw value per benchmark, our v2 scoring reads subtasks):
- BBH, MuSR: every subtask gets `raw_i = lo_i + s/100 * (1 - lo_i)` (lo_i = 1/num_choices), so
  each subtask's normalized score equals the published normalized score `s`; the published
  aggregate raw value is written as the group value (`leaderboard_bbh`, `leaderboard_musr`).
- IFEval: `prompt_level_strict_acc` and `inst_level_strict_acc` both equal the published raw.
- GPQA, MMLU-PRO, MATH (`leaderboard_math_hard` exact_match): the published raw value.
- `total_evaluation_time_seconds` from `metadata_co2_cost` with the default CO2 factors
  (5.6 kW, 269.8 g/kWh), so the CO2 column reproduces the published one.

The snapshot's `features_is_not_available_on_hub` holds the leaderboard's "Available on the
hub" value despite its name (checked against the 2024-12-10 gradio table of the same board:
1,734 of 1,738 shared models with TRUE there are "available"), so it is written as
`still_on_hub` unchanged.

Other scripts import `ensure_real_board(workdir) -> (queue_dir, results_dir)`.
"""

from __future__ import annotations

import math
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from leaderboard.domain import EvalRequest, ModelType, Precision, Status, WeightType
from leaderboard.domain.names import parse_timestamp, results_file_path
from leaderboard.suites.v2 import BBH_CHOICES, MUSR_CHOICES

SNAPSHOT = common.SHARED / "realdata/snapshots/fboulnois_oll_v2_api_formatted_2025-03-21.csv"
CO2_POWER_KW = 5.6
CO2_GRID_G_PER_KWH = 269.8
CONVERTER_VERSION = 1  # bump when the written files change; cached stores are then rewritten
FALLBACK_DATE = datetime(2024, 6, 26, tzinfo=UTC)
FLAG_REASON = "flagged on the Open LLM Leaderboard (snapshot 2025-03-21)"

MODEL_TYPES = {
    "pretrained": ModelType.PRETRAINED,
    "continuouslypretrained": ModelType.CONTINUOUSLY_PRETRAINED,
    "fine-tunedondomain-specificdatasets": ModelType.FINE_TUNED,
    "chatmodels": ModelType.CHAT,
    "basemergesandmoerges": ModelType.MERGE,
    "multimodal": ModelType.MULTIMODAL,
}
SHOTS = {
    "leaderboard_ifeval": 0,
    "leaderboard_math_hard": 4,
    "leaderboard_gpqa": 0,
    "leaderboard_mmlu_pro": 5,
    **{f"leaderboard_bbh_{name}": 3 for name in BBH_CHOICES},
    **{f"leaderboard_musr_{name}": 0 for name in MUSR_CHOICES},
}


def ensure_real_board(
    workdir: Path, *, force: bool = False, quiet: bool = False
) -> tuple[Path, Path]:
    """(queue_dir, results_dir) of the converted real board, written once under `workdir`."""
    root = Path(workdir) / f"real-v2-2025-03-21-c{CONVERTER_VERSION}"
    queue, results = root / "queue", root / "results"
    if force:
        shutil.rmtree(root, ignore_errors=True)
    if not (root / ".complete").exists():
        if not SNAPSHOT.exists():
            raise SystemExit(f"error: the real v2 snapshot is not at {SNAPSHOT}")
        temp = root.with_name(root.name + ".partial")
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        start = time.perf_counter()
        written, refused = convert(SNAPSHOT, temp / "queue", temp / "results")
        temp.rename(root)
        (root / ".complete").write_text(f"{written}\n")
        if not quiet:
            print(
                f"[setup] converted {written:,} rows of {SNAPSHOT.name} into {root} "
                f"in {time.perf_counter() - start:.1f} s ({len(refused)} rows refused)",
                flush=True,
            )
            for model, reason in refused[:10]:
                print(f"[setup]   refused {model}: {reason}")
    return queue, results


def read_snapshot(path: Path = SNAPSHOT) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=True)


def convert(
    snapshot: Path, queue_dir: Path, results_dir: Path
) -> tuple[int, list[tuple[str, str]]]:
    """Write one results file and one request per row; returns (rows written, refusals)."""
    from leaderboard.stores import LocalStore

    frame = read_snapshot(snapshot)
    queue = LocalStore(queue_dir, durable=False)
    results = LocalStore(results_dir, durable=False)
    refused: list[tuple[str, str]] = []

    def write(index_row: tuple[int, pd.Series]) -> bool:
        index, row = index_row
        try:
            request, results_path, payload = files_for_row(index, row)
            results.write(results_path, orjson.dumps(payload))
            queue.write(request.path, orjson.dumps(request.to_json(), option=orjson.OPT_INDENT_2))
        except Exception as exc:  # a row we cannot store is reported, not fatal
            refused.append((str(row.get("model_name")), f"{type(exc).__name__}: {exc}"))
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        written = sum(pool.map(write, frame.iterrows()))
    return written, refused


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _seconds_from_co2(co2_kg: float) -> float | None:
    if co2_kg is None or not math.isfinite(co2_kg):
        return None
    return co2_kg * 1000.0 / (CO2_POWER_KW * CO2_GRID_G_PER_KWH) * 3600.0


def _subtask_raws(choices: dict[str, int], normalized: float, prefix: str) -> dict[str, dict]:
    """Per-subtask raw values whose normalized scores all equal `normalized`."""
    out = {}
    for name, count in choices.items():
        low = 1.0 / count
        raw = low + normalized / 100.0 * (1.0 - low)
        out[f"{prefix}_{name}"] = {"alias": f" - {name}", "acc_norm,none": raw}
    return out


def files_for_row(index: int, row: pd.Series) -> tuple[EvalRequest, str, dict]:
    model = str(row["model_name"]).strip()
    precision = Precision.parse(row["model_precision"])
    sha = _text(row["model_sha"])
    submitted = parse_timestamp(_text(row["metadata_submission_date"])) or None
    evaluated = (submitted or FALLBACK_DATE) + timedelta(hours=6, seconds=index)
    model_type = MODEL_TYPES.get(str(row["model_type"]).strip()) or ModelType.parse(
        row["model_type"]
    )
    params = float(row["metadata_params_billions"])
    tags = []
    if bool(row["features_is_merged"]):
        tags.append("merge")
    if bool(row["features_is_moe"]):
        tags.append("moe")
    base_model = _text(row["metadata_base_model"])
    request = EvalRequest(
        model=model,
        precision=precision,
        weight_type=WeightType.parse(row["model_weight_type"]),
        status=Status.FINISHED,
        revision=sha or "main",
        base_model="" if base_model == model else base_model,
        submitted_time=submitted,
        model_type=model_type,
        likes=int(row["metadata_hub_hearts"]),
        params=params if math.isfinite(params) and params > 0 else None,
        license=_text(row["metadata_hub_license"]),
        architectures=_text(row["model_architecture"]),
        use_chat_template=bool(row["model_has_chat_template"]),
        sender="oll-v2-snapshot",
        tags=tuple(tags),
        still_on_hub=bool(row["features_is_not_available_on_hub"]),  # see the module docstring
        flagged=FLAG_REASON if bool(row["features_is_flagged"]) else "",
    )

    ifeval = float(row["evaluations_ifeval_value"])
    bbh_raw, bbh_norm = (
        float(row["evaluations_bbh_value"]),
        float(row["evaluations_bbh_normalized_score"]),
    )
    musr_raw, musr_norm = (
        float(row["evaluations_musr_value"]),
        float(row["evaluations_musr_normalized_score"]),
    )
    bbh_group = {"alias": "leaderboard_bbh", "acc_norm,none": bbh_raw}
    musr_group = {"alias": "leaderboard_musr", "acc_norm,none": musr_raw}
    results = {
        "leaderboard_ifeval": {
            "alias": "leaderboard_ifeval",
            "prompt_level_strict_acc,none": ifeval,
            "inst_level_strict_acc,none": ifeval,
        },
        "leaderboard_bbh": bbh_group,
        **_subtask_raws(BBH_CHOICES, bbh_norm, "leaderboard_bbh"),
        "leaderboard_math_hard": {
            "alias": "leaderboard_math_hard",
            "exact_match,none": float(row["evaluations_math_value"]),
        },
        "leaderboard_gpqa": {
            "alias": "leaderboard_gpqa",
            "acc_norm,none": float(row["evaluations_gpqa_value"]),
        },
        "leaderboard_musr": musr_group,
        **_subtask_raws(MUSR_CHOICES, musr_norm, "leaderboard_musr"),
        "leaderboard_mmlu_pro": {
            "alias": "leaderboard_mmlu_pro",
            "acc,none": float(row["evaluations_mmlu_pro_value"]),
        },
    }
    seconds = _seconds_from_co2(float(row["metadata_co2_cost"]))
    dtype = precision.value
    payload = {
        "results": results,
        "groups": {"leaderboard_bbh": bbh_group, "leaderboard_musr": musr_group},
        "group_subtasks": {
            "leaderboard_bbh": [f"leaderboard_bbh_{name}" for name in BBH_CHOICES],
            "leaderboard_musr": [f"leaderboard_musr_{name}" for name in MUSR_CHOICES],
        },
        "n-shot": SHOTS,
        "config": {
            "model": "hf",
            "model_args": f"pretrained={model},revision={sha or 'main'},dtype={dtype}",
            "model_name": model,
            "model_sha": sha,
            "model_dtype": f"torch.{dtype}",
            "batch_size": "auto",
        },
        "date": evaluated.timestamp(),
        "total_evaluation_time_seconds": None if seconds is None else f"{seconds:.6f}",
    }
    return request, results_file_path(model, evaluated), payload


# ---------------------------------------------------------------------------------------------
# Verification


def verify(queue: Path, results: Path, workdir: Path) -> dict:
    """Load the stores with TableLoader (empty cache) and compare with the snapshot."""
    from leaderboard.config import Settings
    from leaderboard.stores import LocalStore
    from leaderboard.table import TableLoader

    cache = common.fresh_dir(Path(workdir) / "tmp", "verify-cache-")
    try:
        settings = Settings(queue=str(queue), results=str(results), cache_dir=str(cache))
        start = time.perf_counter()
        snapshot = TableLoader(LocalStore(results), LocalStore(queue), settings).load()
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    board = snapshot.board("v2")
    published = read_snapshot()
    published = published.assign(
        precision=published["model_precision"].map(lambda p: Precision.parse(p).value),
        model=published["model_name"].str.strip(),
    )
    merged = published.merge(board, on=["model", "precision"], how="left", indicator=True)
    found = merged["_merge"] == "both"
    checks = {
        "Average ⬆️": ("average", "model_average_score", 0.01),
        "IFEval": ("ifeval", "evaluations_ifeval_normalized_score", 0.01),
        "BBH": ("bbh", "evaluations_bbh_normalized_score", 0.01),
        "MATH Lvl 5": ("math_lvl5", "evaluations_math_normalized_score", 0.01),
        "GPQA": ("gpqa", "evaluations_gpqa_normalized_score", 0.01),
        "MUSR": ("musr", "evaluations_musr_normalized_score", 0.01),
        "MMLU-PRO": ("mmlu_pro", "evaluations_mmlu_pro_normalized_score", 0.01),
        "BBH raw": ("bbh_raw", "evaluations_bbh_value", 1e-9),
        "MUSR raw": ("musr_raw", "evaluations_musr_value", 1e-9),
        "CO₂ cost (kg)": ("co2_kg", "metadata_co2_cost", 0.01),
        "Hub ❤️": ("likes", "metadata_hub_hearts", 0),
    }
    rows = []
    for label, (ours, theirs, tolerance) in checks.items():
        diff = (merged[ours].astype("float64") - merged[theirs].astype("float64")).abs()
        ok = found & (diff <= tolerance)
        rows.append((label, f"{int(ok.sum()):,}", f"{len(merged):,}", f"{diff.max():.2e}"))
    flags = {
        "Merged": ("merged", "features_is_merged"),
        "MoE": ("moe", "features_is_moe"),
        "Flagged": ("flagged", "features_is_flagged"),
        "Available on the hub": ("available", "features_is_not_available_on_hub"),
        "Chat Template": ("chat_template", "model_has_chat_template"),
    }
    for label, (ours, theirs) in flags.items():
        ok = found & (merged[ours].astype("bool") == merged[theirs].astype("bool"))
        rows.append((label, f"{int(ok.sum()):,}", f"{len(merged):,}", "-"))
    average_diff = (merged["average"] - merged["model_average_score"]).abs()
    missing = merged.loc[~found, ["model", "precision"]]
    on_board = board.groupby("model")["precision"].agg(lambda v: ",".join(sorted(v)))
    missing = missing.assign(on_board=missing["model"].map(on_board).fillna("(absent)"))
    merged_type = merged["model_type_x"] == "basemergesandmoerges"
    extra_merged = found & merged["merged"].astype(bool) & ~merged["features_is_merged"]
    return {
        "missing": missing,
        "extra_merged": int(extra_merged.sum()),
        "extra_merged_merge_type": int((extra_merged & merged_type).sum()),
        "rows": rows,
        "board_rows": len(board),
        "snapshot_rows": len(published),
        "found": int(found.sum()),
        "average_matched": int((found & (average_diff <= 0.01)).sum()),
        "skipped": len(snapshot.skipped),
        "load_seconds": seconds,
    }


def main() -> int:
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="rewrite the stores")
    args = parser.parse_args()
    print(f"# real_board: the real v2 board as stores ({common.machine_line()})")
    queue, results = ensure_real_board(args.workdir, force=args.force)
    print(f"queue store:   {queue}")
    print(f"results store: {results}")
    report = verify(queue, results, args.workdir)
    print(
        f"\nTableLoader cold load (empty cache): {common.fmt_seconds(report['load_seconds'])}, "
        f"{report['board_rows']:,} board rows, {report['skipped']} files skipped; "
        f"{report['found']:,} of {report['snapshot_rows']:,} snapshot rows found on the board"
    )
    common.print_table(
        ["column", "matched", "of", "max |diff|"],
        report["rows"],
        title="Board vs published snapshot (tolerance 0.01 for scores and CO₂; raw, likes exact)",
    )
    matched, total = report["average_matched"], report["snapshot_rows"]
    print(f"\nAverage matched within 0.01: {matched:,} / {total:,}")
    if len(report["missing"]):
        print("snapshot rows not on the board under their published precision:")
        print(report["missing"].to_string(index=False))
        if (report["missing"]["on_board"] == "GPTQ").any():
            print(
                "  (GPTQ: leaderboard.domain.results._precision returns GPTQ whenever "
                "config.model_args contains 'gptq', here inside the model name "
                "`pretrained=...-gptqmodel-...`, before it reads config.model_dtype)"
            )
    if report["extra_merged"]:
        print(
            f"Merged: {report['extra_merged']:,} rows are Merged on our board but not in the "
            f"snapshot; {report['extra_merged_merge_type']:,} of them have the model type "
            "'base merges and moerges' (our request treats that type as merged, the "
            "leaderboard's Merged column follows the Hub tag only)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
