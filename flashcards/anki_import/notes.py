"""Anki's notes as card-format notes: stock note types, fields as Markdown, clozes, tags."""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flashcards.anki_collection import AnkiCard, AnkiNote, Collection, NoteType
from flashcards.anki_import.report import _Warnings
from flashcards.cards import Cloze, cloze_numbers, replace_clozes
from flashcards.html_markdown import to_markdown
from flashcards.model import anki_id

# Anki's stock note types by name (a copy Anki renamed on a clash ends in `-xxxxx`).
STOCK = {"Basic": "basic", "Basic (type in the answer)": "basic",
         "Basic (and reversed card)": "reversed", "Basic (optional reversed card)": "optional",
         "Cloze": "cloze"}
_CLASH_SUFFIX = re.compile(r"(?:-[0-9a-f]{5}|\+)$")
_UNSAFE_TAG = re.compile(r"[;,>]")
_BLOCK_START = re.compile(r"^(?:```|~~~|\||[-*+>] |\d+[.)] |\$\$|<|#|    )")
# From this many notes the HTML is converted in a process pool, this many at a time.
# Below it the pool costs more than it saves: 10,000 notes of editor HTML take
# 0.8 s in one process (the short way of html_markdown), and the pool added 0.3 s
# of CPU for no gain in wall time on 2 cores (docs/benchmarks.md, issue 16).
PARALLEL_NOTES = 20_000
_BATCH_NOTES = 1000


@dataclass
class _Note:
    """One Anki note as the card format writes it."""

    guid: str
    deck: str
    question: str
    answer: str
    tags: tuple[str, ...]
    reverse: bool
    ords: dict[int, int]  # Anki card ord -> the card's ordinal here
    cloze: bool = False
    note_id: int = 0  # Anki's

    def text(self) -> str:
        settings = [f"id: {anki_id(self.guid)}"]
        if self.tags:
            settings.append("tags: " + ", ".join(self.tags))
        if self.reverse:
            settings.append("reverse")
        body = f"\n\n{self.answer}" if self.answer else ""
        return f"## {self.question}\n<!-- {'; '.join(settings)} -->{body}\n"


def _cards_by_note(col: Collection) -> dict[int, list[AnkiCard]]:
    cards: dict[int, list[AnkiCard]] = defaultdict(list)
    for card in col.cards():
        cards[card.note_id].append(card)
    return cards


def _kind(notetype: NoteType | None) -> str | None:
    """basic, reversed, optional, cloze; None for a note type that is not stock."""
    if notetype is None:
        return None
    name = _CLASH_SUFFIX.sub("", notetype.name)
    kind = STOCK.get(name)
    if kind == "cloze" or notetype.cloze:
        return "cloze" if notetype.fields else None
    if kind and len(notetype.fields) >= 2:
        return kind
    return None


def _convert(col: Collection, cards: dict[int, list[AnkiCard]],
             warnings: _Warnings) -> list[_Note]:
    items = []
    others: Counter[str] = Counter()
    for anki in col.notes():
        own = sorted(cards.get(anki.id, []), key=lambda c: c.ord)
        if not own:
            warnings.add("notes without cards, skipped", anki.guid)
            continue
        notetype = col.notetypes.get(anki.notetype_id)
        kind = _kind(notetype)
        if kind is None:
            others[notetype.name if notetype else f"unknown note type {anki.notetype_id}"] += 1
        if len({c.deck_id for c in own}) > 1:
            warnings.add("notes whose cards are in several decks, put in the deck of their "
                         "first card", anki.guid)
        items.append((anki, kind or "basic", _deck_name(col.decks.get(own[0].deck_id)), own))
    for name, count in sorted(others.items()):
        warnings.add(f"note type {name!r} is not a stock type: {count} notes imported from "
                     "their first two fields as Basic")
    notes = []
    for converted, found in _converted_batches(items):
        notes += converted
        for kind, example in found:
            warnings.add(kind, example)
    return notes


def _converted_batches(items: list) -> Iterable[tuple[list[_Note], list[tuple[str, str]]]]:
    """The HTML conversion is most of an import's work: in a process pool when large."""
    workers = min(os.cpu_count() or 1, 4)
    if len(items) < PARALLEL_NOTES or workers < 2:
        return [_convert_batch(items)]
    from concurrent.futures import ProcessPoolExecutor  # only for large packages

    batches = [items[i:i + _BATCH_NOTES] for i in range(0, len(items), _BATCH_NOTES)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_convert_batch, batches))


class _Found(list):
    """Warnings found in a worker, sent back as (kind, example) pairs."""

    def add(self, kind: str, example: str = "") -> None:
        self.append((kind, example))


