"""Where a card side's HTML sits in the store's cache (docs/anki.md, "The HTML cache").

Apart from `flashcards.render`: an export whose sides are all cached finds
their HTML without loading the renderer (markdown-it, Pygments, nh3).
"""

from __future__ import annotations

import hashlib
from importlib.resources import files

# Bump when render.to_html's output changes for the same text: the export caches
# HTML in the store under this version, and a new version renders everything anew.
HTML_VERSION = 2  # 2: a side starting with `---` is a rule, not front matter


def cache_key(text: str) -> str:
    """The key of a side's HTML in the store's cache: its text and the HTML version."""
    return hashlib.sha256(f"{HTML_VERSION}\0{text}".encode()).hexdigest()[:32]


def note_css() -> str:
    """`render.note_css()` as shipped in flashcards/note.css, read without Pygments.

    Written by scripts/gen_note_css.py; tests/test_render.py checks it is current.
    """
    return (files("flashcards") / "note.css").read_text(encoding="utf-8")
