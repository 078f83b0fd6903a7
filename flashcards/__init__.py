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
from flashcards.parser import parse

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
