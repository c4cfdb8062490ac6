"""What a worker asks lm-eval to run, and how it reads the harness's log. Pure functions."""

from __future__ import annotations

import shlex
import signal
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from leaderboard.backend.runner import exit_reason, last_error, read_progress
from leaderboard.backend.spec import (
    EvalSpec,
    UnsupportedRequest,
    build_spec,
    lm_eval_command,
    model_args,
    refuse_remote_code,
)
from leaderboard.domain import EvalRequest, Precision, WeightType
from leaderboard.suites import get_suite
from leaderboard.tasks import TASKS_DIR
from leaderboard.ui.texts import reproduce_command

SHA = "0123456789abcdef0123456789abcdef01234567"


def request(**fields) -> EvalRequest:
    return EvalRequest(
        model="org/model", revision=SHA, **{"precision": Precision.BFLOAT16, **fields}
    )


def worker_spec(request: EvalRequest, suite: str, **options) -> EvalSpec:
    """The spec a worker builds: the Hub model, on lm-eval's chosen device, into `results`."""
    defaults = dict(pretrained="org/model", base=None, backend="hf", device="auto")
    defaults.update(batch_size="auto", output_dir=Path("results"))
    return build_spec(request, get_suite(suite), **{**defaults, **options})


@pytest.mark.parametrize(
    ("fields", "pretrained", "base", "expected"),
    [
        ({}, "org/model", None, f"pretrained=org/model,revision={SHA},dtype=bfloat16"),
        (
            {"precision": Precision.FLOAT16},
            "/models/org/model",
            None,
            "pretrained=/models/org/model,dtype=float16",  # a local folder has no revision
        ),
        (
            {"precision": Precision.INT8},
            "org/model",
            None,
            f"pretrained=org/model,revision={SHA},load_in_8bit=True",
        ),
        (
            {"precision": Precision.INT4},
            "org/model",
            None,
            f"pretrained=org/model,revision={SHA},load_in_4bit=True",
        ),
        (
            {"precision": Precision.GPTQ},
            "org/m",
            None,
            f"pretrained=org/m,revision={SHA},autogptq=True",
        ),
        (
            {"weight_type": WeightType.ADAPTER, "base_model": "org/base"},
            "org/model",
            "org/base",
            "pretrained=org/base,peft=org/model,dtype=bfloat16",
        ),
    ],
)
def test_model_args_pin_the_commit_and_choose_the_loader(fields, pretrained, base, expected):
    arguments = model_args(request(**fields), pretrained=pretrained, base=base, backend="hf")
    assert arguments == f"{expected},trust_remote_code=False"


@pytest.mark.parametrize(
    ("fields", "backend", "message"),
    [
        ({"weight_type": WeightType.DELTA}, "hf", "Delta weights are not supported"),
        ({"weight_type": WeightType.ADAPTER}, "hf", "needs its base model"),
        ({"precision": Precision.INT4}, "vllm", "needs the `hf` backend"),
        ({"precision": Precision.UNKNOWN}, "hf", "Unknown precision"),
    ],
)
def test_requests_a_worker_cannot_run_say_why(fields, backend, message):
    with pytest.raises(UnsupportedRequest, match=message):
        model_args(request(**fields), pretrained="org/model", base=None, backend=backend)


def test_the_sample_suite_indexes_only_its_own_tasks_and_the_command_line_matches():
    spec = worker_spec(
        request(use_chat_template=True),
        "sample",
        pretrained="/m/org/model",
        device="cpu",
        offline=True,
    )
    assert (spec.include_path, spec.include_defaults) == (str(TASKS_DIR), False)
    assert EvalSpec.from_json(spec.to_json()) == spec
    assert spec.command().argvs == (
        (
            "lm_eval",
            "run",
            "--model",
            "hf",
            "--model_args",
            "pretrained=/m/org/model,dtype=bfloat16,trust_remote_code=False",
            "--tasks",
            "sample_mc,sample_gen",
            "--include_path",
            str(TASKS_DIR),
            "--device",
            "cpu",
            "--batch_size",
            "auto",
            "--apply_chat_template",
            "--fewshot_as_multiturn",
            "--log_samples",
            "--output_path",
            "results/run0",
        ),
    )


