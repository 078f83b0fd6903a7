"""What a note's text makes of cards: the cloze syntax and the ordinals of each kind.

Shared by the parser (which checks and splits notes) and the doctor (which
recreates a stored note's missing cards): one rule set for both. Only the
standard library: no Markdown parsing here.
"""

from __future__ import annotations

import re

from flashcards.model import NoteKind

# {{cN::hidden text}} or {{cN::hidden text::hint}}; N numbers the card that hides it.
CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::((?:(?!\}\}).)*))?\}\}", re.S)
CLOZE_OPENING = re.compile(r"\{\{c(\d+)::")
# Near misses that are almost certainly meant as clozes: one colon, capital C.
CLOZE_TYPO = re.compile(r"\{\{c\d+:(?!:)|\{\{C\d+::")


def cloze_numbers(text: str) -> set[int]:
    """The cloze numbers used in ``text``: one card per number."""
    return {int(match.group(1)) for match in CLOZE.finditer(text)}


def ordinals(kind: NoteKind | str, question: str, answer: str) -> tuple[int, ...]:
    """The card ordinals a note yields: 1; 1 and 2 when reversed; its cloze numbers."""
    if kind == NoteKind.CLOZE:
        return tuple(sorted(cloze_numbers(f"{question}\n{answer}"))) or (1,)
    return (1, 2) if kind == NoteKind.REVERSED else (1,)
