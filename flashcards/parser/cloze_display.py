"""A cloze note's sides as text: one cloze hidden or revealed, the others shown."""

from __future__ import annotations

from flashcards.cards import replace_clozes, scan_clozes


def cloze_front(text: str, number: int) -> str:
    """The text with cloze `number` hidden as [...] (or [hint]) and the others shown."""
    return replace_clozes(
        text, lambda c: f"[{c.hint or '...'}]" if c.number == number else c.answer)


def cloze_back(text: str, number: int) -> str:
    """The text with cloze `number` revealed in bold and the others shown plainly."""
    return replace_clozes(text, lambda c: f"**{c.answer}**" if c.number == number else c.answer)


def cloze_answers(text: str) -> frozenset[str]:
    """The hidden parts of every cloze, the "answer side" of a cloze note."""
    return frozenset(cloze.answer.strip() for cloze in scan_clozes(text)[0])
