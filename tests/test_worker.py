"""The evaluation worker end to end, on the real lm-evaluation-harness: tiny models built
offline, the offline `sample` suite, real stores, real child processes and real signals.

Covers issue 4's contract: a submitted model goes PENDING -> RUNNING -> FINISHED and onto the
board with the scores the `lm_eval` command line gives; a broken model or a timeout ends
FAILED with a readable reason while the scheduler keeps going; two workers on one queue
evaluate each request once; a worker killed mid-evaluation loses nothing.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO
from leaderboard.backend.scheduler import start_worker, stop_worker
from leaderboard.backend.spec import build_spec
from leaderboard.backend.worker import Outcome, Worker
from leaderboard.config import Settings
from leaderboard.domain import EvalRequest, Status, parse_results
from leaderboard.stores import LocalStore
from leaderboard.submission import (
    Accepted,
    LocalModelSource,
    ModelFinder,
    Policy,
    SubmissionForm,
    Submitter,
)
from leaderboard.suites import get_suite, score_result
from leaderboard.table import TableLoader

SUITE = get_suite("sample")


@pytest.fixture(scope="module")
def models(tmp_path_factory, tiny_model) -> Path:
    root = tmp_path_factory.mktemp("worker-models")
    for name in ("good", "killed", *(f"race-{i}" for i in range(5))):
        shutil.copytree(tiny_model, root / "tiny-org" / name)
    # Weights cut short after an intact header: they pass submission (the size is read from
    # the header) and fail when the harness loads them, as a broken upload does.
    corrupt = shutil.copytree(tiny_model, root / "tiny-org" / "corrupt") / "model.safetensors"
    data = corrupt.read_bytes()
    corrupt.write_bytes(data[: 8 + int.from_bytes(data[:8], "little") + 1000])
    shutil.copytree(tiny_model, root / "tiny-org" / "slow")
    shutil.copytree(tiny_model, root / "tiny-org" / "edited")
    return root


@pytest.fixture(scope="module")
def finder(models) -> ModelFinder:
    return ModelFinder(local=LocalModelSource(models))


@pytest.fixture
def stores(tmp_path) -> tuple[LocalStore, LocalStore]:
    return LocalStore(tmp_path / "queue"), LocalStore(tmp_path / "results")


def submit(queue: LocalStore, finder: ModelFinder, model: str, **fields) -> EvalRequest:
    form = SubmissionForm(model=model, **{"model_type": "chat", "precision": "bfloat16", **fields})
    outcome = Submitter(queue, finder, Policy(rate_limit=None)).submit(form, sender="tester")
    assert isinstance(outcome, Accepted), outcome
    return outcome.request


def current(queue: LocalStore, request: EvalRequest) -> EvalRequest:
    return EvalRequest.from_json(json.loads(queue.read(request.path)))


def settings_for(tmp_path: Path, models: Path, **changes) -> Settings:
    """A worker's settings on the stores under `tmp_path`. The efficiency pass is off unless
    `changes` turn it on: it is checked where its figures are (the first test here,
    test_efficiency.py); elsewhere it would only add time to each evaluation."""
    return Settings(
        queue=str(tmp_path / "queue"),
        results=str(tmp_path / "results"),
        cache_dir=str(tmp_path / "cache"),
        local_models=str(models),
        suite="sample",
        device="cpu",
        batch_size="8",
        **{"efficiency_seconds": 0, **changes},
    )


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADERBOARD_")}
    env.update(
        PYTHONPATH=str(REPO / "src"),
        LEADERBOARD_QUEUE=settings.queue,
        LEADERBOARD_RESULTS=settings.results,
        LEADERBOARD_CACHE_DIR=settings.cache_dir,
        LEADERBOARD_LOCAL_MODELS=settings.local_models,
        LEADERBOARD_SUITE="sample",
        LEADERBOARD_DEVICE="cpu",
        LEADERBOARD_BATCH_SIZE="8",
        LEADERBOARD_EFFICIENCY_SECONDS=str(settings.efficiency_seconds),
        LEADERBOARD_LOG_LEVEL="INFO",
        **extra,
    )
    return env


def run_worker_once(settings: Settings, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leaderboard", "worker", "--once"],
        env=worker_env(settings, **extra),
        capture_output=True,
        text=True,
        timeout=600,
    )


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def evaluation_children() -> list[str]:
    """Harness child processes still alive (none may outlive its worker)."""
    listed = subprocess.run(  # -ww: whole command lines, however long
        ["ps", "-eww", "-o", "pid,args"], capture_output=True, text=True
    ).stdout
    return [line for line in listed.splitlines() if "leaderboard.backend.evaluate" in line]


def board_row(settings: Settings, model: str):
    results, queue = LocalStore(settings.results), LocalStore(settings.queue)
    board = TableLoader(results, queue, settings, use_cache=False).load().board("sample")
    return board.set_index("model").loc[model]


def board_scores(settings: Settings, model: str) -> dict[str, float]:
    row = board_row(settings, model)
    keys = [key for b in SUITE.benchmarks for key in (b.key, f"{b.key}_raw")]
    return {key: float(row[key]) for key in keys}


def test_a_submitted_model_is_evaluated_and_shows_the_command_lines_scores(
    tmp_path, stores, finder, models
):
    queue, results = stores
    request = submit(queue, finder, "tiny-org/good")
    settings = settings_for(tmp_path, models, efficiency_seconds=120)  # the default
    done = run_worker_once(settings)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "finished tiny-org/good"

    finished = current(queue, request)
    assert finished.status is Status.FINISHED
    assert (finished.attempts, finished.suite, finished.progress) == (1, "sample", None)
    published = json.loads(results.read(finished.results_path))
    assert published["config"]["model_name"] == "tiny-org/good"
    assert published["config"]["model_sha"] == request.revision
    assert published["config"]["model_dtype"] == "torch.bfloat16"
    log_text = results.read(finished.log_path).decode()
    assert "Running loglikelihood requests" in log_text
    assert "leaderboard: efficiency: " in log_text
    assert published["config"]["model"] == "hf"  # as the command line names it, not a path
    efficiency = parse_results(published).efficiency
    assert efficiency is not None and efficiency.complete, published.get("efficiency")
    # Real figures from the tiny model on this CPU, in plausible units.
    assert 1 < efficiency.tokens_per_second < 1e6
    assert efficiency.tokens_per_second_batch > 0 and efficiency.batch_size == 8
    assert 0 < efficiency.ttft_ms < 60_000
    assert 0 < efficiency.load_seconds < efficiency.evaluation_seconds < 600
    assert 0.05 < efficiency.peak_memory_gb < 64 and efficiency.memory_kind == "rss"
    assert efficiency.gpu_count == 0 and efficiency.gpu_hours is None  # no GPU, no GPU-hours
    assert efficiency.hardware.startswith("CPU: ") and efficiency.backend == "hf"
    assert efficiency.dtype == "bfloat16" and efficiency.context_window == 512
    assert efficiency.prompt_tokens == (64, 448) and efficiency.output_tokens == 64
    row = board_row(settings, "tiny-org/good")
    assert row["tokens_per_second"] == efficiency.tokens_per_second
    assert row["context_window"] == 512 and row["hardware"] == efficiency.hardware
    assert math.isnan(row["score_per_gpu_hour"])  # a CPU has no GPU-hours
    details = [f.path for f in results.list_files(suffix=".jsonl")]
    assert sorted(Path(p).name for p in details) == [
        "samples_sample_gen.jsonl",
        "samples_sample_mc.jsonl",
    ]

    # The same evaluation from the `lm_eval` command line the worker's spec stands for.
    spec = build_spec(
        finished,
        SUITE,
        pretrained=str(models / "tiny-org" / "good"),
        base=None,
        backend="hf",
        device="cpu",
        batch_size="8",
        output_dir=tmp_path / "cli",
    )
    (command,) = spec.command().argvs
    env = {**worker_env(settings), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    cli = subprocess.run(
        [sys.executable, "-m", "lm_eval", *command[1:]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cli.returncode == 0, cli.stderr[-3000:]
    (cli_file,) = (tmp_path / "cli").glob("run0/**/results_*.json")
    cli_scores = score_result(parse_results(json.loads(cli_file.read_text())), SUITE)
    expected = {}
    for key, score in cli_scores.items():
        expected[key] = score.normalized
        expected[f"{key}_raw"] = score.raw
    assert board_scores(settings, "tiny-org/good") == pytest.approx(expected, abs=1e-12)


def test_a_broken_model_fails_with_its_reason_and_the_scheduler_keeps_going(
    tmp_path, stores, finder, models
):
    queue, results = stores
    corrupt = submit(queue, finder, "tiny-org/corrupt")
    edited = submit(queue, finder, "tiny-org/edited")
    (models / "tiny-org" / "edited" / "README.md").write_text("changed after submission\n")
    settings = settings_for(tmp_path, models)
    worker = Worker(queue, results, settings)
    seen: list = []
    scheduler = start_worker(worker, interval=1, after=seen.append)
    try:
        wait_for(lambda: len(seen) >= 2, 300, "two worker cycles")
    finally:
        stop_worker(scheduler, worker)
    failed = current(queue, corrupt)
    assert failed.status is Status.FAILED
    assert "SafetensorError" in failed.failure_reason or "safetensors" in failed.failure_reason
    assert "\n" not in failed.failure_reason
    assert failed.log_tail and failed.log_path
    assert results.read(failed.log_path)  # the log is kept, and the request links it
    changed = current(queue, edited)
    assert changed.status is Status.FAILED
    assert changed.failure_reason.startswith(
        "The local model tiny-org/edited changed since it was submitted"
    )
    assert [r.outcome for r in seen[:2]] == [Outcome.FAILED, Outcome.FAILED]


def test_an_evaluation_that_runs_too_long_is_killed_and_failed(tmp_path, stores, finder, models):
    queue, _ = stores
    request = submit(queue, finder, "tiny-org/slow")
    done = run_worker_once(settings_for(tmp_path, models), LEADERBOARD_EVAL_TIMEOUT="2")
    assert done.returncode == 0, done.stderr
    failed = current(queue, request)
    assert (failed.status, failed.failure_reason) == (Status.FAILED, "timed out after 2 s")
    assert evaluation_children() == []


def test_an_idle_worker_once_exits_zero(tmp_path, models):
    done = run_worker_once(settings_for(tmp_path, models))
    assert (done.returncode, done.stdout.strip()) == (0, "idle")


def start_forever(settings: Settings, name: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "leaderboard", "worker"],
        env=worker_env(
            settings, LEADERBOARD_WORKER_ID=name, LEADERBOARD_WORKER_INTERVAL="1", **extra
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_two_workers_racing_on_one_queue_evaluate_each_request_once(
    tmp_path, stores, finder, models
):
    queue, results = stores
    requests = [submit(queue, finder, f"tiny-org/race-{i}") for i in range(5)]
    settings = settings_for(tmp_path, models)
    # Without the efficiency pass (settings_for): the results files have no `efficiency`.
    workers = [start_forever(settings, name) for name in ("worker-a", "worker-b")]
    try:
        wait_for(
            lambda: all(current(queue, r).status is Status.FINISHED for r in requests),
            900,
            "all five requests to finish",
        )
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            assert process.wait(timeout=120) == 0, process.stderr.read()
    finished = [current(queue, r) for r in requests]
    assert all(r.attempts == 1 for r in finished)
    assert {r.worker for r in finished} <= {"worker-a", "worker-b"}
    result_files = [f.path for f in results.list_files() if "/results_" in f.path]
    assert sorted(p.split("/results_")[0] for p in result_files) == [
        f"tiny-org/race-{i}" for i in range(5)
    ]
    assert not any("efficiency" in json.loads(results.read(path)) for path in result_files)


def test_a_worker_killed_mid_evaluation_loses_nothing(tmp_path, stores, finder, models):
    queue, results = stores
    request = submit(queue, finder, "tiny-org/killed")
    settings = settings_for(tmp_path, models, lease_seconds=4)
    victim = start_forever(settings, "victim", LEADERBOARD_LEASE_SECONDS="4")
    try:
        running = wait_for(
            lambda: (r := current(queue, request)).status is Status.RUNNING and r.progress and r,
            120,
            "the evaluation to start and report progress",
        )
        assert running.worker == "victim" and running.progress.stage
        wait_for(evaluation_children, 60, "the harness child to start")
    finally:
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
    wait_for(lambda: evaluation_children() == [], 30, "the orphaned harness to die with it")
    assert current(queue, request).status is Status.RUNNING  # stuck until the lease expires
    time.sleep(5)  # past the 4 s lease
    done = run_worker_once(settings, LEADERBOARD_WORKER_ID="rescuer", LEADERBOARD_LEASE_SECONDS="4")
    assert done.returncode == 0, done.stderr
    finished = current(queue, request)
    assert (finished.status, finished.worker, finished.attempts) == (
        Status.FINISHED,
        "rescuer",
        2,
    )
    result_files = [f.path for f in results.list_files() if "/results_" in f.path]
    assert len(result_files) == 1
