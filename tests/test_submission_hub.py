"""Submissions of models that live on the Hub, inspected through the real `huggingface_hub`
client against `hub_server` (a Hub stand-in on loopback: the real Hub cannot be reached here).

The stand-in derives `cardData`, `license:` tags and the `safetensors` parameter count from a
model repo's files as the Hub does; these tests check the inspection reads them, pins the
revision to the commit, refuses private and gated models, never downloads weights, and turns
every Hub failure into a message for the submitter.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from leaderboard.stores import LocalStore
from leaderboard.submission import (
    Accepted,
    ModelFinder,
    Policy,
    Refusal,
    SubmissionForm,
    Submitter,
)
from leaderboard.submission.hub_source import HubModelSource

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


def model_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture
def hub(hub_server, tiny_model):
    hub_server.create_repo("hub-org/tiny", "model", files=model_files(tiny_model), likes=7)
    return hub_server


def pipeline(hub, tmp_path, *, endpoint: str | None = None) -> Submitter:
    source = HubModelSource(
        endpoint=endpoint or hub.url, token=None, cache_dir=tmp_path / "hub-models"
    )
    return Submitter(
        LocalStore(tmp_path / "queue"),
        ModelFinder(hub=source),
        Policy(rate_limit=None),
        clock=lambda: NOW,
    )


def form(model: str = "hub-org/tiny", **fields) -> SubmissionForm:
    return SubmissionForm(model=model, **{"model_type": "chat", **fields})


def test_a_hub_model_is_pinned_to_its_commit_and_its_weights_are_never_downloaded(hub, tmp_path):
    outcome = pipeline(hub, tmp_path).submit(form(use_chat_template=True), sender="alice")
    assert isinstance(outcome, Accepted), outcome
    request = outcome.request
    assert request.revision == hub.head("hub-org/tiny", "model")
    assert (request.likes, request.license, request.architectures) == (
        7,
        "apache-2.0",
        "LlamaForCausalLM",
    )
    assert 0.0003 < request.params < 0.0005  # 375,264 parameters, from the Hub's count
    assert "license:apache-2.0" in request.tags
    assert hub.requests(path=r"/resolve/.*\.safetensors") == []
    assert hub.requests(path=r"/resolve/.*config\.json")  # the description files were fetched


def test_an_older_commit_stays_pinned_after_the_branch_moves(hub, tmp_path, tiny_model):
    old = hub.head("hub-org/tiny", "model")
    hub.add_token("hf_writer", "hub-org")
    readme = (tiny_model / "README.md").read_text() + "\nA new paragraph.\n"
    HfApi(endpoint=hub.url, token="hf_writer").upload_file(
        path_or_fileobj=readme.encode(),
        path_in_repo="README.md",
        repo_id="hub-org/tiny",
        repo_type="model",
    )
    new = hub.head("hub-org/tiny", "model")
    assert new != old
    submitter = pipeline(hub, tmp_path)
    pinned = submitter.submit(form(revision=old, precision="float16"), sender="me")
    assert isinstance(pinned, Accepted), pinned
    assert pinned.request.revision == old
    latest = submitter.submit(form(precision="bfloat16"), sender="me")
    assert isinstance(latest, Accepted), latest
    assert latest.request.revision == new


def test_inspection_is_cached_per_model_and_commit(hub, tmp_path):
    submitter = pipeline(hub, tmp_path)
    assert isinstance(submitter.submit(form(precision="float16"), sender="me"), Accepted)
    downloads = len(hub.requests("GET", r"/resolve/"))
    assert isinstance(submitter.submit(form(precision="bfloat16"), sender="me"), Accepted)
    assert len(hub.requests("GET", r"/resolve/")) == downloads


@pytest.mark.parametrize(
    ("setup", "submitted", "message"),
    [
        (
            {"private": True},
            form("hub-org/secret"),
            "hub-org/secret was not found on the Hub. Check the spelling; private models cannot "
            "be evaluated.",
        ),
        (
            {"gated": "manual"},
            form("hub-org/secret"),
            "hub-org/secret is gated on the Hub; gated models cannot be evaluated here. Remove "
            "the gate or ask the leaderboard's operator.",
        ),
        (
            None,
            form("hub-org/nowhere"),
            "hub-org/nowhere was not found on the Hub. Check the spelling; private models cannot "
            "be evaluated.",
        ),
        (
            None,
            form(revision="v9"),
            "hub-org/tiny has no revision 'v9' on the Hub; give a branch, tag or commit that "
            "exists.",
        ),
    ],
    ids=["private", "gated", "missing", "unknown revision"],
)
def test_models_that_cannot_be_evaluated_are_refused_with_the_reason(
    hub, tmp_path, tiny_model, setup, submitted, message
):
    if setup is not None:
        hub.create_repo("hub-org/secret", "model", files=model_files(tiny_model), **setup)
    queue = tmp_path / "queue"
    outcome = pipeline(hub, tmp_path).submit(submitted, sender="me")
    assert outcome == Refusal("not-found", message)
    assert not any(queue.rglob("*.json"))


def test_hub_failures_become_messages_and_write_nothing(hub, tmp_path):
    hub.inject("GET", r"/api/models/hub-org/tiny", status=500, times=1)
    outcome = pipeline(hub, tmp_path).submit(form(), sender="me")
    assert outcome == Refusal(
        "not-found", "The Hub answered 500 when looking up hub-org/tiny; try again later."
    )
    unreachable = pipeline(hub, tmp_path, endpoint="http://127.0.0.1:9").submit(form(), sender="me")
    assert isinstance(unreachable, Refusal)
    assert unreachable.message.startswith("The Hub could not be reached to look up hub-org/tiny")
    assert not any((tmp_path / "queue").rglob("*.json"))


def test_the_request_file_matches_the_local_format(hub, tmp_path):
    outcome = pipeline(hub, tmp_path).submit(form(), sender="bob")
    assert isinstance(outcome, Accepted)
    written = json.loads((tmp_path / "queue" / outcome.path).read_text())
    assert written["model"] == "hub-org/tiny"
    assert written["status"] == "PENDING"
    assert written["sender"] == "bob"