def test_v1_runs_each_benchmark_with_its_shots():
    spec = worker_spec(request(), "v1", device="cuda")
    assert [(run.tasks, run.num_fewshot) for run in spec.runs] == [
        (("arc_challenge",), 25),
        (("hellaswag",), 10),
        (("mmlu",), 5),
        (("truthfulqa_mc2",), 0),
        (("winogrande",), 5),
        (("gsm8k",), 5),
    ]
    assert spec.include_defaults and not spec.include_path


# --- the one `lm_eval` command builder: the About tab, the worker, a model's page ----------

PLACEHOLDERS = {
    "<org>/<model>": "org/model",
    "<commit sha>": SHA,
    "<precision>": "bfloat16",
    "<this repo>/src/leaderboard/tasks": str(TASKS_DIR),
}


def filled_in(argument: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        argument = argument.replace(placeholder, value)
    return argument


@pytest.mark.parametrize("chat_template", [False, True], ids=["base", "chat"])
@pytest.mark.parametrize("suite_name", ["v2", "v1", "sample"])
def test_the_about_tab_shows_the_command_the_worker_runs(suite_name, chat_template):
    """The About tab's text, with its placeholders filled in, is the argv of the spec a worker
    builds for that request (same tasks, shots and flags); only the worker's output folders
    differ (one per run, `run<index>`, as its child writes them)."""
    suite = get_suite(suite_name)
    spec = worker_spec(request(use_chat_template=chat_template), suite_name)
    worker = replace(spec.command(), run_folders=False)
    page = lm_eval_command(
        "org/model",
        revision=SHA,
        precision=Precision.BFLOAT16,
        chat_template=chat_template,
        suite=suite,
    )
    assert page == worker
    about = reproduce_command(suite, chat_template=chat_template).splitlines()
    assert len(about) == len(suite.runs) == len(worker.argvs)
    for line, argv in zip(about, worker.argvs, strict=True):
        assert [filled_in(argument) for argument in shlex.split(line)] == list(argv)
    assert ("--apply_chat_template" in about[0]) is chat_template
    assert [a for a in spec.command().argvs[0] if a.startswith("results")] == ["results/run0"]


HOSTILE_NAMES = [
    "org/$(touch pwned)",
    "org/`touch pwned`",
    "org/a; touch pwned",
    "org/a && touch pwned #",
    "org/it's | touch pwned",
    'org/"quoted" > pwned',
    "org/new\nline touch pwned",
    "org/* ~ ${HOME} !!",
    "-org/--output_path=/etc",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_model_name_is_one_quoted_argument(tmp_path, name):
    """Pasted into a real shell, the line gives lm_eval exactly the argv: nothing runs."""
    if "=" in name:
        with pytest.raises(UnsupportedRequest, match="holds `,` or `=`"):
            lm_eval_command(
                name, revision=SHA, precision="bfloat16", chat_template=False, suite=get_suite("v2")
            )
        return
    command = lm_eval_command(
        name, revision=SHA, precision="bfloat16", chat_template=True, suite=get_suite("v2")
    )
    (argv,) = command.argvs
    assert f"pretrained={name},revision={SHA},dtype=bfloat16" in argv[5]
    assert shlex.split(command.shell) == list(argv)
    assert command.shell.startswith("lm_eval ")
    echo = "printf '%s\\0'" + command.shell.removeprefix("lm_eval")
    shell = subprocess.run(["sh", "-c", echo], cwd=tmp_path, capture_output=True, timeout=30)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.decode().split("\0")[:-1] == list(argv[1:])
    assert list(tmp_path.iterdir()) == [], "the shell ran part of a model name"


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("org/a,trust_remote_code=True", {}),
        ("org/a", {"revision": "main,trust_remote_code=True"}),
        ("org/adapter", {"weight_type": WeightType.ADAPTER, "base": "org/b=1"}),
    ],
)
def test_a_name_that_would_add_model_arguments_is_refused(name, fields):
    options = {"revision": SHA, **fields}
    with pytest.raises(UnsupportedRequest, match="holds `,` or `=`"):
        lm_eval_command(
            name, precision="float16", chat_template=False, suite=get_suite("v2"), **options
        )


