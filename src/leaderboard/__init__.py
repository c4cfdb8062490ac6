"""An Open LLM Leaderboard you can run anywhere (see README.md and DESIGN.md)."""

__version__ = "0.1.0"
