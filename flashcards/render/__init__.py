"""Card Markdown rendered for its two readers: Anki (HTML) and the terminal.

- ``html``: `to_html`, `cacheable_html` and the note types' `note_css` (nh3, Pygments);
- ``terminal``: `to_terminal_markdown`, for rich;
- ``latex``: LaTeX as Unicode, for the terminal (pylatexenc);
- ``sanitize``: `strip_control`, the one sanitizer every deck string passes
  before it reaches a terminal.

The names below load their module on first use, so the review screen, which
needs only the terminal side, never loads nh3 or Pygments.
"""

from __future__ import annotations

from importlib import import_module

__all__ = ["cacheable_html", "note_css", "strip_control", "to_html", "to_terminal_markdown"]

_HOME = {"cacheable_html": "html", "note_css": "html", "to_html": "html",
         "strip_control": "sanitize", "to_terminal_markdown": "terminal"}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(import_module(f"flashcards.render.{_HOME[name]}"), name)
    raise AttributeError(f"module 'flashcards.render' has no attribute {name!r}")