def test_precisions_by_value_and_unknown_ones():
    v2 = get_suite("v2")
    by_value = lm_eval_command(
        "org/m", revision="", precision="8bit", chat_template=False, suite=v2
    )
    assert by_value.model_args == "pretrained=org/m,load_in_8bit=True,trust_remote_code=False"
    with pytest.raises(UnsupportedRequest, match="Unknown precision"):
        lm_eval_command("org/m", revision="", precision="fp8", chat_template=False, suite=v2)


LOG = (
    "2026-11-25:INFO lm_eval: Building contexts for sample_mc\n"
    "Running loglikelihood requests:   0%|          | 0/200 [00:00<?, ?it/s]\r"
    "Running loglikelihood requests:  45%|████▌     | 90/200 [00:02<00:03, 35.20it/s]\r"
    "Running loglikelihood requests: 100%|██████████| 200/200 [00:05<00:00, 38.00it/s]\n"
    "Running generate_until requests:  20%|██        | 10/50 [00:01<01:04,  1.61s/it]\r"
)


def test_progress_is_the_newest_progress_bar(tmp_path):
    log = tmp_path / "eval.log"
    log.write_text(LOG)
    progress = read_progress(log, 12.0)
    assert (progress.stage, progress.done, progress.total) == ("generate_until", 10, 50)
    assert progress.eta_seconds == 64.0
    assert progress.describe() == "generate_until 10/50 · 12 s elapsed · about 64 s left"
    log.write_text("loading checkpoint shards\n")
    assert read_progress(log, 3.0).stage == "loading"


def test_the_failure_reason_is_the_last_error_line(tmp_path):
    log = tmp_path / "eval.log"
    log.write_text(
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "safetensors_rust.SafetensorError: Error while deserializing header: invalid JSON\n"
    )
    assert exit_reason(1, log) == (
        "SafetensorError: Error while deserializing header: invalid JSON"
    )
    log.write_text("nothing useful\n")
    assert exit_reason(3, log) == "lm-eval exited with code 3"
    assert (
        exit_reason(-signal.SIGKILL, log) == "the evaluation was killed by SIGKILL (out of memory?)"
    )
    assert last_error("torch.OutOfMemoryError: CUDA out of memory.") == (
        "OutOfMemoryError: CUDA out of memory."
    )


@pytest.mark.parametrize(
    ("fields", "pretrained", "base"),
    [
        ({}, "org/m,trust_remote_code=True", None),  # a hand-written request file's model
        ({"weight_type": WeightType.ADAPTER}, "org/adapter", "org/base,trust_remote_code=True"),
        ({}, "org/m=x", None),
    ],
)
def test_a_value_that_would_add_model_arguments_is_refused(fields, pretrained, base):
    with pytest.raises(UnsupportedRequest, match="cannot be passed to lm-eval"):
        model_args(request(**fields), pretrained=pretrained, base=base, backend="hf")


@pytest.mark.parametrize(
    "arguments",
    [
        "pretrained=org/m,dtype=bfloat16",  # lm-eval's default would decide
        "pretrained=org/m,trust_remote_code=True",
        "pretrained=org/m,trust_remote_code=False,trust_remote_code=True",  # the last one wins
    ],
)
def test_the_harness_edge_refuses_arguments_that_do_not_forbid_remote_code(arguments):
    from lm_eval.utils import simple_parse_args_string

    with pytest.raises(UnsupportedRequest, match="allow remote code"):
        refuse_remote_code(simple_parse_args_string(arguments))
    refuse_remote_code(simple_parse_args_string(f"{arguments},trust_remote_code=False"))
