"""Where a card side's HTML sits in the store's cache (docs/anki.md, "The HTML cache").

Apart from `flashcards.render`: an export whose sides are all cached finds
their HTML without loading the renderer (markdown-it, Pygments, nh3).
tests/test_html_golden.py ties HTML_VERSION to a golden rendering
(tests/fixtures/html-golden.json; docs/testing.md says how to re-record it).
"""

from __future__ import annotations

import hashlib

# Bump when render.to_html's output changes for the same text: the export caches
# HTML in the store under this version, and a new version renders everything anew.
HTML_VERSION = 2  # 2: a side starting with `---` is a rule, not front matter


# The hash of the version's prefix, taken once: each key copies it and adds the text
# (the same digest as hashing the prefix and the text together, a third faster).
_PREFIX = hashlib.sha256(f"{HTML_VERSION}\0".encode())


def cache_key(text: str) -> str:
    """The key of a side's HTML in the store's cache: its text and the HTML version,
    ``sha256(f"{HTML_VERSION}\\0{text}")``, 32 hex digits."""
    digest = _PREFIX.copy()
    digest.update(text.encode())
    return digest.hexdigest()[:32]
