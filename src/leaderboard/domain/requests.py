"""The request file: one submission of one model in the queue.

The standard keys are those of the Open LLM Leaderboard's `requests` dataset and are never
renamed. Our own fields are additive, and keys we do not know are kept verbatim in `extra`
so that reading and writing a file never drops what another tool put there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from leaderboard.domain.enums import ModelType, Precision, Status, WeightType
from leaderboard.domain.names import format_timestamp, parse_timestamp, request_file_path
from leaderboard.errors import ParseError

STANDARD_KEYS = (
    "model",
    "base_model",
    "revision",
    "private",
    "precision",
    "weight_type",
    "status",
    "submitted_time",
    "model_type",
    "likes",
    "params",
    "license",
    "architectures",
    "use_chat_template",
    "sender",
    "job_id",
    "job_start_time",
)
# Additive fields of ours; absent from files written by other tools.
OWN_KEYS = (
    "tags",
    "still_on_hub",
    "flagged",
    "failure_reason",
    "worker",
    "heartbeat",
    "attempts",
    "suite",
    "results_path",
    "log_path",
    "log_tail",
    "progress",
)


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a running evaluation is, as its worker last saw it."""

    stage: str  # what lm-eval is doing: "loglikelihood", "generate_until", "loading", ...
    done: int
    total: int
    elapsed_seconds: float
    eta_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "elapsed_seconds": round(self.elapsed_seconds, 1),
            "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds, 1),
        }

    @classmethod
    def from_json(cls, data: object) -> Progress | None:
        if not isinstance(data, dict):
            return None
        eta = data.get("eta_seconds")
        return cls(
            stage=str(data.get("stage") or ""),
            done=_as_int(data.get("done")),
            total=_as_int(data.get("total")),
            elapsed_seconds=float(_as_int(data.get("elapsed_seconds"))),
            eta_seconds=float(eta) if isinstance(eta, int | float) else None,
        )

    def describe(self) -> str:
        """`loglikelihood 120/200 · 35 s elapsed · about 20 s left`."""
        parts = [f"{self.stage} {self.done}/{self.total}" if self.total else self.stage]
        parts.append(f"{_duration(self.elapsed_seconds)} elapsed")
        if self.eta_seconds is not None:
            parts.append(f"about {_duration(self.eta_seconds)} left")
        return " · ".join(parts)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


