"""The whole loop in one app: `python app.py` with the worker inside (LEADERBOARD_WORKER=on),
a local tiny model submitted through `/submit`, followed through `/queue` from pending to
running (with progress) to finished, and then on the `sample` board of `/query`."""

from __future__ import annotations

import shutil
import time

from gradio_client import Client

from conftest import copy_demo_stores, start_app, stop_app


def test_submit_evaluate_and_show_in_one_app(tmp_path, tiny_model, monkeypatch):
    queue, results = copy_demo_stores(tmp_path)
    models = tmp_path / "models"
    shutil.copytree(tiny_model, models / "tiny-org" / "loop-model")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    process, url = start_app(
        {
            "LEADERBOARD_QUEUE": str(queue),
            "LEADERBOARD_RESULTS": str(results),
            "LEADERBOARD_CACHE_DIR": str(tmp_path / "cache"),
            "LEADERBOARD_LOCAL_MODELS": str(models),
            "LEADERBOARD_SUITE": "sample",
            "LEADERBOARD_WORKER": "on",
            "LEADERBOARD_WORKER_INTERVAL": "2",
            "LEADERBOARD_LEASE_SECONDS": "30",
            "LEADERBOARD_DEVICE": "cpu",
            "LEADERBOARD_BATCH_SIZE": "8",
            "LEADERBOARD_REFRESH_SECONDS": "1",
        }
    )
    try:
        client = Client(url, verbose=False)
        message = client.predict(
            model="tiny-org/loop-model",
            model_type="pretrained",
            precision="bfloat16",
            api_name="/submit",
        )
        assert message.startswith("✅ tiny-org/loop-model at commit "), message
        seen: set[str] = set()
        progress: list[str] = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = client.predict(api_name="/queue")
            for name in ("pending", "running", "finished", "failed"):
                for item in status[name]:
                    if item["model"] == "tiny-org/loop-model":
                        seen.add(name)
                        if name == "running" and item.get("progress"):
                            progress.append(item["progress"])
            if "finished" in seen or "failed" in seen:
                break
            time.sleep(0.5)
        assert "failed" not in seen, status["failed"]
        assert "finished" in seen and "running" in seen, seen
        assert progress and "elapsed" in progress[-1]
        rows = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not rows:
            rows = client.predict(search="loop-model", board="sample", api_name="/query")
            time.sleep(0.5)
        (row,) = rows
        assert row["Model"] == "tiny-org/loop-model"
        assert row["Precision"] == "bfloat16"
        assert row["Sample MC"] is not None and row["Sample Gen"] is not None
    finally:
        output = stop_app(process)
    assert "Traceback" not in output, output[-3000:]
