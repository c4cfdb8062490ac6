"""The project's own lm-eval tasks (the `sample` suite), as YAML + JSONL files in this folder.

Pass `TASKS_DIR` to lm-eval as `--include_path` (or `TaskManager(include_path=...)`). It is
found from the package itself, so it works from a clone with `src/` on `sys.path`.
"""

from pathlib import Path

TASKS_DIR = Path(__file__).resolve().parent

__all__ = ["TASKS_DIR"]
