"""Hugging Face Space entry point: `python app.py` serves the leaderboard.

With no configuration it serves the embedded default: the local `eval-queue/` and
`eval-results/` folders beside this file. Settings: LEADERBOARD_* variables (README.md).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "src"))
os.chdir(ROOT)  # the default stores are relative to the project

from leaderboard.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["serve"]))
