"""The parser's problems: how they are collected (file:line:col), and the checks a
note's text gets (clozes, code in clozes, unclosed fences, length).
"""

from __future__ import annotations

import bisect
import re

from markdown_it.token import Token

from flashcards.cards import CLOZE_OPENING, cloze_numbers, cloze_typos, scan_clozes
from flashcards.model import Image, Problem, Severity

# Minimum information principle: an answer you cannot recall in about ten
# seconds is several cards. These limits make the checker say so.
MAX_ANSWER_WORDS = 60
MAX_QUESTION_WORDS = 40
MAX_CODE_LINES = 15
# Fence info words that mark a code block as a fragment not meant to run.
NORUN_MARKERS = frozenset({"norun", "no-run"})


class _Findings:
    """Collects problems for one file."""

    def __init__(self, path: str):
        self.path = path
        self.items: list[Problem] = []

    def error(self, line: int, message: str, column: int = 1) -> None:
        self.items.append(Problem(self.path, line, column, Severity.ERROR, message))

    def warning(self, line: int, message: str, column: int = 1) -> None:
        self.items.append(Problem(self.path, line, column, Severity.WARNING, message))



class _Located:
    """Text cut from the file at ``first_line`` (0-based): offsets to 1-based line, column."""

    def __init__(self, text: str, first_line: int):
        self.text = text
        self.first_line = first_line
        self._starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def error(self, found: _Findings, offset: int, message: str) -> None:
        row = bisect.bisect_right(self._starts, offset) - 1
        found.error(self.first_line + row + 1, message, offset - self._starts[row] + 1)


def _cloze_numbers(
    question: str, answer: str, lines: list[str], start: int, end: int, found: _Findings
) -> tuple[set[int], bool]:
    """The note's cloze numbers, and whether a marker is broken (each reported where it is).

    The markers are found in the note's lines as written, for their columns; the
    numbers in its question and answer, which the cards are made of.
    """
    if "{{" not in question and "{{" not in answer:
        return set(), False  # most cards have no clozes: skip the scans
    section = _Located("\n".join(lines[start:end]), start)
    typos = list(cloze_typos(section.text))
    for offset in typos:
        section.error(found, offset, "malformed cloze: write {{c1::answer}} (two colons)")
    clozes, unclosed = scan_clozes(section.text)
    for cloze in clozes:
        nested = CLOZE_OPENING.search(section.text, cloze.start + 1, cloze.end)
        if nested:
            section.error(found, nested.start(), "cloze inside a cloze: close the first "
                          "with }} before opening the next; clozes do not nest")
    if unclosed is not None:
        section.error(found, unclosed, "unclosed cloze: this {{c1:: needs its closing }}")
    numbers = cloze_numbers(question + "\n" + answer)
    if numbers and (0 in numbers or max(numbers) != len(numbers)):
        # Numbers can be huge ({{c99999999::}}): look for the missing ones among the few
        # that must be there, and name the first three.
        missing = [n for n in range(1, len(numbers) + 2) if n not in numbers][:3]
        gap = ", ".join(f"c{n}" for n in missing) if 0 not in numbers else "c0"
        where = next((c.start for c in clozes if c.number == 0 or c.number > missing[0]), 0)
        section.error(found, where, f"cloze numbers must start at c1 without gaps: no {gap}")
    return numbers, bool(typos or unclosed is not None)


def _check_inline_clozes(inline: Token, lines: list[str], found: _Findings) -> None:
    """A cloze inside inline code or math, in a heading or the body: Anki would not hide it."""
    if not inline.map or "{{" not in inline.content:
        return
    block: _Located | None = None
    cursor = 0
    for child in inline.children or ():
        if child.type not in ("code_inline", "math_inline", "math_inline_double"):
            continue
        inner = CLOZE_OPENING.search(child.content)
        if inner is None:
            continue
        block = block or _Located("\n".join(lines[inline.map[0] : inline.map[1]]),
                                  inline.map[0])
        # The span's text as written, after the previous one: where the cloze is.
        at = block.text.find(child.content, cursor)
        offset = at + inner.start() if at >= 0 else _first_opening(block.text, cursor)
        cursor = max(cursor, offset + 1)
        where = "code" if child.type == "code_inline" else "math"
        block.error(found, offset, f"cloze inside inline {where}: put the cloze around "
                    f"the whole {where}, as {{{{c1::`x`}}}} or {{{{c1::$x$}}}}")


def _first_opening(text: str, start: int) -> int:
    match = CLOZE_OPENING.search(text, start) or CLOZE_OPENING.search(text)
    return match.start() if match else 0


def _check_tokens(section: list[Token], lines: list[str],
                  found: _Findings) -> tuple[int, tuple[Image, ...]]:
    """Check clozes in code or math and code length; return the prose words and images.

    One pass over the tokens and their children for all of it: it runs for every card.
    """
    words, images = 0, []
    for tok in section:
        line = tok.map[0] + 1 if tok.map else 1
        if tok.type in ("fence", "code_block", "math_block") \
                and CLOZE_OPENING.search(tok.content):
            block = _Located("\n".join(lines[tok.map[0] : tok.map[1]]), tok.map[0])
            offset = _first_opening(block.text, 0)
            if tok.type == "math_block":
                block.error(found, offset, "cloze inside math: put the cloze around the "
                            "whole formula, as {{c1::$$x$$}}")
            else:
                block.error(found, offset, "cloze inside a code block: Anki would show it "
                            "as code, not hide it")
        if tok.type == "inline":
            _check_inline_clozes(tok, lines, found)
        for child in tok.children or ():
            if child.type == "text":
                if tok.type == "inline":
                    words += len(child.content.split())
            elif child.type == "image":
                images.append(Image(str(child.attrs.get("src", "")), line))
        if tok.type == "fence" and tok.content.count("\n") > MAX_CODE_LINES:
            lines_ = tok.content.count("\n")
            found.warning(line, f"code block of {lines_} lines (over {MAX_CODE_LINES}): "
                          "show only the lines the question is about")
    return words, tuple(images)


def _unclosed_fences(toks: list[Token], lines: list[str], found: _Findings) -> None:
    """A fence left open runs to the end of the file and swallows every card after it."""
    for tok in toks:
        if tok.type == "fence" and tok.map and not _fence_closed(tok, lines):
            found.warning(tok.map[0] + 1, f"code fence {tok.markup} is never closed: "
                          "it runs to the end of the file; close it with the same fence")


def _fence_closed(tok: Token, lines: list[str]) -> bool:
    last = lines[tok.map[1] - 1].strip() if tok.map[1] - 1 < len(lines) else ""
    return tok.map[1] - tok.map[0] >= 2 and last.startswith(tok.markup) \
        and set(last) == {tok.markup[0]}


def _check_length(question: str, words: int, line: int, found: _Findings) -> None:
    asked = len(question.split())
    if asked > MAX_QUESTION_WORDS:
        found.warning(line, f"question of {asked} words (over {MAX_QUESTION_WORDS}): "
                      "ask one thing, briefly")
    if words > MAX_ANSWER_WORDS:
        found.warning(line, f"answer of {words} words (over {MAX_ANSWER_WORDS}) is too long "
                      "to recall at once: split it into several cards or a cloze")
