"""The Gradio UI: one module per tab; nothing outside `ui` imports it."""

from leaderboard.ui.app import build_app, serve, start_schedule

__all__ = ["build_app", "serve", "start_schedule"]
