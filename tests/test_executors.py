"""The executor seam and the `local` executor: the registry answers an unknown name with the
known ones; the machine's GPUs are read from `nvidia-smi` within CUDA_VISIBLE_DEVICES and
LEADERBOARD_GPUS; several evaluations run at once, each child seeing only the GPUs its size
asks for; and with ten evaluations in flight on a Hub queue the worker still makes one
heartbeat commit per renewal period, riding out the Hub's commit quota (a 429) without
losing a lease.

There are no GPUs here: the executor is handed logical ones (indices and memory, what
`nvidia-smi` would say), each child is told its own through CUDA_VISIBLE_DEVICES as it would
be on a GPU machine, and the real harness then runs on the CPU."""

from __future__ import annotations

import os
import re
import shutil
import stat
import threading
import time
from pathlib import Path

import pytest

from leaderboard.backend.executors import executor_factory, executor_names
from leaderboard.backend.executors.local import Gpu, LocalExecutor, machine_gpus
from leaderboard.backend.resources import Layout, Parallelism
from leaderboard.backend.worker import Outcome, Worker
from leaderboard.config import Settings, load_settings
from leaderboard.domain import Status
from leaderboard.errors import ConfigError
from leaderboard.stores import LocalStore
from leaderboard.stores.hub import HubStore, Retry
from leaderboard.submission import LocalModelSource, ModelFinder
from test_ray import resize
from test_worker import (
    current,
    evaluation_children,
    finder,  # noqa: F401 (a fixture)
    models,  # noqa: F401 (a fixture)
    settings_for,
    submit,
)


def test_an_unknown_executor_is_refused_with_the_known_ones():
    assert executor_names() == ["local", "ray"]
    with pytest.raises(ConfigError) as refused:
        load_settings({"LEADERBOARD_EXECUTOR": "kubernetes"})
    message = str(refused.value)
    assert "LEADERBOARD_EXECUTOR" in message and "local, ray" in message
    with pytest.raises(ConfigError, match="local"):
        executor_factory("slurm")
    assert load_settings({"LEADERBOARD_EXECUTOR": "Ray"}).executor == "ray"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("0,x", "indices"), ("1,1", "twice"), ("-1", "indices")],
)
def test_leaderboard_gpus_is_checked(raw, problem):
    with pytest.raises(ConfigError, match=problem):
        load_settings({"LEADERBOARD_GPUS": raw})


def fake_nvidia_smi(folder: Path, monkeypatch) -> None:
    """An `nvidia-smi` that answers the one query the executor asks as the driver's does
    (`--query-gpu=index,memory.total --format=csv,noheader,nounits`: MiB)."""
    script = folder / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\n"
        'test "$1" = "--query-gpu=index,memory.total" || exit 2\n'
        "printf '0, 81559\\n1, 81559\\n2, 40960\\n3, 40960\\n'\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")


def test_the_machines_gpus_within_cuda_visible_devices_and_leaderboard_gpus(tmp_path, monkeypatch):
    fake_nvidia_smi(tmp_path, monkeypatch)
    assert [gpu.index for gpu in machine_gpus()] == [0, 1, 2, 3]
    assert machine_gpus()[0].memory_gb == pytest.approx(79.65, abs=0.01)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,2")
    assert [gpu.index for gpu in machine_gpus()] == [1, 2]
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")

    executor = LocalExecutor(Settings(gpus=(2, 3)))
    assert executor.gpus == (2, 3)
    assert executor.capacity().gpu_memory_gb == pytest.approx(40.0)
    assert LocalExecutor(Settings(gpu_memory_gb=24.0)).capacity().gpu_memory_gb == 24.0
    cpu = LocalExecutor(Settings(device="cpu")).capacity()  # no GPU handed out: one slot
    assert (cpu.gpus, cpu.free_gpus, cpu.free_cpu_slots) == (0, 0, 1)


