"""What to run for one request: the lm-eval model arguments, tasks and options. Pure.

The spec is written as JSON for the child process that runs the harness. The `lm_eval`
command line is built here, once: `LmEvalCommand` turns model arguments, a suite's runs and
the options into one argv per run and the shell lines to paste. `EvalSpec.command()` gives
the command equivalent to what a worker runs (the tests run it to check that a worker's
scores are the command line's), and `lm_eval_command()` the command for a model, revision,
precision, chat-template choice and suite: the About tab's reproduce instructions (with
placeholders) and any page that shows how one model was evaluated. Both take their model
arguments from `model_arguments` and their tasks and shots from the suite, so they cannot
drift apart. Pure: importing it loads neither torch nor lm-eval (the web app imports it).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
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
    efficiency_seconds: float = 0.0  # the efficiency pass's time bound; 0: no pass

    def to_json(self) -> dict:
        data = asdict(self)
        data["runs"] = [asdict(run) for run in self.runs]
        return data

    @classmethod
    def from_json(cls, data: dict) -> EvalSpec:
        runs = tuple(RunSpec(tuple(r["tasks"]), r["num_fewshot"]) for r in data["runs"])
        return cls(**{**data, "runs": runs})

    def command(self, *, device: str | None = None) -> LmEvalCommand:
        """The `lm_eval` command line equivalent to this spec: what a worker runs, through
        lm-eval's Python API, written as its command line does it (each run in its own
        `run<index>` folder, as the child writes them)."""
        return LmEvalCommand(
            backend=self.backend,
            model_args=self.model_args,
            runs=self.runs,
            include_path=self.include_path,
            device=device or self.device,
            batch_size=self.batch_size,
            apply_chat_template=self.apply_chat_template,
            output_path=self.output_dir,
            run_folders=True,
        )


@dataclass(frozen=True)
class LmEvalCommand:
    """The `lm_eval` command line of one evaluation: one invocation per run of its suite."""

    backend: str
    model_args: str
    runs: tuple[RunSpec, ...]
    include_path: str = ""  # the project's own tasks ("" for lm-eval's built-in ones)
    device: str = "auto"  # "auto": no `--device`, lm-eval takes cuda when there is one
    batch_size: str = "auto"
    apply_chat_template: bool = False
    output_path: str = "results"
    run_folders: bool = False  # each run writes to `<output_path>/run<index>`

    @property
    def argvs(self) -> tuple[tuple[str, ...], ...]:
        commands = []
        for index, run in enumerate(self.runs):
            command = ["lm_eval", "run", "--model", self.backend, "--model_args", self.model_args]
            command += ["--tasks", ",".join(run.tasks)]
            if run.num_fewshot is not None:
                command += ["--num_fewshot", str(run.num_fewshot)]
            if self.include_path:
                command += ["--include_path", self.include_path]
            if self.device != "auto":
                command += ["--device", self.device]
            command += ["--batch_size", self.batch_size]
            if self.apply_chat_template:
                command += ["--apply_chat_template", "--fewshot_as_multiturn"]
            output = f"{self.output_path}/run{index}" if self.run_folders else self.output_path
            command += ["--log_samples", "--output_path", output]
            commands.append(tuple(command))
        return tuple(commands)

    @property
    def shell(self) -> str:
        """The command lines to paste into a POSIX shell, one per run, every argument quoted
        (`shlex.join`): a model name is never read as shell syntax."""
        return "\n".join(shlex.join(argv) for argv in self.argvs)


DTYPES = {
    Precision.FLOAT16: "float16",
    Precision.BFLOAT16: "bfloat16",
    Precision.FLOAT32: "float32",
}


def model_args(
    request: EvalRequest,
    *,
    pretrained: str,
    base: str | None,
    backend: str,
    layout_args: Mapping[str, object] | None = None,
) -> str:
    """lm-eval `model_args` for the request, as a worker loads it: `pretrained` is the Hub id
    (pinned to the request's commit) or a local folder (which has no revision);
    `layout_args`, how it is spread over its GPUs (`Layout.model_args`)."""
    pinned = not Path(pretrained).is_absolute() and is_commit(request.revision)
    return model_arguments(
        pretrained,
        revision=request.revision if pinned else "",
        precision=request.precision,
        weight_type=request.weight_type,
        base=base or "",
        backend=backend,
        layout_args=layout_args,
    )


def model_arguments(
    pretrained: str,
    *,
    revision: str,
    precision: Precision | str,
    weight_type: WeightType = WeightType.ORIGINAL,
    base: str = "",
    backend: str = "hf",
    layout_args: Mapping[str, object] | None = None,
) -> str:
    """lm-eval `model_args`: the revision (when given), the precision's loader, an adapter
    on its base, and always `trust_remote_code=False`, last, so that neither a default nor a
    value smuggled into a name can turn remote code on. `precision` is a Precision (or its
    value), or a placeholder such as `<precision>`, written as the dtype (the About tab)."""
    if not is_placeholder(precision):
        precision = next((p for p in Precision if p.value == precision), Precision.UNKNOWN)
    if weight_type is WeightType.DELTA:
        raise UnsupportedRequest(
            "Delta weights are not supported by this worker: publish the merged weights as an "
            "Original model, or the difference as a PEFT Adapter."
        )
    args: list[tuple[str, str]] = []
    if weight_type is WeightType.ADAPTER:
        if not base:
            raise UnsupportedRequest("An Adapter request needs its base model.")
        args += [("pretrained", base), ("peft", pretrained)]
        if backend == "vllm":
            raise UnsupportedRequest("Adapters are evaluated with the `hf` backend only.")
    else:
        args.append(("pretrained", pretrained))
        if revision:
            args.append(("revision", revision))
    if is_placeholder(precision):
        args.append(("dtype", precision))
    elif precision in DTYPES:
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
    args += [(key, str(value)) for key, value in (layout_args or {}).items()]
    for key, value in args:
        if "," in value or "=" in value or not value.strip():
            raise UnsupportedRequest(
                f"The {key} {value!r} cannot be passed to lm-eval (it holds `,` or `=`); "
                "a model id is `org/name` with letters, digits, `-`, `_` and `.`."
            )
    args.append(("trust_remote_code", "False"))
    return ",".join(f"{key}={value}" for key, value in args)


def is_placeholder(value: str) -> bool:
    """`<org>/<model>`-style text that stands for a value the reader fills in."""
    return not isinstance(value, Precision) and value.startswith("<") and value.endswith(">")


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
    layout_args: Mapping[str, object] | None = None,
    efficiency_seconds: float = 0.0,
) -> EvalSpec:
    return EvalSpec(
        model=request.model,
        backend=backend,
        model_args=model_args(
            request, pretrained=pretrained, base=base, backend=backend, layout_args=layout_args
        ),
        runs=suite_runs(suite),
        include_path=str(TASKS_DIR) if suite.include_path else "",
        include_defaults=not suite.include_path,
        device=device,
        batch_size=batch_size,
        apply_chat_template=request.use_chat_template,
        output_dir=str(output_dir),
        processes=processes,
        offline=offline,
        commit=commit,
        efficiency_seconds=efficiency_seconds,
    )


def suite_runs(suite: Suite) -> tuple[RunSpec, ...]:
    return tuple(RunSpec(run.tasks, run.num_fewshot) for run in suite.runs)


def lm_eval_command(
    model: str,
    *,
    revision: str,
    precision: Precision | str,
    chat_template: bool,
    suite: Suite,
    weight_type: WeightType = WeightType.ORIGINAL,
    base: str = "",
    backend: str = "hf",
    batch_size: str = "auto",
    include_path: str | None = None,
    output_path: str = "results",
) -> LmEvalCommand:
    """The `lm_eval` command that evaluates `model` (a Hub id or a folder) at `revision` (a
    commit, or "" for none) as a worker does, for a page to show; `.argvs` to run it,
    `.shell` to paste it. `include_path`: where the project's own tasks are (default: this
    checkout's), for a suite that has them. UnsupportedRequest when the model cannot be
    passed to lm-eval (a name holding `,` or `=`, Delta weights)."""
    arguments = model_arguments(
        model,
        revision=revision,
        precision=precision,
        weight_type=weight_type,
        base=base,
        backend=backend,
    )
    include = (include_path or str(TASKS_DIR)) if suite.include_path else ""
    return LmEvalCommand(
        backend=backend,
        model_args=arguments,
        runs=suite_runs(suite),
        include_path=include,
        batch_size=batch_size,
        apply_chat_template=chat_template,
        output_path=output_path,
    )
