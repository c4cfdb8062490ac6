"""The child process that runs the harness: one spec in, lm-eval's own output files out.

It is its own process so that a crash, an out-of-memory kill or a hang of the harness never
takes the worker (or the app that schedules it) down, and so that torch and lm-eval never
enter the web app's process. It uses lm-eval's Python API as its command line does
(`simple_evaluate`, then `EvaluationTracker` writes the results and samples), with one
difference: a suite of the project's own tasks indexes only those, not lm-eval's ~14,000
built-in task files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import orjson

from leaderboard.backend.spec import EvalSpec, refuse_remote_code

CHILD = "import sys; from leaderboard.backend.evaluate import main; sys.exit(main(sys.argv[1:]))"


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def evaluate(spec: EvalSpec) -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager
    from lm_eval.utils import simple_parse_args_string

    arguments = simple_parse_args_string(spec.model_args)  # read as lm-eval reads it
    refuse_remote_code(arguments)
    device = resolve_device(spec.device)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "(all)")
    print(
        f"leaderboard: evaluating {spec.model} on {device}, CUDA_VISIBLE_DEVICES={visible}",
        flush=True,
    )
    model_args = spec.model_args
    if device == "cpu" and arguments.get("parallelize"):
        # A layout over several GPUs, on a machine that shows none (a CPU node of a cluster
        # whose GPUs are logical): the whole model on the CPU, as one piece. (Values hold no
        # `,` or `=`: the spec's builder refuses them.)
        model_args = ",".join(
            pair for pair in model_args.split(",") if pair.split("=")[0] != "parallelize"
        )
        print("leaderboard: no GPU here, so the model is not split over GPUs", flush=True)
    manager = TaskManager(
        include_path=spec.include_path or None, include_defaults=spec.include_defaults
    )
    for index, run in enumerate(spec.runs):
        tracker = EvaluationTracker(output_path=str(Path(spec.output_dir) / f"run{index}"))
        results = simple_evaluate(
            model=spec.backend,
            model_args=model_args,
            tasks=list(run.tasks),
            num_fewshot=run.num_fewshot,
            batch_size=spec.batch_size,
            device=device,
            log_samples=True,
            evaluation_tracker=tracker,
            apply_chat_template=spec.apply_chat_template,
            fewshot_as_multiturn=spec.apply_chat_template,
            task_manager=manager,
        )
        if results is None:  # a non-zero rank of a data-parallel run: rank 0 writes
            continue
        samples = results.pop("samples")
        tracker.save_results_aggregated(results=results, samples=samples)
        for task_name in results["configs"]:
            tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
    print("leaderboard: evaluation done", flush=True)


def main(argv: list[str]) -> int:
    spec = EvalSpec.from_json(orjson.loads(Path(argv[0]).read_bytes()))
    evaluate(spec)
    return 0


if __name__ == "__main__":  # `accelerate launch -m leaderboard.backend.evaluate SPEC`
    sys.exit(main(sys.argv[1:]))