def _convert_batch(items: list) -> tuple[list[_Note], list[tuple[str, str]]]:
    found = _Found()
    notes = []
    for anki, kind, deck, own in items:
        note = _cloze(anki, deck, own, found) if kind == "cloze" else \
            _basic(anki, deck, own, kind, found)
        if note is not None:
            notes.append(note)
    return notes, list(found)


def _deck_name(name: str | None) -> str:
    """Anki's deck name as the card format takes it: no control characters, no empty
    level (Anki allows neither, a forged collection may hold both)."""
    clean = "".join(ch for ch in name or "" if ch.isprintable())
    parts = [part.strip() for part in clean.split("::") if part.strip()]
    return "::".join(parts) or "Default"


def _tags(anki: AnkiNote, warnings: _Warnings) -> tuple[str, ...]:
    tags = []
    for tag in anki.tags:
        safe = _UNSAFE_TAG.sub("_", tag)
        if safe != tag:
            warnings.add("tags with `;`, `,` or `>` written with `_`", tag)
        if safe and safe not in tags:
            tags.append(safe)
    return tuple(tags)


def _field(anki: AnkiNote, index: int) -> str:
    return to_markdown(anki.fields[index]) if index < len(anki.fields) else ""


def _basic(anki: AnkiNote, deck: str, cards: list[AnkiCard], kind: str,
           warnings: _Warnings) -> _Note | None:
    question, answer = _one_line(_field(anki, 0), anki, warnings), _field(anki, 1)
    if not question:
        warnings.add("notes with an empty first field, skipped", anki.guid)
        return None
    if cloze_numbers(question + "\n" + answer):
        warnings.add("Basic notes whose text looks like a cloze (`{{c1::`), skipped", anki.guid)
        return None
    if not answer:
        answer = "*(empty in Anki)*"
        warnings.add("notes with an empty answer, written as *(empty in Anki)*", anki.guid)
    present = {card.ord for card in cards}
    reverse = kind == "reversed" or (kind == "optional" and 1 in present)
    ords = {0: 1, 1: 2} if reverse else {0: 1}
    return _Note(anki.guid, deck, question, answer, _tags(anki, warnings), reverse,
                 {o: ours for o, ours in ords.items() if o in present}, note_id=anki.id)


def _one_line(text: str, anki: AnkiNote, warnings: _Warnings) -> str:
    """A question as a heading's one line: its lines joined (a line break is lost)."""
    lines = [line.rstrip("\\").strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        if any(_BLOCK_START.match(line) for line in lines):
            warnings.add("questions with blocks (code, lists, tables) a heading cannot hold, "
                         "joined into one line", anki.guid)
        return " ".join(lines)
    return lines[0] if lines else ""


def _cloze(anki: AnkiNote, deck: str, cards: list[AnkiCard],
           warnings: _Warnings) -> _Note | None:
    text, extra = _field(anki, 0), _field(anki, 1)
    numbers = sorted(cloze_numbers(text))
    if not numbers:
        warnings.add("Cloze notes without a cloze, skipped", anki.guid)
        return None
    # The card format numbers clozes from c1 without gaps; Anki allows gaps.
    renumber = {old: new for new, old in enumerate(numbers, 1)}
    if any(old != new for old, new in renumber.items()):
        text = replace_clozes(text, lambda c: _cloze_text(c, renumber[c.number]))
    ords = {card.ord: renumber[card.ord + 1] for card in cards if card.ord + 1 in renumber}
    if len(ords) < len(cards):
        warnings.add("cloze cards whose number is no longer in the text, skipped", anki.guid)
    lines = text.split("\n")
    if _BLOCK_START.match(lines[0]) or lines[0].endswith("\\"):
        question, body = "Cloze", text
    else:
        question, body = lines[0].strip(), "\n".join(lines[1:]).strip()
    if extra:
        body = f"{body}\n\n{extra}".strip()
    return _Note(anki.guid, deck, question, body, _tags(anki, warnings), False, ords, True,
                 anki.id)


def _cloze_text(cloze: Cloze, number: int) -> str:
    hint = f"::{cloze.hint}" if cloze.hint is not None else ""
    return f"{{{{c{number}::{cloze.answer}{hint}}}}}"


def _without_duplicates(notes: list[_Note], warnings: _Warnings) -> list[_Note]:
    """One note per GUID (Anki's own check repairs a collection that has two)."""
    seen: set[str] = set()
    kept = []
    for note in notes:
        if note.guid in seen:
            warnings.add("notes whose GUID another note already has, skipped", note.guid)
            continue
        seen.add(note.guid)
        kept.append(note)
    return kept
