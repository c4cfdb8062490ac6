"""The named API endpoints (`/query`, `/queue`) of the real app, over HTTP, with `gradio_client`.

`python app.py` runs as a child process on copies of the embedded stores, as a user or a script
would reach it (DESIGN.md §6). Covers: `/query` rows, filters, columns, sorting and boards
(the same rows the table shows); a bad board or column reaching the client as a specific
message while the server keeps serving; `/queue`'s shape; new and deleted files folded into
the answers without a restart; and text from files (model names, licenses) returned as the
same plain text, never interpreted. One app serves the whole module (a start costs seconds);
the tests that add files take them away again before they end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import V1_LABELS, copy_demo_stores, eval_request, start_app, stop_app, write_json
from test_table import EXPECTED_ORDER

ALL = [model for model, _ in EXPECTED_ORDER]
FLAGGED = "DopeorNope/SOLARC-MOE-10.7Bx4"
HOSTILE = "<img src=x onerror=alert(1)>"
# Template-format task -> metric, as in the embedded eval-results/ files (v1 suite).
V1_TEMPLATE_METRICS = {
    "arc:challenge": "acc_norm",
    "hellaswag": "acc_norm",
    "mmlu": "acc",
    "truthfulqa:mc": "mc2",
    "winogrande": "acc",
    "gsm8k": "acc",
}


def template_results(model: str, scores: list[float], dtype: str = "float16") -> dict:
    """A results file in the leaderboard template's format, one score per v1 benchmark."""
    return {
        "config": {
            "model_name": model,
            "model_sha": "fedcba9876543210fedcba9876543210fedcba98",
            "model_dtype": f"torch.{dtype}",
        },
        "results": {
            task: {metric: score}
            for (task, metric), score in zip(V1_TEMPLATE_METRICS.items(), scores, strict=True)
        },
    }


def models(rows: list[dict]) -> list[str]:
    return [row["Model"] for row in rows]


def query(client: Client, **arguments: Any) -> list[dict]:
    return client.predict(**arguments, api_name="/query")


