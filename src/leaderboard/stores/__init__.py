"""Stores hold the queue (request files) and the results (results files)."""

from __future__ import annotations

from leaderboard.errors import ConfigError
from leaderboard.stores.base import ANY_VERSION, Store, StoredFile, safe_relative_path
from leaderboard.stores.local import LocalStore

HUB_PREFIX = "hf://"


def open_store(location: str) -> Store:
    """A store for a setting's value: a folder, or `hf://datasets/<org>/<name>`."""
    if location.startswith(HUB_PREFIX):
        raise ConfigError(
            f"{location}: stores in Hugging Face dataset repos are not available in this "
            "version yet; use a local folder."
        )
    return LocalStore(location)


__all__ = ["ANY_VERSION", "LocalStore", "Store", "StoredFile", "open_store", "safe_relative_path"]