def test_slots_are_taken_and_given_back(tmp_path):
    executor = LocalExecutor(Settings(), gpus=[Gpu(i, 80.0) for i in range(4)])
    two = Layout(2, Parallelism.MODEL, 100.0)
    assert executor.fits_now(two)
    executor.free = [1, 3]  # as after two one-GPU evaluations started on 0 and 2
    assert executor.fits_now(two) and not executor.fits_now(Layout(4, Parallelism.MODEL, 1.0))
    executor.release((0, 2))
    assert executor.free == [0, 1, 2, 3]


def child_gpus(results: LocalStore, log_path: str) -> set[int]:
    """The GPUs the harness child was shown, as it logged them."""
    text = results.read(log_path).decode()
    match = re.search(
        r"^leaderboard: evaluating \S+ on cpu, CUDA_VISIBLE_DEVICES=([\d,]*)$", text, re.M
    )
    assert match, text[:400]
    return {int(gpu) for gpu in match.group(1).split(",") if gpu}


def test_the_local_executor_packs_the_machines_gpus_by_size(
    tmp_path,
    finder,  # noqa: F811
    models,  # noqa: F811
):
    settings = settings_for(tmp_path, models, gpu_memory_gb=10.0).replace(device="auto")
    queue, results = LocalStore(settings.queue), LocalStore(settings.results)
    sizes = {"tiny-org/race-0": 2.0, "tiny-org/race-1": 3.0, "tiny-org/race-2": 7.0}
    sizes["tiny-org/race-3"] = 14.0  # 1, 1, 2 and 4 GPUs of 10 GB
    requests = []
    for model, params in sizes.items():
        requests.append(submit(queue, finder, model))
        resize(queue, requests[-1], params)
    executor = LocalExecutor(settings, gpus=[Gpu(index, 10.0) for index in range(4)])
    worker = Worker(queue, results, settings, executor=executor)
    landed = []
    cycle = threading.Thread(
        target=lambda: worker.run_cycle(keep_claiming=True, on_result=landed.append)
    )
    most_running = 0
    cycle.start()
    try:
        while cycle.is_alive():
            states = [current(queue, r).status for r in requests]
            most_running = max(most_running, states.count(Status.RUNNING))
            time.sleep(0.2)
    finally:
        worker.stop()
        cycle.join()
    assert [r.outcome for r in landed] == [Outcome.FINISHED] * 4, landed
    finished = {r.model: current(queue, r) for r in requests}
    assert all(r.attempts == 1 for r in finished.values())
    seen = {model: child_gpus(results, r.log_path) for model, r in finished.items()}
    assert [len(seen[model]) for model in sizes] == [1, 1, 2, 4]
    first_three = [seen[model] for model in list(sizes)[:3]]
    assert set().union(*first_three) == {0, 1, 2, 3}  # disjoint: they ran side by side
    assert most_running == 3  # the 4-GPU model waited for all four


# -- ten in flight on a Hub queue -----------------------------------------------------------

REQUESTS, RESULTS = "scale-org/requests", "scale-org/results"


def hub_stores(hub, tmp_path: Path) -> tuple[HubStore, HubStore]:
    fast = Retry(attempts=6, base_seconds=0.01, cap_seconds=0.05)
    return tuple(
        HubStore(
            f"hf://datasets/{repo}",
            endpoint=hub.url,
            token=hub.token,
            mirror_dir=tmp_path / f"mirror-{index}",
            retry=fast,
        )
        for index, repo in enumerate((REQUESTS, RESULTS))
    )


def hub_worker(
    hub, tmp_path: Path, tiny_model: Path, names: list[str], *, lease_seconds: int
) -> tuple[Worker, list]:
    """A worker on two fresh Hub repos with one logical GPU per model, and the models'
    requests, submitted."""
    hub.create_repo(REQUESTS)
    hub.create_repo(RESULTS)
    local = tmp_path / "models"
    for name in names:
        shutil.copytree(tiny_model, local / name)
    queue, results = hub_stores(hub, tmp_path)
    finder_here = ModelFinder(local=LocalModelSource(local))
    requests = [submit(queue, finder_here, name) for name in names]
    settings = settings_for(tmp_path, local, lease_seconds=lease_seconds).replace(device="auto")
    gpus = [Gpu(index, 80.0) for index in range(len(names))]
    worker = Worker(queue, results, settings, executor=LocalExecutor(settings, gpus=gpus))
    return worker, requests


