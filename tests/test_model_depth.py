"""Issue 12, sections 2-5, end to end: two tiny models evaluated by the real worker on the real
lm-evaluation-harness (with `--log_samples`), served by the real app; the model page, the
per-sample viewer and the compare view over HTTP (`/model`, `/samples`, `/compare`), from the
command line, and in headless Chromium, with a hostile samples file shown as text."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import start_app, stop_app, write_json
from leaderboard.demo_model import build_tiny_model
from leaderboard.domain import Status
from leaderboard.stores import LocalStore
from leaderboard.suites import CI_Z, get_suite
from leaderboard.suites.model import normalized_stderr
from leaderboard.table import TableLoader
from test_browser import Visitor
from test_worker import current, run_worker_once, settings_for, submit

SUITE = get_suite("sample")
ALPHA, BETA, HOSTILE = "tiny-org/alpha", "tiny-org/beta", "evil-org/hostile"
IMG = '<img src=x onerror="alert(1)">'
SCRIPT = "<script>alert(2)</script>"
MARKDOWN = "**bold** [a link](https://evil.example) $x^2$"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def hostile_samples() -> bytes:
    """A samples file an attacker wrote: markup in every text, and lines that are not
    samples at all (skipped with their reasons)."""
    line = {
        "doc_id": 0,
        "doc": {"question": IMG},
        "target": SCRIPT,
        "arguments": {"gen_args_0": {"arg_0": f"Question: {IMG}\nAnswer:", "arg_1": {}}},
        "resps": [[MARKDOWN]],
        "filtered_resps": [MARKDOWN],
        "filter": "none",
        "metrics": ["exact_match"],
        "exact_match": 0.0,
    }
    lines = [json.dumps(line), "not json", json.dumps([1, 2]), json.dumps({**line, "doc_id": 1})]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, tiny_model) -> Iterator[dict]:
    """alpha and beta (two tiny models of different seeds) evaluated by `worker --once`; a
    hostile model's results and samples planted beside them; the app serving the stores."""
    from leaderboard.submission import LocalModelSource, ModelFinder

    root = tmp_path_factory.mktemp("model-depth")
    models = root / "models"
    shutil.copytree(tiny_model, models / "tiny-org" / "alpha")
    build_tiny_model(models / "tiny-org" / "beta", seed=1)
    finder = ModelFinder(local=LocalModelSource(models))
    queue, results = LocalStore(root / "queue"), LocalStore(root / "results")
    requests = [submit(queue, finder, name) for name in (ALPHA, BETA)]
    settings = settings_for(root, models)
    for _ in requests:
        done = run_worker_once(settings)
        assert done.returncode == 0, done.stderr[-3000:]
    finished = [current(queue, request) for request in requests]
    reasons = [r.failure_reason for r in finished]
    assert [r.status for r in finished] == [Status.FINISHED] * 2, reasons
    # The hostile model: alpha's results under its name, and an attacker's samples.
    data = json.loads(results.read(finished[0].results_path))
    data["config"]["model_name"] = HOSTILE
    write_json(root / "results", f"{HOSTILE}/results_2026-01-01T00-00-00.000000.json", data)
    hostile_path = f"{HOSTILE}/details_2026-01-01T00-00-00.000000/samples_sample_gen.jsonl"
    results.write(hostile_path, hostile_samples())
    env = {
        "LEADERBOARD_QUEUE": str(root / "queue"),
        "LEADERBOARD_RESULTS": str(root / "results"),
        "LEADERBOARD_CACHE_DIR": str(root / "cache"),
        "LEADERBOARD_SUITE": "sample",
        "HF_HUB_OFFLINE": "1",
        "HF_TOKEN": "",
        "GRADIO_TEMP_DIR": str(root / "gradio_tmp"),
    }
    process, url = start_app(env)
    try:
        yield {
            "url": url,
            "root": root,
            "settings": settings,
            "results": results,
            "requests": finished,
            "hostile_path": hostile_path,
            "env": env,
        }
    finally:
        stop_app(process)


@pytest.fixture(scope="module")
def client(evaluated) -> Client:
    return Client(evaluated["url"], verbose=False)


def details_of(evaluated: dict, model: str) -> dict[str, list[dict]]:
    """task -> the samples the worker published for `model`, read straight from the folder."""
    folder = Path(evaluated["root"]) / "results" / model
    return {
        path.stem.removeprefix("samples_"): read_jsonl(path)
        for path in folder.glob("details_*/samples_*.jsonl")
    }


