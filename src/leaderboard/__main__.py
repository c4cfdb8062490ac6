"""`python -m leaderboard ...`: the command line (see `leaderboard.cli`)."""

import sys

from leaderboard.cli import main

sys.exit(main())
