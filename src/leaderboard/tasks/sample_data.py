"""Loads the sample tasks' JSONL files for lm-eval, wherever the current directory is.

lm-eval hands `dataset_kwargs.data_files` to `datasets.load_dataset("json", ...)`, which reads a
relative path against the *current directory*, not the YAML file. The sample tasks therefore
name this function as their `custom_dataset` (`!function sample_data.load`, which lm-eval
resolves next to the YAML); it reads the same `data_files`, relative to this folder.

lm-eval imports this file by its path in the evaluation's child process: it must need nothing
but the standard library and `datasets` (no `leaderboard` import).
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def read_jsonl(path: str | Path) -> list[dict]:
    """The records of one JSONL file; a relative path is read from this folder."""
    path = Path(path)
    if not path.is_absolute():
        path = HERE / path
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load(data_files: dict[str, str] | None = None, **_metadata):
    """lm-eval's `custom_dataset` hook: `{split: file}` -> a `datasets.DatasetDict`.

    lm-eval calls it with the task's metadata and the model arguments as keywords too
    (`version`, `pretrained`, ...); those are ignored.
    """
    import datasets

    if not data_files:
        raise ValueError("the sample tasks need `dataset_kwargs.data_files: {split: file}`")
    return datasets.DatasetDict(
        {split: datasets.Dataset.from_list(read_jsonl(file)) for split, file in data_files.items()}
    )
