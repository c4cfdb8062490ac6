"""What inspecting a model tells the validation rules, whatever the model's source.

A source (the Hub, or a local folder) first *locates* a model at a revision (the resolved
commit, and whether it may be evaluated at all), then *inspects* it: size, license, card,
whether its config and tokenizer load without remote code, chat template. The reading of
files (safetensors headers, model cards) is pure and shared by both sources.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson
import yaml

from leaderboard.errors import LeaderboardError

# Files that describe a model without its weights: all that inspection ever reads.
DESCRIPTION_FILES = (
    "config.json",
    "adapter_config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "chat_template.json",
    "tokenizer.model",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "spiece.model",
    "README.md",
)
SAFETENSORS_HEADER_LIMIT = 100 * 1024 * 1024  # a header larger than this is not a real one


class ModelLookupError(LeaderboardError):
    """The model cannot be evaluated at all; the message says why, for the submitter."""


@dataclass(frozen=True)
class LocatedModel:
    """A model found at a revision: `sha` is the commit (or content hash) it resolves to."""

    repo_id: str
    revision: str
    sha: str
    source: str  # "hub" or "local"
    likes: int = 0
    license: str = ""
    tags: tuple[str, ...] = ()
    parameters: dict[str, int] | None = None  # per dtype, when the source knows (the Hub)


@dataclass(frozen=True)
class LoadCheck:
    """Whether config and tokenizer load with `trust_remote_code=False` (checked in a child)."""

    config_error: str = ""
    tokenizer_error: str = ""
    architectures: str = ""
    has_chat_template: bool = False


@dataclass(frozen=True)
class ModelFacts:
    located: LocatedModel
    params_b: float | None
    license: str
    tags: tuple[str, ...]
    card_text: str | None  # None: there is no model card
    folder: Path  # where its description files are (config, tokenizer, card)
    is_adapter: bool = False
    load: LoadCheck | None = None  # filled by `ModelFinder.check_loads`, which costs seconds


# --- safetensors ------------------------------------------------------------------------------


def read_safetensors_header(path: Path) -> dict:
    """The JSON header of a safetensors file: 8 bytes of length, then the JSON."""
    with open(path, "rb") as handle:
        raw_length = handle.read(8)
        if len(raw_length) != 8:
            raise ValueError(f"{path.name} is too short to be a safetensors file")
        (length,) = struct.unpack("<Q", raw_length)
        if length > SAFETENSORS_HEADER_LIMIT:
            raise ValueError(f"{path.name} has an implausible header length")
        header = orjson.loads(handle.read(length))
    if not isinstance(header, dict):
        raise ValueError(f"{path.name} has no tensor table")
    return header


def parameters_by_dtype(headers: Iterable[Mapping]) -> dict[str, int]:
    """Element counts per dtype over every tensor of every header (as the Hub reports them)."""
    counts: dict[str, int] = {}
    for header in headers:
        for name, tensor in header.items():
            if name == "__metadata__" or not isinstance(tensor, Mapping):
                continue
            shape = tensor.get("shape", [])
            dtype = str(tensor.get("dtype", "?"))
            counts[dtype] = counts.get(dtype, 0) + math.prod(int(d) for d in shape)
    return counts


def parameter_count(by_dtype: Mapping[str, int], *, packed_bits: int | None = None) -> int:
    """Parameters from dtype counts. GPTQ packs `32 / bits` weights into each I32 element."""
    total = 0
    for dtype, count in by_dtype.items():
        if packed_bits and dtype == "I32":
            total += count * (32 // packed_bits)
        else:
            total += count
    return total


# --- model cards ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardInfo:
    text: str  # the card without its YAML header
    license: str
    tags: tuple[str, ...]
    base_model: str


def read_card(text: str) -> CardInfo:
    """A model card (README.md): its YAML metadata header and its text, leniently."""
    metadata: dict = {}
    body = text
    if text.startswith("---"):
        parts = text.split("\n---", 1)
        if len(parts) == 2:
            header = parts[0].removeprefix("---")
            body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
            try:
                loaded = yaml.safe_load(header)
            except yaml.YAMLError:
                loaded = None
            metadata = loaded if isinstance(loaded, dict) else {}
    license_value = metadata.get("license", "")
    if isinstance(license_value, list):
        license_value = license_value[0] if license_value else ""
    if license_value in {"other", "unknown"} and metadata.get("license_name"):
        license_value = f"{license_value}: {metadata['license_name']}"
    tags = metadata.get("tags") or []
    base = metadata.get("base_model") or ""
    if isinstance(base, list):
        base = base[0] if base else ""
    return CardInfo(
        text=body.strip(),
        license=str(license_value or "").strip(),
        tags=tuple(str(t) for t in tags if isinstance(t, str | int)),
        base_model=str(base),
    )
