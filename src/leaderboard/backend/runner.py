"""One evaluation in a child process: started, polled, killed; its log and its outcome.

The child's output goes to a log file, which the worker reads lm-eval's progress bars from
(for the queue view). The child runs in its own process group, so a kill reaches what it
started (`accelerate launch` starts one process per GPU), and dies with the process that
started it, so no orphan keeps a GPU busy. Executors start it: the `local` one on this
machine, the `ray` one inside a Ray actor on a cluster node.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from leaderboard.backend.evaluate import CHILD
from leaderboard.backend.spec import EvalSpec
from leaderboard.domain.requests import Progress

SRC = str(Path(__file__).resolve().parents[2])
# tqdm's line for lm-eval's request loops:
#   "Running loglikelihood requests:  45%|████▌     | 90/200 [00:02<00:03, 35.2it/s]"
_PROGRESS = re.compile(r"Running (\w+) requests:\s*\d+%\|[^|]*\|\s*(\d+)/(\d+) \[[\d:]+<([\d:?]+)")
_ERROR = re.compile(
    r"^(?:[\w.]+\.)?(\w*(?:Error|Exception)|KeyboardInterrupt|SystemExit)\b:?\s*(.*)$"
)


@dataclass(frozen=True)
class RunOutcome:
    ok: bool
    reason: str = ""  # one line, when not ok
    log_tail: str = ""
    seconds: float = 0.0
    lost: bool = False  # the machine or task went away: retried under the lease rules


def child_command(spec: EvalSpec, spec_path: Path) -> list[str]:
    if spec.processes > 1:
        return [
            sys.executable,
            "-m",
            "accelerate.commands.launch",
            "--num_processes",
            str(spec.processes),
            "-m",
            "leaderboard.backend.evaluate",
            str(spec_path),
        ]
    return [sys.executable, "-c", CHILD, str(spec_path)]


def child_environment(spec: EvalSpec, visible_gpus: tuple[int, ...] | None) -> dict[str, str]:
    """`visible_gpus`: the GPUs the child may see (none: CPU only); None keeps what this
    process sees (a Ray actor's GPUs, set by Ray)."""
    env = dict(os.environ)
    if visible_gpus is not None:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(gpu) for gpu in visible_gpus)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, env.get("PYTHONPATH")]))
    env["TOKENIZERS_PARALLELISM"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    if spec.offline:  # a local model needs no network: nothing may be fetched
        env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


class EvaluationProcess:
    """The harness evaluating one spec in a child process, started at once."""

    def __init__(
        self, spec: EvalSpec, *, log_path: Path, visible_gpus: tuple[int, ...] | None = None
    ):
        self.output_dir = Path(spec.output_dir)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        spec_path = self.output_dir / "spec.json"
        spec_path.write_bytes(orjson.dumps(spec.to_json(), option=orjson.OPT_INDENT_2))
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        with open(log_path, "ab") as log:
            self.child = subprocess.Popen(
                child_command(spec, spec_path),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=empty_folder(self.output_dir.parent / "cwd"),
                env=child_environment(spec, visible_gpus),
                start_new_session=True,  # its own process group: a kill reaches its children
                preexec_fn=_die_with_parent,
            )

    def poll(self) -> RunOutcome | None:
        returncode = self.child.poll()
        if returncode is None:
            return None
        if returncode != 0:
            return failed(exit_reason(returncode, self.log_path), self.log_path, self.started)
        if not list(self.output_dir.glob("run*/**/results_*.json")):
            return failed("lm-eval wrote no results", self.log_path, self.started)
        return RunOutcome(ok=True, seconds=time.monotonic() - self.started)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.child.pid, signal.SIGKILL)
        self.child.wait()


def empty_folder(folder: Path) -> Path:
    """The child's working directory: new and empty. Python puts it first on the child's
    import path and transformers loads a folder named like the model from it, so nothing the
    worker's own directory holds can stand in for lm-eval or for the model."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _die_with_parent() -> None:
    """In the child, before exec: if the worker is killed outright (SIGKILL), the kernel
    kills the evaluation too, so no orphan keeps a GPU busy (Linux; elsewhere a no-op).
    The signal follows the thread that started the child: the CLI's main thread, or one of
    APScheduler's pool threads, which live as long as the scheduler."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


PR_SET_PDEATHSIG = 1


def failed(reason: str, log_path: Path, started: float) -> RunOutcome:
    return RunOutcome(
        ok=False,
        reason=reason,
        log_tail=log_tail(log_path),
        seconds=time.monotonic() - started,
    )


def log_tail(log_path: Path, lines: int = 30, limit: int = 4000) -> str:
    try:
        text = log_path.read_bytes()[-64_000:].decode("utf-8", errors="replace")
    except OSError:
        return ""
    text = text.replace("\r", "\n")
    kept = [line for line in text.splitlines() if line.strip()][-lines:]
    return "\n".join(kept)[-limit:]


def exit_reason(returncode: int, log_path: Path) -> str:
    """One line for the queue view: the last error lm-eval logged, else how the child ended."""
    error = last_error(log_tail(log_path, lines=200, limit=64_000))
    if error:
        return error
    if returncode < 0:
        name = signal.Signals(-returncode).name
        hint = " (out of memory?)" if returncode == -signal.SIGKILL else ""
        return f"the evaluation was killed by {name}{hint}"
    return f"lm-eval exited with code {returncode}"


def last_error(text: str) -> str:
    for line in reversed(text.splitlines()):
        match = _ERROR.match(line.strip())
        if match:
            name, message = match.groups()
            return f"{name}: {message}"[:300] if message else name
    return ""


def read_progress(log_path: Path, elapsed: float) -> Progress:
    """The newest progress bar in the log (tqdm redraws with carriage returns)."""
    try:
        with open(log_path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16_000))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        text = ""
    matches = _PROGRESS.findall(text.replace("\r", "\n"))
    if not matches:
        return Progress("loading", 0, 0, elapsed)
    stage, done, total, remaining = matches[-1]
    return Progress(stage, int(done), int(total), elapsed, _seconds(remaining))


def _seconds(clock: str) -> float | None:
    if "?" in clock:
        return None
    seconds = 0.0
    for part in clock.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds
