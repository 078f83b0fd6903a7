"""Our schedule and answers as Anki stores them: card columns and review log rows.

Pure code for `flashcards export --with-scheduling` (export/ writes what it
gives): no I/O, no clock. docs/anki.md, "Exporting progress", is the contract.

Due dates. Anki keeps a review card's due date as a day number counted from
its collection's creation day. On import it shifts that number by how many
days the package's collection is ahead of the importing one, both counted
today with each collection's day rollover (rslib, import/cards.rs,
``shift_collection_relative_dates``). So a card due on study day D is written
as ``D - COLLECTION_DAY``: the package's collection was created on
`COLLECTION_DAY` (its ``crt``, read in UTC, ``creationOffset`` 0), and the
importing collection gets ``D`` back as its own day number, whatever day the
import happens on. Exact when Anki's "next day starts at" hour is the
package's `rollover` (our ``day_start_hour``).

The mapping. Our SM-2 has no learning steps: every answer schedules in days.

- new -> Anki new (type 0, queue 0);
- passed at its last scheduled answer (repetitions >= 1) -> review (2, 2);
- failed at its last scheduled answer (repetitions 0, due tomorrow) ->
  relearning (3) if it had passed before, learning (1) if never, both in
  Anki's day-learning queue (3) with their due day and one step left;
- suspended -> queue -1. A suspended card that is (re)learning goes as a
  suspended review card: Anki's importer shifts the due day of a suspended
  card only if its type is review, and any other would arrive years off.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import IntEnum
from typing import NamedTuple

from flashcards.scheduler import BUTTON_GRADES
from flashcards.store import CardSchedule, ExportAnswer

# The package's collection: created 2014-09-19 11:00 UTC (genanki's ``crt``),
# read in UTC, so its creation day is this date on every machine.
COLLECTION_CREATED = 1411124400
COLLECTION_DAY = datetime.fromtimestamp(COLLECTION_CREATED, UTC).date()
# Anki caps the time taken by one answer at its deck option "Maximum answer
# seconds", 60 by default (rslib, answering: cap_answer_secs).
MAX_ANSWER_MS = 60_000
# Anki's queue of a suspended card.
SUSPENDED_QUEUE = -1
# Anki's longest interval (100 years; its deck options allow no more). Its
# database check also moves a review card due over 100,000 days out to today.
MAX_INTERVAL = 36_500


class CardType(IntEnum):
    NEW = 0
    LEARN = 1
    REVIEW = 2
    RELEARN = 3


class Queue(IntEnum):
    NEW = 0
    LEARN = 1  # due: a timestamp (we never write it: our steps are days)
    REVIEW = 2
    DAY_LEARN = 3  # due: a day number, as for review cards


class RevlogKind(IntEnum):
    LEARN = 0
    REVIEW = 1
    RELEARN = 2
    FILTERED = 3
    MANUAL = 4


class MemoryState(NamedTuple):
    """FSRS's memory state of a card, for Anki's ``data`` column (rslib ``CardData``).

    The hook for FSRS: pass it to `anki_card` when FSRS is the active scheduler.
    """

    stability: float
    difficulty: float
    desired_retention: float | None = None


class AnkiCard(NamedTuple):
    """The columns of Anki's ``cards`` row that carry a card's progress."""

    type: int
    queue: int
    due: int
    ivl: int
    factor: int
    reps: int
    lapses: int
    left: int
    data: str


def anki_due(day: date) -> int:
    """Anki's day number of a study day, in the package's collection."""
    return (day - COLLECTION_DAY).days


def permille(easiness: float) -> int:
    """Anki's ease factor (permille) of an SM-2 E-Factor: 2.5 -> 2500."""
    return round(easiness * 1000)


