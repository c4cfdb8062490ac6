"""Shared fixtures: isolated settings and stores, real app servers, headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from leaderboard.config import Settings

# The loopback Hub (`hub_server` fixture) for the tests of Hub stores and Hub models.
pytest_plugins = ["hub_server"]

REPO = Path(__file__).resolve().parent.parent
REALDATA = REPO.parent / "shared" / "realdata"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# The columns the default (v1) board of the embedded data shows, as labelled in the UI.
V1_LABELS = [
    "Rank",
    "T",
    "Model",
    "Average ⬆️",
    "ARC",
    "HellaSwag",
    "MMLU",
    "TruthfulQA",
    "Winogrande",
    "GSM8K",
    "Type",
    "Architecture",
    "Precision",
    "#Params (B)",
    "Hub License",
    "Hub ❤️",
    "CO₂ cost (kg)",
    "Speed (tokens/s)",
    "Context (tokens)",
]


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """No test reads the developer's Hub cache or token, or reaches the Hub."""
    hf_home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    for name in list(os.environ):
        if name.startswith("LEADERBOARD_"):
            monkeypatch.delenv(name)


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real leaderboard data not found at {REALDATA}")
    return REALDATA


def copy_demo_stores(root: Path) -> tuple[Path, Path]:
    """Copies of the embedded queue and results folders under `root`: (queue, results)."""
    queue, results = root / "eval-queue", root / "eval-results"
    shutil.copytree(REPO / "eval-queue", queue)
    shutil.copytree(REPO / "eval-results", results)
    return queue, results


@pytest.fixture
def demo_stores(tmp_path) -> tuple[Path, Path]:
    """Copies of the embedded queue and results folders, safe to modify."""
    return copy_demo_stores(tmp_path)


def write_json(root: Path, relative: str, data: object) -> Path:
    """Write a store file as a store does (temporary file, then rename): a reader polling
    the folder never sees half a file."""
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(json.dumps(data, indent=2))
    os.replace(temporary, target)
    return target


def eval_request(model: str, **fields: object) -> dict:
    """A request file's contents (DESIGN.md §3): FINISHED, float16, Original unless `fields`
    say otherwise. Its store path is `<model>_eval_request_False_<precision>_<weight_type>.json`."""
    return {
        "model": model,
        "base_model": "",
        "revision": "0123456789abcdef0123456789abcdef01234567",
        "private": False,
        "precision": "float16",
        "weight_type": "Original",
        "status": "FINISHED",
        "submitted_time": "2024-06-01T12:00:00Z",
        "model_type": "💬 chat models (RLHF, DPO, IFT, ...)",
        "likes": 0,
        "params": 7.24,
        "license": "apache-2.0",
        "architectures": "LlamaForCausalLM",
        "use_chat_template": False,
        "sender": "tester",
        "job_id": -1,
        "job_start_time": None,
        **fields,
    }


@pytest.fixture
def settings(tmp_path, demo_stores) -> Settings:
    queue, results = demo_stores
    return Settings(queue=str(queue), results=str(results), cache_dir=str(tmp_path / "cache"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(
    env_overrides: dict[str, str], *, timeout: float = 60.0
) -> tuple[subprocess.Popen, str]:
    """`python app.py` in a child process, as a user runs it; returns (process, base URL)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADERBOARD_")}
    env.update({"GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"})
    env.update(env_overrides)
    process = subprocess.Popen(
        [sys.executable, str(REPO / "app.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"app did not answer on {url} within {timeout}s")


def stop_app(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""


@pytest.fixture
def app_server(settings) -> Iterator[str]:
    """The real app over HTTP on a free port, serving copies of the embedded stores."""
    process, url = start_app(
        {
            "LEADERBOARD_QUEUE": settings.queue,
            "LEADERBOARD_RESULTS": settings.results,
            "LEADERBOARD_CACHE_DIR": settings.cache_dir,
            "LEADERBOARD_REFRESH_SECONDS": "1",
        }
    )
    yield url
    stop_app(process)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        if os.environ.get("TESTS_REQUIRE_CHROMIUM"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it with apt-get")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny random Llama model built offline (`leaderboard.demo_model`), shared by the
    session: `<root>/tiny-org/tiny-model/`, so `path.parent.parent` is a local-models folder.
    Read it, never modify it (copy it first)."""
    from leaderboard.demo_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("local-models") / "tiny-org" / "tiny-model")


# --- the real harness ---------------------------------------------------------------------------

SAMPLE_TASKS = ("sample_mc", "sample_gen")  # the `sample` suite's tasks (leaderboard.tasks)


def offline_env(hf_home: Path) -> dict[str, str]:
    """The child's environment: no Hub, no token, a private cache, one CPU thread."""
    env = {k: v for k, v in os.environ.items() if k not in {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}}
    env.update(
        HF_HOME=str(hf_home),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        OMP_NUM_THREADS="1",  # a tiny model gains nothing from threads on a shared CPU
    )
    env.pop("PYTHONPATH", None)  # the task files must not need the leaderboard package
    return env


def lm_eval_command(model: Path, output: Path) -> list[str]:
    from leaderboard.tasks import TASKS_DIR

    return [
        sys.executable,
        "-m",
        "lm_eval",
        "run",
        "--model",
        "hf",
        "--model_args",
        f"pretrained={model},dtype=float32",
        "--tasks",
        ",".join(SAMPLE_TASKS),
        "--include_path",
        str(TASKS_DIR),
        "--device",
        "cpu",
        "--batch_size",
        "8",
        "--output_path",
        str(output),
        "--log_samples",
    ]


@pytest.fixture(scope="session")
def harness_run(tiny_model, tmp_path_factory) -> dict:
    """One real `lm_eval` run of the sample suite on the tiny model, shared by the session
    (tests/test_sample_suite.py reads its results, tests/test_samples.py its samples files):
    the results file, its folder (which holds `samples_<task>_<timestamp>.jsonl`), the log and
    the model's folder. Read them, never modify them."""
    work = tmp_path_factory.mktemp("lm-eval-run")
    output = work / "out"
    started = time.monotonic()
    completed = subprocess.run(
        lm_eval_command(tiny_model, output),
        cwd=work,
        env=offline_env(work / "hf-home"),
        capture_output=True,
        text=True,
        timeout=500,
    )
    seconds = time.monotonic() - started
    log = completed.stdout + completed.stderr
    assert completed.returncode == 0, log[-5000:]
    print(f"lm_eval ran the sample suite in {seconds:.1f} s")
    results = sorted(output.rglob("results_*.json"))
    assert len(results) == 1, (list(output.rglob("*")), log[-3000:])
    return {"results": results[0], "folder": results[0].parent, "log": log, "model": tiny_model}
