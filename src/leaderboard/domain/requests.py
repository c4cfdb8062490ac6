"""The request file: one submission of one model in the queue.

The standard keys are those of the Open LLM Leaderboard's `requests` dataset and are never
renamed. Our own fields are additive, and keys we do not know are kept verbatim in `extra`
so that reading and writing a file never drops what another tool put there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from leaderboard.domain.enums import ModelType, Precision, Status, WeightType
from leaderboard.domain.fields import (
    MAX_SECONDS,
    FieldError,
    preview,
    read_count,
    read_flag,
    read_number,
    read_object,
    read_optional_text,
    read_text,
    read_texts,
    read_time,
    to_number,
)
from leaderboard.domain.names import format_timestamp, request_file_path
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
    def from_json(cls, data: dict) -> Progress:
        return cls(
            stage=read_text(data, "stage", field="progress.stage"),
            done=read_count(data, "done", field="progress.done"),
            total=read_count(data, "total", field="progress.total"),
            elapsed_seconds=read_number(
                data,
                "elapsed_seconds",
                low=0,
                high=MAX_SECONDS,
                default=0.0,
                field="progress.elapsed_seconds",
            ),
            eta_seconds=read_number(
                data, "eta_seconds", low=0, high=MAX_SECONDS, field="progress.eta_seconds"
            ),
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
        """Read one request file's JSON; tolerant of missing keys and legacy spellings, and
        every field read through `domain.fields`: a wrong value is a ParseError naming it."""
        where = f" in {path}" if path else ""
        if not isinstance(data, dict):
            raise ParseError(f"Request file{where} holds {type(data).__name__}, not an object.")
        model = data.get("model")
        if not isinstance(model, str) or not model.strip():
            raise ParseError(f"Request file{where} has no `model` name.")
        try:
            return cls._from_fields(data, model.strip())
        except ParseError as exc:
            raise ParseError(f"Request file{where}: {exc}.") from exc

    @classmethod
    def _from_fields(cls, data: dict, model: str) -> EvalRequest:
        raw_status = read_text(data, "status")
        try:
            status = Status.parse(raw_status)
        except ValueError:
            known = ", ".join(s.value for s in Status)
            raise FieldError("status", f"is {preview(raw_status)}, not one of {known}") from None
        progress = read_object(data, "progress")
        return cls(
            model=model,
            precision=Precision.parse(read_text(data, "precision")),
            weight_type=WeightType.parse(read_text(data, "weight_type")),
            status=status,
            revision=read_text(data, "revision") or "main",
            base_model=read_text(data, "base_model"),
            private=read_flag(data, "private", default=False),
            submitted_time=read_time(data, "submitted_time"),
            model_type=ModelType.parse(read_texts(data, "model_type")),
            likes=read_count(data, "likes"),
            params=_as_params(data.get("params")),
            license=read_text(data, "license"),
            architectures=";".join(read_texts(data, "architectures")),
            use_chat_template=read_flag(data, "use_chat_template", default=False),
            sender=read_text(data, "sender"),
            job_id=_job_id(data.get("job_id")),
            job_start_time=read_optional_text(data, "job_start_time"),
            tags=read_texts(data, "tags"),
            still_on_hub=read_flag(data, "still_on_hub", default=True),
            flagged=read_text(data, "flagged"),
            failure_reason=read_text(data, "failure_reason"),
            worker=read_text(data, "worker"),
            heartbeat=read_time(data, "heartbeat"),
            attempts=read_count(data, "attempts", high=MAX_ATTEMPTS),
            suite=read_text(data, "suite"),
            results_path=read_text(data, "results_path"),
            log_path=read_text(data, "log_path"),
            log_tail=read_text(data, "log_tail"),
            progress=Progress.from_json(progress) if progress is not None else None,
            extra=MappingProxyType({k: v for k, v in data.items() if k not in _KNOWN_KEYS}),
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


MAX_ATTEMPTS = 1_000_000
_KNOWN_KEYS = frozenset(STANDARD_KEYS) | frozenset(OWN_KEYS)


def _as_params(value: object) -> float | None:
    """Parameter count in billions. The OLL's own files write 0, negative numbers or junk for
    "unknown", so here (and only here) a value we cannot use means unknown, not unreadable."""
    try:
        number = to_number(value, "params")
    except FieldError:
        return None
    return number if 0 < number <= MAX_PARAMS_B else None


MAX_PARAMS_B = 1e6  # a million billion parameters


def _job_id(value: object) -> int | str:
    """-1 (none), an integer or a text id, as the OLL's and our workers write them."""
    if value is None:
        return -1
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise FieldError("job_id", f"should be a number or text, not {preview(value)}")
