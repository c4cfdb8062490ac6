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
import time
from pathlib import Path

import orjson

from leaderboard.backend.spec import EvalSpec, refuse_remote_code
from leaderboard.domain.efficiency import MAX_TEXT, Efficiency

CHILD = "import sys; from leaderboard.backend.evaluate import main; sys.exit(main(sys.argv[1:]))"


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def evaluate(spec: EvalSpec) -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from lm_eval import simple_evaluate
    from lm_eval.api.registry import get_model
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
    started = time.monotonic()
    # Loaded once here rather than by each run's `simple_evaluate`, as it would load it: its
    # load is timed, and the efficiency pass reuses the model the suite used.
    lm = get_model(spec.backend).create_from_arg_string(
        model_args, {"batch_size": spec.batch_size, "max_batch_size": None, "device": device}
    )
    load_seconds = time.monotonic() - started
    print(f"leaderboard: model loaded in {load_seconds:.1f} s", flush=True)
    written = False
    for index, run in enumerate(spec.runs):
        tracker = EvaluationTracker(output_path=str(Path(spec.output_dir) / f"run{index}"))
        results = simple_evaluate(
            model=lm,
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
        # As the command line names it (a loaded model would be named by its local path).
        results["config"]["model"] = spec.backend
        tracker.general_config_tracker.model_source = spec.backend
        samples = results.pop("samples")
        tracker.save_results_aggregated(results=results, samples=samples)
        for task_name in results["configs"]:
            tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
        written = True
    evaluation_seconds = time.monotonic() - started
    print("leaderboard: evaluation done", flush=True)
    if written and spec.efficiency_seconds > 0:
        efficiency_pass(spec, lm, load_seconds, evaluation_seconds)


def efficiency_pass(spec: EvalSpec, lm, load_seconds: float, evaluation_seconds: float) -> None:
    """Measured after the suite, whose results are already written: a pass that fails (out of
    memory at the larger batch, say) is a note in the report, never a failed evaluation."""
    from leaderboard.backend.efficiency import measure, write_report

    print(f"leaderboard: efficiency pass (at most {spec.efficiency_seconds:g} s)", flush=True)
    try:
        report = measure(
            lm,
            backend=spec.backend,
            load_seconds=load_seconds,
            evaluation_seconds=evaluation_seconds,
            time_bound=spec.efficiency_seconds,
        )
    except Exception as exc:  # whatever failed: the timings taken before the pass remain
        print(f"leaderboard: efficiency pass failed: {type(exc).__name__}: {exc}", flush=True)
        report = Efficiency(
            load_seconds=load_seconds,
            evaluation_seconds=evaluation_seconds,
            backend=spec.backend,
            complete=False,
            note=f"the pass failed: {type(exc).__name__}"[:MAX_TEXT],
        )
    write_report(report, spec.output_dir)
    speed = report.tokens_per_second
    print(
        "leaderboard: efficiency: "
        + (f"{speed:.1f} tokens/s at batch size 1" if speed else "no output speed")
        + f", on {report.hardware or 'unknown hardware'}",
        flush=True,
    )


def main(argv: list[str]) -> int:
    spec = EvalSpec.from_json(orjson.loads(Path(argv[0]).read_bytes()))
    evaluate(spec)
    return 0


if __name__ == "__main__":  # `accelerate launch -m leaderboard.backend.evaluate SPEC`
    sys.exit(main(sys.argv[1:]))
