"""history_rebuild.replay_batch: cards replayed from their events alone, into rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flashcards import journal
from flashcards.history_rebuild import replay_batch
from flashcards.journal import ANSWER, SUSPEND, Event
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
