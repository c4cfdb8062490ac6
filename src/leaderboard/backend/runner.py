"""Runs one evaluation in a child process and watches it: log, progress, timeout, stop.

The child's output goes to a log file. While it runs, the runner reads lm-eval's progress
bars from the log and calls `tick` every few seconds (the worker renews its lease there); a
`tick` that raises (the lease was lost) or a stop request kills the child, and so does the
timeout. The outcome says whether results were written, or why not, in one line.
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
import threading
import time
from collections.abc import Callable
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


class Stopped(Exception):
    """The run was stopped on purpose (the worker is shutting down, or lost its lease)."""


def gpu_count() -> int:
    """GPUs visible to this machine, without importing torch (the app process never does)."""
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        listed = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return 0
    count = sum(1 for line in listed.stdout.splitlines() if line.startswith("GPU "))
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        count = min(count, len([d for d in visible.split(",") if d.strip()]))
    return count


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


def child_environment(spec: EvalSpec) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, env.get("PYTHONPATH")]))
    env["TOKENIZERS_PARALLELISM"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    if spec.offline:  # a local model needs no network: nothing may be fetched
        env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def run_evaluation(
    spec: EvalSpec,
    *,
    log_path: Path,
    timeout: float,
    tick: Callable[[Progress | None], None],
    tick_seconds: float,
    stop: threading.Event | None = None,
) -> RunOutcome:
    """Run the spec's evaluation; `tick(progress)` every `tick_seconds` while it runs."""
    output = Path(spec.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    spec_path = output / "spec.json"
    spec_path.write_bytes(orjson.dumps(spec.to_json(), option=orjson.OPT_INDENT_2))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log_path, "ab") as log:
        child = subprocess.Popen(
            child_command(spec, spec_path),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=empty_folder(output.parent / "cwd"),
            env=child_environment(spec),
            start_new_session=True,  # its own process group: a kill reaches its children too
            preexec_fn=_die_with_parent,
        )
        try:
            next_tick = started
            while child.poll() is None:
                now = time.monotonic()
                if now - started > timeout:
                    _kill(child)
                    return _failed(f"timed out after {timeout:.0f} s", log_path, started)
                if stop is not None and stop.is_set():
                    raise Stopped("the worker is stopping")
                if now >= next_tick:
                    tick(read_progress(log_path, now - started))
                    next_tick = now + tick_seconds
                time.sleep(0.2)
        except BaseException:
            _kill(child)
            raise
    if child.returncode != 0:
        return _failed(exit_reason(child.returncode, log_path), log_path, started)
    if not list(output.glob("run*/**/results_*.json")):
        return _failed("lm-eval wrote no results", log_path, started)
    return RunOutcome(ok=True, seconds=time.monotonic() - started)


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


def _kill(child: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def _failed(reason: str, log_path: Path, started: float) -> RunOutcome:
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
