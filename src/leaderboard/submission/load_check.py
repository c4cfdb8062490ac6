"""Do a model's config and tokenizer load with transformers, without remote code?

The check runs in a child process: transformers (and what it imports) never enters the web
app's process, a hostile or huge tokenizer file cannot crash or bloat it, and nothing can
reach the network (the child is forced offline). The child prints one JSON object: the fields
of `LoadCheck`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import orjson

from leaderboard.submission.facts import LoadCheck

TIMEOUT_SECONDS = 180
_CHILD = (
    "import sys; from leaderboard.submission.load_check import main; sys.exit(main(sys.argv[1:]))"
)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else type(exc).__name__
    return message[:300]


def check_folder(folder: str) -> LoadCheck:
    """In the child: load config and tokenizer from `folder` with trust_remote_code=False."""
    from transformers import AutoConfig, AutoTokenizer

    config_error = tokenizer_error = ""
    architectures = ""
    has_chat_template = False
    try:
        config = AutoConfig.from_pretrained(folder, trust_remote_code=False)
        architectures = ";".join(getattr(config, "architectures", None) or [])
    except Exception as exc:  # any failure to load is the finding, reported to the submitter
        config_error = _first_line(exc)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        has_chat_template = bool(getattr(tokenizer, "chat_template", None))
    except Exception as exc:  # as above
        tokenizer_error = _first_line(exc)
    return LoadCheck(config_error, tokenizer_error, architectures, has_chat_template)


def run_load_check(folder: Path, *, timeout: float = TIMEOUT_SECONDS) -> LoadCheck:
    """In the parent: run `check_folder` in a child process and read its answer."""
    src = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TRANSFORMERS_VERBOSITY": "error",
    }
    env.pop("HF_TOKEN", None)  # the child needs no secret
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(folder)],
            env=env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        message = f"loading took longer than {timeout:.0f} s"
        return LoadCheck(config_error=message, tokenizer_error=message)
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.decode(errors="replace").strip().splitlines()
        message = f"the loader crashed ({tail[-1][:200] if tail else f'exit {done.returncode}'})"
        return LoadCheck(config_error=message, tokenizer_error=message)
    return LoadCheck(**orjson.loads(lines[-1]))


def main(argv: list[str]) -> int:
    """The child's entry point: one folder in, one JSON line out."""
    result = check_folder(argv[0])
    sys.stdout.write(orjson.dumps(asdict(result)).decode() + "\n")
    return 0
