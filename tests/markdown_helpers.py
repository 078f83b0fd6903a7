"""Markdown helpers for tests only (not part of the library)."""

from __future__ import annotations

from collections.abc import Iterator

from flashcards.mdit import tokens as markdown_tokens


def fenced_code(text: str) -> Iterator[tuple[str, str, int]]:
    """(language info, code, line) of every fenced block: for tests that run deck code."""
    for tok in markdown_tokens(text):
        if tok.type == "fence" and tok.map:
            yield tok.info.strip(), tok.content, tok.map[0] + 1
