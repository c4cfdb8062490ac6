"""A deployment on the Hub: the app and workers share two dataset repos, as a Space and GPU
machines do. The Hub is `hub_server`, a stand-in on loopback driven only through the real
`huggingface_hub` client (the real Hub cannot be reached here; tests/hub_server/ lists the
endpoints it implements, including the commit endpoint's parent-commit precondition).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from gradio_client import Client

from conftest import REPO, start_app, stop_app
from leaderboard.backend.leases import Queue
from leaderboard.domain import EvalRequest, ModelType, Precision, Status
from leaderboard.local_models import LocalModels
from leaderboard.stores.hub import HubStore, Retry

REQUESTS, RESULTS = "board-org/requests", "board-org/results"


def hub_env(hub, tmp_path: Path, models: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADERBOARD_")}
    env.update(
        PYTHONPATH=str(REPO / "src"),
        HF_HUB_OFFLINE="0",  # the stores talk to the loopback Hub
        HF_TOKEN=hub.token,
        LEADERBOARD_HUB_ENDPOINT=hub.url,
        LEADERBOARD_QUEUE=f"hf://datasets/{REQUESTS}",
        LEADERBOARD_RESULTS=f"hf://datasets/{RESULTS}",
        LEADERBOARD_LOCAL_MODELS=str(models),
        LEADERBOARD_SUITE="sample",
        LEADERBOARD_DEVICE="cpu",
        LEADERBOARD_BATCH_SIZE="8",
        **extra,
    )
    return env


def requests_in(hub) -> dict[str, EvalRequest]:
    return {
        path: EvalRequest.from_json(json.loads(data))
        for path, data in hub.files(REQUESTS).items()
        if path.endswith(".json")
    }


def test_submit_evaluate_and_show_through_two_hub_repos(hub_server, tmp_path, tiny_model):
    hub = hub_server
    hub.create_repo(REQUESTS)
    hub.create_repo(RESULTS)
    models = tmp_path / "models"
    shutil.copytree(tiny_model, models / "tiny-org" / "hub-model")
    app_env = hub_env(
        hub,
        tmp_path,
        models,
        LEADERBOARD_CACHE_DIR=str(tmp_path / "space-cache"),
        LEADERBOARD_REFRESH_SECONDS="1",
    )
    process, url = start_app(app_env)
    try:
        client = Client(url, verbose=False)
        message = client.predict(
            model="tiny-org/hub-model",
            model_type="pretrained",
            precision="bfloat16",
            api_name="/submit",
        )
        assert message.startswith("✅"), message
        (request,) = requests_in(hub).values()
        assert request.status is Status.PENDING
        assert hub.commits(REQUESTS)[0].title == "Add tiny-org/hub-model to eval queue"

        worker = subprocess.run(  # a GPU machine elsewhere, with its own cache
            [sys.executable, "-m", "leaderboard", "worker", "--once"],
            env=hub_env(hub, tmp_path, models, LEADERBOARD_CACHE_DIR=str(tmp_path / "gpu")),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert worker.returncode == 0, worker.stderr[-3000:]
        assert worker.stdout.strip() == "finished tiny-org/hub-model"
        (request,) = requests_in(hub).values()
        assert request.status is Status.FINISHED
        assert request.results_path in hub.files(RESULTS)
        titles = [c.title for c in hub.commits(RESULTS)]
        assert "Results for tiny-org/hub-model" in titles

        rows: list = []
        deadline = time.monotonic() + 60
        while not rows and time.monotonic() < deadline:
            rows = client.predict(search="hub-model", board="sample", api_name="/query")
            time.sleep(0.5)
        assert [row["Model"] for row in rows] == ["tiny-org/hub-model"]
    finally:
        output = stop_app(process)
    assert hub.token not in output
    assert "Traceback" not in output, output[-3000:]


def test_racing_claims_are_refused_by_the_hub_and_move_on(hub_server, tmp_path):
    """Two workers claim at the same moment: the loser's commit names a stale parent, the
    server answers 412, and the loser claims the next request instead."""
    hub = hub_server
    files = {}
    for i in range(5):
        request = EvalRequest(
            model=f"org/m{i}",
            precision=Precision.BFLOAT16,
            status=Status.PENDING,
            revision="a" * 40,
            submitted_time=datetime(2026, 1, 1, 0, 0, i, tzinfo=UTC),
            model_type=ModelType.CHAT,
        )
        files[request.path] = json.dumps(request.to_json()).encode()
    hub.create_repo(REQUESTS, files=files)
    fast = Retry(attempts=6, base_seconds=0.01, cap_seconds=0.05)
    queues = [
        Queue(
            HubStore(
                f"hf://datasets/{REQUESTS}",
                endpoint=hub.url,
                token=hub.token,
                mirror_dir=tmp_path / name,
                retry=fast,
            ),
            worker=name,
            lease_seconds=600,
        )
        for name in ("worker-a", "worker-b")
    ]
    for queue in queues:
        queue.store.list_files()  # both have read the same head
    claimed: dict[str, list[str]] = {}
    barrier = threading.Barrier(2)
    hub.clear_log()

    def work(queue: Queue) -> None:
        barrier.wait()
        while (held := queue.claim_next(suite="sample")) is not None:
            claimed.setdefault(held.request.model, []).append(queue.worker)

    threads = [threading.Thread(target=work, args=(q,)) for q in queues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == [f"org/m{i}" for i in range(5)]
    assert all(len(workers) == 1 for workers in claimed.values()), claimed
    statuses = [r.status for r in hub.requests("POST", r"/commit/")]
    assert statuses.count(200) == 5 and 412 in statuses  # the server refused the stale claims
    assert {r.worker for r in requests_in(hub).values()} <= {"worker-a", "worker-b"}
    assert all(r.status is Status.RUNNING for r in requests_in(hub).values())


def test_two_worker_machines_on_one_hub_queue_evaluate_each_request_once(
    hub_server,
    tmp_path,
    tiny_model,
):
    hub = hub_server
    models = tmp_path / "models"
    files = {}
    for i in range(5):
        folder = shutil.copytree(tiny_model, models / "tiny-org" / f"hub-race-{i}")
        request = EvalRequest(
            model=f"tiny-org/hub-race-{i}",
            precision=Precision.BFLOAT16,
            status=Status.PENDING,
            revision=LocalModels(models).content_sha(folder),
            model_type=ModelType.CHAT,
        )
        files[request.path] = json.dumps(request.to_json()).encode()
    hub.create_repo(REQUESTS, files=files)
    hub.create_repo(RESULTS)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "leaderboard", "worker"],
            env=hub_env(
                hub,
                tmp_path,
                models,
                LEADERBOARD_CACHE_DIR=str(tmp_path / name),
                LEADERBOARD_WORKER_ID=name,
                LEADERBOARD_WORKER_INTERVAL="1",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("gpu-a", "gpu-b")
    ]
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            states = [r.status for r in requests_in(hub).values()]
            if states and all(s is Status.FINISHED for s in states):
                break
            time.sleep(1)
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=120)[1] for process in workers]
    finished = list(requests_in(hub).values())
    assert all(r.status is Status.FINISHED and r.attempts == 1 for r in finished), outputs
    results = [p for p in hub.files(RESULTS) if "/results_" in p]
    assert sorted(p.split("/results_")[0] for p in results) == [
        f"tiny-org/hub-race-{i}" for i in range(5)
    ]
    assert all(hub.token not in output for output in outputs)