@dataclass(frozen=True, slots=True)
class EvalRequest:
    model: str
    precision: Precision = Precision.UNKNOWN
    weight_type: WeightType = WeightType.ORIGINAL
    status: Status = Status.PENDING
    revision: str = "main"
    base_model: str = ""
    private: bool = False
    submitted_time: datetime | None = None
    model_type: ModelType = ModelType.UNKNOWN
    likes: int = 0
    params: float | None = None  # billions
    license: str = ""
    architectures: str = ""
    use_chat_template: bool = False
    sender: str = ""
    job_id: int | str = -1
    job_start_time: str | None = None
    tags: tuple[str, ...] = ()
    still_on_hub: bool = True
    flagged: str = ""  # why the model is flagged (a reason or a discussion link); empty if not
    failure_reason: str = ""
    # Set by the evaluation worker (additive fields of ours):
    worker: str = ""  # who holds the lease of a RUNNING request
    heartbeat: datetime | None = None  # when the lease was last renewed
    attempts: int = 0  # evaluations started, including the current one
    suite: str = ""  # the suite evaluated
    results_path: str = ""  # in the results store, once published
    log_path: str = ""  # the evaluation log, in the results store
    log_tail: str = ""  # the last lines of the log of a FAILED evaluation
    progress: Progress | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def path(self) -> str:
        return request_file_path(
            self.model, private=self.private, precision=self.precision, weight_type=self.weight_type
        )

    @property
    def is_merged(self) -> bool:
        return self.model_type is ModelType.MERGE or bool(
            {"merge", "mergekit"} & {t.lower() for t in self.tags}
        )

    @property
    def is_moe(self) -> bool:
        return "moe" in {t.lower() for t in self.tags} or "moe" in self.model.lower()

    def with_changes(self, **changes: Any) -> EvalRequest:
        return replace(self, **changes)

    @classmethod
    def from_json(cls, data: object, *, path: str = "") -> EvalRequest:
        """Read one request file's JSON; tolerant of missing keys and legacy spellings."""
        where = f" in {path}" if path else ""
        if not isinstance(data, dict):
            raise ParseError(f"Request file{where} holds {type(data).__name__}, not an object.")
        model = data.get("model")
        if not isinstance(model, str) or not model.strip():
            raise ParseError(f"Request file{where} has no `model` name.")
        try:
            status = Status.parse(data.get("status"))
        except ValueError as exc:
            raise ParseError(f"Request file{where}: {exc}.") from exc
        known = set(STANDARD_KEYS) | set(OWN_KEYS)
        return cls(
            model=model.strip(),
            precision=Precision.parse(data.get("precision")),
            weight_type=WeightType.parse(data.get("weight_type")),
            status=status,
            revision=str(data.get("revision") or "main"),
            base_model=str(data.get("base_model") or ""),
            private=_as_bool(data.get("private"), default=False),
            submitted_time=parse_timestamp(data.get("submitted_time")),
            model_type=ModelType.parse(data.get("model_type")),
            likes=_as_int(data.get("likes")),
            params=_as_params(data.get("params")),
            license=str(data.get("license") or ""),
            architectures=_as_architecture(data.get("architectures")),
            use_chat_template=_as_bool(data.get("use_chat_template"), default=False),
            sender=str(data.get("sender") or ""),
            job_id=data.get("job_id", -1) if isinstance(data.get("job_id", -1), int | str) else -1,
            job_start_time=_as_optional_str(data.get("job_start_time")),
            tags=tuple(str(t) for t in data.get("tags") or () if isinstance(t, str)),
            still_on_hub=_as_bool(data.get("still_on_hub"), default=True),
            flagged=str(data.get("flagged") or ""),
            failure_reason=str(data.get("failure_reason") or ""),
            worker=str(data.get("worker") or ""),
            heartbeat=parse_timestamp(data.get("heartbeat")),
            attempts=_as_int(data.get("attempts")),
            suite=str(data.get("suite") or ""),
            results_path=str(data.get("results_path") or ""),
            log_path=str(data.get("log_path") or ""),
            log_tail=str(data.get("log_tail") or ""),
            progress=Progress.from_json(data.get("progress")),
            extra=MappingProxyType({k: v for k, v in data.items() if k not in known}),
        )

    def to_json(self) -> dict[str, Any]:
        """The file's JSON: standard keys in the OLL's order, then ours, then unknown ones."""
        data: dict[str, Any] = {
            "model": self.model,
            "base_model": self.base_model,
            "revision": self.revision,
            "private": self.private,
            "precision": self.precision.value,
            "weight_type": self.weight_type.value,
            "status": self.status.value,
            "submitted_time": format_timestamp(self.submitted_time),
            "model_type": self.model_type.value,
            "likes": self.likes,
            "params": self.params if self.params is not None else 0,
            "license": self.license,
            "architectures": self.architectures,
            "use_chat_template": self.use_chat_template,
            "sender": self.sender,
            "job_id": self.job_id,
            "job_start_time": self.job_start_time,
        }
        if self.tags:
            data["tags"] = list(self.tags)
        if not self.still_on_hub:
            data["still_on_hub"] = False
        if self.flagged:
            data["flagged"] = self.flagged
        if self.failure_reason:
            data["failure_reason"] = self.failure_reason
        optional = {
            "worker": self.worker,
            "heartbeat": format_timestamp(self.heartbeat) if self.heartbeat else "",
            "attempts": self.attempts,
            "suite": self.suite,
            "results_path": self.results_path,
            "log_path": self.log_path,
            "log_tail": self.log_tail,
            "progress": self.progress.to_json() if self.progress else None,
        }
        data.update({key: value for key, value in optional.items() if value})
        for key, value in self.extra.items():
            data.setdefault(key, value)
        return data


def _as_bool(value: object, *, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no"}:
            return False
    if isinstance(value, int | float):
        return bool(value)
    return default


def _as_int(value: object) -> int:
    try:
        return int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _as_params(value: object) -> float | None:
    """Parameter count in billions; 0 and junk mean unknown (as in the OLL's own files)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    return number


def _as_architecture(value: object) -> str:
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value or "")


def _as_optional_str(value: object) -> str | None:
    return None if value is None else str(value)
