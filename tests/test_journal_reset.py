"""`flashcards reset`: a card new again, its answers kept, the reset a journal line
that every replay (a rebuild, another machine, a change of scheduler) applies."""

from __future__ import annotations

import json
import random
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from flashcards import journal, journal_buckets
from flashcards.changes import reset
from flashcards.journal import ANSWER, RESET, Event, parse_line
from flashcards.maintenance import check
from flashcards.session import start
from flashcards.store import Store
from flashcards.sync import sync
from tests.test_history import DAY1, cards, delete_store, invoke, review, write_notes


def answer(seq: int, at, grade: int = 4) -> Event:
    return Event(ANSWER, "dev", seq, at, guid="G", ord=1, button=3, grade=grade,
                 utc_offset_minutes=0, day_start_hour=4)


def synced(tmp_path: Path) -> tuple[Path, Path]:
    """The test notes, synced into a new store: (the notes folder, the store's file)."""
    notes, db = write_notes(tmp_path / "notes"), tmp_path / "data" / "fc.db"
    invoke(db, "sync", str(notes))
    return notes, db


def test_a_reset_makes_the_card_new_and_the_next_answer_schedules_it_again():
    events = [answer(1, DAY1, 1), answer(2, DAY1 + timedelta(days=1)),
              Event(RESET, "dev", 3, DAY1 + timedelta(days=1, hours=1), guid="G", ord=1),
              answer(4, DAY1 + timedelta(days=1, hours=2))]  # the same study day
    line = events[2].to_line()
    assert json.loads(line)["v"] == journal.RESET_VERSION
    assert parse_line(line) == events[2]
    before_reset = journal.replay(events[:2])
    history = journal.replay(events)
    assert before_reset.lapses == 1 and before_reset.schedule.repetitions == 1
    assert [a.scheduled for a in history.answers] == [True, True, True]  # nothing lost
    assert history.lapses == 0
    assert history.schedule == journal.replay([events[3]]).schedule  # as a new card's
    assert journal.replay(events[:3]).schedule.is_new


@pytest.mark.slow
@pytest.mark.parametrize("bucketed", [False, True])
def test_a_reset_survives_a_rebuild_a_change_of_scheduler_and_the_doctor(
        tmp_path, monkeypatch, bucketed):
    notes, db = synced(tmp_path)
    rng = random.Random(5)
    for day in range(3):
        review(db, day, rng)
    answered = [row for row in json.loads(invoke(db, "list", "--json", day=3)) if row["reviews"]]
    target = answered[0]
    output = invoke(db, "reset", str(target["id"]), day=3)
    assert f"Reset 1 card to new; {target['reviews']} answer" in output
    row = next(r for r in json.loads(invoke(db, "list", "--json", day=3))
               if r["id"] == target["id"])
    assert row["status"] == "new" and row["due"] is None and row["reviews"] == target["reviews"]
    review(db, 3, rng)  # the reset card comes back as a new card, and is answered
    before = cards(db)
    store = Store.open(db)
    assert list(check(store, zone=DAY1.tzinfo)) == []
    store.close()

    assert "fsrs" in invoke(db, "config", "scheduler", "fsrs", day=4)
    invoke(db, "config", "scheduler", "sm2", day=4)
    assert cards(db) == before

    if bucketed:  # the rebuild reads the journal in buckets (the reset line goes with its card)
        monkeypatch.setattr(journal_buckets, "BUCKETED_OVER", 0)
    delete_store(db)
    invoke(db, "sync", str(notes), day=4)
    assert cards(db) == before


def test_resetting_a_card_that_does_not_exist_changes_nothing(tmp_path):
    notes, db = synced(tmp_path)
    journals = {path: path.read_bytes() for path in tmp_path.rglob("*.jsonl")}
    output = invoke(db, "reset", "1", "999999", check_ok=False)
    assert "no card with id 999999" in output
    assert {path: path.read_bytes() for path in tmp_path.rglob("*.jsonl")} == journals


def test_an_answer_the_same_day_as_a_reset_schedules_the_card_again(tmp_path):
    """The session's rule is the replay's: a new card's answer is never a same-day
    repeat. Here a card answered Hard (asked again today) is reset from another
    terminal before its second answer: that answer schedules it, as a replay of the
    journal says, and the store stays the journal's replay."""
    notes, db = synced(tmp_path)
    store = Store.open(db)
    try:
        moment = DAY1 + timedelta(hours=1)
        run = start(store, moment, clock=lambda: moment)
        first = run.current.id
        run.press(2)  # Hard: asked again today
        other = Store.open(db)  # another terminal
        reset(other, [first], now=moment)
        other.close()
        while run.current is not None and run.current.id != first:
            run.press(3)
        assert run.current is not None and run.current.id == first
        run.press(3)
        card = store.card(first)
        assert card.schedule.due is not None and card.schedule.repetitions == 1
        assert list(check(store, zone=DAY1.tzinfo)) == []  # the store is the replay
    finally:
        store.close()


