"""Where submitted models are found: a local folder the operator allows, or the Hub.

Both sources answer the same two questions: `locate` (is the model there at that revision,
which commit is it, may it be evaluated at all) and `description_folder` (a local folder
holding its config, tokenizer and card, never its weights). `ModelFinder` asks the local
folder first, then the Hub, and caches what inspection learns per (model, commit).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson

from leaderboard.local_models import LocalModels
from leaderboard.submission.facts import (
    DESCRIPTION_FILES,
    LoadCheck,
    LocatedModel,
    ModelFacts,
    ModelLookupError,
    parameter_count,
    parameters_by_dtype,
    read_card,
    read_safetensors_header,
)
from leaderboard.submission.load_check import run_load_check

log = logging.getLogger(__name__)
_FOLDER = "\x00folder\x00"  # stands for the model's folder in cached load-check messages


class LocalModelSource(LocalModels):
    """Submitted models found in the operator's local model folder (`LocalModels`)."""

    def locate(self, repo_id: str, revision: str) -> LocatedModel:
        folder = self.folder(repo_id)
        if folder is None:
            raise ModelLookupError(f"{repo_id} is not in the local model folder.")
        sha = self.content_sha(folder)
        if revision != "main" and not (len(revision) >= 7 and sha.startswith(revision)):
            raise ModelLookupError(
                f"The local model {repo_id} has no revision {revision!r}: a local folder has "
                f"one revision, `main` (commit {sha[:7]})."
            )
        return LocatedModel(repo_id, revision, sha, "local")

    def description_folder(self, located: LocatedModel) -> Path:
        folder = self.folder(located.repo_id)
        if folder is None:  # removed since it was located
            raise ModelLookupError(f"{located.repo_id} is no longer in the local model folder.")
        return folder

    def parameters_by_dtype(self, located: LocatedModel) -> dict[str, int] | None:
        """From the safetensors headers on disk; None when there are no safetensors weights."""
        folder = self.description_folder(located)
        files = sorted(folder.glob("*.safetensors"))
        if not files:
            return None
        try:
            return parameters_by_dtype(read_safetensors_header(path) for path in files)
        except (OSError, ValueError) as exc:
            log.info("Unreadable safetensors in %s: %s", folder, exc)
            return None


class ModelFinder:
    """Locates submitted models (local folder first, then the Hub) and inspects them."""

    def __init__(
        self,
        *,
        local: LocalModelSource | None = None,
        hub: object | None = None,  # a HubModelSource; typed loosely to keep the Hub optional
        load_check: Callable[[Path], LoadCheck] = run_load_check,
    ):
        self.local = local
        self.hub = hub
        self.load_check = load_check
        self._facts: dict[tuple[str, str], ModelFacts] = {}
        self._loads: dict[str, LoadCheck] = {}
        self._lock = threading.Lock()

    def _source_for(self, located: LocatedModel):
        return self.local if located.source == "local" else self.hub

    def locate(self, repo_id: str, revision: str) -> LocatedModel:
        if self.local is not None and self.local.folder(repo_id) is not None:
            return self.local.locate(repo_id, revision)
        if self.hub is None:
            raise ModelLookupError(
                f"{repo_id} is not in the local model folder, and this leaderboard does not "
                "look models up on the Hub."
            )
        return self.hub.locate(repo_id, revision)

    def inspect(self, located: LocatedModel) -> ModelFacts:
        """Everything the rules need; cached per (model, commit)."""
        key = (located.repo_id, located.sha)
        with self._lock:
            cached = self._facts.get(key)
        if cached is not None:
            return cached
        facts = self._inspect(located)
        with self._lock:
            self._facts[key] = facts
        return facts

    def _inspect(self, located: LocatedModel) -> ModelFacts:
        source = self._source_for(located)
        folder = source.description_folder(located)
        config = _read_json(folder / "config.json")
        card_path = folder / "README.md"
        card = (
            read_card(card_path.read_text(encoding="utf-8", errors="replace"))
            if card_path.is_file()
            else None
        )
        by_dtype = source.parameters_by_dtype(located)
        params_b = (
            parameter_count(by_dtype, packed_bits=_packed_bits(config)) / 1e9 if by_dtype else None
        )
        return ModelFacts(
            located=located,
            params_b=params_b,
            license=located.license or (card.license if card else ""),
            tags=tuple(dict.fromkeys((*located.tags, *(card.tags if card else ())))),
            card_text=card.text if card else None,
            folder=folder,
            is_adapter=_read_json(folder / "adapter_config.json") is not None,
        )

    def check_loads(self, facts: ModelFacts) -> ModelFacts:
        """`facts` with `load` filled in: a child process loads config and tokenizer."""
        if facts.load is not None:
            return facts
        load = self._load_check(facts.folder)
        name = facts.located.repo_id
        load = replace(
            load,
            config_error=load.config_error.replace(_FOLDER, name),
            tokenizer_error=load.tokenizer_error.replace(_FOLDER, name),
        )
        checked = replace(facts, load=load)
        with self._lock:
            self._facts[(facts.located.repo_id, facts.located.sha)] = checked
        return checked

    def _load_check(self, folder: Path) -> LoadCheck:
        """Cached by the description files' contents: identical copies are checked once."""
        digest = hashlib.sha1()
        for name in DESCRIPTION_FILES:
            path = folder / name
            if name == "README.md":  # the card does not change what loads
                continue
            if path.is_file():
                digest.update(name.encode() + b"\0" + path.read_bytes())
        key = digest.hexdigest()
        with self._lock:
            known = self._loads.get(key)
        if known is None:
            known = self.load_check(folder)
            # Messages name the model, never a server path; the model's name is put back later.
            known = replace(
                known,
                config_error=known.config_error.replace(str(folder), _FOLDER),
                tokenizer_error=known.tokenizer_error.replace(str(folder), _FOLDER),
            )
            with self._lock:
                self._loads[key] = known
        return known


def _read_json(path: Path) -> dict | None:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _packed_bits(config: dict | None) -> int | None:
    """GPTQ's bits per weight, from `quantization_config`; None when weights are not packed."""
    quantization = (config or {}).get("quantization_config")
    if not isinstance(quantization, dict):
        return None
    if str(quantization.get("quant_method", "")).lower() not in {"gptq", "awq"}:
        return None
    bits = quantization.get("bits")
    return int(bits) if isinstance(bits, int) and bits in {2, 3, 4, 8} else 4
