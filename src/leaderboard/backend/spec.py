"""What to run for one request: the lm-eval model arguments, tasks and options. Pure.

The spec is written as JSON for the child process that runs the harness, and the same spec
gives the equivalent `lm_eval` command line, which the About tab shows and the tests run to
check that a worker's scores are the command line's scores.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from pathlib import Path

from leaderboard.domain import EvalRequest, Precision, WeightType
from leaderboard.suites import Suite
from leaderboard.tasks import TASKS_DIR


class UnsupportedRequest(Exception):
    """This worker cannot evaluate the request as asked; the message says why."""


@dataclass(frozen=True)
class RunSpec:
    tasks: tuple[str, ...]
    num_fewshot: int | None


@dataclass(frozen=True)
class EvalSpec:
    model: str  # org/name, as in the request
    backend: str  # lm-eval model type: "hf" or "vllm"
    model_args: str
    runs: tuple[RunSpec, ...]
    include_path: str  # the project's own tasks ("" for none)
    include_defaults: bool  # whether lm-eval's built-in tasks are needed (indexing costs ~4 s)
    device: str  # "auto", "cpu" or "cuda"; "auto" is resolved in the child
    batch_size: str
    apply_chat_template: bool
    output_dir: str
    processes: int = 1  # >1: `accelerate launch` data parallel over that many GPUs
    offline: bool = False  # a local model: nothing needs the network
    commit: str = ""  # what is loaded: the Hub commit pinned in model_args, or a local hash

    def to_json(self) -> dict:
        data = asdict(self)
        data["runs"] = [asdict(run) for run in self.runs]
        return data

    @classmethod
    def from_json(cls, data: dict) -> EvalSpec:
        runs = tuple(RunSpec(tuple(r["tasks"]), r["num_fewshot"]) for r in data["runs"])
        return cls(**{**data, "runs": runs})


DTYPES = {
    Precision.FLOAT16: "float16",
    Precision.BFLOAT16: "bfloat16",
    Precision.FLOAT32: "float32",
}


def model_args(request: EvalRequest, *, pretrained: str, base: str | None, backend: str) -> str:
    """lm-eval `model_args` for the request: the pinned commit, the precision's loader, an
    adapter on its base, and always `trust_remote_code=False`, last, so that neither a
    default nor a value smuggled into a name can turn remote code on."""
    if request.weight_type is WeightType.DELTA:
        raise UnsupportedRequest(
            "Delta weights are not supported by this worker: publish the merged weights as an "
            "Original model, or the difference as a PEFT Adapter."
        )
    args: list[tuple[str, str]] = []
    if request.weight_type is WeightType.ADAPTER:
        if not base:
            raise UnsupportedRequest("An Adapter request needs its base model.")
        args += [("pretrained", base), ("peft", pretrained)]
        if backend == "vllm":
            raise UnsupportedRequest("Adapters are evaluated with the `hf` backend only.")
    else:
        args.append(("pretrained", pretrained))
        if not Path(pretrained).is_absolute() and is_commit(request.revision):
            args.append(("revision", request.revision))
    precision = request.precision
    if precision in DTYPES:
        args.append(("dtype", DTYPES[precision]))
    elif precision is Precision.INT8:
        args.append(("load_in_8bit", "True"))
    elif precision is Precision.INT4:
        args.append(("load_in_4bit", "True"))
    elif precision is Precision.GPTQ:
        args.append(("autogptq", "True"))
    else:
        raise UnsupportedRequest(f"Unknown precision {precision.value!r}; resubmit with another.")
    if backend == "vllm" and precision in (Precision.INT8, Precision.INT4):
        raise UnsupportedRequest("8bit and 4bit (bitsandbytes) loading needs the `hf` backend.")
    for key, value in args:
        if "," in value or "=" in value or not value.strip():
            raise UnsupportedRequest(
                f"The {key} {value!r} cannot be passed to lm-eval (it holds `,` or `=`); "
                "a model id is `org/name` with letters, digits, `-`, `_` and `.`."
            )
    args.append(("trust_remote_code", "False"))
    return ",".join(f"{key}={value}" for key, value in args)


def refuse_remote_code(arguments: dict) -> None:
    """The last check before the harness loads a model: parsed model arguments must say
    `trust_remote_code=False` (a spec is a file another process wrote)."""
    if arguments.get("trust_remote_code") is not False:
        raise UnsupportedRequest("Refusing to evaluate: the model arguments allow remote code.")


def is_commit(revision: str) -> bool:
    return len(revision) == 40 and all(c in "0123456789abcdef" for c in revision)


def build_spec(
    request: EvalRequest,
    suite: Suite,
    *,
    pretrained: str,
    base: str | None,
    backend: str,
    device: str,
    batch_size: str,
    output_dir: Path,
    processes: int = 1,
    offline: bool = False,
    commit: str = "",
) -> EvalSpec:
    return EvalSpec(
        model=request.model,
        backend=backend,
        model_args=model_args(request, pretrained=pretrained, base=base, backend=backend),
        runs=tuple(RunSpec(run.tasks, run.num_fewshot) for run in suite.runs),
        include_path=str(TASKS_DIR) if suite.include_path else "",
        include_defaults=not suite.include_path,
        device=device,
        batch_size=batch_size,
        apply_chat_template=request.use_chat_template,
        output_dir=str(output_dir),
        processes=processes,
        offline=offline,
        commit=commit,
    )


def command_lines(spec: EvalSpec, *, device: str | None = None) -> list[list[str]]:
    """The `lm_eval` command line of each run, equivalent to what the worker runs."""
    commands = []
    for index, run in enumerate(spec.runs):
        command = ["lm_eval", "run", "--model", spec.backend, "--model_args", spec.model_args]
        command += ["--tasks", ",".join(run.tasks)]
        if run.num_fewshot is not None:
            command += ["--num_fewshot", str(run.num_fewshot)]
        if spec.include_path:
            command += ["--include_path", spec.include_path]
        command += ["--device", device or spec.device, "--batch_size", spec.batch_size]
        if spec.apply_chat_template:
            command += ["--apply_chat_template", "--fewshot_as_multiturn"]
        command += ["--log_samples", "--output_path", str(Path(spec.output_dir) / f"run{index}")]
        commands.append(command)
    return commands


def shell_lines(spec: EvalSpec) -> str:
    return "\n".join(shlex.join(command) for command in command_lines(spec))
