"""What a note's text makes of cards: the cloze syntax and the ordinals of each kind.

Shared by the parser (which checks and splits notes) and the doctor (which
recreates a stored note's missing cards): one rule set for both. Only the
standard library: no Markdown parsing here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flashcards.model import NoteKind

# An opening `{{cN::`; N numbers the card that hides the text up to the closing `}}`.
# Nine digits at most: a longer number is a mistake (and int() of 100k digits is slow).
MAX_CLOZE_DIGITS = 9
CLOZE_OPENING = re.compile(r"\{\{c(\d{1,9})::")  # MAX_CLOZE_DIGITS
# Near misses that are almost certainly meant as clozes: a capital C, a missing
# number, one colon. Every match starts at a literal `{{`, and `\d*:*` cannot
# backtrack into itself, so the scan is linear. `cloze_typos` keeps the real ones.
_CLOZE_LIKE = re.compile(r"\{\{([cC])(\d*)(:*)")


@dataclass(frozen=True)
class Cloze:
    """One `{{cN::answer}}` or `{{cN::answer::hint}}` in a text, by character offsets."""

    start: int  # of its `{{`
    end: int  # after its `}}`
    number: int
    answer: str
    hint: str | None


def scan_clozes(text: str) -> tuple[list[Cloze], int | None]:
    """Every cloze in ``text``, and the offset of the first opening never closed.

    Anki's reading: the answer ends at the first `::` (a hint follows, up to the
    next `}}`) or at the first `}}`. Each step searches forward from where the
    last one ended, so the whole scan is linear in the text (a regex with a lazy
    answer and an optional hint took 45 s on 4.8 KB of unclosed openings).
    """
    clozes: list[Cloze] = []
    position = 0
    while (start := text.find("{{c", position)) >= 0:
        opening = CLOZE_OPENING.match(text, start)  # reads only `{{c`, digits and `::`
        if opening is None:
            position = start + 1
            continue
        begin = opening.end()
        close = text.find("}}", begin)
        if close < 0:
            return clozes, start  # no `}}` after it: no later opening closes either
        separator = text.find("::", begin, close)
        if separator < 0:
            answer, hint = text[begin:close], None
        else:
            answer, hint = text[begin:separator], text[separator + 2 : close]
        clozes.append(Cloze(start, close + 2, int(opening.group(1)), answer, hint))
        position = close + 2
    return clozes, None


def cloze_typos(text: str) -> Iterator[int]:
    """Offsets of near misses such as `{{c1:x}}`, `{{C1::x}}` or `{{c::x}}`."""
    for match in _CLOZE_LIKE.finditer(text):
        letter, digits, colons = match.groups()
        if colons and not (letter == "c" and 0 < len(digits) <= MAX_CLOZE_DIGITS
                           and len(colons) >= 2):
            yield match.start()


def cloze_numbers(text: str) -> set[int]:
    """The cloze numbers used in ``text``: one card per number."""
    return {cloze.number for cloze in scan_clozes(text)[0]}


def replace_clozes(text: str, replace: Callable[[Cloze], str]) -> str:
    """``text`` with every cloze replaced by ``replace(cloze)``."""
    parts, position = [], 0
    for cloze in scan_clozes(text)[0]:
        parts += [text[position : cloze.start], replace(cloze)]
        position = cloze.end
    parts.append(text[position:])
    return "".join(parts)


def ordinals(kind: NoteKind | str, question: str, answer: str) -> tuple[int, ...]:
    """The card ordinals a note yields: 1; 1 and 2 when reversed; its cloze numbers."""
    if kind == NoteKind.CLOZE:
        return tuple(sorted(cloze_numbers(f"{question}\n{answer}"))) or (1,)
    return (1, 2) if kind == NoteKind.REVERSED else (1,)