def anki_card(schedule: CardSchedule, *, reps: int, lapses: int, suspended: bool,
              ever_passed: bool, last_review: int | None = None,
              memory: MemoryState | None = None) -> AnkiCard:
    """A card's Anki columns from its stored schedule.

    ``reps`` is its number of answers (same-day repeats included, as Anki counts
    them), ``ever_passed`` whether any scheduled answer passed, ``last_review``
    the Unix time (s) of its last answer, ``memory`` its FSRS state when FSRS
    schedules it (None under SM-2).
    """
    data = card_data(memory, last_review)
    if schedule.due is None:
        return AnkiCard(CardType.NEW, SUSPENDED_QUEUE if suspended else Queue.NEW, 0, 0, 0,
                        reps, lapses, 0, data)
    # An interval past Anki's longest becomes its longest, from the same review day.
    interval = min(schedule.interval, MAX_INTERVAL)
    due = anki_due(schedule.due) - (schedule.interval - interval)
    factor = permille(schedule.easiness)
    if schedule.repetitions >= 1 or suspended:
        queue = SUSPENDED_QUEUE if suspended else Queue.REVIEW
        return AnkiCard(CardType.REVIEW, queue, due, interval, factor, reps, lapses, 0, data)
    kind = CardType.RELEARN if ever_passed else CardType.LEARN
    # One step left: a pass on the due day graduates it, as SM-2 would schedule it forward.
    return AnkiCard(kind, Queue.DAY_LEARN, due, interval, factor, reps, lapses, 1, data)


def card_data(memory: MemoryState | None, last_review: int | None = None) -> str:
    """Anki's ``data`` column, rslib's ``CardData`` JSON ("" if empty): FSRS's memory
    state, and the time of the last answer, which Anki keeps for every reviewed
    card (its database check fills it in from the review log where it lacks)."""
    fields: dict[str, float | int] = {}
    if memory is not None:
        fields["s"] = round(memory.stability, 4)
        fields["d"] = round(memory.difficulty, 4)
        if memory.desired_retention is not None:
            fields["dr"] = round(memory.desired_retention, 2)
    if not fields:  # SM-2: the common case, without the cost of json.dumps
        return "" if last_review is None else f'{{"lrt":{int(last_review)}}}'
    if last_review is not None:
        fields["lrt"] = last_review
    return json.dumps(fields, separators=(",", ":"))


class Progress(NamedTuple):
    """One card's progress for the package: its columns and its review log rows."""

    card: AnkiCard
    revlog: list[tuple]  # (id ms, ease, ivl, lastIvl, factor, time ms, type); cid added later


def progress(schedule: CardSchedule, answers: Iterable[ExportAnswer], *, lapses: int,
             suspended: bool, memory: MemoryState | None = None) -> Progress:
    """A card's columns and review log from its schedule and its answers (in order)."""
    rows: list[tuple] = []
    ever_passed = False
    for answer in answers:
        rows.append(revlog_row(answer, ever_passed))
        ever_passed = ever_passed or bool(answer.repetitions_after)
    last_review = rows[-1][0] // 1000 if rows else None
    card = anki_card(schedule, reps=len(rows), lapses=lapses, suspended=suspended,
                     ever_passed=ever_passed, last_review=last_review, memory=memory)
    return Progress(card, rows)


def revlog_row(answer: ExportAnswer, ever_passed: bool) -> tuple:
    """Anki's revlog columns of one answer, but the card id and usn.

    A same-day repeat is a row like any answer (it was one), with the
    interval it left unchanged. Intervals are days, as every one of ours is.
    (Written out in one function: it runs 100k times in an export of 10k cards.)
    """
    (_card, at, grade, button, duration, _scheduled, repetitions_before, interval_before,
     due_before, _repetitions_after, easiness_after, interval_after) = answer
    if due_before is None:
        kind = RevlogKind.LEARN
    elif repetitions_before:
        kind = RevlogKind.REVIEW
    else:
        kind = RevlogKind.RELEARN if ever_passed else RevlogKind.LEARN
    if duration is None or duration < 0:
        duration = 0
    return (round(datetime.fromisoformat(at).timestamp() * 1000),
            button if button is not None else _GRADE_BUTTONS.get(grade, 1),
            interval_after or 0, interval_before or 0, round((easiness_after or 0) * 1000),
            duration if duration < MAX_ANSWER_MS else MAX_ANSWER_MS, kind)


# For each grade 0-5, the highest button whose grade it reaches (Again for 0-2).
_GRADE_BUTTONS = {grade: max((b for b, g in BUTTON_GRADES.items() if g <= grade), default=1)
                  for grade in range(6)}


def collection_conf(conf: dict, day_start_hour: int) -> dict:
    """The package collection's config for progress: scheduler v2 (else the importer
    upgrades it from v1 and renumbers learning answers' buttons), day count in UTC
    from `COLLECTION_DAY`, and the day starting at our hour."""
    return {**conf, "schedVer": 2, "creationOffset": 0, "rollover": day_start_hour}
