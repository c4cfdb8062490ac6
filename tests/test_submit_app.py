"""Submitting through the running app: the `/submit` endpoint with `gradio_client`, and the
Submit tab in headless Chromium, both against `python app.py` serving a local model folder.

Sign-in is bypassed by configuration (a local server accepts anonymous submissions, sender
`local`), as an operator running the app on a laptop has it; OAuth itself exists only on a
Hugging Face Space.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gradio_client import Client

from conftest import copy_demo_stores, start_app, stop_app

TIMEOUT_MS = 30_000


@dataclass
class App:
    url: str
    queue: Path


@pytest.fixture(scope="module")
def app(tmp_path_factory, tiny_model) -> Iterator[App]:
    root = tmp_path_factory.mktemp("submit-app")
    queue, results = copy_demo_stores(root)
    models = root / "models"
    for name in ("tiny-model", "browser-model", "api-model"):
        shutil.copytree(tiny_model, models / "tiny-org" / name)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HF_HUB_OFFLINE", "1")
        env.delenv("HF_TOKEN", raising=False)
        process, url = start_app(
            {
                "LEADERBOARD_QUEUE": str(queue),
                "LEADERBOARD_RESULTS": str(results),
                "LEADERBOARD_CACHE_DIR": str(root / "cache"),
                "LEADERBOARD_LOCAL_MODELS": str(models),
                "LEADERBOARD_REFRESH_SECONDS": "2",
            }
        )
    try:
        yield App(url, queue)
    finally:
        stop_app(process)


def queue_files(queue: Path) -> dict[str, bytes]:
    return {str(p.relative_to(queue)): p.read_bytes() for p in sorted(queue.rglob("*.json"))}


def test_submit_endpoint_queues_a_model_and_refuses_bad_ones(app):
    client = Client(app.url, verbose=False)
    before = queue_files(app.queue)
    refused = client.predict(model="tiny-org/api-model", model_type="", api_name="/submit")
    assert refused.startswith("❌ Choose the model type")
    refused = client.predict(
        model="tiny-org/api-model", model_type="chat", precision="float64", api_name="/submit"
    )
    assert refused == (
        "❌ Unknown precision 'float64'; choose one of: float16, bfloat16, 8bit, 4bit, GPTQ."
    )
    assert queue_files(app.queue) == before

    accepted = client.predict(
        model="tiny-org/api-model",
        model_type="pretrained",
        precision="bfloat16",
        api_name="/submit",
    )
    assert accepted.startswith("✅ tiny-org/api-model at commit ")
    assert accepted.endswith(
        "(bfloat16, Original) is queued for evaluation; follow it in the Queue tab."
    )
    path = "tiny-org/api-model_eval_request_False_bfloat16_Original.json"
    assert set(queue_files(app.queue)) - set(before) == {path}
    written = json.loads((app.queue / path).read_text())
    assert (written["status"], written["sender"], written["model_type"]) == (
        "PENDING",
        "local",
        "🟢 pretrained",
    )
    pending = client.predict(api_name="/queue")["pending"]
    assert [item["model"] for item in pending] == ["tiny-org/api-model"]


@pytest.mark.browser
def test_submit_tab_in_the_browser(app, browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app.url)
    page.get_by_role("tab", name="🚀 Submit").click()

    # A bad submission first: its reason is shown and nothing is written.
    before = queue_files(app.queue)
    page.locator("#submit-model textarea, #submit-model input").first.fill(
        "<img src=x onerror=alert(1)>/x"
    )
    choose(page, "#submit-model-type", "💬 chat models (RLHF, DPO, IFT, ...)")
    page.locator("#submit-button").click()
    result = page.locator("#submit-result textarea")
    result.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => document.querySelector('#submit-result textarea').value.startsWith('❌')",
        timeout=TIMEOUT_MS,
    )
    assert result.input_value() == (
        "❌ The model id '<img src=x onerror=alert(1)>/x' may only use letters, digits, `-`, "
        "`_` and `.`, and no part may start or end with `-` or `.`."
    )
    assert queue_files(app.queue) == before

    # A good one: the success message, then the new row in Pending and in My submissions.
    page.locator("#submit-model textarea, #submit-model input").first.fill("tiny-org/browser-model")
    choose(page, "#submit-precision", "4bit")
    page.locator("#submit-button").click()
    page.wait_for_function(
        "() => document.querySelector('#submit-result textarea').value.startsWith('✅')",
        timeout=TIMEOUT_MS,
    )
    assert "tiny-org/browser-model at commit" in result.input_value()
    assert "tiny-org/browser-model_eval_request_False_4bit_Original.json" in queue_files(app.queue)

    page.get_by_role("tab", name="🗂️ Queue").click()
    for section, title in (
        ("#queue-pending", "⏳ Pending ("),
        ("#queue-mine", "📬 My submissions ("),
    ):
        page.wait_for_function(
            """([section, model]) => [...document.querySelectorAll(section + ' [role=gridcell]')]
                .some(cell => cell.innerText.trim() === model)""",
            arg=[section, "tiny-org/browser-model"],
            timeout=TIMEOUT_MS,
        )
        assert title in page.locator(section).inner_text()
    assert errors == []
    page.close()


def choose(page, elem_id: str, option: str) -> None:
    """Pick `option` in a Gradio dropdown: open it, click the option."""
    page.locator(f"{elem_id} input").first.click()
    page.get_by_role("option", name=option, exact=True).click()
