"""The nouns of the project: immutable records and enums, no I/O, no clock.

Vocabulary (Anki's): a *note* is what you write under one ``##`` heading. It
makes one *card* (basic), two (a basic card and its reverse) or one per cloze
number. Cards are what gets scheduled; notes are what gets exported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import quote, unquote

# Characters that change how text reads without being seen: bidirectional
# overrides, isolates and marks, zero-width spaces and joiners, the soft hyphen.
# Two questions that look alike can differ by one (docs/security.md).
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                       "\u2066-\u2069\ufeff]")


def plural(count: int, noun: str) -> str:
    """"1 card", "2 cards", "0 cards"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def show_invisible(text: str) -> str:
    """The text with each invisible character written as its ``\\uXXXX`` escape."""
    return INVISIBLE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


class FlashcardsError(Exception):
    """An error meant for the user: the CLI prints it without a traceback."""


class NoteKind(StrEnum):
    BASIC = "basic"
    REVERSED = "reversed"
    CLOZE = "cloze"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Problem(NamedTuple):
    """One finding of the checker, printed as ``path:line:col: severity: message``.

    The value records of this module are NamedTuples, not dataclasses: on Python
    3.11 a frozen dataclass costs five times as much to define, and every command,
    a no-change sync among them, defines these (docs/benchmarks.md). Problems sort
    by path, line, column, severity, message.
    """

    path: str
    line: int
    column: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": str(self.severity),
            "message": self.message,
        }


class ProblemsError(FlashcardsError):
    """Raised when a collection has errors; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity is Severity.ERROR]
        super().__init__("\n".join(str(p) for p in errors or problems))


class Image(NamedTuple):
    """An image reference as written in the Markdown, with its line."""

    src: str
    line: int


def normalized(text: str) -> str:
    """Text with runs of white space folded, the form identity matching compares."""
    # str.split() breaks on the characters re's `\s` matches (str.isspace()), so this
    # is `re.sub(r"\s+", " ", text).strip()` at a fifth of the cost: every note's
    # two hashes start here.
    return " ".join(text.split())


def sha256(data: bytes = b""):
    """hashlib's sha256, hashlib imported at the first call, which puts hashlib's own
    function in this one's place (callers use ``model.sha256``): hashlib loads
    OpenSSL, 5 MB resident in every command, though many hash nothing (evaluate's
    process holds it beside fsrs-rs's fit)."""
    from hashlib import sha256 as hashlib_sha256

    globals()["sha256"] = hashlib_sha256
    return hashlib_sha256(data)


def digest(*parts: str) -> str:
    h = sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


# An explicit id that carries an Anki GUID as it is (docs/format.md): `anki:` and the
# GUID, with `%`, `;` and `>` (which would end the setting or the comment), spaces
# and characters outside printable ASCII percent-encoded.
ANKI_ID_PREFIX = "anki:"
_ANKI_ID_SAFE = "!\"#$&'()*+,/:<=?@[\\]^`{|}"


def guid_of_id(explicit_id: str) -> str:
    """The Anki GUID a note with this explicit id has, in every store."""
    if explicit_id.startswith(ANKI_ID_PREFIX):
        return unquote(explicit_id[len(ANKI_ID_PREFIX):], errors="replace")
    return "fc" + digest("id", explicit_id)[:16]


def anki_id(guid: str) -> str:
    """The explicit id that gives a note exactly this Anki GUID."""
    return ANKI_ID_PREFIX + quote(guid, safe=_ANKI_ID_SAFE)


@dataclass(frozen=True, slots=True)
class Note:
    """One parsed ``##`` section of a deck file.

    Slots and hashes computed once: a sync of 100k notes holds them all at once,
    and identity matching asks for the hashes many times (docs/benchmarks.md).
    """

    kind: NoteKind
    question: str
    answer: str
    deck: str
    path: str
    line: int
    tags: tuple[str, ...] = ()
    explicit_id: str | None = None
    ordinals: tuple[int, ...] = (1,)
    images: tuple[Image, ...] = ()
    question_hash: str = field(init=False, repr=False, compare=False)
    answer_hash: str = field(init=False, repr=False, compare=False)
    content_hash: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        question, answer = normalized(self.question), normalized(self.answer)
        object.__setattr__(self, "question_hash", digest(question))
        object.__setattr__(self, "answer_hash", digest(answer))
        object.__setattr__(self, "content_hash", digest(question, answer))

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


class DeckFile(NamedTuple):
    """A parsed deck file: its deck, its notes and what the checker found."""

    path: str
    deck: str
    description: str = ""
    notes: tuple[Note, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)
