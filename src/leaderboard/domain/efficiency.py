"""The `efficiency` object of a results file: what running the model cost, beside what it knows.

The worker's child measures it after the suite, on the same hardware (backend/efficiency.py),
and the results file carries it as one object, so that a figure never travels without the
hardware, backend, dtype and batch size it was measured with. Every field is optional: a
file from another tool has none, and a pass cut short by its time bound has some.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from leaderboard.domain.fields import (
    MAX_SECONDS,
    FieldError,
    read_count,
    read_flag,
    read_number,
    read_object,
    read_text,
)

KEY = "efficiency"  # in the results file
REPORT_FILE = "efficiency.json"  # the child's report, in its output folder
MAX_TEXT = 200  # hardware, backend, dtype: a label, not a document
MAX_TOKENS_PER_SECOND = 10**7
MAX_MEMORY_GB = 10**6
MAX_CONTEXT = 10**9


@dataclass(frozen=True, slots=True)
class Efficiency:
    """Figures in their units: tokens per second, milliseconds, seconds, GB, GPU-hours."""

    tokens_per_second: float | None = None  # output speed at batch size 1
    tokens_per_second_batch: float | None = None  # total output speed at `batch_size`
    batch_size: int | None = None  # of the batch figure
    ttft_ms: float | None = None  # time to first token at batch size 1
    load_seconds: float | None = None  # the model's load, before the suite
    peak_memory_gb: float | None = None  # accelerator memory, or the process's RSS on CPU
    memory_kind: str = ""  # "accelerator" or "rss"
    evaluation_seconds: float | None = None  # load + suite, the pass excluded
    gpu_count: int = 0
    gpu_hours: float | None = None  # evaluation_seconds x gpu_count; none on a CPU
    hardware: str = ""  # "1x NVIDIA H100 80GB HBM3" or "CPU: <model name>"
    backend: str = ""  # lm-eval's model type: hf, vllm
    dtype: str = ""
    context_window: int | None = None  # tokens, from the model's config
    prompt_tokens: tuple[int, ...] = ()  # the workload's prompt lengths
    output_tokens: int | None = None  # generated per prompt
    pass_seconds: float | None = None  # what the pass itself took
    complete: bool = True  # false: its time bound stopped it before every figure
    note: str = ""  # why a figure is missing (a backend not measured, the bound)

    def to_json(self) -> dict:
        data = asdict(self)
        data["prompt_tokens"] = list(self.prompt_tokens)
        return {key: value for key, value in data.items() if value not in (None, "")}


def _text(data: Mapping, key: str) -> str:
    value = read_text(data, key, field=f"{KEY}.{key}")
    if len(value) > MAX_TEXT or any(ord(c) < 32 for c in value):
        raise FieldError(f"{KEY}.{key}", f"should be a one-line label of at most {MAX_TEXT} chars")
    return value


def _number(data: Mapping, key: str, high: float) -> float | None:
    return read_number(data, key, low=0, high=high, field=f"{KEY}.{key}")


def _count(data: Mapping, key: str, high: int) -> int | None:
    if data.get(key) is None:
        return None
    return read_count(data, key, high=high, field=f"{KEY}.{key}")


def read_efficiency(data: Mapping) -> Efficiency | None:
    """The results file's `efficiency` object, checked field by field; None without one."""
    block = read_object(data, KEY)
    if block is None:
        return None
    lengths = block.get("prompt_tokens") or []
    if not isinstance(lengths, list) or len(lengths) > 16:
        raise FieldError(f"{KEY}.prompt_tokens", "should be a list of at most 16 lengths")
    prompt_tokens = tuple(
        read_count({"n": n}, "n", high=MAX_CONTEXT, field=f"{KEY}.prompt_tokens") for n in lengths
    )
    return Efficiency(
        tokens_per_second=_number(block, "tokens_per_second", MAX_TOKENS_PER_SECOND),
        tokens_per_second_batch=_number(block, "tokens_per_second_batch", MAX_TOKENS_PER_SECOND),
        batch_size=_count(block, "batch_size", 10**6),
        ttft_ms=_number(block, "ttft_ms", MAX_SECONDS * 1000),
        load_seconds=_number(block, "load_seconds", MAX_SECONDS),
        peak_memory_gb=_number(block, "peak_memory_gb", MAX_MEMORY_GB),
        memory_kind=_text(block, "memory_kind"),
        evaluation_seconds=_number(block, "evaluation_seconds", MAX_SECONDS),
        gpu_count=_count(block, "gpu_count", 10**6) or 0,
        gpu_hours=_number(block, "gpu_hours", MAX_SECONDS),
        hardware=_text(block, "hardware"),
        backend=_text(block, "backend"),
        dtype=_text(block, "dtype"),
        context_window=_count(block, "context_window", MAX_CONTEXT),
        prompt_tokens=prompt_tokens,
        output_tokens=_count(block, "output_tokens", MAX_CONTEXT),
        pass_seconds=_number(block, "pass_seconds", MAX_SECONDS),
        complete=read_flag(block, "complete", default=True, field=f"{KEY}.complete"),
        note=read_text(block, "note", field=f"{KEY}.note")[:MAX_TEXT],
    )
