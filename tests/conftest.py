"""Shared fixtures: isolated settings and stores, real app servers, headless Chromium."""

from __future__ import annotations

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

REPO = Path(__file__).resolve().parent.parent
REALDATA = REPO.parent / "shared" / "realdata"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


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


@pytest.fixture
def demo_stores(tmp_path) -> tuple[Path, Path]:
    """Copies of the embedded queue and results folders, safe to modify."""
    queue, results = tmp_path / "eval-queue", tmp_path / "eval-results"
    shutil.copytree(REPO / "eval-queue", queue)
    shutil.copytree(REPO / "eval-results", results)
    return queue, results


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
