"""pytest integration: the `hub_server` fixture (a fresh loopback Hub per test), `serve_hub`
for tests that want their own, and the switch that lets `huggingface_hub` go online."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from .server import HubServer


def allow_hub_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the suite's offline switch for tests that talk to a loopback Hub.

    `huggingface_hub` reads HF_HUB_OFFLINE once, at import, into `constants.HF_HUB_OFFLINE`,
    and refuses every request while it is true: removing the variable is not enough.
    """
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@contextlib.contextmanager
def serve_hub(**options: object) -> Iterator[HubServer]:
    """A started `HubServer` for the duration of the block."""
    server = HubServer(**options)  # type: ignore[arg-type]
    with server:
        yield server


@pytest.fixture
def hub_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """A fresh loopback Hub per test, with the client allowed online. Other test modules get it
    with `pytest_plugins = ["hub_server"]` in the root conftest, or by wrapping `serve_hub`."""
    allow_hub_requests(monkeypatch)
    with serve_hub() as server:
        yield server
    assert not server.internal_errors, server.internal_errors
