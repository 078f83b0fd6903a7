"""The fast replay (journal.replay) against the rules written out plainly.

The replay runs once per journaled answer in a rebuild, so it takes short cuts:
the study day by one addition, SM-2 steps remembered, one device's events
without a merge. This file keeps the plain statement of docs/journal.md's
rules (the replay as first written) and checks that both agree on any events.
"""

from __future__ import annotations

import heapq
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards import journal
from flashcards.journal import ANSWER, SUSPEND, UNDO, UNSUSPEND, Event
from flashcards.scheduler import PASSING_GRADE, SM2State, due_date, review, study_day
from flashcards.store import CardSchedule

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def reference_study_day(event: Event) -> date:
    offset = timezone(timedelta(minutes=event.utc_offset_minutes or 0))
    return study_day(event.time.astimezone(offset), event.day_start_hour or 0)


def reference_order(events: list[Event]) -> list[Event]:
    unique: dict[str, Event] = {}
    for event in events:
        unique.setdefault(event.id, event)
    by_device: dict[str, list[Event]] = {}
    for event in unique.values():
        by_device.setdefault(event.device, []).append(event)
    streams = [sorted(own, key=lambda e: e.seq) for own in by_device.values()]
    return list(heapq.merge(*streams, key=lambda e: e.order))


def reference_replay(events: list[Event]) -> tuple:
    ordered = reference_order(events)
    undone = {e.ref for e in ordered if e.type == UNDO}
    state, due, lapses, suspended = SM2State(), None, 0, False
    days: set[date] = set()
    answers = []
    for event in ordered:
        if event.type in (SUSPEND, UNSUSPEND):
            suspended = event.type == SUSPEND
        if event.type != ANSWER or event.id in undone:
            continue
        before = CardSchedule.of(state, due)
        day = reference_study_day(event)
        if day in days:
            answers.append((event.id, False, before, before))
            continue
        days.add(day)
        state = review(state, event.grade)
        due = due_date(day, state)
        lapses += event.grade < PASSING_GRADE
        answers.append((event.id, True, before, CardSchedule.of(state, due)))
    return CardSchedule.of(state, due), lapses, suspended, answers


step = st.tuples(
    st.sampled_from(["answer", "answer", "answer", "undo", "suspend", "unsuspend"]),
    st.sampled_from(["laptop-1", "desk-2", "x"]),
    st.integers(-3 * 24 * 60, 40 * 24 * 60),  # minutes from T0: clocks may go back
    st.integers(0, 5),
    st.sampled_from([-720, -300, 0, 60, 330, 765, 840]),  # UTC offsets, minutes
    st.sampled_from([0, 4, 23]),  # day-start hours
)


def make_events(steps) -> list[Event]:
    events, seqs = [], {}
    for kind, device, minutes, grade, off, dsh in steps:
        seqs[device] = seqs.get(device, 0) + 1
        at = T0 + timedelta(minutes=minutes)
        if kind == "answer":
            events.append(Event(ANSWER, device, seqs[device], at, guid="g", ord=1,
                                grade=grade, utc_offset_minutes=off, day_start_hour=dsh))
        elif kind == "undo":
            answers = [e for e in events if e.type == ANSWER]
            ref = answers[grade % len(answers)].id if answers else "nobody-1"
            events.append(Event(UNDO, device, seqs[device], at, guid="g", ord=1, ref=ref))
        else:
            events.append(Event(kind, device, seqs[device], at, guid="g", ord=1))
    return events


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=30))
def test_the_replay_follows_the_rules_as_written(steps):
    assert_replay_follows_the_rules(steps)


@settings(max_examples=20, deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=30))
def test_the_replay_follows_the_rules_as_written_sample(steps):
    assert_replay_follows_the_rules(steps)


def assert_replay_follows_the_rules(steps) -> None:
    events = make_events(steps)
    history = journal.replay(events)
    schedule, lapses, suspended, answers = reference_replay(events)
    assert (history.schedule, history.lapses, history.suspended) == \
        (schedule, lapses, suspended)
    assert [(a.event.id, a.scheduled, a.before, a.after) for a in history.answers] == answers


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2090, 1, 1),
                           timezones=st.just(UTC)),
       off=st.integers(-1439, 1439), dsh=st.integers(0, 23))
def test_an_answers_study_day_is_that_of_its_own_zone(moment, off, dsh):
    event = Event(ANSWER, "d", 1, moment, grade=4, utc_offset_minutes=off, day_start_hour=dsh)
    assert event.study_day() == reference_study_day(event)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=30), later=st.integers(1, 6))
def test_a_resumed_replay_equals_the_whole_replay(steps, later):
    assert_resumed_replay_equals_whole(steps, later)


@settings(max_examples=20, deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=30), later=st.integers(1, 6))
def test_a_resumed_replay_equals_the_whole_replay_sample(steps, later):
    assert_resumed_replay_equals_whole(steps, later)


def assert_resumed_replay_equals_whole(steps, later: int) -> None:
    events = make_events(steps)
    earlier = events
    whole = journal.replay(earlier)
    last = max(e.time for e in earlier)
    more = [Event(ANSWER, "late-9", n + 1, last + timedelta(hours=5 * n + 1), guid="g", ord=1,
                  grade=(n * 3) % 6, utc_offset_minutes=60, day_start_hour=4)
            for n in range(later)]
    start = journal.Resume(whole.schedule, whole.lapses, whole.suspended,
                           frozenset(a.event.study_day() for a in whole.answers if a.scheduled))
    resumed = journal.replay(more, start=start)
    expected = journal.replay(earlier + more)
    assert (resumed.schedule, resumed.lapses, resumed.suspended) == \
        (expected.schedule, expected.lapses, expected.suspended)
    assert resumed.answers == expected.answers[len(whole.answers):]
