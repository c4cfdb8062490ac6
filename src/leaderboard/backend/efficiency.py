"""The efficiency pass: a short, fixed generation workload run in the evaluation's own child,
on the model the suite just used, so that speed is measured on the hardware the scores were.

The workload (README, "Efficiency"): the prompts are the first 64, 512 and 2,048 tokens of a
fixed English passage (`PASSAGE`, repeated), each cut to what the model's context window
leaves for the answer; each is answered greedily with exactly 64 new tokens (end-of-text
ignored), once at batch size 1 and, for the 512-token prompt, by a batch of 8 copies. One
short warm-up generation comes first and is not counted. A time bound stops the pass between
steps (and `generate(max_time=...)` within one); what was measured by then is kept and
`complete` is false.

- Output speed (tokens/s, batch size 1): (new tokens - 1) / (time from the first new token
  to the last), the median over the prompts: decoding speed, without the prompt's prefill.
- Time to first token: from the call to the first new token, the median over the prompts.
- Batch speed: all new tokens of the batch / the batch's whole generation time.
- Peak memory: torch's peak allocated memory summed over the GPUs this child sees, or the
  process's peak RSS on a CPU, over the whole child (suite included).
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from dataclasses import dataclass, replace

from leaderboard.domain.efficiency import REPORT_FILE, Efficiency

PROMPT_TOKENS = (64, 512, 2048)
OUTPUT_TOKENS = 64
LARGE_BATCH = 8
BATCH_PROMPT_TOKENS = 512
PASSAGE = (
    "The history of measurement is the history of agreement. Merchants in ancient markets "
    "weighed grain against stones that both parties trusted, and surveyors stretched knotted "
    "cords to divide fields after the river's flood. Over centuries these local customs grew "
    "into shared standards: the metre was first defined as a fraction of the distance from "
    "the pole to the equator, and the second as a fraction of the day. Today both are fixed "
    "by constants of nature, so that a laboratory anywhere can reproduce them. "
)
_CONTEXT_KEYS = (
    "max_position_embeddings",
    "n_positions",
    "max_seq_len",
    "seq_length",
    "n_ctx",
    "max_sequence_length",
)


@dataclass(frozen=True)
class Generation:
    """One timed `generate` call."""

    new_tokens: int  # per sequence
    batch: int
    first_token_seconds: float  # from the call to the first new token
    total_seconds: float


def context_window(config) -> int | None:
    """The model's context length as its config states it (the first key it has)."""
    for owner in (config, getattr(config, "text_config", None)):
        for key in _CONTEXT_KEYS:
            value = getattr(owner, key, None) if owner is not None else None
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


def prompt_lengths(context: int | None) -> tuple[int, ...]:
    """The workload's prompt lengths that fit the context with the answer, each cut to it."""
    room = PROMPT_TOKENS[-1] if context is None else max(context - OUTPUT_TOKENS, 1)
    return tuple(sorted({min(n, room) for n in PROMPT_TOKENS}))


def visible_gpus(torch) -> int:
    """The GPUs this child sees (its slot's, through CUDA_VISIBLE_DEVICES)."""
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def peak_memory_gb(torch, gpus: int) -> tuple[float, str]:
    if gpus:
        peak = sum(torch.cuda.max_memory_allocated(i) for i in range(gpus))
        return peak / 1e9, "accelerator"
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS
    return kilobytes * scale / 1e9, "rss"


def hardware_label(torch, gpus: int) -> str:
    """What ran it: "2x NVIDIA H100 80GB HBM3", or "CPU: <model>"."""
    return f"{gpus}x {torch.cuda.get_device_name(0)}" if gpus else f"CPU: {cpu_model()}"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.lower().startswith("model name"):
                    return " ".join(line.split(":", 1)[1].split())[:120]
    except OSError:
        pass
    import platform

    return (platform.processor() or platform.machine() or "unknown")[:120]


