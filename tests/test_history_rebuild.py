"""history_rebuild.replay_batch: cards replayed from their events alone, into rows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from flashcards import journal
from flashcards.history_rebuild import replay_batch
from flashcards.journal import ANSWER, SUSPEND, Event
from flashcards.scheduler import MAX_INTERVAL
from flashcards.store import ReplayCard

DAY1 = datetime(2026, 1, 5, 8, tzinfo=UTC)


def answers(guid: str, count: int, start_seq: int) -> list[Event]:
    return [Event(ANSWER, "laptop", start_seq + n, DAY1 + timedelta(days=n), guid=guid, ord=1,
                  button=3, grade=4, duration_ms=900, utc_offset_minutes=60, day_start_hour=4)
            for n in range(count)]


def test_rows_come_in_parts_that_add_up_to_one_replay_and_name_what_is_missing():
    events = answers("g1", 5, 1) + answers("g2", 4, 10) + answers("gone", 3, 20)
    events.append(Event(SUSPEND, "desk", 1, DAY1, guid="g2", ord=1))
    cards = {("g1", 1): ReplayCard(7, "g1", 1, "D", False),
             ("g2", 1): ReplayCard(8, "g2", 1, "D", False)}

    whole = list(replay_batch(events, cards, lambda deck: journal.SM2, "desk"))
    parts = list(replay_batch(events, cards, lambda deck: journal.SM2, "desk", rows=2))

    assert len(whole) == 1 and len(parts) == 3  # a part ends after the card that fills it
    assert [row for part in parts for row in part.reviews] == whole[0].reviews
    assert [row for part in parts for row in part.schedules] == whole[0].schedules
    assert len(whole[0].reviews) == 9 and whole[0].cards == 2
    assert [row[0] for row in whole[0].reviews] == [7] * 5 + [8] * 4  # card ids
    assert whole[0].suspensions == [(8, True)]
    assert set().union(*(part.missing for part in parts)) == {"gone"}
    assert whole[0].answers_from == {"laptop": 9}  # not this device's own
    # The schedule is the replay's: five Good answers on five days.
    expected = journal.replay(answers("g1", 5, 1)).schedule
    assert whole[0].schedules[0][:4] == [expected.repetitions, expected.easiness,
                                         expected.interval, expected.due.isoformat()]


def test_a_card_passed_perfectly_for_decades_of_answers_is_stored_and_rebuilt(tmp_path):
    # SM-2's intervals grow without bound (EF rises 0.1 a perfect answer); stored as
    # they came, ninety perfect answers gave an interval past SQLite's 64-bit integers
    # and the sync died with an OverflowError. The due date is date.max either way.
    from tests.test_history import cards, delete_store, invoke, write_notes

    notes, db = write_notes(tmp_path / "notes"), tmp_path / "data" / "fc.db"
    invoke(db, "sync", str(notes))
    own = next((notes / ".flashcards" / "journal").glob("*.jsonl"))
    guid = next(json.loads(line)["guid"] for line in own.read_text().splitlines()
                if json.loads(line).get("guid"))
    other = own.with_name("other-9f9f9f.jsonl")
    other.write_text("".join(
        Event(ANSWER, "other-9f9f9f", n + 1, DAY1 + timedelta(days=4 * n), guid=guid, ord=1,
              button=4, grade=5, duration_ms=900, utc_offset_minutes=0,
              day_start_hour=4).to_line() for n in range(90)), encoding="utf-8")
    invoke(db, "sync", str(notes), day=400)  # another device's answers caught up
    caught_up = cards(db)
    passed = [card for card in caught_up if card["reviews"] == 90]
    assert len(passed) == 1 and passed[0]["due"] == date.max.isoformat()
    assert passed[0]["interval"] == MAX_INTERVAL
    delete_store(db)
    invoke(db, "sync", str(notes), day=400)  # rebuilt from the notes and the journal
    assert cards(db) == caught_up