def poll(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    """Call `fetch` until `done(value)`; fail with the last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"still not as expected after {timeout}s: {value!r}")
        time.sleep(0.25)


@dataclass(frozen=True)
class App:
    client: Client
    queue: Path
    results: Path


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[App]:
    """One app for the module, on copies of the embedded stores, folding changed files in
    every second. Tests that add files remove them before they end (see `added_files`)."""
    root = tmp_path_factory.mktemp("api")
    queue, results = copy_demo_stores(root)
    with pytest.MonkeyPatch.context() as env:  # module scope: set up before the autouse fixture
        env.delenv("HF_TOKEN", raising=False)
        env.setenv("HF_HOME", str(root / "hf_home"))
        env.setenv("HF_HUB_OFFLINE", "1")
        process, url = start_app(
            {
                "LEADERBOARD_QUEUE": str(queue),
                "LEADERBOARD_RESULTS": str(results),
                "LEADERBOARD_CACHE_DIR": str(root / "cache"),
                "LEADERBOARD_REFRESH_SECONDS": "1",
            }
        )
    try:
        yield App(Client(url, verbose=False), queue, results)
    finally:
        stop_app(process)


@pytest.fixture
def client(app) -> Client:
    return app.client


@contextmanager
def added_files(app: App, request_path: str, request: dict, results_path: str, results: dict):
    """Write a request and a results file; on the way out delete them and wait until the
    app shows the 12 embedded models again, so later tests see the stores as they were."""
    files = [write_json(app.queue, request_path, request)]
    files.append(write_json(app.results, results_path, results))
    try:
        yield files
    finally:
        for path in files:
            path.unlink(missing_ok=True)
        poll(lambda: query(app.client), lambda rows: models(rows) == ALL)


def test_query_without_arguments_is_the_default_board(client):
    rows = query(client)
    assert [(row["Model"], row["Average ⬆️"]) for row in rows] == EXPECTED_ORDER
    assert all(list(row) == V1_LABELS for row in rows)
    assert [row["Rank"] for row in rows] == [1] * 12  # 0.26 points apart, each ±0.9: tied
    first = rows[0]
    assert (first["ARC"], first["GSM8K"], first["Precision"]) == (71.25, 65.58, "float16")
    assert query(client, board="v1") == rows
    assert query(client, board="v2") == []  # a known board with no results yet


def test_query_filters_as_the_leaderboard_tab_does(client):
    rows = query(client, search="carbon", precisions=["float16"], hide=["flagged"])
    assert models(rows) == [
        "jeonsworld/CarbonVillain-en-10.7B-v4",
        "jeonsworld/CarbonVillain-en-10.7B-v2",
        "jeonsworld/CarbonVillain-en-10.7B-v3",
        "kekmodel/StopCarbon-10.7B-v5",
        "kekmodel/StopCarbon-10.7B-v4",
        "jeonsworld/CarbonVillain-en-10.7B-v1",
        "jeonsworld/CarbonVillain-en-13B-v1",
    ]
    assert models(query(client, precisions=["bfloat16"], model_types=["chat"])) == [
        "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct"
    ]
    assert models(query(client, params_min=30, hide=["flagged"])) == [
        "DopeorNope/SOLARC-MOE-10.7Bx6"
    ]
    gone = {"jeonsworld/CarbonVillain-en-13B-v1", "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct-test"}
    assert models(query(client, hide=["moe", "unavailable"])) == [
        m for m in ALL if "SOLARC-MOE" not in m and m not in gone
    ]


def test_query_chosen_columns_and_ascending_sort(client):
    rows = query(client, columns=["Model sha"], sort="gsm8k", descending=False)
    assert all(list(row) == ["Rank", "T", "Model", "Model sha"] for row in rows)
    assert models(rows) == [
        "jeonsworld/CarbonVillain-en-10.7B-v1",  # GSM8K 64.29 (ties keep the board's order)
        "jeonsworld/CarbonVillain-en-13B-v1",  # 64.29
        "DopeorNope/SOLARC-MOE-10.7Bx4",  # 64.37
        "kekmodel/StopCarbon-10.7B-v4",  # 64.44
        "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct",  # 64.67
        "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct-test",  # 64.67
        "DopeorNope/SOLARC-MOE-10.7Bx6",  # 64.90
        "jeonsworld/CarbonVillain-en-10.7B-v3",  # 65.20
        "kekmodel/StopCarbon-10.7B-v5",  # 65.20
        "kyujinpy/Sakura-SOLAR-Instruct",  # 65.20
        "jeonsworld/CarbonVillain-en-10.7B-v2",  # 65.28
        "jeonsworld/CarbonVillain-en-10.7B-v4",  # 65.58
    ]
    assert rows[-1]["Model sha"] == "904ffe8106a3facbea0d0e61d9a53a525675871e"
    assert rows[-1]["Rank"] == 1  # the rank stays the rank by the Average's interval
    by_key = query(client, columns=["model_sha", "params_b"], sort="#Params (B)")
    assert [row["#Params (B)"] for row in by_key[:3]] == [53.0, 36.0, 10.0]


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"board": "v9"}, ["Unknown suite 'v9'", "Known: sample, v1, v2"]),
        ({"columns": ["ARC", "nosuch"]}, ["`columns` cannot be `nosuch`", "accepted: rank"]),
        ({"sort": "nosuch"}, ["`sort` cannot be `nosuch`", "accepted: rank"]),
        ({"hide": ["flaged"]}, ["`hide` cannot be `flaged`", "Did you mean `flagged`"]),
        ({"model_types": ["robot"]}, ["`type` cannot be `robot`", "accepted: pretrained"]),
        ({"search": "@nosuchfield:x"}, ["`@nosuchfield:` is not a field you can search"]),
    ],
    ids=["board", "column", "sort", "hide", "model-type", "search-field"],
)
def test_bad_query_reaches_the_client_as_a_specific_error(client, arguments, words):
    with pytest.raises(AppError) as raised:
        query(client, **arguments)
    for word in words:
        assert word in str(raised.value)
    assert models(query(client, search="sakura")) == ["kyujinpy/Sakura-SOLAR-Instruct"]


def test_queue_endpoint_groups_requests_by_status(client):
    status = client.predict(api_name="/queue")
    assert list(status) == ["pending", "running", "finished", "failed", "unreadable"]
    assert (status["pending"], status["running"], status["failed"]) == ([], [], [])
    assert sorted(item["model"] for item in status["finished"]) == sorted(ALL)
    flagged = next(item for item in status["finished"] if item["model"] == FLAGGED)
    assert {k: flagged[k] for k in ("revision", "precision", "weight_type", "submitted_time")} == {
        "revision": "07cee5a25fd8d85486f888893d5bee532e5f5cd8",
        "precision": "float16",
        "weight_type": "Original",
        "submitted_time": "2023-12-27T18:03:15Z",
    }


def test_new_and_deleted_files_show_up_without_a_restart(app, client):
    newcomer = "newcomer-org/new-model"
    with added_files(
        app,
        "newcomer-org/new-model_eval_request_False_float16_Original.json",
        eval_request(newcomer),
        "newcomer-org/new-model/results_2024-06-01T12-00-00.000000.json",
        template_results(newcomer, [0.80, 0.90, 0.70, 0.60, 0.85, 0.75]),
    ) as files:
        rows = poll(lambda: query(client), lambda rows: len(rows) == 13)
        assert rows[0] == {
            "Rank": 1,
            "T": "💬",
            "Model": newcomer,
            "Average ⬆️": 76.67,  # (80 + 90 + 70 + 60 + 85 + 75) / 6
            "ARC": 80.0,
            "HellaSwag": 90.0,
            "MMLU": 70.0,
            "TruthfulQA": 60.0,
            "Winogrande": 85.0,
            "GSM8K": 75.0,
            "Type": "💬 chat models (RLHF, DPO, IFT, ...)",
            "Architecture": "LlamaForCausalLM",
            "Precision": "float16",
            "#Params (B)": 7.24,
            "Hub License": "apache-2.0",
            "Hub ❤️": 0,
            "CO₂ cost (kg)": None,
            "Speed (tokens/s)": None,
            "Context (tokens)": None,
        }
        assert models(rows[1:]) == ALL
        finished = client.predict(api_name="/queue")["finished"]
        assert newcomer in {item["model"] for item in finished}

        for path in files:
            path.unlink()
        rows = poll(lambda: query(client), lambda rows: len(rows) == 12)
        assert [(row["Model"], row["Average ⬆️"]) for row in rows] == EXPECTED_ORDER
        finished = client.predict(api_name="/queue")["finished"]
        assert sorted(item["model"] for item in finished) == sorted(ALL)


def test_html_in_names_and_licenses_comes_back_as_the_same_text(app, client):
    license_ = "<script>alert('license')</script>"
    # Not a valid Hub id, so the files live under a safe folder; the name is in the files.
    with added_files(
        app,
        "evil-org/evil-model_eval_request_False_float16_Original.json",
        eval_request(HOSTILE, license=license_),
        "evil-org/evil-model/results_2024-06-01T12-00-00.000000.json",
        template_results(HOSTILE, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
    ):
        rows = poll(lambda: query(client, search="onerror"), lambda rows: len(rows) == 1)
        assert [(row["Model"], row["Hub License"], row["Average ⬆️"]) for row in rows] == [
            (HOSTILE, license_, 50.0)
        ]
        queued = client.predict(api_name="/queue")["finished"]
        assert HOSTILE in {item["model"] for item in queued}
