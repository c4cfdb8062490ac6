"""From lm-eval's output folder to the results store: the results file, the per-sample
details and the log, at paths derived from the claim (so a retried publish overwrites, never
duplicates).

The results file is lm-eval's own output (several runs of a suite merged into one) plus
`config.model_name`, `config.model_sha` and `config.model_dtype`, as the leaderboard's results
dataset has them, so other tools read it too, and the efficiency pass's `efficiency` object.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import orjson

from leaderboard.backend.leases import results_path_for
from leaderboard.domain import EvalRequest, Precision
from leaderboard.domain.efficiency import KEY as EFFICIENCY_KEY
from leaderboard.domain.efficiency import REPORT_FILE
from leaderboard.samples import details_path, task_of_samples_file
from leaderboard.stores import FileWrite, Store

log = logging.getLogger(__name__)

MODEL_DTYPES = {
    Precision.FLOAT16: "torch.float16",
    Precision.BFLOAT16: "torch.bfloat16",
    Precision.FLOAT32: "torch.float32",
}
_MERGED_KEYS = ("results", "groups", "group_subtasks", "configs", "versions", "n-shot")
_MERGED_KEYS += ("higher_is_better", "n-samples")


def claim_stamp(request: EvalRequest) -> str:
    """The claim's start time as it appears in the results file's name."""
    return results_path_for(request).rsplit("results_", 1)[1].removesuffix(".json")


def log_path_for(request: EvalRequest) -> str:
    return f"{request.model}/logs/eval_{claim_stamp(request)}.log"


def merged_results(output_dir: Path, request: EvalRequest, *, model_sha: str = "") -> dict:
    """lm-eval's results files of every run, merged, with the leaderboard's config keys."""
    files = sorted(output_dir.glob("run*/**/results_*.json"))
    if not files:
        raise FileNotFoundError(f"no results file under {output_dir}")
    merged: dict = {}
    for path in files:
        data = orjson.loads(path.read_bytes())
        for key in _MERGED_KEYS:
            if isinstance(data.get(key), dict):
                merged.setdefault(key, {}).update(data[key])
        for key, value in data.items():
            merged.setdefault(key, value)  # the first run's config, versions of tools, dates
        seconds = float(data.get("total_evaluation_time_seconds") or 0)
        merged["_seconds"] = merged.get("_seconds", 0.0) + seconds
    merged["total_evaluation_time_seconds"] = f"{merged.pop('_seconds'):.3f}"
    config = dict(merged.get("config") or {})
    config.update(
        model_name=request.model,
        model_sha=model_sha or request.revision,
        model_dtype=MODEL_DTYPES.get(request.precision, request.precision.value),
    )
    merged["config"] = config
    merged.setdefault("date", datetime.now(UTC).timestamp())
    efficiency = output_dir / REPORT_FILE  # the child's efficiency pass, when it ran
    if efficiency.is_file():
        merged[EFFICIENCY_KEY] = orjson.loads(efficiency.read_bytes())
    return merged


def publish_results(
    output_dir: Path,
    request: EvalRequest,
    results: Store,
    *,
    model_sha: str = "",
    log_file: Path | None = None,
) -> str:
    """Write the samples, the log (when given) and the results file in one store write (one
    commit on the Hub, which meters commits per hour); returns the results file's path.
    `model_sha` is the commit that was loaded (by default the request's revision). The
    results file is written last: in a folder, where files land one by one, it marks done."""
    path = results_path_for(request)
    merged = merged_results(output_dir, request, model_sha=model_sha)
    stamp = claim_stamp(request)
    writes = []
    for samples in sorted(output_dir.glob("run*/**/samples_*.jsonl")):
        task = task_of_samples_file(samples.name)
        if task is None:  # a name no viewer could read back: the results matter more
            log.warning("not publishing %s: its name holds no task name we accept", samples)
            continue
        writes.append(FileWrite(details_path(request.model, stamp, task), samples.read_bytes()))
    if log_file is not None:
        writes.append(log_write(log_file, request))
    writes.append(FileWrite(path, orjson.dumps(merged, option=orjson.OPT_INDENT_2)))
    results.write_many(writes, message=f"Results for {request.model}")
    return path


def log_write(log_file: Path, request: EvalRequest) -> FileWrite:
    data = log_file.read_bytes() if log_file.exists() else b""
    return FileWrite(log_path_for(request), data)


def publish_log(log_file: Path, request: EvalRequest, results: Store) -> str:
    write = log_write(log_file, request)
    results.write(write.path, write.data, message=f"Evaluation log of {request.model}")
    return write.path
