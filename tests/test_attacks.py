"""Issue 9, played as the attacker did: hostile files in the stores, hostile links and
searches, hostile queue entries, on real stores, the real app (over HTTP and in headless
Chromium, where nothing outside 127.0.0.1 may be fetched and no dialog may open) and real
`worker --once` cycles with the real harness.

Each test names the attack of the issue it replays; before the fix each of them failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import REPO, copy_demo_stores, eval_request, start_app, stop_app, write_json
from leaderboard.backend.worker import Worker
from leaderboard.config import Settings
from leaderboard.domain import EvalRequest, Status
from leaderboard.local_models import LocalModels
from leaderboard.stores import LocalStore
from test_table import EXPECTED_ORDER
from test_worker import settings_for, worker_env

DEMO_MODELS = 12
UNREADABLE = 8  # the five malformed requests, the `²` file, and two with no usable value
V1_TASKS = ("arc:challenge", "hellaswag", "mmlu", "truthfulqa:mc", "winogrande", "gsm8k")
V1_METRICS = ("acc_norm", "acc_norm", "acc", "mc2", "acc", "acc")
# Request files whose one malformed field used to stop the app, its refreshes, /submit for
# the namespace and every worker (TypeError / OverflowError / ValueError, uncaught).
MALFORMED_REQUESTS = {
    "tagsorg/tags-int": {"tags": 5},
    "tagsorg/tags-bool": {"tags": True},
    "tagsorg/likes-inf": {"likes": "inf"},
    "tagsorg/attempts-inf": {"attempts": "Infinity"},
    "tagsorg/progress-inf": {"progress": {"done": "inf"}},
}
HOSTILE_NAMES = {
    "url": "https://evil.example/login",
    "www": "www.evil.example",
    "mail": "victim@evil.example",
    "quote": "it's a model",
    "katex": "$$x^2$$ model",
    "html": "<img src=//evil.example/t2.png>",
    "long": "L" * 100_000,
}
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def template_results(model: str, value: float | dict[str, float] = 0.5) -> dict:
    """A results file of the template format covering the six v1 benchmarks."""
    values = value if isinstance(value, dict) else dict.fromkeys(V1_TASKS, value)
    return {
        "config": {"model_name": model, "model_sha": COMMIT, "model_dtype": "torch.float16"},
        "results": {
            task: {metric: values[task]} for task, metric in zip(V1_TASKS, V1_METRICS, strict=True)
        },
    }


def request_path(model: str) -> str:
    return f"{model}_eval_request_False_float16_Original.json"


def plant_hostile_files(queue: Path, results: Path) -> None:
    """The files an attacker with write access to a store (or a dataset PR) puts there."""
    for model, fields in MALFORMED_REQUESTS.items():
        write_json(queue, request_path(model), {**eval_request(model), **fields})
    v1 = {"config_general": {"model_name": "v1org/superscript"}, "results": {}}
    v1["results"]["harness|arc:challenge|²"] = {"acc_norm": 0.5}
    write_json(results, "v1org/superscript/results_2024-01-01T00-00-00.json", v1)
    for key, name in HOSTILE_NAMES.items():
        write_json(results, f"names/{key}/results_2024-01-01T00-00-00.json", template_results(name))
    write_json(results, "range/over/results_2024-01-01T00-00-00.json", template_results("r/o", 1.5))
    write_json(
        results, "range/huge/results_2024-01-01T00-00-00.json", template_results("r/h", 1e308)
    )
    partly = dict.fromkeys(V1_TASKS, 0.5) | {"gsm8k": 7.0}
    write_json(
        results, "range/partly/results_2024-01-01T00-00-00.json", template_results("r/p", partly)
    )


def app_env(queue: Path, results: Path, root: Path, **extra: str) -> dict[str, str]:
    return {
        "LEADERBOARD_QUEUE": str(queue),
        "LEADERBOARD_RESULTS": str(results),
        "LEADERBOARD_CACHE_DIR": str(root / "cache"),
        "LEADERBOARD_REFRESH_SECONDS": "1",
        "HF_HOME": str(root / "hf_home"),
        "HF_HUB_OFFLINE": "1",
        "HF_TOKEN": "",
        "GRADIO_TEMP_DIR": str(root / "gradio_tmp"),
        **extra,
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, tiny_model) -> Iterator[tuple[str, Path, Path, Path]]:
    """`python app.py` over the embedded data plus every hostile file above; the tiny model
    as `tagsorg/fresh` in LEADERBOARD_LOCAL_MODELS. Yields (url, queue, results, log file)."""
    root = tmp_path_factory.mktemp("hostile_app")
    queue, results = copy_demo_stores(root)
    plant_hostile_files(queue, results)
    models = root / "models"
    shutil.copytree(tiny_model, models / "tagsorg" / "fresh")
    process, url = start_app(app_env(queue, results, root, LEADERBOARD_LOCAL_MODELS=str(models)))
    yield url, queue, results, root
    stop_app(process)


@pytest.fixture(scope="module")
def hostile_windows(tmp_path_factory) -> Iterator[str]:
    """The same hostile files, served by the board table's other source: windows of rows."""
    root = tmp_path_factory.mktemp("hostile_windows")
    queue, results = copy_demo_stores(root)
    plant_hostile_files(queue, results)
    process, url = start_app(app_env(queue, results, root, LEADERBOARD_BROWSER_ROWS="0"))
    yield url
    stop_app(process)


