"""A sync's writes (`flashcards.sync_writes`): the parsed notes are let go as they
are written, so a first sync does not hold them all while it writes the journal."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

from store_helpers import note_rows

from flashcards.history import History
from flashcards.model import Note
from flashcards.sync import sync

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


# In every question: the notes this file's syncs parse, among any others alive.
MARK = "sync_writes test"


def deck(number: int) -> str:
    cards = "\n".join(f"## Question {number}-{n} ({MARK})?\nAnswer {n}.\n" for n in range(5))
    return f"# Deck {number}\n\n{cards}"


def parsed_notes_alive() -> int:
    gc.collect()
    return sum(isinstance(thing, Note) and MARK in thing.question for thing in gc.get_objects())


def test_a_first_sync_holds_no_parsed_note_while_it_writes_the_journal(
        store, tmp_path, monkeypatch):
    decks = tmp_path / "decks"
    decks.mkdir()
    for number in range(3):
        (decks / f"deck{number}.md").write_text(deck(number), encoding="utf-8")
    alive: list[int] = []
    record = History.record_identities

    def counting(self, notes, moment, **options):
        alive.append(parsed_notes_alive())
        return record(self, notes, moment, **options)

    monkeypatch.setattr(History, "record_identities", counting)
    sync(store, [decks], now=NOW)
    assert alive == [0]
    assert len(note_rows(store)) == 15


def test_an_edited_note_and_a_new_one_are_written_alike(store, tmp_path):
    # Matched notes stay in the list the writes use up; new ones leave it.
    decks = tmp_path / "decks"
    decks.mkdir()
    path = decks / "deck.md"
    path.write_text(deck(0), encoding="utf-8")
    sync(store, [decks], now=NOW)
    path.write_text(deck(0).replace("Answer 2.", "Answer two.")
                    + "\n## A new question?\nNew.\n", encoding="utf-8")
    report = sync(store, [decks], now=NOW)
    assert (report.added, report.updated) == (1, 1)
    assert len(note_rows(store)) == 6
