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
    for name in ("false-string", "true-string"):
        shutil.copytree(tiny_model, models / "flag-org" / name)
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


# --- `/submit` takes any JSON: each value is checked for its type and its size -----------

MEGABYTE = 1024 * 1024
CHOSEN = {"model": "flag-org/false-string", "model_type": "chat"}  # all fine but what is set


@pytest.fixture(scope="module")
def client(app) -> Client:
    return Client(app.url, verbose=False)


@pytest.mark.parametrize(
    ("sent", "model", "stored"),
    [("false", "flag-org/false-string", False), (" TRUE ", "flag-org/true-string", True)],
)
def test_submit_endpoint_reads_the_chat_template_strings_as_bools(app, client, sent, model, stored):
    before = queue_files(app.queue)
    accepted = client.predict(
        model=model, model_type="chat", use_chat_template=sent, api_name="/submit"
    )
    assert accepted.startswith(f"✅ {model} at commit "), accepted
    path = f"{model}_eval_request_False_float16_Original.json"
    assert set(queue_files(app.queue)) - set(before) == {path}
    assert json.loads((app.queue / path).read_text())["use_chat_template"] is stored


API_REFUSALS = [
    # (case id, what is sent, the exact answer or how it starts)
    *(
        (
            f"use_chat_template={sent!r}",
            {"use_chat_template": sent},
            f"❌ The `use_chat_template` field must be true or false, not {shown}.",
        )
        for sent, shown in [
            ("yes please", "'yes please'"),
            (1.5, "float"),
            (1, "int"),
            ([], "list"),
            ({}, "dict"),
        ]
    ),
    *(
        (
            f"{field}={sent!r}",
            {field: sent},
            f"❌ The `{field}` field must be text (a string), not {type(sent).__name__}.",
        )
        for field, sent in [
            ("model", 5),
            ("model", ["flag-org/false-string"]),
            ("model", {"id": "flag-org/false-string"}),
            ("model", True),
            ("revision", 5),
            ("revision", []),
            ("revision", {}),
            ("precision", 16),
            ("weight_type", ["Original"]),
            ("base_model", {}),
            ("model_type", 1.5),
        ]
    ),
    (
        "1 MB revision",
        {"revision": "r" * MEGABYTE},
        "❌ The revision '" + "r" * 79 + "…' (1,048,576 characters) is too long",
    ),
    (
        "1 MB model id",
        {"model": "flag-org/" + "m" * MEGABYTE},
        "❌ The model id is 1048585 characters long; the Hub allows at most 96.",
    ),
]


@pytest.mark.parametrize(
    ("sent", "answer"),
    [case[1:] for case in API_REFUSALS],
    ids=[case[0] for case in API_REFUSALS],
)
def test_submit_endpoint_refuses_bad_values_briefly_and_writes_nothing(app, client, sent, answer):
    before = queue_files(app.queue)
    refused = client.predict(**{**CHOSEN, **sent}, api_name="/submit")
    assert refused.startswith(answer), refused[:300]
    assert len(refused) < 300
    assert queue_files(app.queue) == before