def test_an_undo_after_another_terminal_reset_the_card_replays_the_reset(tmp_path):
    """A session keeps its History for its whole run; an undo replays the card from
    its stored answers and the journal's resets, read again, not as they were when the
    session first needed them."""
    notes, db = synced(tmp_path)
    store = Store.open(db)
    try:
        moment = DAY1 + timedelta(hours=1)
        run = start(store, moment, clock=lambda: moment)
        target = run.current.id
        run.press(3)  # answered on the first day: it has a schedule of its own
        other_card = run.current.id
        reset(store, [other_card], now=moment)  # journal-only events exist from now on
        later = DAY1 + timedelta(days=1, hours=1)
        run = start(store, later, clock=lambda: later)
        assert run.current.id == target  # due again
        first = run.current.id
        run.press(3)
        run.undo()  # an undo reads the journal's resets (none of this card yet)
        run.press(3)
        other = Store.open(db)  # another terminal resets it
        reset(other, [first], now=later)
        other.close()
        run.undo()  # the answer taken back: the card is as the journal says, new
        assert store.card(first).schedule.is_new
        assert list(check(store, zone=DAY1.tzinfo)) == []
    finally:
        store.close()


def _pull(source: Path, target: Path) -> None:
    """A git pull of the journal: each file copied where the other side's is shorter."""
    (target / ".flashcards" / "journal").mkdir(parents=True, exist_ok=True)
    for path in (source / ".flashcards" / "journal").glob("*.jsonl"):
        other = target / ".flashcards" / "journal" / path.name
        if not other.exists() or other.stat().st_size < path.stat().st_size:
            shutil.copy(path, other)


def test_another_machines_answer_from_before_a_reset_leaves_the_card_new(tmp_path):
    """Machine B answers a card at 09:00; A resets it at 10:00 and reads B's answer only
    after: in replay order the reset comes last, so the card is new on both machines
    (A must not resume the card's replay from its stored, already reset, schedule)."""
    notes_a, notes_b = write_notes(tmp_path / "a"), write_notes(tmp_path / "b")
    a, b = Store.open(tmp_path / "a.db"), Store.open(tmp_path / "b.db")
    try:
        sync(a, [notes_a], now=DAY1)
        run = start(a, DAY1, clock=lambda: DAY1)
        card_id = run.current.id
        run.press(3)
        _pull(notes_a, notes_b)
        sync(b, [notes_b], now=DAY1 + timedelta(hours=1))
        nine = DAY1 + timedelta(days=1, hours=1)
        start(b, nine, clock=lambda: nine).press(3)  # B answers the same card
        ten = nine + timedelta(hours=1)
        reset(a, [card_id], now=ten)
        sync(a, [notes_a], now=ten)
        _pull(notes_b, notes_a)
        sync(a, [notes_a], now=ten + timedelta(hours=1))
        assert a.card(card_id).schedule.is_new
        assert list(check(a, zone=DAY1.tzinfo)) == []
    finally:
        a.close()
        b.close()


def test_a_store_without_answers_keeps_an_imported_schedule_when_an_answer_arrives(tmp_path):
    """Not a rebuild: the store read a schedule line earlier and holds no answer yet; an
    answer from another device then continues from that schedule."""
    notes = write_notes(tmp_path / "notes")
    store = Store.open(tmp_path / "fc.db")
    try:
        sync(store, [notes], now=DAY1)
        card = store.cards_of_guids({n.guid for n in store.notes()})[0]
        folder = notes / ".flashcards" / "journal"
        (folder / "anki-schedule.jsonl").write_text(json.dumps(
            {"v": 2, "id": "anki-schedule-1", "type": "schedule",
             "t": "2026-01-05T09:00:00.000Z", "guid": card.note_guid, "ord": card.ord,
             "sm2": {"ef": 2.5, "ivl": 21, "reps": 4, "lapses": 1, "due": "2026-01-26"}},
            separators=(",", ":")) + "\n")
        sync(store, [notes], now=DAY1 + timedelta(hours=2))
        assert not store.has_reviews() and store.card(card.id).schedule.repetitions == 4
        (folder / "other-abc.jsonl").write_text(json.dumps(
            {"v": 1, "id": "other-abc-1", "type": "answer", "t": "2026-01-26T09:00:00.000Z",
             "guid": card.note_guid, "ord": card.ord, "button": 3, "off": 0},
            separators=(",", ":")) + "\n")
        sync(store, [notes], now=DAY1 + timedelta(days=21, hours=2))
        assert store.card(card.id).schedule.repetitions == 5
        assert store.card(card.id).lapses == 1
        assert list(check(store, zone=DAY1.tzinfo)) == []
    finally:
        store.close()
