"""Markdown text -> notes. The only module that knows the card syntax.

The parser works on text; the path is used only in messages. It never raises
for bad input: everything it finds is returned as a Problem with a line, so
one pass reports every mistake in a file. docs/format.md describes the syntax.

The parts: ``notes`` (headings and bodies -> notes, each note's sides as tokens),
``front_matter`` (the YAML header), ``checks`` (problems and the checks that make
them), ``cloze_display`` (a cloze card's sides as text).
"""

from __future__ import annotations

from flashcards.parser.checks import (
    MAX_ANSWER_WORDS,
    MAX_CODE_LINES,
    MAX_QUESTION_WORDS,
    NORUN_MARKERS,
)
from flashcards.parser.cloze_display import cloze_answers, cloze_back, cloze_front
from flashcards.parser.front_matter import FRONT_MATTER_KEYS
from flashcards.parser.notes import EXPLICIT_ID, META_COMMENT, SideTokens, parse, parse_with_sides

__all__ = [
    "EXPLICIT_ID", "FRONT_MATTER_KEYS", "MAX_ANSWER_WORDS", "MAX_CODE_LINES",
    "MAX_QUESTION_WORDS", "META_COMMENT", "NORUN_MARKERS", "SideTokens", "cloze_answers",
    "cloze_back", "cloze_front", "parse", "parse_with_sides",
]
