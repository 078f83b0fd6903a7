"""FSRS's rules on the store's CardSchedule: what the replay and the session call
when FSRS is the active scheduler (``journal.Rules``; SM-2's are ``journal.SM2``).

Every answer counts under FSRS, a same-day one too (FSRS-6 has a short-term
stability for it). A card on a step of minutes is due at a moment
(``CardSchedule.due_at``) and on that moment's study day; a card on an
interval of days is due on a study day. The scheduling itself is
``flashcards.fsrs.scheduler``; docs/scheduler.md ("FSRS") has the rules.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol

from flashcards.fsrs import scheduler as fsrs
from flashcards.fsrs.scheduler import FSRSConfig, FSRSState
from flashcards.scheduler import PASSING_GRADE, study_day
from flashcards.store.records import CardSchedule


class Answered(Protocol):
    """An answer as the rules read it (a ``journal.Event``)."""

    guid: str | None
    ord: int | None
    grade: int | None
    day_start_hour: int | None

    def local_time(self) -> datetime: ...

    def study_day(self) -> date: ...


class FSRSRules:
    """FSRS with one configuration (settings and parameters) for the cards it schedules."""

    every_answer_counts = True

    def __init__(self, config: FSRSConfig):
        self.config = config

    def answer(self, before: CardSchedule, event: Answered, day: date,
               repeat: bool) -> CardSchedule:
        """The schedule after an answer on study day ``day``; ``repeat`` does not matter:
        every answer counts."""
        moment = event.local_time()
        state = fsrs.review(before.fsrs, fsrs.rating_of_grade(event.grade), moment, day,
                            self.config, seed=card_seed(event.guid, event.ord))
        return schedule_of(state, moment, event.day_start_hour or 0)

    def preview(self, before: CardSchedule, event: Answered) -> dict[int, CardSchedule]:
        """The schedule each rating (1 Again ... 4 Easy) would give, nothing written."""
        moment = event.local_time()
        states = fsrs.preview(before.fsrs, moment, event.study_day(), self.config,
                              seed=card_seed(event.guid, event.ord))
        return {rating: schedule_of(state, moment, event.day_start_hour or 0)
                for rating, state in states.items()}

    def lapse(self, before: CardSchedule, grade: int) -> bool:
        """Anki's lapse: Again on a card in review (not on one still learning)."""
        return (grade < PASSING_GRADE and before.fsrs is not None
                and before.fsrs.phase == fsrs.REVIEW)

    def retrievability(self, schedule: CardSchedule, day: date) -> float | None:
        """The chance of recall on study day ``day``; None for a card FSRS has not seen."""
        if schedule.fsrs is None:
            return None
        return fsrs.retrievability(schedule.fsrs, day, self.config)


def card_seed(guid: str | None, ordinal: int | None) -> str:
    """A card's identity for its fuzz: the same in every store and on every machine."""
    return f"{guid}:{ordinal}"


def schedule_of(state: FSRSState, moment: datetime, day_start_hour: int) -> CardSchedule:
    """The store's schedule of an FSRS state given at ``moment`` (aware, the answer's zone)."""
    if state.due_at is not None:
        due = study_day(state.due_at.astimezone(moment.tzinfo), day_start_hour)
    else:
        due = _days_after(state.last_review, state.interval)
    return CardSchedule(repetitions=state.reps, interval=state.interval, due=due, fsrs=state)


def _days_after(day: date, days: int) -> date:
    if days >= date.max.toordinal() - day.toordinal():
        return date.max
    return day + timedelta(days=days)