def results_file(evaluated: dict, index: int) -> dict:
    return json.loads(evaluated["results"].read(evaluated["requests"][index].results_path))


# --- section 1 on a real run: the board's interval is the file's stderr --------------------------


def test_the_boards_interval_is_the_stderr_in_the_results_file(evaluated):
    data = results_file(evaluated, 0)
    board = (
        TableLoader(
            LocalStore(Path(evaluated["root"]) / "results"),
            LocalStore(Path(evaluated["root"]) / "queue"),
            evaluated["settings"],
            use_cache=False,
        )
        .load()
        .board("sample")
    )
    row = board.set_index("model").loc[ALPHA]
    mc_stderr = data["results"]["sample_mc"]["acc_norm_stderr,none"]
    gen_stderr = data["results"]["sample_gen"]["exact_match_stderr,none"]
    # The harness wrote both (the tiny model answers no generation right: its stderr is 0).
    assert mc_stderr > 0 and gen_stderr >= 0
    assert row["sample_mc_ci"] == pytest.approx(CI_Z * normalized_stderr(mc_stderr, 0.25))
    assert row["sample_gen_ci"] == pytest.approx(CI_Z * normalized_stderr(gen_stderr, 0.0))
    mc_se, gen_se = normalized_stderr(mc_stderr, 0.25), normalized_stderr(gen_stderr, 0.0)
    both = (mc_se**2 + gen_se**2) ** 0.5
    assert row["average_ci"] == pytest.approx(CI_Z * both / 2)


# --- section 2 and 5: the model page as data -----------------------------------------------------


def test_the_model_api_gives_scores_ranks_provenance_command_files(evaluated, client):
    page = client.predict(model=ALPHA, api_name="/model")
    data = results_file(evaluated, 0)
    request = evaluated["requests"][0]
    assert (page["model"], page["precision"], page["suite"]) == (ALPHA, "bfloat16", "sample")
    scores = {line["key"]: line for line in page["benchmarks"]}
    raw = data["results"]["sample_mc"]["acc_norm,none"]
    assert scores["sample_mc"]["raw"] == pytest.approx(raw)
    assert scores["sample_mc"]["score"] == pytest.approx(max(0.0, (raw - 0.25) / 0.75) * 100)
    assert scores["sample_mc"]["estimated"] is False
    assert page["standings"][0]["group"] == "all models"
    assert page["standings"][0]["of"] == 3  # alpha, beta and the planted one
    provenance = page["provenance"]
    assert provenance["harness"] == f"lm-eval {data['lm_eval_version']}"
    assert provenance["git_hash"] == (data["git_hash"] or "")  # null outside a git checkout
    tasks = {t["task"]: t for t in provenance["tasks"]}
    assert tasks["sample_mc"]["hash"] == data["task_hashes"]["sample_mc"]
    assert tasks["sample_mc"]["n_shot"] == 0
    assert provenance["device"] == "cpu" and provenance["evaluation_seconds"] > 0
    assert f"revision={request.revision}" in page["command"]
    assert "--tasks sample_mc,sample_gen" in page["command"] or "sample_mc" in page["command"]
    assert "trust_remote_code=True" not in page["command"]
    assert page["results_path"] == request.results_path
    assert page["log_path"] == request.log_path
    assert sorted(d["task"] for d in page["details"]) == ["sample_gen", "sample_mc"]
    assert page["request"]["sender"] == "tester"
    assert page["hub_url"] == f"https://huggingface.co/{ALPHA}"


