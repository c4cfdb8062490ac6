"""How many GPUs an evaluation needs (`backend/resources.py`): table-driven, against hand
arithmetic (params × bytes per parameter × 1.2, on 80 GB GPUs unless said)."""

from __future__ import annotations

import pytest

from leaderboard.backend.resources import (
    DoesNotFit,
    Layout,
    Parallelism,
    layout_for,
    memory_needed_gb,
)
from leaderboard.domain import Precision

F16, BF16, F32 = Precision.FLOAT16, Precision.BFLOAT16, Precision.FLOAT32
INT8, INT4, GPTQ = Precision.INT8, Precision.INT4, Precision.GPTQ
SINGLE, DATA, MODEL = Parallelism.SINGLE, Parallelism.DATA, Parallelism.MODEL
TENSOR = Parallelism.TENSOR

# (params B, precision, options, GPUs, parallelism, memory GB by hand)
CASES = [
    (7, F16, {}, 1, SINGLE, 7 * 2 * 1.2),  # 16.8 GB
    (7, F32, {}, 1, SINGLE, 7 * 4 * 1.2),  # 33.6 GB
    (33, F16, {}, 1, SINGLE, 33 * 2 * 1.2),  # 79.2 GB: just fits
    (34, F16, {}, 2, MODEL, 34 * 2 * 1.2),  # 81.6 GB: two
    (70, BF16, {}, 4, MODEL, 70 * 2 * 1.2),  # 168 GB: more than 2 × 80
    (70, INT8, {}, 2, MODEL, 70 * 1 * 1.2),  # 84 GB: 8bit halves it
    (70, INT4, {}, 1, SINGLE, 70 * 0.5 * 1.2),  # 42 GB: 4bit quarters it
    (180, F16, {}, 8, MODEL, 180 * 2 * 1.2),  # 432 GB
    (405, GPTQ, {}, 4, MODEL, 405 * 0.5 * 1.2),  # 243 GB
    (70, BF16, {"backend": "vllm"}, 4, TENSOR, 168),
    (7, F16, {"data_parallel": 4}, 4, DATA, 7 * 2 * 1.2 * 4),  # four full copies
    (7, F16, {"data_parallel": 4, "max_gpus": 2}, 2, DATA, 7 * 2 * 1.2 * 2),
    (70, BF16, {"gpu_memory_gb": 141}, 2, MODEL, 168),  # H200: 2 × 141 GB
    (70, BF16, {"data_parallel": 8}, 4, MODEL, 168),  # too large to copy: split
]


@pytest.mark.parametrize(("params", "precision", "options", "gpus", "how", "memory"), CASES)
def test_a_request_gets_the_gpus_its_size_and_precision_need(
    params, precision, options, gpus, how, memory
):
    settings = {"gpu_memory_gb": 80, "max_gpus": 8, **options}
    layout = layout_for(params, precision, **settings)
    assert (layout.gpus, layout.parallelism) == (gpus, how)
    assert layout.memory_gb == pytest.approx(memory)


def test_what_each_layout_adds_to_the_command():
    assert Layout(4, TENSOR, 168).model_args == {"tensor_parallel_size": 4}
    assert Layout(4, MODEL, 168).model_args == {"parallelize": True}
    assert Layout(4, DATA, 67).model_args == {} and Layout(4, DATA, 67).processes == 4
    assert Layout(1, SINGLE, 16).processes == 1 and Layout(4, MODEL, 168).processes == 1


@pytest.mark.parametrize(
    ("params", "precision", "max_gpus", "needed", "largest"),
    [
        (400, F16, 8, 960, "8 × 80 GB"),
        (70, BF16, 2, 168, "2 × 80 GB"),
        (40, F16, 1, 96, "1 × 80 GB"),
    ],
)
def test_a_model_no_slot_holds_is_refused_with_the_figures(
    params, precision, max_gpus, needed, largest
):
    with pytest.raises(DoesNotFit) as refused:
        layout_for(params, precision, gpu_memory_gb=80, max_gpus=max_gpus)
    message = str(refused.value)
    assert f"about {needed:,} GB" in message and largest in message
    assert precision.value in message and "8bit, 4bit" in message


def test_a_cpu_machine_has_one_slot_and_an_unknown_size_one_gpu():
    assert layout_for(70, F16, gpu_memory_gb=0, max_gpus=0) == Layout(0, Parallelism.CPU, None)
    for unknown in (None, 0, float("nan"), -3):
        assert layout_for(unknown, F16, gpu_memory_gb=80, max_gpus=8) == Layout(1, SINGLE, None)


def test_quantization_divides_the_memory_by_two_and_four():
    full = memory_needed_gb(70, F16)
    assert memory_needed_gb(70, INT8) == pytest.approx(full / 2)
    assert memory_needed_gb(70, INT4) == pytest.approx(full / 4)
    assert memory_needed_gb(70, GPTQ) == pytest.approx(full / 4)
