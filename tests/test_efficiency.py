"""Issue 14 section 1: the efficiency pass and its figures on the board.

The whole path on the real harness (a worker run of the tiny model records every figure, and
the board shows them) is in test_worker.py; here: the results file's `efficiency` object read
strictly, the workload's pure parts, the pass's time bound on a real model, and the board's
columns, `@hardware:` filter and Score per GPU-hour by hand arithmetic.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from conftest import write_json
from leaderboard.backend.efficiency import (
    OUTPUT_TOKENS,
    PROMPT_TOKENS,
    context_window,
    measure,
    prompt_lengths,
)
from leaderboard.domain import parse_results
from leaderboard.domain.efficiency import Efficiency
from leaderboard.errors import ParseError
from leaderboard.profile import load_profile
from leaderboard.query import Query, run_query
from leaderboard.stores import LocalStore
from leaderboard.suites import get_suite
from leaderboard.table import TableLoader
from leaderboard.ui.model_page import render_profile

SAMPLE = get_suite("sample")
FIGURES = {
    "tokens_per_second": 41.5,
    "tokens_per_second_batch": 250.0,
    "batch_size": 8,
    "ttft_ms": 35.0,
    "load_seconds": 12.0,
    "peak_memory_gb": 15.2,
    "memory_kind": "accelerator",
    "evaluation_seconds": 1800.0,
    "gpu_count": 2,
    "gpu_hours": 1.0,
    "hardware": "2x NVIDIA H100 80GB HBM3",
    "backend": "hf",
    "dtype": "bfloat16",
    "context_window": 8192,
    "prompt_tokens": [64, 512, 2048],
    "output_tokens": 64,
    "pass_seconds": 9.5,
    "complete": True,
}


def results_file(model: str, efficiency: object = None) -> dict:
    """Scores 50 on both sample benchmarks: (0.625 - 1/4) / (3/4) and 0.5, times 100."""
    data = {
        "config": {"model_name": model, "model_dtype": "torch.bfloat16"},
        "results": {
            "sample_mc": {"acc_norm,none": 0.625},
            "sample_gen": {"exact_match,none": 0.5},
        },
        "date": 1765000000.0,
    }
    if efficiency is not None:
        data["efficiency"] = efficiency
    return data


def test_the_efficiency_object_reads_back_as_written():
    efficiency = parse_results(results_file("org/a", FIGURES)).efficiency
    assert efficiency == Efficiency(**{**FIGURES, "prompt_tokens": (64, 512, 2048)})
    assert efficiency.to_json() == FIGURES
    assert parse_results(results_file("org/a")).efficiency is None  # most files have none


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tokens_per_second", "fast", "field `efficiency.tokens_per_second` should be a number"),
        ("tokens_per_second", -1, "outside 0..1e+07"),
        ("ttft_ms", float("inf"), "should be a finite number"),
        ("batch_size", 2.5, "should be a whole number"),
        ("hardware", "x" * 201, "should be a one-line label of at most 200 chars"),
        ("hardware", "H100\n<script>", "should be a one-line label"),
        ("prompt_tokens", list(range(17)), "a list of at most 16 lengths"),
        ("complete", "perhaps", "efficiency.complete"),
    ],
)
def test_a_bad_figure_makes_the_file_unreadable_with_its_reason(field, value, message):
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace("+", r"\+")):
        parse_results(results_file("org/a", {**FIGURES, field: value}))


def test_prompt_lengths_fit_the_context_with_the_answer():
    assert prompt_lengths(None) == PROMPT_TOKENS
    assert prompt_lengths(4096) == PROMPT_TOKENS
    assert prompt_lengths(512) == (64, 512 - OUTPUT_TOKENS)
    assert prompt_lengths(100) == (100 - OUTPUT_TOKENS,)


def test_the_context_window_comes_from_the_config_under_any_of_its_names():
    assert context_window(SimpleNamespace(max_position_embeddings=4096)) == 4096
    assert context_window(SimpleNamespace(n_positions=1024)) == 1024  # GPT-2
    nested = SimpleNamespace(text_config=SimpleNamespace(max_position_embeddings=8192))
    assert context_window(nested) == 8192  # a multimodal model's language part
    assert context_window(SimpleNamespace(max_position_embeddings=True)) is None
    assert context_window(SimpleNamespace()) is None


def test_the_pass_stops_at_its_time_bound_and_keeps_what_it_had(tiny_model):
    """A real model: with no time left the pass measures nothing that needs generation and
    says why; with time, every figure."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    lm = SimpleNamespace(
        model=AutoModelForCausalLM.from_pretrained(tiny_model),
        tokenizer=AutoTokenizer.from_pretrained(tiny_model),
        device="cpu",
    )
    cut = measure(lm, backend="hf", load_seconds=1.0, evaluation_seconds=3.0, time_bound=0)
    assert not cut.complete and cut.note == "stopped by its time bound (0 s)"
    assert cut.tokens_per_second is None and cut.tokens_per_second_batch is None
    assert (cut.load_seconds, cut.evaluation_seconds, cut.context_window) == (1.0, 3.0, 512)
    assert cut.peak_memory_gb > 0 and cut.hardware.startswith("CPU: ")
    whole = measure(lm, backend="hf", load_seconds=1.0, evaluation_seconds=3.0, time_bound=60)
    assert whole.complete and whole.note == ""
    assert whole.tokens_per_second > 0 and whole.tokens_per_second_batch > 0
    assert whole.ttft_ms > 0 and whole.batch_size == 8 and whole.dtype == "float32"
    other = measure(lm, backend="vllm", load_seconds=1.0, evaluation_seconds=3.0, time_bound=60)
    assert other.tokens_per_second is None and "vllm is not measured" in other.note