@pytest.fixture(params=["page", "windows"])
def hostile_url(request) -> str:
    """The hostile app's URL, once per source of the board table's rows."""
    if request.param == "page":
        return request.getfixturevalue("hostile")[0]
    return request.getfixturevalue("hostile_windows")


def client_for(url: str):
    from gradio_client import Client

    return Client(url, verbose=False)


def query(url: str, **arguments) -> list[dict]:
    return client_for(url).predict(api_name="/query", **arguments)


# --- 1. one malformed field stops the app, its refreshes, /submit and the workers --------------


def test_the_app_serves_every_good_file_beside_hostile_ones(hostile):
    url, _, _, _ = hostile
    models = {row["Model"] for row in query(url, board="v1")}
    assert {model for model, _ in EXPECTED_ORDER} <= models
    assert set(HOSTILE_NAMES.values()) <= models  # shown as text, see the browser test
    status = client_for(url).predict(api_name="/queue")
    unreadable = {item["file"]: item["reason"] for item in status["unreadable"]}
    for model, fields in MALFORMED_REQUESTS.items():
        (field,) = fields
        assert f"field `{field}" in unreadable[request_path(model)], unreadable
    assert "shot count '²'" in unreadable["v1org/superscript/results_2024-01-01T00-00-00.json"]


def test_a_refresh_still_folds_in_a_new_good_file(hostile):
    url, _, results, _ = hostile
    write_json(
        results, "fresh/model/results_2024-02-02T00-00-00.json", template_results("fresh/model")
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "fresh/model" in {row["Model"] for row in query(url, board="v1", search="fresh")}:
            return
        time.sleep(0.5)
    pytest.fail("the new results file never reached the board")


def test_submit_works_for_a_namespace_that_holds_a_malformed_request(hostile):
    url, queue, _, _ = hostile
    message = client_for(url).predict(
        "tagsorg/fresh", "main", "bfloat16", "Original", "", "chat", False, api_name="/submit"
    )
    assert message.startswith("✅ tagsorg/fresh at commit "), message
    assert (queue / request_path("tagsorg/fresh").replace("float16", "bfloat16")).exists()


def test_status_shows_the_unreadable_files_with_their_reasons(hostile):
    _, queue, results, root = hostile
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEADERBOARD_")},
        **app_env(queue, results, root / "status"),
        "PYTHONPATH": str(REPO / "src"),
    }
    command = [sys.executable, "-m", "leaderboard", "status"]
    text = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert text.returncode == 0, text.stderr
    assert f"UNREADABLE ({UNREADABLE})" in text.stdout
    assert "queue: tagsorg/likes-inf_eval_request_False_float16_Original.json" in text.stdout
    as_json = subprocess.run([*command, "--json"], env=env, capture_output=True, timeout=120)
    unreadable = json.loads(as_json.stdout)["unreadable"]
    assert {item["store"] for item in unreadable} == {"queue", "results"}
    assert len(unreadable) == UNREADABLE