def measure(
    lm,
    *,
    backend: str,
    load_seconds: float,
    evaluation_seconds: float,
    time_bound: float,
) -> Efficiency:
    """The pass on lm-eval's loaded model (`HFLM`); other backends get the figures that need
    no generation, and a note."""
    import torch

    gpus = visible_gpus(torch)
    common = Efficiency(
        load_seconds=load_seconds,
        evaluation_seconds=evaluation_seconds,
        gpu_count=gpus,
        gpu_hours=evaluation_seconds * gpus / 3600.0 if gpus else None,
        hardware=hardware_label(torch, gpus),
        backend=backend,
    )
    if backend != "hf":
        memory, kind = peak_memory_gb(torch, gpus)
        note = f"the generation workload runs on the hf backend; {backend} is not measured"
        return replace(common, peak_memory_gb=memory, memory_kind=kind, note=note)
    context = context_window(lm.model.config)
    started = time.monotonic()
    lengths = prompt_lengths(context)
    runner = Runner(torch, lm, deadline=started + time_bound)
    runner.generate(8, 1, 4)  # warm-up: kernels chosen, caches filled; not counted
    singles = [runner.generate(n, 1, OUTPUT_TOKENS) for n in lengths if not runner.late()]
    batch_length = min(BATCH_PROMPT_TOKENS, lengths[-1])
    batched = None if runner.late() else runner.generate(batch_length, LARGE_BATCH, OUTPUT_TOKENS)
    cut = [g for g in [*singles, batched] if g is not None and g.new_tokens < OUTPUT_TOKENS]
    complete = len(singles) == len(lengths) and batched is not None and not cut
    memory, kind = peak_memory_gb(torch, gpus)
    speeds = [
        (g.new_tokens - 1) / (g.total_seconds - g.first_token_seconds)
        for g in singles
        if g.new_tokens > 1 and g.total_seconds > g.first_token_seconds
    ]
    return replace(
        common,
        tokens_per_second=statistics.median(speeds) if speeds else None,
        tokens_per_second_batch=(
            batched.batch * batched.new_tokens / batched.total_seconds if batched else None
        ),
        batch_size=LARGE_BATCH if batched else None,
        ttft_ms=(
            statistics.median(g.first_token_seconds for g in singles) * 1000 if singles else None
        ),
        peak_memory_gb=memory,
        memory_kind=kind,
        dtype=str(getattr(lm.model, "dtype", "")).removeprefix("torch."),
        context_window=context,
        prompt_tokens=lengths,
        output_tokens=OUTPUT_TOKENS,
        pass_seconds=time.monotonic() - started,
        complete=complete,
        note="" if complete else f"stopped by its time bound ({time_bound:g} s)",
    )


class Runner:
    """Times `generate` calls on one model, within the pass's deadline."""

    def __init__(self, torch, lm, *, deadline: float):
        self.torch, self.model, self.device = torch, lm.model, lm.device
        self.deadline = deadline
        self.cuda = torch.cuda.is_available() and str(lm.device).startswith("cuda")
        tokenizer = lm.tokenizer
        self.passage = tokenizer(PASSAGE, add_special_tokens=False)["input_ids"] or [0]
        self.pad = (
            tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        )

    def late(self) -> bool:
        return time.monotonic() >= self.deadline

    def _sync(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize()

    def generate(self, length: int, batch: int, new: int) -> Generation:
        from transformers import StoppingCriteria, StoppingCriteriaList

        torch, runner = self.torch, self

        class FirstToken(StoppingCriteria):
            """Called once per new token, after it is chosen: the first call times it."""

            first: float | None = None

            def __call__(self, input_ids, scores, **kwargs):
                if self.first is None:
                    runner._sync()
                    self.first = time.perf_counter()
                return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

        ids = (self.passage * (length // len(self.passage) + 1))[:length]
        input_ids = torch.tensor([ids] * batch, device=self.device)
        first = FirstToken()
        remaining = max(self.deadline - time.monotonic(), 0.001)
        self._sync()
        start = time.perf_counter()
        with torch.inference_mode():
            output = self.model.generate(
                input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=new,
                min_new_tokens=new,  # the end-of-text token is never chosen: a fixed length
                do_sample=False,
                pad_token_id=self.pad,
                stopping_criteria=StoppingCriteriaList([first]),
                max_time=remaining,
            )
        self._sync()
        total = time.perf_counter() - start
        made = output.shape[1] - length
        return Generation(made, batch, (first.first or start + total) - start, total)


def write_report(report: Efficiency, output_dir: str) -> None:
    import orjson

    path = os.path.join(output_dir, REPORT_FILE)
    with open(path, "wb") as handle:
        handle.write(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2))
