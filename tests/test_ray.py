"""The `ray` executor on a real local Ray cluster: `ray start --head` on loopback with four
logical GPUs (`--num-gpus=4`), so that allocation is checked without GPUs; each evaluation's
actor sees the `CUDA_VISIBLE_DEVICES` Ray gives it and runs the real harness on the CPU.

Four tiny models sized to need 1, 1, 2 and 4 GPUs are evaluated concurrently, each once, each
on the GPUs its size asks for, with the scores the `local` executor gives; an actor killed
mid-evaluation has its request retried and finished once; SIGTERM hands every running
request back."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator

import pytest

from conftest import free_port
from leaderboard.domain import Status
from leaderboard.stores import LocalStore
from test_worker import (
    board_scores,
    current,
    evaluation_children,
    finder,  # noqa: F401 (a fixture)
    models,  # noqa: F401 (a fixture)
    run_worker_once,
    settings_for,
    submit,
    wait_for,
    worker_env,
)

pytest.importorskip("ray")

# 10 GB GPUs: 2B and 3B parameters in bfloat16 (x1.2 headroom: 4.8, 7.2 GB) fit one GPU,
# 7B (16.8 GB) needs two, 14B (33.6 GB) four.
SIZES = {"tiny-org/race-0": 2.0, "tiny-org/race-1": 3.0, "tiny-org/race-2": 7.0}
SIZES["tiny-org/race-3"] = 14.0
GPUS_BY_SIZE = {2.0: 1, 3.0: 1, 7.0: 2, 14.0: 4}


def loopback_ray_environment() -> dict[str, str]:
    """Ray on loopback only, with a token of its own. Ray replaces 127.0.0.1 by the
    machine's routable address unless told it is not forming a multi-machine cluster
    (`RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`: what it does on a laptop), and since 2.60 a head
    started by `ray start` asks for a token (the one in ~/.ray/auth_token, whichever earlier
    run left there, unless given): every process of the test gets this one."""
    return {
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0",
    }


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[tuple[str, dict[str, str]]]:
    """A real Ray head on loopback: 2 CPUs, 4 logical GPUs; stopped afterwards. Yields its
    address and the environment a process needs to join it."""
    port = free_port()
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # socket paths must stay short
    command = [sys.executable, "-m", "ray.scripts.scripts"]
    environment = loopback_ray_environment()
    started = subprocess.run(
        [
            *command,
            "start",
            "--head",
            f"--port={port}",
            "--node-ip-address=127.0.0.1",
            "--num-cpus=2",
            "--num-gpus=4",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={temp}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **environment},
    )
    assert started.returncode == 0, started.stderr[-3000:]
    try:
        yield f"127.0.0.1:{port}", environment
    finally:
        subprocess.run(
            [*command, "stop", "--force"],
            capture_output=True,
            timeout=120,
            env={**os.environ, **environment},
        )
        shutil.rmtree(temp, ignore_errors=True)


def ray_env(cluster: tuple[str, dict[str, str]]) -> dict[str, str]:
    address, environment = cluster
    return {
        **environment,
        "LEADERBOARD_EXECUTOR": "ray",
        "LEADERBOARD_RAY_ADDRESS": address,
        "LEADERBOARD_GPU_MEMORY_GB": "10",
    }


def resize(queue, request, params: float) -> None:
    """The request's parameter count, as submission would have read it from larger weights."""
    data = json.loads(queue.read(request.path))
    data["params"] = params
    queue.write(request.path, json.dumps(data).encode())