def test_the_board_shows_the_figures_filters_by_hardware_and_scores_per_gpu_hour(
    tmp_path, settings
):
    results, queue = tmp_path / "results", tmp_path / "queue"
    h100 = {**FIGURES, "gpu_hours": 0.5}
    write_json(results, "org/fast/results_2025-01-01T00-00-00.json", results_file("org/fast", h100))
    cpu = {**FIGURES, "hardware": "CPU: Intel Xeon", "gpu_count": 0, "memory_kind": "rss"}
    del cpu["gpu_hours"]
    write_json(results, "org/cpu/results_2025-01-01T00-00-00.json", results_file("org/cpu", cpu))
    write_json(results, "org/none/results_2025-01-01T00-00-00.json", results_file("org/none"))
    loader = TableLoader(LocalStore(results), LocalStore(queue), settings, use_cache=False)
    board = loader.load().board("sample").set_index("model")
    assert board.loc["org/fast", "average"] == 50.0
    assert board.loc["org/fast", "score_per_gpu_hour"] == 50.0 / 0.5  # by hand: 100
    assert math.isnan(board.loc["org/cpu", "score_per_gpu_hour"])  # no GPU-hours on a CPU
    assert board.loc["org/fast", "tokens_per_second"] == 41.5
    assert board.loc["org/fast", "context_window"] == 8192
    assert math.isnan(board.loc["org/none", "tokens_per_second"])
    assert board.loc["org/none", "hardware"] == ""
    shown = run_query(board.reset_index(), SAMPLE, Query(search="@hardware:h100"))
    assert list(shown["model"]) == ["org/fast"]
    shown = run_query(board.reset_index(), SAMPLE, Query(search="@hardware:cpu"))
    assert list(shown["model"]) == ["org/cpu"]
    default = run_query(board.reset_index(), SAMPLE, Query())
    assert {"tokens_per_second", "context_window"} <= set(default.columns)
    assert not {"ttft_ms", "gpu_hours", "hardware"} & set(default.columns)  # hidden
    # The model page names each figure with what it was measured on.
    snapshot = loader.snapshot
    page = render_profile(
        load_profile(snapshot, SAMPLE, "org/fast", "", LocalStore(results)), lambda path: None
    )
    for text in (
        "<h3>Efficiency</h3>",
        "<th>Output speed, batch size 1</th><td>41.5 tokens/s</td>",
        "<th>Output speed, batch size 8</th><td>250.0 tokens/s</td>",
        "<th>Peak memory</th><td>15.20 GB (GPU, peak allocated)</td>",
        "<th>GPU-hours</th><td>0.500 h</td>",
        "<th>Hardware</th><td>2x NVIDIA H100 80GB HBM3</td>",
        "<td>prompts of 64, 512, 2048 tokens, 64 new tokens each, greedy</td>",
    ):
        assert text in page, text
    none = load_profile(snapshot, SAMPLE, "org/none", "", LocalStore(results))
    assert none.efficiency is None and "Efficiency" not in render_profile(none, lambda p: None)
