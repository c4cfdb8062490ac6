"""How many GPUs an evaluation needs, and how it uses them: pure, from the request's size
and precision (issue 13, section 2; the executors that hand out these slots come next).

The weights take `params × bytes per parameter` (float32 4, float16 and bfloat16 2, 8bit 1,
4bit and GPTQ 0.5: 8bit halves the memory, 4bit quarters it), and an evaluation needs
HEADROOM more for activations, the KV cache and the CUDA context. Then, as the Open LLM
Leaderboard laid out its runs:
- a model that fits one GPU runs on one GPU (several at once, one per GPU), or data parallel
  over `data_parallel` GPUs (`accelerate launch`, one full copy per GPU) when asked;
- a larger one is split over the fewest of 2, 4 or 8 GPUs that hold it: tensor parallel with
  vLLM (`tensor_parallel_size`), model parallel with the `hf` backend (`parallelize=True`,
  its layers spread over the GPUs);
- one that no slot holds is refused with the figures, and the request fails with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from leaderboard.domain import Precision

BYTES_PER_PARAMETER = {
    Precision.FLOAT32: 4.0,
    Precision.FLOAT16: 2.0,
    Precision.BFLOAT16: 2.0,
    Precision.INT8: 1.0,
    Precision.INT4: 0.5,
    Precision.GPTQ: 0.5,
    Precision.UNKNOWN: 2.0,  # read as float16, the most common
}
HEADROOM = 1.2  # activations, KV cache, CUDA context: the weights may take 5/6 of the memory
SPLITS = (2, 4, 8)  # the GPU counts a model is split over (tensor sizes divide heads evenly)


class Parallelism(StrEnum):
    CPU = "cpu"
    SINGLE = "one GPU"
    DATA = "data parallel"  # a full copy per GPU, the documents shared out (accelerate)
    TENSOR = "tensor parallel"  # each layer split over the GPUs (vLLM)
    MODEL = "model parallel"  # the layers spread over the GPUs (hf `parallelize=True`)


@dataclass(frozen=True)
class Layout:
    gpus: int
    parallelism: Parallelism
    memory_gb: float | None  # what the evaluation needs in all (None: size unknown)

    @property
    def model_args(self) -> dict[str, object]:
        """The lm-eval model arguments the layout adds."""
        if self.parallelism is Parallelism.TENSOR:
            return {"tensor_parallel_size": self.gpus}
        if self.parallelism is Parallelism.MODEL:
            return {"parallelize": True}
        return {}

    @property
    def processes(self) -> int:
        """How many processes `accelerate launch` starts (1: the plain command)."""
        return self.gpus if self.parallelism is Parallelism.DATA else 1


class DoesNotFit(ValueError):
    """No slot holds the model; the message is the request's failure reason."""


def memory_needed_gb(params_b: float, precision: Precision) -> float:
    return params_b * BYTES_PER_PARAMETER[precision] * HEADROOM


def layout_for(
    params_b: float | None,
    precision: Precision,
    *,
    gpu_memory_gb: float,
    max_gpus: int,
    backend: str = "hf",
    data_parallel: int = 1,
) -> Layout:
    """The GPUs an evaluation of a `params_b`-billion model in `precision` needs on GPUs of
    `gpu_memory_gb` each, at most `max_gpus` of them (0: a CPU-only machine, one slot).

    Raises:
        DoesNotFit: the model needs more memory than `max_gpus` GPUs have.
    """
    if max_gpus <= 0:
        return Layout(0, Parallelism.CPU, None)
    if params_b is None or not math.isfinite(params_b) or params_b <= 0:
        # Unknown size (submission reads it from the weights, so only an old request): one
        # GPU, as most models need.
        return Layout(1, Parallelism.SINGLE, None)
    needed = memory_needed_gb(params_b, precision)
    if needed <= gpu_memory_gb:
        copies = max(1, min(data_parallel, max_gpus))
        if copies > 1:
            return Layout(copies, Parallelism.DATA, needed * copies)
        return Layout(1, Parallelism.SINGLE, needed)
    for gpus in SPLITS:
        if gpus <= max_gpus and needed <= gpus * gpu_memory_gb:
            split = Parallelism.TENSOR if backend == "vllm" else Parallelism.MODEL
            return Layout(gpus, split, needed)
    largest = max([1, *(n for n in SPLITS if n <= max_gpus)])
    raise DoesNotFit(
        f"The model needs about {needed:,.0f} GB of GPU memory ({params_b:,.1f}B parameters "
        f"in {precision.value}, {BYTES_PER_PARAMETER[precision]:g} bytes each, plus "
        f"{HEADROOM - 1:.0%} for activations), more than the largest slot here: {largest} × "
        f"{gpu_memory_gb:,.0f} GB. A quantized precision (8bit, 4bit) needs less."
    )