def start_worker_process(settings, name: str, **extra: str) -> subprocess.Popen:
    env = worker_env(settings, LEADERBOARD_WORKER_ID=name, LEADERBOARD_WORKER_INTERVAL="1")
    env.update(extra)
    return subprocess.Popen(
        [sys.executable, "-m", "leaderboard", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def alive(process: subprocess.Popen) -> None:
    """A worker that died is a failure now, not after the wait's timeout."""
    if process.poll() is not None:
        raise AssertionError(f"the worker exited {process.returncode}: {process.stderr.read()}")


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    stderr = process.stderr.read()
    assert process.returncode == 0, stderr[-3000:]
    return stderr


def visible_gpus(results, request) -> list[int]:
    """The GPUs Ray gave the evaluation, as its actor wrote them at the top of the log."""
    text = results.read(request.log_path).decode()
    match = re.search(r"^leaderboard: Ray node \S+, GPUs \[([\d, ]*)\]", text, re.MULTILINE)
    assert match, text[:500]
    return [int(gpu) for gpu in match.group(1).split(",") if gpu.strip()]


def test_four_models_run_concurrently_each_once_on_the_gpus_their_size_asks_for(
    tmp_path,
    ray_cluster,
    finder,  # noqa: F811
    models,  # noqa: F811
):
    # With the efficiency pass: its figures travel back in the output folder's archive.
    settings = settings_for(tmp_path, models, efficiency_seconds=120)
    queue, results = LocalStore(settings.queue), LocalStore(settings.results)
    requests = []
    for model, params in SIZES.items():
        request = submit(queue, finder, model)
        resize(queue, request, params)
        requests.append(request)
    worker = start_worker_process(settings, "ray-worker", **ray_env(ray_cluster))
    most_running = 0
    try:

        def all_finished() -> bool:
            nonlocal most_running
            alive(worker)
            states = [current(queue, r).status for r in requests]
            most_running = max(most_running, states.count(Status.RUNNING))
            assert Status.FAILED not in states, [current(queue, r).failure_reason for r in requests]
            return all(state is Status.FINISHED for state in states)

        wait_for(all_finished, 600, "the four evaluations to finish")
    finally:
        stop(worker)
    # 1 + 1 + 2 GPUs together; the 4-GPU model waits for all four.
    assert most_running >= 2
    finished = [current(queue, r) for r in requests]
    assert all(r.attempts == 1 for r in finished)
    result_files = [f.path for f in results.list_files() if "/results_" in f.path]
    assert sorted(p.split("/results_")[0] for p in result_files) == sorted(SIZES)
    for path in result_files:
        efficiency = json.loads(results.read(path))["efficiency"]
        assert efficiency["tokens_per_second"] > 0 and efficiency["hardware"].startswith("CPU")
    for request in finished:
        gpus = visible_gpus(results, request)
        assert len(gpus) == GPUS_BY_SIZE[request.params], (request.model, gpus)
        assert set(gpus) <= {0, 1, 2, 3}

    # The same model through the local executor gives the same scores.
    local_tmp = tmp_path / "local"
    local_settings = settings_for(local_tmp, models)
    local_queue = LocalStore(local_settings.queue)
    submit(local_queue, finder, "tiny-org/race-0")
    done = run_worker_once(local_settings)
    assert done.returncode == 0, done.stderr
    expected = board_scores(local_settings, "tiny-org/race-0")
    for model in SIZES:
        assert board_scores(settings, model) == pytest.approx(expected, abs=1e-12)


def actor_processes() -> list[int]:
    listed = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in listed.splitlines() if "ray::EvaluationActor" in line]


def test_an_actor_killed_mid_evaluation_is_retried_and_finishes_once(
    tmp_path,
    ray_cluster,
    finder,  # noqa: F811
    models,  # noqa: F811
):
    settings = settings_for(tmp_path, models)
    queue, results = LocalStore(settings.queue), LocalStore(settings.results)
    request = submit(queue, finder, "tiny-org/killed")
    worker = start_worker_process(settings, "ray-worker", **ray_env(ray_cluster))
    try:
        wait_for(
            lambda: alive(worker) or current(queue, request).status is Status.RUNNING,
            120,
            "the claim",
        )
        (victim,) = wait_for(actor_processes, 120, "the evaluation's Ray actor")
        wait_for(evaluation_children, 60, "the harness child to start")
        os.kill(victim, signal.SIGKILL)
        finished = wait_for(
            lambda: (r := current(queue, request)).status is Status.FINISHED and r,
            600,
            "the retried evaluation to finish",
        )
    finally:
        stderr = stop(worker)
    assert finished.attempts == 2, finished
    assert "the Ray actor running it died" in stderr
    result_files = [f.path for f in results.list_files() if "/results_" in f.path]
    assert len(result_files) == 1
    wait_for(lambda: evaluation_children() == [], 30, "no harness child left")


def test_sigterm_hands_every_running_request_back(
    tmp_path,
    ray_cluster,
    finder,  # noqa: F811
    models,  # noqa: F811
):
    settings = settings_for(tmp_path, models)
    queue = LocalStore(settings.queue)
    requests = [submit(queue, finder, f"tiny-org/race-{i}") for i in (0, 1)]
    worker = start_worker_process(settings, "ray-worker", **ray_env(ray_cluster))
    try:
        wait_for(
            lambda: (
                alive(worker) or all(current(queue, r).status is Status.RUNNING for r in requests)
            ),
            120,
            "both evaluations to start",
        )
        wait_for(lambda: len(actor_processes()) == 2, 60, "both actors to start")
    finally:
        stop(worker)
    for request in requests:
        back = current(queue, request)
        assert (back.status, back.attempts, back.progress) == (Status.PENDING, 0, None)
    wait_for(lambda: actor_processes() == [], 60, "the actors to be gone")
    wait_for(lambda: evaluation_children() == [], 30, "no harness child left")
