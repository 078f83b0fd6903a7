"""The replay: one card's events, in the one order every machine takes them, through a
scheduler's ``Rules`` to its schedule, lapses, suspension and placed answers."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple, Protocol

from flashcards.journal.events import (
    ANSWER,
    NOTE,
    RESET,
    SCHEDULE,
    SUSPEND,
    UNDO,
    UNSUSPEND,
    Event,
    scheduled_state,
)
from flashcards.scheduler import (
    PASSING_GRADE,
    SM2State,
    due_date,
    review,
)
from flashcards.store.records import NEW_CARD, CardSchedule


class ReplayedAnswer(NamedTuple):
    """An answer as the replay placed it: scheduled or a same-day repeat.

    A NamedTuple: a rebuild makes one per journaled answer (a million at 100k cards).
    """

    event: Event
    scheduled: bool
    before: CardSchedule
    after: CardSchedule


@dataclass(frozen=True)
class CardHistory:
    """One card's state after all its events: schedule, lapses, suspension, answers."""

    schedule: CardSchedule
    lapses: int
    suspended: bool
    answers: tuple[ReplayedAnswer, ...]


def in_order(events: Iterable[Event]) -> list[Event]:
    """Events in replay order: each device's own in the order it wrote them (sequence),
    devices merged by time, then device id. Duplicates (a file copied twice) count once.

    A device whose clock went back never reorders its own events: the merge keeps
    every device's sequence as written.
    """
    # (device, seq) is the id (``<device>-<seq>``) without making its string.
    unique: dict[tuple[str, int], Event] = {}
    for event in events:
        unique.setdefault((event.device, event.seq), event)
    by_device: dict[str, list[Event]] = {}
    for event in unique.values():
        by_device.setdefault(event.device, []).append(event)
    streams = [sorted(own, key=_seq) for own in by_device.values()]
    if len(streams) == 1:  # one device (the common case): its order is the merge's
        return streams[0]
    return list(heapq.merge(*streams, key=_order))


_seq = attrgetter("seq")
_order = attrgetter("time", "device", "seq")


class Rules(Protocol):
    """A scheduler as the replay and the session call it, on the store's CardSchedule.

    ``every_answer_counts``: FSRS schedules every answer (and ignores SM-2 states
    set from outside); SM-2 only a study day's first.
    """

    every_answer_counts: bool

    def answer(self, before: CardSchedule, event: Event, day: date,
               repeat: bool) -> CardSchedule | None:
        """The schedule after ``event`` (an answer), or None if it changes nothing.
        ``day``: the answer's study day (``event.study_day()``, worked out once by the
        caller); ``repeat``: the card was already scheduled on that day."""

    def lapse(self, before: CardSchedule, grade: int) -> bool:
        """Whether a scheduled answer with ``grade`` counts as a lapse."""


class SM2Rules:
    """SM-2's rules: a study day's first answer schedules the card; later answers
    that day are same-day repeats and change nothing; a lapse is a grade below 3."""

    every_answer_counts = False

    def answer(self, before: CardSchedule, event: Event, day: date,
               repeat: bool) -> CardSchedule | None:
        if repeat:
            return None
        return _sm2_after(before.repetitions, before.easiness, before.interval, event.grade,
                          day)

    def lapse(self, before: CardSchedule, grade: int) -> bool:
        return grade < PASSING_GRADE


SM2 = SM2Rules()


@dataclass(frozen=True)
class Resume:
    """Where a card's replay stands after the events it already took: its schedule,
    lapses, suspension and the study days that scheduled it."""

    schedule: CardSchedule = NEW_CARD
    lapses: int = 0
    suspended: bool = False
    days: frozenset[date] = frozenset()


