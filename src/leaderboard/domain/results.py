"""The results file: what one evaluation of one model measured, whatever tool wrote it.

Four shapes are read (DESIGN.md §3): lm-eval 0.4 output, the leaderboard template's
`{"config", "results"}`, the archived leaderboard v1 format (`config_general` + keys such as
`harness|arc:challenge|25`) and lm-eval 0.3 output. All become one `EvalResult` whose metrics
are keyed `task -> metric`, with lm-eval 0.4's `,none` filter suffix removed so that
`acc,none` (0.4) and `acc` (0.3) name the same thing. Other filters are kept
(`exact_match,strict-match`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from math import isfinite
from types import MappingProxyType

from leaderboard.domain.efficiency import Efficiency, read_efficiency
from leaderboard.domain.enums import Precision
from leaderboard.domain.fields import (
    MAX_COUNT,
    FieldError,
    preview,
    read_count,
    read_object,
    read_text,
)
from leaderboard.domain.names import is_repo_id, parse_timestamp, timestamp_in_name
from leaderboard.errors import ParseError

Metrics = Mapping[str, Mapping[str, float]]


class ResultFormat(StrEnum):
    LM_EVAL_04 = "lm-eval 0.4"
    LM_EVAL_03 = "lm-eval 0.3"
    TEMPLATE = "template"
    LEADERBOARD_V1 = "leaderboard v1"


@dataclass(frozen=True, slots=True)
class EvalResult:
    model: str
    precision: Precision
    metrics: Metrics
    format: ResultFormat
    source: str = ""
    model_sha: str = ""
    evaluated_at: datetime | None = None
    evaluation_seconds: float | None = None
    harness_version: str = ""
    model_args: str = ""
    n_shot: Mapping[str, int] = field(default_factory=dict)
    n_samples: Mapping[str, int] = field(default_factory=dict)  # effective samples per task
    groups: frozenset[str] = frozenset()  # tasks that aggregate other tasks
    # Every metric value lies in 0..1, as accuracies do (most files): found while reading,
    # so that scoring need not look for values out of their range a second time.
    fractions_only: bool = True
    # task -> metric -> its standard error, as the harness wrote it (`acc_stderr,none` is
    # `acc`'s); only finite values in 0..1 are kept, anything else ("N/A") reads as unknown.
    stderrs: Metrics = field(default_factory=dict)
    # What running it cost (speed, memory, GPU-hours), where the worker measured it.
    efficiency: Efficiency | None = None

    def metric(self, task: str, name: str) -> float | None:
        return self.metrics.get(task, {}).get(name)

    def stderr(self, task: str, name: str) -> float | None:
        return self.stderrs.get(task, {}).get(name)


def parse_results(data: object, *, path: str = "") -> EvalResult:
    """Read one results file's JSON into an EvalResult.

    Raises ParseError saying why the file is not a results file we can use.
    """
    where = f" ({path})" if path else ""
    if not isinstance(data, dict):
        raise ParseError(f"not a JSON object{where}")
    raw_results = data.get("results")
    if not isinstance(raw_results, dict):
        raise ParseError(f"no `results` object{where}; this is not a results file")
    config = read_object(data, "config_general") or read_object(data, "config") or {}
    shape = _detect_format(data, raw_results)
    metrics, stderrs, n_shot, fractions_only = _read_metrics(raw_results, shape)
    if shape is ResultFormat.LM_EVAL_04 and isinstance(data.get("groups"), dict):
        group_metrics, group_stderrs, _, group_fractions = _read_metrics(data["groups"], shape)
        for task, values in group_metrics.items():
            if task not in metrics:
                metrics[task] = values
                if task in group_stderrs:
                    stderrs[task] = group_stderrs[task]
        fractions_only = fractions_only and group_fractions
    if not metrics:
        raise ParseError(f"`results` holds no numeric metric{where}")
    n_shot.update(_read_counts(data, "n-shot", high=MAX_SHOTS))
    fewshot = read_count(config, "num_fewshot", default=-1, high=MAX_SHOTS, field="num_fewshot")
    if shape is ResultFormat.LM_EVAL_03 and fewshot >= 0:
        n_shot = {task: fewshot for task in metrics} | n_shot
    model_args = _model_args_text(config)
    return EvalResult(
        model=_model_name(data, config, model_args, path),
        precision=_precision(config, model_args),
        metrics=MappingProxyType(metrics),
        format=shape,
        source=path,
        model_sha=read_text(config, "model_sha", field="config.model_sha")
        or read_text(data, "model_sha"),
        evaluated_at=_evaluated_at(data, config, path),
        evaluation_seconds=_seconds(
            data.get("total_evaluation_time_seconds")
            or config.get("total_evaluation_time_seconds")
            or config.get("total_evaluation_time_secondes")  # sic, lighteval's spelling
        ),
        harness_version=_harness_version(data, config),
        model_args=model_args,
        n_shot=MappingProxyType(n_shot),
        n_samples=MappingProxyType(_read_n_samples(data)),
        groups=_groups(data),
        fractions_only=fractions_only,
        stderrs=MappingProxyType(stderrs),
        efficiency=read_efficiency(data),
    )


def _detect_format(data: dict, raw_results: dict) -> ResultFormat:
    if "config_general" in data:
        return ResultFormat.LEADERBOARD_V1
    for values in raw_results.values():
        if isinstance(values, dict) and any("," in str(key) for key in values):
            return ResultFormat.LM_EVAL_04
    if any(key in data for key in ("lm_eval_version", "configs", "n-shot", "group_subtasks")):
        return ResultFormat.LM_EVAL_04
    config = data.get("config")
    if isinstance(config, dict) and "model_args" in config:
        return ResultFormat.LM_EVAL_03
    return ResultFormat.TEMPLATE


def _read_metrics(
    raw_results: dict, shape: ResultFormat
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], dict[str, int], bool]:
    """(task -> metric -> value, task -> metric -> stderr, task -> shots, whether every value
    lies in 0..1)."""
    metrics: dict[str, dict[str, float]] = {}
    stderrs: dict[str, dict[str, float]] = {}
    n_shot: dict[str, int] = {}
    fractions = True
    for raw_task, values in raw_results.items():
        if not isinstance(values, dict):
            continue
        task = str(raw_task)
        if shape is ResultFormat.LEADERBOARD_V1:
            if task == "all":
                continue
            task, shots = _split_v1_key(task)
            if shots is not None:
                n_shot[task] = shots
        clean: dict[str, float] = {}
        errors: dict[str, float] = {}
        for raw_name, value in values.items():
            # The hot loop of a cold table build: plain type checks, no helper calls.
            kind = type(value)
            if kind is not float and kind is not int:
                continue
            name = raw_name if type(raw_name) is str else str(raw_name)
            if kind is float and not isfinite(value):
                continue
            if "stderr" in name:
                if 0.0 <= value <= 1.0:
                    metric = _stderr_of(name)
                    if metric:
                        errors[metric] = float(value)
                continue
            clean[name[:-5] if name.endswith(",none") else name] = float(value)
            if fractions and not 0.0 <= value <= 1.0:
                fractions = False
        if clean:
            metrics[task] = clean
            if errors:
                stderrs[task] = errors
    return metrics, stderrs, n_shot, fractions


def _stderr_of(name: str) -> str:
    """The metric a stderr key is of, spelled as metrics are: `acc_stderr,none` and
    `acc_stderr` -> `acc`, `exact_match_stderr,strict-match` -> `exact_match,strict-match`;
    "" for a key that names no metric."""
    base, _, filter_name = name.partition(",")
    if not base.endswith("_stderr") or len(base) == len("_stderr"):
        return ""
    metric = base[: -len("_stderr")]
    return metric if filter_name in ("", "none") else f"{metric},{filter_name}"


MAX_SHOTS = 10_000
_SHOTS = re.compile(r"[0-9]{1,5}")  # ASCII digits only: `str.isdigit` accepts `²`


def _split_v1_key(key: str) -> tuple[str, int | None]:
    """`harness|arc:challenge|25` -> (`arc:challenge`, 25)."""
    parts = key.split("|")
    if len(parts) < 2:
        return key, None
    if len(parts) < 3 or not parts[2]:
        return parts[1], None
    if not _SHOTS.fullmatch(parts[2]):
        raise FieldError(f"results.{key}", f"has a shot count {preview(parts[2])}, not a number")
    return parts[1], int(parts[2])


def _read_counts(data: dict, key: str, *, high: int = MAX_COUNT) -> dict[str, int]:
    """`{"task": 5, ...}`: a map of counts, each checked."""
    values = read_object(data, key) or {}
    return {
        task: read_count(values, task, high=high, field=f"{key}.{task}")
        for task, value in values.items()
        if value is not None
    }


def _read_n_samples(data: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for task, entry in (read_object(data, "n-samples") or {}).items():
        if not isinstance(entry, dict):
            raise FieldError(f"n-samples.{task}", "should be an object")
        key = "effective" if entry.get("effective") is not None else "original"
        if entry.get(key) is not None:
            counts[task] = read_count(entry, key, field=f"n-samples.{task}.{key}")
    return counts


def _groups(data: dict) -> frozenset[str]:
    groups = set(data["groups"]) if isinstance(data.get("groups"), dict) else set()
    subtasks = data.get("group_subtasks")
    if isinstance(subtasks, dict):
        groups.update(str(task) for task, members in subtasks.items() if members)
    return frozenset(groups)


def _model_args_text(config: dict) -> str:
    value = config.get("model_args")
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return read_text(config, "model_args", field="config.model_args")


def _model_arg(model_args: str, name: str) -> str:
    for part in model_args.split(","):
        key, _, value = part.partition("=")
        if key.strip() == name:
            return value.strip()
    return ""


def _model_name(data: dict, config: dict, model_args: str, path: str) -> str:
    """Explicit names first; then a Hub id in `pretrained=`; then the store path."""
    explicit = read_text(config, "model_name", field="config.model_name").strip()
    if explicit:
        return explicit
    candidates = [_model_arg(model_args, "pretrained"), read_text(data, "model_name")]
    parts = path.split("/")
    if len(parts) >= 3:
        candidates.append(f"{parts[-3]}/{parts[-2]}")
    for candidate in candidates:
        if is_repo_id(candidate):
            return candidate
    for candidate in candidates[:2]:
        if candidate:
            return candidate
    raise ParseError(f"cannot tell which model was evaluated{f' ({path})' if path else ''}")


_QUANTIZED = (
    ("load_in_4bit", Precision.INT4),
    ("load_in_8bit", Precision.INT8),
    ("autogptq", Precision.GPTQ),
    ("gptqmodel", Precision.GPTQ),
)


def _precision(config: dict, model_args: str) -> Precision:
    """Quantization flags first, then the stated dtype; a GPTQ model name is only a last hint
    (a model called `...-gptqmodel-...` may well have been run in bfloat16)."""
    for flag, precision in _QUANTIZED:
        if _model_arg(model_args, flag).lower() not in {"", "false", "0", "none"}:
            return precision
    for raw in (config.get("model_dtype"), _model_arg(model_args, "dtype")):
        precision = Precision.parse(raw)
        if precision is not Precision.UNKNOWN:
            return precision
    if "gptq" in model_args.lower():
        return Precision.GPTQ
    return Precision.UNKNOWN


def _evaluated_at(data: dict, config: dict, path: str) -> datetime | None:
    return (
        timestamp_in_name(path)
        or parse_timestamp(data.get("date"))
        or parse_timestamp(config.get("start_date"))
    )


def _seconds(value: object) -> float | None:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


_VERSION = re.compile(r"^\d+(\.\d+)*")


def _harness_version(data: dict, config: dict) -> str:
    version = read_text(data, "lm_eval_version")
    if _VERSION.match(version):
        return f"lm-eval {version[:40]}"
    git_hash = read_text(data, "git_hash") or read_text(config, "lighteval_sha")
    if git_hash:
        tool = "lighteval" if "lighteval_sha" in config else "lm-eval"
        return f"{tool} @{git_hash[:8]}"
    return ""