# --- 7. out-of-range scores are ranked --------------------------------------------------------


def test_out_of_range_values_are_left_out_and_never_ranked(hostile):
    url, _, _, _ = hostile
    rows = {row["Model"]: row for row in query(url, board="v1")}
    assert "r/o" not in rows and "r/h" not in rows  # nothing usable: skipped with the reason
    partly = rows["r/p"]
    assert partly["GSM8K"] is None and partly["ARC"] == 50.0  # the other values count
    assert partly["Average ⬆️"] is None
    assert max(row["Average ⬆️"] or 0 for row in rows.values()) <= 100
    status = client_for(url).predict(api_name="/queue")
    reasons = {item["file"]: item["reason"] for item in status["unreadable"]}
    assert "is outside 0..1" in reasons["range/over/results_2024-01-01T00-00-00.json"]


# --- 6. searches can starve the app -------------------------------------------------------------


def test_huge_searches_are_refused_and_a_plain_query_still_answers(hostile):
    from gradio_client import Client

    url, _, _, _ = hostile
    errors: list[str] = []

    def flood(text: str) -> None:
        try:
            Client(url, verbose=False).predict(text, api_name="/query")
        except Exception as exc:  # the refusal arrives as an error, with our message
            errors.append(str(exc))

    threads = [threading.Thread(target=flood, args=("a " * 48_000,)) for _ in range(8)]
    threads.append(threading.Thread(target=flood, args=("x" * 1_000_000,)))
    for thread in threads:
        thread.start()
    rows = query(url, board="v1")
    for thread in threads:
        thread.join(timeout=120)
    assert len(rows) > DEMO_MODELS
    assert len(errors) == 9
    assert all("search" in error.lower() and len(error) < 600 for error in errors), errors


# --- 8. uploads ---------------------------------------------------------------------------------


def post(url: str, data: bytes) -> int:
    """The status of a POST, or 0 when the server closed the connection mid-body."""
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/octet-stream")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError):
        return 0


def test_there_is_no_upload_route_and_bodies_are_bounded(hostile):
    url, _, _, root = hostile
    assert post(url + "gradio_api/upload", b"x" * 1000) == 404
    assert post(url + "gradio_api/upload", b"x" * 60_000_000) in (0, 404)
    assert post(url + "gradio_api/queue/join", b"{" + b" " * 5_000_000 + b"}") in (0, 413)
    kept = [p for p in (root / "gradio_tmp").rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in kept) < 1_000_000, "an upload was kept on disk"