def test_the_cli_prints_the_same_record_as_the_api(evaluated, client):
    env = {**evaluated["env"], "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    printed = subprocess.run(
        [sys.executable, "-m", "leaderboard", "model", ALPHA, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == client.predict(model=ALPHA, api_name="/model")
    text = subprocess.run(
        [sys.executable, "-m", "leaderboard", "model", ALPHA],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert text.returncode == 0 and text.stdout.startswith(f"{ALPHA} (bfloat16)")
    assert "± " in text.stdout and "lm_eval run" in text.stdout
    unknown = subprocess.run(
        [sys.executable, "-m", "leaderboard", "model", "nobody/nothing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unknown.returncode != 0 and "No model `nobody/nothing`" in unknown.stderr


def test_an_unknown_model_is_a_message_not_a_failure(client):
    with pytest.raises(AppError, match="No model `nobody/nothing`"):
        client.predict(model="nobody/nothing", api_name="/model")
    with pytest.raises(AppError, match="has no 8bit row"):
        client.predict(model=ALPHA, precision="8bit", api_name="/model")


# --- section 3: the per-sample viewer ------------------------------------------------------------


def test_the_samples_api_pages_filters_and_searches(evaluated, client):
    page = client.predict(model=ALPHA, api_name="/model")
    mc = next(d["file"] for d in page["details"] if d["task"] == "sample_mc")
    lines = details_of(evaluated, ALPHA)["sample_mc"]
    right = sum(line["acc_norm"] == 1.0 for line in lines)  # the metric the board shows
    first = client.predict(model=ALPHA, task=mc, api_name="/samples")
    assert (first["total"], first["pages"], len(first["samples"])) == (50, 3, 20)
    assert first["metric"] == "acc_norm"
    assert first["samples"][0]["prompt"] == lines[0]["arguments"]["gen_args_0"]["arg_0"]
    assert first["samples"][0]["choices"] == [
        lines[0]["arguments"][f"gen_args_{i}"]["arg_1"] for i in range(4)
    ]
    correct = client.predict(model=ALPHA, task=mc, outcome="correct", api_name="/samples")
    wrong = client.predict(model=ALPHA, task=mc, outcome="incorrect", api_name="/samples")
    assert (correct["matching"], wrong["matching"]) == (right, 50 - right)
    question = lines[7]["doc"]["question"]
    found = client.predict(model=ALPHA, task=mc, search=question.upper(), api_name="/samples")
    assert [s["doc_id"] for s in found["samples"]] == [lines[7]["doc_id"]]
    one = client.predict(model=ALPHA, task=mc, doc_id=12, api_name="/samples")
    assert [s["doc_id"] for s in one["samples"]] == [12]
    last = client.predict(model=ALPHA, task=mc, page=99, api_name="/samples")
    assert last["page"] == 3 and len(last["samples"]) == 10  # clamped to the last page
    with pytest.raises(AppError, match="not one of the model's samples files"):
        client.predict(model=ALPHA, task="../../etc/passwd", api_name="/samples")
    with pytest.raises(AppError, match="not one of the model's samples files"):
        client.predict(model=BETA, task=mc, api_name="/samples")  # another model's file


def test_the_results_store_serves_its_files_as_inert_text(evaluated):
    request = evaluated["requests"][0]
    base = evaluated["url"] + "gradio_api/results-file/"
    with urllib.request.urlopen(base + quote(request.results_path)) as response:
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert json.loads(response.read()) == results_file(evaluated, 0)
    with urllib.request.urlopen(base + quote(request.log_path)) as response:
        assert response.headers["content-type"].startswith("text/plain")
    for bad, status in [("..%2F..%2Fetc%2Fpasswd.json", 400), ("app.py", 404), ("x/y.json", 404)]:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + bad)
        assert refused.value.code == status, bad


# --- section 4: compare -------------------------------------------------------------------------


def test_compare_pairs_the_two_models_samples(evaluated, client):
    result = client.predict(models=[ALPHA, BETA], api_name="/compare")
    assert [m["model"] for m in result["models"]] == [ALPHA, BETA]
    average = result["scores"][0]
    assert average["key"] == "average" and average["differences"][0] is None
    difference = average["differences"][1]
    assert difference["difference"] == pytest.approx(average["scores"][1] - average["scores"][0])
    assert difference["significant"] == (abs(difference["difference"]) > difference["half_width"])
    paired = {p["task"]: p for p in result["paired"]}
    assert set(paired) == {"sample_mc", "sample_gen"}
    mc = paired["sample_mc"]
    assert mc["metric"] == "acc_norm"  # the metric the suite scores the task by
    mine = {line["doc_id"]: line["acc_norm"] for line in details_of(evaluated, ALPHA)["sample_mc"]}
    theirs = {line["doc_id"]: line["acc_norm"] for line in details_of(evaluated, BETA)["sample_mc"]}
    only_alpha = sorted(d for d in mine if mine[d] == 1 and theirs[d] == 0)
    only_beta = sorted(d for d in mine if mine[d] == 0 and theirs[d] == 1)
    test = mc["test"]
    assert test["method"] == "McNemar (exact)" and test["n"] == 50
    assert (test["only_a"], test["only_b"]) == (only_alpha, only_beta)
    assert test["agreement"] == pytest.approx(sum(mine[d] == theirs[d] for d in mine) / 50)
    with pytest.raises(AppError, match="Compare 2 to 4 models"):
        client.predict(models=[ALPHA], api_name="/compare")


# --- in the browser ------------------------------------------------------------------------------


def test_a_board_name_opens_its_model_page_and_samples(evaluated, browser):
    visitor = Visitor(browser, evaluated["url"])
    try:
        page = visitor.open()
        page.evaluate("() => { window.__samePage = true; }")
        page.locator("#instant-board a.lb-page", has_text=ALPHA).click()
        page.wait_for_selector("#model-page h2")
        assert page.evaluate("() => window.__samePage === true")  # opened without a reload
        assert page.locator("#model-page h2").inner_text() == ALPHA
        assert "model=tiny-org%2Falpha" in page.url
        scores = page.locator("#model-page table").first.inner_text()
        assert "Average" in scores and "± " in scores
        assert page.locator("#model-page pre").inner_text().startswith("lm_eval run")
        page.wait_for_selector("#sample-page tbody tr")
        assert page.locator("#sample-page tbody tr").count() == 20
        task = page.locator("#sample-page p").first.inner_text().split(":", 1)[0]
        metric = "acc_norm" if task == "sample_mc" else "exact_match"
        wrong = sum(line[metric] == 0.0 for line in details_of(evaluated, ALPHA)[task])
        assert wrong < 50  # the filter changes what is shown
        page.locator("#sample-outcome").get_by_label("incorrect").check()
        page.wait_for_function(
            "(text) => document.querySelector('#sample-page p')?.innerText.includes(text)",
            arg=f"{task}: {wrong} of 50 samples shown",
        )
        assert page.locator("#sample-page tbody tr").count() == min(wrong, 20)
        page.go_back()  # the board again, as it was
        page.wait_for_selector("#instant-board tbody tr.lb-row", state="visible")
        assert "model=" not in page.url
        visitor.check_and_close()
    finally:
        visitor.context.close()


def test_a_compare_link_shows_the_table_the_chart_and_opens_a_sample(evaluated, browser):
    visitor = Visitor(browser, evaluated["url"])
    try:
        page = visitor.page
        page.goto(evaluated["url"] + "?" + urlencode({"compare": f"{ALPHA},{BETA}"}))
        page.wait_for_selector("#compare-page table")
        header = page.locator("#compare-page thead").first.inner_text()
        assert ALPHA in header and BETA in header
        assert "significant" in page.locator("#compare-page tbody").first.inner_text()
        page.wait_for_selector("#compare-chart .js-plotly-plot")
        traces = page.evaluate(
            "() => document.querySelector('#compare-chart .js-plotly-plot').data.map(t => t.name)"
        )
        assert traces == [f"{ALPHA} (bfloat16)", f"{BETA} (bfloat16)"]
        links = page.locator("#compare-page a[href*='sample=']")
        if links.count():  # the two models differ on some sample: open it in the viewer
            href = links.first.get_attribute("href")
            page.goto(evaluated["url"] + href)
            page.wait_for_selector("#sample-page tbody tr")
            doc = href.rsplit("sample=", 1)[1]
            assert page.locator("#sample-page tbody tr").count() == 1
            assert page.locator("#sample-page tbody tr").get_attribute("data-doc") == doc
        visitor.check_and_close()
    finally:
        visitor.context.close()


def test_hostile_samples_show_as_text(evaluated, browser):
    visitor = Visitor(browser, evaluated["url"])
    try:
        page = visitor.page
        query = urlencode({"model": HOSTILE, "task": evaluated["hostile_path"]})
        page.goto(evaluated["url"] + "?" + query)
        page.wait_for_selector("#sample-page tbody tr")
        viewer = page.locator("#sample-page")
        text = viewer.inner_text()
        assert IMG in text and SCRIPT in text and MARKDOWN in text
        assert "2 unreadable lines were skipped" in text
        for tag in ("img", "script", "strong", "em"):
            assert viewer.locator(tag).count() == 0, tag
        assert viewer.locator("a").count() == 0  # no autolink from a model's answer
        assert page.locator("#model-page h2").inner_text() == HOSTILE
        assert visitor.dialogs == [] and visitor.errors == []
    finally:
        visitor.context.close()
