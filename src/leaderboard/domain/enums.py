"""The closed vocabularies of the leaderboard's files, each with a tolerant parser.

Files in the wild spell these many ways ("torch.float16", "🟢 : pretrained", "RERUN",
`model_type: []`); the parsers map every spelling we have seen to one member and never
raise on a value that merely looks old.
"""

from __future__ import annotations

import functools
from enum import StrEnum


class Status(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"

    @classmethod
    def parse(cls, raw: object) -> Status:
        """Legacy spellings: RERUN and PENDING_NEW_EVAL wait again; FINISHED*/FAILED* variants."""
        text = str(raw or "").strip().upper()
        if text in {"RERUN", "PENDING_NEW_EVAL", "PENDING"} or text.startswith("PENDING"):
            return cls.PENDING
        for status in (cls.FINISHED, cls.FAILED, cls.RUNNING):
            if text.startswith(status.value):
                return status
        if not text:
            return cls.PENDING
        raise ValueError(f"unknown status {raw!r}")


class Precision(StrEnum):
    FLOAT16 = "float16"
    BFLOAT16 = "bfloat16"
    FLOAT32 = "float32"
    INT8 = "8bit"
    INT4 = "4bit"
    GPTQ = "GPTQ"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, raw: object) -> Precision:
        text = str(raw or "").strip()
        text = text.removeprefix("torch.")
        return _PRECISION_ALIASES.get(text.lower(), cls.UNKNOWN)

    @classmethod
    def submittable(cls) -> tuple[Precision, ...]:
        return (cls.FLOAT16, cls.BFLOAT16, cls.INT8, cls.INT4, cls.GPTQ)


# Read once, not per parse: a cold build parses every file's precision and weight type.
_PRECISION_ALIASES = {
    "float16": Precision.FLOAT16,
    "fp16": Precision.FLOAT16,
    "half": Precision.FLOAT16,
    "bfloat16": Precision.BFLOAT16,
    "bf16": Precision.BFLOAT16,
    "float32": Precision.FLOAT32,
    "fp32": Precision.FLOAT32,
    "float": Precision.FLOAT32,
    "8bit": Precision.INT8,
    "int8": Precision.INT8,
    "4bit": Precision.INT4,
    "int4": Precision.INT4,
    "gptq": Precision.GPTQ,
}


class WeightType(StrEnum):
    ORIGINAL = "Original"
    DELTA = "Delta"
    ADAPTER = "Adapter"

    @classmethod
    def parse(cls, raw: object) -> WeightType:
        return _WEIGHT_TYPES.get(str(raw or "").strip().lower(), cls.ORIGINAL)


class ModelType(StrEnum):
    """Values are the labels the Open LLM Leaderboard shows; `symbol` is the "T" column."""

    PRETRAINED = "🟢 pretrained"
    CONTINUOUSLY_PRETRAINED = "🟩 continuously pretrained"
    FINE_TUNED = "🔶 fine-tuned on domain-specific datasets"
    CHAT = "💬 chat models (RLHF, DPO, IFT, ...)"
    MERGE = "🤝 base merges and moerges"
    MULTIMODAL = "🌸 multimodal"
    UNKNOWN = "❓ other"

    @property
    def symbol(self) -> str:
        return self.value.split(" ", 1)[0]

    @property
    def short(self) -> str:
        """The plain word used in search (`@type:chat`) and on the command line."""
        return _SHORT_NAMES[self]

    @classmethod
    def parse(cls, raw: object) -> ModelType:
        if isinstance(raw, list | tuple):  # `"model_type": []` in old template files
            raw = raw[0] if raw else ""
        return _model_type_of(str(raw or ""))

    @classmethod
    def from_short(cls, short: str) -> ModelType:
        for member, name in _SHORT_NAMES.items():
            if name == short:
                return member
        raise ValueError(f"unknown model type {short!r}; known: {', '.join(_SHORT_NAMES.values())}")


_SHORT_NAMES = {
    ModelType.PRETRAINED: "pretrained",
    ModelType.CONTINUOUSLY_PRETRAINED: "continuously-pretrained",
    ModelType.FINE_TUNED: "fine-tuned",
    ModelType.CHAT: "chat",
    ModelType.MERGE: "merge",
    ModelType.MULTIMODAL: "multimodal",
    ModelType.UNKNOWN: "other",
}

# Order matters: "continuously pretrained" also contains "pretrained".
_PARSE_RULES: tuple[tuple[ModelType, tuple[str, ...]], ...] = (
    (ModelType.CONTINUOUSLY_PRETRAINED, ("🟩", "continuously")),
    (ModelType.PRETRAINED, ("🟢", "pretrained", "pre-trained")),
    (ModelType.FINE_TUNED, ("🔶", "fine-tuned", "finetuned", "fine-tune")),
    (ModelType.CHAT, ("💬", "⭕", "🟦", "chat", "instruction", "rl-tuned", "rlhf")),
    (ModelType.MERGE, ("🤝", "merge")),
    (ModelType.MULTIMODAL, ("🌸", "multimodal")),
)


_WEIGHT_TYPES = {member.value.lower(): member for member in WeightType}


@functools.lru_cache(maxsize=1024)  # a store holds a few distinct spellings, read per file
def _model_type_of(raw: str) -> ModelType:
    text = raw.strip().lower().replace(" ", "").replace("_", "-")
    if text:
        for member, needles in _PARSE_RULES:
            if any(needle in text for needle in needles):
                return member
    return ModelType.UNKNOWN