def replay(events: Iterable[Event], rules: Rules = SM2, *,
           start: Resume | None = None) -> CardHistory:
    """One card's history from its events (any order; they are put in order here).

    An undo cancels the answer it names. ``rules`` schedule each answer (SM-2:
    the first answer of a study day, the answer's own day from its UTC offset
    and day-start hour; FSRS: every answer). The last suspend or unsuspend wins.
    A schedule event (SM-2's state set from outside, by an Anki import) sets the
    state, due day and lapses, and later answers continue from it; rules under
    which every answer counts (FSRS) replay the answers and ignore it.

    A reset makes the card new again (no schedule, no lapses), under any rules; the
    answers before it stay in its history, and a new card's answer is never a
    same-day repeat.

    ``start`` resumes a replay: ``replay(later, start=r)``, where ``r`` is where
    ``replay(earlier)`` stood, equals ``replay(earlier + later)`` (its answers being
    the later ones) when every later event comes after every earlier one in replay
    order and undoes none of them.
    """
    ordered = in_order(events)
    undone = {e.ref for e in ordered if e.type == UNDO}
    start = start or Resume()
    schedule, lapses, suspended = start.schedule, start.lapses, start.suspended
    days: set[date] = set(start.days)
    answers: list[ReplayedAnswer] = []
    for event in ordered:
        kind = event.type
        if kind != ANSWER:
            if kind in (SUSPEND, UNSUSPEND):
                suspended = kind == SUSPEND
            elif kind == RESET:
                schedule, lapses = NEW_CARD, 0
            elif kind == SCHEDULE and not rules.every_answer_counts:
                state, due, lapses = scheduled_state(event)
                schedule = CardSchedule.of(state, due)
            continue
        if undone and event.id in undone:
            continue
        day = event.study_day()
        # A new card's answer always schedules it: one reset since an answer of today.
        after = rules.answer(schedule, event, day, day in days and not schedule.is_new)
        if after is None:
            answers.append(ReplayedAnswer(event, False, schedule, schedule))
            continue
        days.add(day)
        lapses += rules.lapse(schedule, event.grade)
        answers.append(ReplayedAnswer(event, True, schedule, after))
        schedule = after
    return CardHistory(schedule, lapses, suspended, tuple(answers))


@lru_cache(maxsize=1 << 16, typed=True)  # typed: a bool grade still fails as it should
def _sm2_after(repetitions: int, easiness: float, interval: int, grade: int,
               day: date) -> CardSchedule:
    """The schedule after a scheduling answer on ``day`` (``scheduler.review``), remembered:
    a rebuild replays a million answers, the cards answered on one study day from a
    few hundred distinct (state, grade) pairs. (A CardSchedule is immutable: one
    object may serve many cards.)"""
    state = review(SM2State(repetitions, easiness, interval), grade)
    return CardSchedule(state.repetitions, state.easiness, state.interval, due_date(day, state))


def by_card(events: Iterable[Event]) -> dict[tuple[str, int], list[Event]]:
    """Answers, undos and suspensions grouped by card (note GUID, ordinal).

    An undo goes with the answer it cancels; one whose answer is not among
    ``events`` (read by an earlier catch-up) goes with the card it names.
    """
    cards: dict[tuple[str, int], list[Event]] = {}
    undos = []
    for event in events:
        if event.type == UNDO:
            undos.append(event)
        elif event.type != NOTE and event.guid is not None and event.ord is not None:
            cards.setdefault((event.guid, event.ord), []).append(event)
    if not undos:
        return cards
    # Where each answer went, by id: made only when there are undos to place.
    where = {event.id: key for key, card_events in cards.items() for event in card_events}
    for undo in undos:
        if undo.ref in where:
            cards[where[undo.ref]].append(undo)
        elif undo.guid is not None and undo.ord is not None:
            cards.setdefault((undo.guid, undo.ord), []).append(undo)
    return cards


def identities(events: Iterable[Event]) -> dict[str, dict]:
    """The latest identity record of every note GUID (NOTE events, in replay order)."""
    latest: dict[str, dict] = {}
    for event in in_order(e for e in events if e.type == NOTE and e.identity):
        latest[event.guid] = event.identity
    return latest