def commit_titles(hub, repo: str, since: str) -> list[str]:
    titles = []
    for commit in hub.commits(repo):
        if commit.oid == since:
            break
        titles.append(commit.title)
    return titles[::-1]


def test_ten_evaluations_in_flight_make_one_heartbeat_commit_per_period(
    hub_server, tmp_path, tiny_model
):
    hub = hub_server
    names = [f"tiny-org/scale-{index}" for index in range(10)]
    worker, requests = hub_worker(hub, tmp_path, tiny_model, names, lease_seconds=6)
    queue = worker.queue.store
    assert worker.renew_seconds == 2.0
    queue_head, results_head = hub.head(REQUESTS), hub.head(RESULTS)
    hub.clear_log()
    started = time.monotonic()
    landed = worker.run_cycle()
    elapsed = time.monotonic() - started
    assert [r.outcome for r in landed] == [Outcome.FINISHED] * 10, landed
    assert all(current(queue, r).attempts == 1 for r in requests)

    titles = commit_titles(hub, REQUESTS, queue_head)
    kinds = [title.split()[0] for title in titles]
    assert kinds.count("Claim") == 1  # ten claims, one commit
    heartbeats = kinds.count("Heartbeat")
    # One per period for all ten (plus the first progress report), not one per evaluation.
    assert 1 <= heartbeats <= elapsed / worker.renew_seconds + 2, (heartbeats, elapsed)
    assert kinds.count("Settle") <= 10
    assert set(kinds) == {"Claim", "Heartbeat", "Settle"}
    assert len(commit_titles(hub, RESULTS, results_head)) == 10  # results, samples, log: one
    requests_made = hub.requests()
    posts = [r for r in requests_made if r.method == "POST"]
    print(
        f"10 in flight for {elapsed:.1f} s: {len(titles)} queue commits "
        f"({heartbeats} heartbeats), 10 results commits; {len(requests_made)} Hub requests "
        f"({len(posts)} POST: preupload + commit per commit)"
    )


def test_the_commit_quota_is_ridden_out_without_losing_a_lease(hub_server, tmp_path, tiny_model):
    hub = hub_server
    names = ["tiny-org/quota-0", "tiny-org/quota-1"]
    worker, requests = hub_worker(hub, tmp_path, tiny_model, names, lease_seconds=9)
    queue = worker.queue.store
    hub.clear_log()
    hub.limit_commits(1, window_seconds=3.0)  # the claim; the first heartbeat must wait
    landed = worker.run_cycle()
    hub.limit_commits(None)
    assert [r.outcome for r in landed] == [Outcome.FINISHED] * 2, landed
    refused = [r for r in hub.requests("POST", r"/commit/") if r.status == 429]
    assert refused, "the quota was never reached"
    for request in requests:
        done = current(queue, request)
        assert (done.status, done.attempts) == (Status.FINISHED, 1)


def test_stopping_hands_every_running_evaluation_back(
    tmp_path,
    finder,  # noqa: F811
    models,  # noqa: F811
):
    settings = settings_for(tmp_path, models).replace(device="auto")
    queue, results = LocalStore(settings.queue), LocalStore(settings.results)
    requests = [submit(queue, finder, f"tiny-org/race-{index}") for index in (0, 1)]
    executor = LocalExecutor(settings, gpus=[Gpu(index, 80.0) for index in range(2)])
    worker = Worker(queue, results, settings, executor=executor)
    landed: list = []
    cycle = threading.Thread(target=lambda: landed.extend(worker.run_cycle()))
    cycle.start()
    try:
        deadline = time.monotonic() + 120
        while len(worker.in_flight) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(worker.in_flight) == 2
    finally:
        worker.stop()
        cycle.join(timeout=120)
    assert [r.outcome for r in landed] == [Outcome.STOPPED] * 2
    for request in requests:
        back = current(queue, request)
        assert (back.status, back.attempts, back.progress) == (Status.PENDING, 0, None)
    assert evaluation_children() == []
    assert executor.capacity().free_gpus == 2
