"""Synthetic models for scale tests and demos: `python -m leaderboard demo-data`.

Every name says it is synthetic (`synthetic-org-007/synthetic-model-000042-7B`), and the
files have the exact shape our worker writes (lm-eval 0.4 output plus `config.model_name`,
`model_sha`, `model_dtype`) with a FINISHED request beside each, so the scale tests read
what production reads. Scores are random, seeded, and mean nothing.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import orjson

from leaderboard.domain import EvalRequest, ModelType, Precision, Status, WeightType
from leaderboard.domain.names import results_file_path
from leaderboard.stores import Store
from leaderboard.suites import Benchmark, Suite, lower_bound

SIZES_B = (0.5, 1.5, 3, 7, 8, 13, 34, 70, 110)
LICENSES = ("apache-2.0", "mit", "llama3", "cc-by-nc-4.0", "other", "gemma")
ARCHITECTURES = ("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "GemmaForCausalLM")
PRECISIONS = (Precision.BFLOAT16, Precision.FLOAT16, Precision.INT8, Precision.INT4)
EPOCH = datetime(2024, 6, 26, tzinfo=UTC)


@dataclass(frozen=True)
class SyntheticModel:
    request: EvalRequest
    results_path: str
    results: dict


def synthetic_models(count: int, suite: Suite, *, seed: int = 0) -> Iterator[SyntheticModel]:
    rng = np.random.default_rng(seed)
    types = [t for t in ModelType if t is not ModelType.UNKNOWN]
    for index in range(count):
        size = float(rng.choice(SIZES_B))
        name = f"synthetic-org-{index % 500:03d}/synthetic-model-{index:06d}-{size:g}B"
        sha = hashlib.sha1(name.encode()).hexdigest()
        precision = PRECISIONS[int(rng.integers(len(PRECISIONS)))]
        submitted = EPOCH + timedelta(minutes=int(index))
        skill = float(rng.beta(2, 3))  # one latent ability so that scores correlate
        request = EvalRequest(
            model=name,
            precision=precision,
            weight_type=WeightType.ADAPTER if rng.random() < 0.03 else WeightType.ORIGINAL,
            status=Status.FINISHED,
            revision=sha,
            submitted_time=submitted,
            model_type=types[int(rng.integers(len(types)))],
            likes=int(rng.zipf(2.0)) - 1,
            params=size,
            license=LICENSES[int(rng.integers(len(LICENSES)))],
            architectures=ARCHITECTURES[int(rng.integers(len(ARCHITECTURES)))],
            use_chat_template=bool(rng.random() < 0.4),
            sender="synthetic",
            tags=("merge",) if rng.random() < 0.2 else (),
            still_on_hub=bool(rng.random() > 0.05),
            flagged="synthetic flag" if rng.random() < 0.01 else "",
        )
        evaluated = submitted + timedelta(hours=6)
        yield SyntheticModel(
            request,
            results_file_path(name, evaluated),
            _results(name, sha, precision, suite, skill, rng, evaluated),
        )


def _results(name, sha, precision, suite, skill, rng, evaluated) -> dict:
    results: dict[str, dict] = {}
    n_shot: dict[str, int] = {}
    for benchmark in suite.benchmarks:
        _fill_benchmark(results, n_shot, benchmark, skill, rng)
    seconds = float(rng.uniform(600, 20000))
    return {
        "results": results,
        "n-shot": n_shot,
        "versions": {task: 1.0 for task in results},
        "config": {
            "model": "hf",
            "model_args": f"pretrained={name},revision={sha},dtype={precision.value}",
            "model_name": name,
            "model_sha": sha,
            "model_dtype": f"torch.{precision.value}",
            "batch_size": "auto",
        },
        "lm_eval_version": "0.4.13",
        "date": evaluated.timestamp(),
        "total_evaluation_time_seconds": f"{seconds:.3f}",
    }


def _fill_benchmark(results, n_shot, benchmark: Benchmark, skill: float, rng) -> None:
    for part in benchmark.parts:
        source = part.sources[0]
        low = lower_bound(part.num_choices)
        value = float(np.clip(low + (1 - low) * skill + rng.normal(0, 0.08), 0, 1))
        task, metric = source.tasks[0], source.metrics[0]
        key = metric if "," in metric else f"{metric},none"
        results.setdefault(task, {"alias": task})[key] = round(value, 6)
        if benchmark.n_shot is not None:
            n_shot[task] = benchmark.n_shot
    if benchmark.aggregate is not None:
        source = benchmark.aggregate.sources[0]
        values = [
            results[p.sources[0].tasks[0]][f"{p.sources[0].metrics[0]},none"]
            for p in benchmark.parts
        ]
        task = source.tasks[0]
        results[task] = {
            "alias": task,
            f"{source.metrics[0]},none": round(float(np.mean(values)), 6),
        }


def write_synthetic(
    count: int, suite: Suite, *, queue: Store, results: Store, seed: int = 0
) -> int:
    """Write `count` models (a request and a results file each); returns files written."""

    def write(model: SyntheticModel) -> None:
        request = model.request
        queue.write(request.path, orjson.dumps(request.to_json(), option=orjson.OPT_INDENT_2))
        results.write(model.results_path, orjson.dumps(model.results))

    models = synthetic_models(count, suite, seed=seed)
    with ThreadPoolExecutor(max_workers=8) as pool:
        while batch := list(itertools.islice(models, 1000)):
            list(pool.map(write, batch))
    return 2 * count
