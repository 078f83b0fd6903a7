"""Spaced-repetition flashcards written in Markdown.

The library API, in the order data flows: parse Markdown, sync it into a
store, schedule and review cards, export to Anki. Import what you need from
here; the submodules are the implementation.
"""

from flashcards.model import (
    DeckFile,
    FlashcardsError,
    Note,
    NoteKind,
    Problem,
    ProblemsError,
    Severity,
)

__all__ = [
    "DeckFile",
    "FlashcardsError",
    "Note",
    "NoteKind",
    "Problem",
    "ProblemsError",
    "Severity",
    "parse",
]


def __getattr__(name: str):
    # `parse` loads markdown-it and PyYAML; importing it on first use keeps them
    # out of commands that never parse (`flashcards --help`, review, status).
    if name == "parse":
        from flashcards.parser import parse

        return parse
    raise AttributeError(f"module 'flashcards' has no attribute {name!r}")
