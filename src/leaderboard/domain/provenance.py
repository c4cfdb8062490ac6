"""What a results file says about how its scores were made, for a model's page.

lm-eval 0.4 writes the harness version and git hash, each task's version, hash and number of
shots, the model's dtype, the batch size and device, and the evaluation time; the template's
files and the v1 archive hold little of it. Every value is read defensively (a results file
is untrusted text): a missing or mistyped value is left out, texts are cut to a bound.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PROVENANCE_TEXT = 300  # characters of any one value
MAX_TASKS = 200  # tasks listed (v2 has about 80 subtasks)


@dataclass(frozen=True)
class TaskRun:
    task: str
    version: str = ""
    n_shot: int | None = None
    hash: str = ""  # lm-eval's `task_hashes`: the task's documents and prompts


@dataclass(frozen=True)
class Provenance:
    harness: str = ""  # "lm-eval 0.4.13"
    git_hash: str = ""
    transformers: str = ""
    model_args: str = ""
    dtype: str = ""
    batch_size: str = ""
    device: str = ""
    evaluation_seconds: float | None = None
    chat_template_sha: str = ""
    tasks: tuple[TaskRun, ...] = ()


def _text(value: object) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    text = str(value)
    return text if len(text) <= MAX_PROVENANCE_TEXT else text[: MAX_PROVENANCE_TEXT - 1] + "…"


def _mapping(data: dict, key: str) -> dict:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _seconds(value: object) -> float | None:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < 10**9 else None


def _model_args(value: object) -> str:
    if isinstance(value, dict):  # lm-eval 0.4.9+: a dict
        return _text(",".join(f"{k}={v}" for k, v in value.items()))
    return _text(value)


def read_provenance(data: object) -> Provenance:
    """The provenance of one results file's JSON (any format; nothing found: all empty)."""
    if not isinstance(data, dict):
        return Provenance()
    config = _mapping(data, "config")
    general = _mapping(data, "config_general")  # the template's and lighteval's files
    version = _text(data.get("lm_eval_version"))
    harness = f"lm-eval {version}" if version else _text(general.get("lighteval_sha"))
    versions, shots, hashes = (_mapping(data, k) for k in ("versions", "n-shot", "task_hashes"))
    names = sorted({str(name) for name in (*versions, *shots, *hashes)})[:MAX_TASKS]
    tasks = tuple(
        TaskRun(
            task=_text(name),
            version=_text(versions.get(name)),
            n_shot=shot if isinstance(shot := shots.get(name), int) else None,
            hash=_text(hashes.get(name)),
        )
        for name in names
    )
    seconds = data.get(
        "total_evaluation_time_seconds", general.get("total_evaluation_time_secondes")
    )
    return Provenance(
        harness=harness,
        git_hash=_text(data.get("git_hash")),
        transformers=_text(data.get("transformers_version")),
        model_args=_model_args(config.get("model_args")),
        dtype=_text(config.get("model_dtype") or general.get("model_dtype")),
        batch_size=_text(config.get("batch_size")),
        device=_text(config.get("device")),
        evaluation_seconds=_seconds(seconds),
        chat_template_sha=_text(data.get("chat_template_sha")),
        tasks=tasks,
    )
