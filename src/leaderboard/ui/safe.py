"""Showing text that came from outside (a file, a form, a URL, a search) as text.

Gradio renders the message of `gr.Warning`, `gr.Info` and `gr.Error` toasts as HTML, so a
message that quotes what someone typed or shared could put a form or an image on our page.
Every toast goes through here. Tables show such text in plain-text cells (the board table
sets every cell with `textContent`).
"""

from __future__ import annotations

import html

import gradio as gr

TOAST_CHARS = 500  # a toast is a line or two; the messages quote bounded previews anyway


def escaped(value: object) -> str:
    """Any value as text inside HTML (an element's text or an attribute's value)."""
    return html.escape("" if value is None else str(value), quote=True)


def as_text(message: str) -> str:
    """`message` escaped for an HTML context and cut to TOAST_CHARS."""
    cut = message if len(message) <= TOAST_CHARS else f"{message[: TOAST_CHARS - 1]}…"
    return html.escape(cut, quote=True)


def warn(message: str) -> None:
    gr.Warning(as_text(message))
