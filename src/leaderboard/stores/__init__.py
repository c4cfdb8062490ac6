"""Stores hold the queue (request files) and the results (results files)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from leaderboard.stores.base import (
    ANY_VERSION,
    FileWrite,
    Store,
    StoredFile,
    safe_relative_path,
)
from leaderboard.stores.local import LocalStore

if TYPE_CHECKING:
    from leaderboard.config import Settings

HUB_PREFIX = "hf://"


def open_store(location: str, settings: Settings | None = None) -> Store:
    """A store for a setting's value: a folder, or `hf://datasets/<org>/<name>` (on the Hub
    of `settings.hub_endpoint`, with `settings.hub_token`, mirrored under the cache folder)."""
    if not location.startswith(HUB_PREFIX):
        return LocalStore(location)
    from leaderboard.config import Settings
    from leaderboard.stores.hub import HubStore, parse_location

    settings = settings or Settings()
    repo = parse_location(location)
    key = hashlib.sha256(f"{settings.hub_endpoint}\n{repo}".encode()).hexdigest()[:16]
    mirror = Path(settings.cache_dir) / "hub-mirror" / f"{repo.replace('/', '--')}-{key}"
    return HubStore(
        location,
        endpoint=settings.hub_endpoint,
        token=settings.hub_token or None,
        mirror_dir=mirror,
    )


__all__ = [
    "ANY_VERSION",
    "FileWrite",
    "LocalStore",
    "Store",
    "StoredFile",
    "open_store",
    "safe_relative_path",
]