# --- 3, 4, 8. links, names and searches in the browser -----------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize(
    "search",
    [
        "@<img/src=//evil.example/t1.png>",
        '@<a href="//evil.example">sign in</a>',
        "@<form action=//evil.example><input name=p><button>Sign in</button></form>",
    ],
    ids=["img", "link", "form"],
)
def test_a_shared_search_link_cannot_put_html_on_the_page(browser, hostile_url, search):
    from urllib.parse import quote

    from test_browser import Visitor

    url = hostile_url
    visitor = Visitor(browser, url)
    try:
        page = visitor.open("?search=" + quote(search))
        page.wait_for_function("() => (window.__toasts ?? []).length > 0")
        toasts = visitor.toasts()
        assert any("`@<" in toast for toast in toasts), toasts  # the search, shown as its text
        inside = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="toast-text"]')]
                 .map(t => t.querySelectorAll('img, a, form, input, button').length)"""
        )
        assert inside and max(inside) == 0, "the toast rendered HTML"
        assert visitor.refused == [], "the page fetched something outside the app"
        assert visitor.dialogs == [] and visitor.errors == []
    finally:
        visitor.context.close()


@pytest.mark.browser
def test_hostile_model_names_show_as_their_characters(browser, hostile_url):
    from test_browser import Visitor, read_view

    url = hostile_url
    visitor = Visitor(browser, url)
    try:
        page = visitor.open("?search=evil;model;LLLL")
        page.wait_for_function(
            "n => document.querySelectorAll("
            "'#instant-board tbody tr.lb-row:not(.lb-loading)').length >= n",
            arg=len(HOSTILE_NAMES),
        )
        view = read_view(page)
        column = view.headers.index("Model")
        shown = {row[column] for row in view.rows}
        for key, name in HOSTILE_NAMES.items():
            if key == "long":
                assert "L" * 99 + "…" in shown
            else:
                assert name in shown, (name, shown)
        links = page.evaluate(
            "() => [...document.querySelectorAll('#instant-board a.lb-hub')].map(a => a.href)"
        )
        assert all(link.startswith("https://huggingface.co/") for link in links), links
        # Every other link is a model page's, on this app: `?model=` with the name encoded,
        # or one of the view's downloads, on this app too.
        pages = page.evaluate(
            "() => [...document.querySelectorAll('#instant-board a:not(.lb-hub)')]"
            ".map(a => [a.className, a.getAttribute('href'), a.origin === location.origin])"
        )
        downloads = [
            (href.split("?")[0], same) for kind, href, same in pages if kind == "lb-download"
        ]
        assert downloads == [
            (f"gradio_api/board-export/v1.{f}", True) for f in ("csv", "parquet", "json")
        ]
        pages = [link for link in pages if link[0] != "lb-download"]
        assert pages and all(
            kind == "lb-page" and href.startswith("?model=") and same for kind, href, same in pages
        ), pages
        assert page.locator("#instant-board .katex").count() == 0
        titles = page.evaluate(
            "() => [...document.querySelectorAll('#instant-board [title]')]"
            ".map(e => e.getAttribute('title').length)"
        )
        assert max(titles) == 2_000  # the long name, in full up to the cap, on hover
        # Read in one step inside the page: a redraw (the page's load events) may replace the
        # header between a locator's wait and its measurement.
        average_x = page.wait_for_function(
            """() => {
                const th = document.querySelector('#instant-board thead th[data-key="average"]');
                const box = th && th.getBoundingClientRect();
                return box && box.width > 0 ? box.x : null;
            }"""
        ).json_value()
        assert average_x < 1200, "a long name pushed the scores away"
        assert visitor.refused == [] and visitor.dialogs == [] and visitor.errors == []
    finally:
        visitor.context.close()


# --- 2, 5. the worker ---------------------------------------------------------------------------


def worker_once(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leaderboard", "worker", "--once"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def pending(model: str, minutes_ago: int, **fields) -> dict:
    submitted = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        **eval_request(model, status="PENDING", precision="bfloat16", submitted_time=submitted),
        **fields,
    }


def read_request(queue: Path, relative: str) -> EvalRequest:
    return EvalRequest.from_json(json.loads((queue / relative).read_text()))


def test_hostile_queue_entries_never_stop_the_worker(tmp_path, tiny_model):
    """Oldest first: a malformed request, one naming `../../../x`, one whose results folder is
    a link out of the store, and last a good one. One `worker --once` fails or skips each bad
    one with its reason, exits 0, and the next cycle evaluates the good one."""
    queue, results, models = tmp_path / "queue", tmp_path / "results", tmp_path / "models"
    for name in ("linked", "good"):
        shutil.copytree(tiny_model, models / "evil-org" / name)
    sha = {
        name: LocalModels(models).content_sha(models / "evil-org" / name)
        for name in ("linked", "good")
    }
    write_json(queue, request_path("evil-org/tags"), pending("evil-org/tags", 40, tags=5))
    traversal = request_path("evil-org/traversal").replace("float16", "bfloat16")
    write_json(queue, traversal, pending("../../../x", 30, precision="bfloat16"))
    linked = request_path("evil-org/linked").replace("float16", "bfloat16")
    write_json(queue, linked, pending("evil-org/linked", 20, revision=sha["linked"]))
    good = request_path("evil-org/good").replace("float16", "bfloat16")
    write_json(queue, good, pending("evil-org/good", 10, revision=sha["good"]))
    outside = tmp_path / "outside"
    outside.mkdir()
    (results / "evil-org").mkdir(parents=True)
    os.symlink(outside, results / "evil-org" / "linked")
    env = worker_env(settings_for(tmp_path, models))

    first = worker_once(env, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    refused = read_request(queue, traversal)
    assert refused.status is Status.FAILED and "no valid model" in refused.failure_reason
    assert not list(tmp_path.glob("x*")) and not (tmp_path.parent / "x").exists()
    failed = read_request(queue, linked)
    assert failed.status is Status.FAILED, failed
    assert "symbolic link" in failed.failure_reason
    assert list(outside.iterdir()) == [], "the worker wrote through the link"
    assert json.loads((queue / request_path("evil-org/tags")).read_text())["status"] == "PENDING"

    second = worker_once(env, tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout.strip() == "finished evil-org/good"
    finished = read_request(queue, good)
    published = json.loads((results / finished.results_path).read_text())
    assert published["config"]["model_sha"] == sha["good"]  # the commit actually loaded


def test_reconcile_survives_a_link_where_results_would_be(tmp_path):
    """A RUNNING request whose lease expired, its results path behind a link: reconcile
    takes it back instead of failing every cycle."""
    queue, results = tmp_path / "queue", tmp_path / "results"
    outside = tmp_path / "outside"
    outside.mkdir()
    (results / "evil-org").mkdir(parents=True)
    os.symlink(outside, results / "evil-org" / "linked")
    old = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    running = eval_request(
        "evil-org/linked",
        status="RUNNING",
        worker="gone:1",
        heartbeat=old,
        job_start_time="2024-01-01T00:00:00.000000Z",
        attempts=1,
    )
    write_json(queue, request_path("evil-org/linked"), running)
    settings = Settings(queue=str(queue), results=str(results), cache_dir=str(tmp_path / "c"))
    worker = Worker(LocalStore(queue), LocalStore(results), settings)
    changed = worker.queue.reconcile(max_attempts=3, published=worker._published)
    assert [r.status for r in changed] == [Status.PENDING]


def test_a_request_cannot_make_the_worker_evaluate_a_folder_of_its_working_directory(
    tmp_path, tiny_model
):
    """`outside/secret-model` with a made-up commit, and the worker's working directory
    holding `./outside/secret-model`: the harness runs in an empty folder of its own, so the
    model can only come from the Hub at that commit (unreachable here): FAILED, nothing
    published. A branch name instead of a commit is refused before anything runs."""
    queue, results, models = tmp_path / "queue", tmp_path / "results", tmp_path / "models"
    models.mkdir()
    workdir = tmp_path / "workdir"
    shutil.copytree(tiny_model, workdir / "outside" / "secret-model")
    secret = request_path("outside/secret-model").replace("float16", "bfloat16")
    write_json(queue, secret, pending("outside/secret-model", 20, revision="f" * 40))
    branch = request_path("outside/branch").replace("float16", "bfloat16")
    write_json(queue, branch, pending("outside/branch", 10, revision="main"))
    env = worker_env(settings_for(tmp_path, models))

    first = worker_once(env, workdir)
    assert first.returncode == 0, first.stderr[-3000:]
    failed = read_request(queue, secret)
    assert failed.status is Status.FAILED, failed
    assert not list(results.rglob("results_*.json")), (
        "a folder of the working directory was evaluated"
    )
    second = worker_once(env, workdir)
    assert second.returncode == 0, second.stderr[-3000:]
    refused = read_request(queue, branch)
    assert refused.status is Status.FAILED and "is not a commit" in refused.failure_reason


def test_a_bug_while_evaluating_fails_that_request_and_the_cycle_returns(tmp_path, monkeypatch):
    queue, results = tmp_path / "queue", tmp_path / "results"
    path = request_path("evil-org/buggy").replace("float16", "bfloat16")
    write_json(queue, path, pending("evil-org/buggy", 5))
    settings = Settings(queue=str(queue), results=str(results), cache_dir=str(tmp_path / "c"))
    worker = Worker(LocalStore(queue), LocalStore(results), settings)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the worker")

    monkeypatch.setattr(worker, "_spec", broken)
    (outcome,) = worker.run_cycle()
    assert outcome.outcome.value == "failed"
    failed = read_request(queue, path)
    assert failed.status is Status.FAILED
    assert failed.failure_reason == "the worker failed: RuntimeError: a bug in the worker"
