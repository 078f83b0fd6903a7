"""A rebuild's replay: cards with no stored answers, replayed from their events alone.

A store rebuilt from Markdown and the journal (or one that has never been
answered) replays every card from nothing, so the replay needs no store: it
turns a batch of events into the rows to write. A large read comes as bucket
files (``journal_buckets``); those are replayed in a second process, a bucket
ahead of this one, which meanwhile writes the previous bucket's rows into the
store (SQLite takes one writer). The rows, their order and so the store are
the same as replaying in this process (tests/test_history_rebuild.py).
"""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from flashcards import journal, journal_buckets
from flashcards.journal import ANSWER, NOTE, SCHEDULE, SUSPEND, UNSUSPEND, Event
from flashcards.model import Problem
from flashcards.store import ReplayCard, ReviewRecord, review_values, schedule_values

# The cards of a batch, by (note GUID, ordinal): a StoredCard or a ReplayCard.
Cards = Mapping[tuple[str, int], ReplayCard]


@dataclass
class ReplayedBatch:
    """One batch replayed: rows ready for the store, and what the user is told."""

    reviews: list[list] = field(default_factory=list)  # store.review_values rows
    schedules: list[list] = field(default_factory=list)  # store.schedule_values rows
    suspensions: list[tuple[int, bool]] = field(default_factory=list)  # changed ones
    answers_from: Counter[str] = field(default_factory=Counter)
    missing: set[str] = field(default_factory=set)  # GUIDs of notes the store lacks
    cards: int = 0
    has_schedules: bool = False
    problems: list[Problem] = field(default_factory=list)


def replay_batch(events: list[Event], cards: Cards, rules_for: Callable[[str], journal.Rules],
                 device: str) -> ReplayedBatch:
    """Every card of ``events`` (each card's events all here), replayed from nothing."""
    batch = ReplayedBatch(has_schedules=any(e.type == SCHEDULE for e in events))
    for key, card_events in journal.by_card(e for e in events if e.type != NOTE).items():
        card = cards.get(key)
        if card is None:
            batch.missing.add(key[0])  # a note this store does not hold (yet)
            continue
        history = journal.replay(card_events, rules_for(card.deck))
        batch.reviews += [review_values(record_of(a, card)) for a in history.answers]
        batch.schedules.append(schedule_values(card.id, history.schedule, history.lapses))
        if any(e.type in (SUSPEND, UNSUSPEND) for e in card_events) \
                and history.suspended != card.suspended:
            batch.suspensions.append((card.id, history.suspended))
        batch.cards += 1
        batch.answers_from.update(e.device for e in card_events
                                  if e.type == ANSWER and e.device != device)
    return batch


def record_of(answer: journal.ReplayedAnswer, card: ReplayCard) -> ReviewRecord:
    """A replayed answer as the store keeps it."""
    event = answer.event
    return ReviewRecord(
        card_id=card.id, note_guid=card.note_guid, ordinal=card.ord, reviewed_at=event.time,
        grade=event.grade, scheduled=answer.scheduled, before=answer.before, after=answer.after,
        button=event.button, duration_ms=event.duration_ms,
        utc_offset_minutes=event.utc_offset_minutes, day_start_hour=event.day_start_hour,
        event_id=event.id)


# -- buckets in a second process ------------------------------------------------------


def replay_buckets(reading: journal_buckets.BucketedReading, cards: list[ReplayCard],
                   rules: Mapping[str, journal.Rules], device: str, *,
                   parallel: bool | None = None) -> Iterator[ReplayedBatch]:
    """Each bucket of ``reading`` replayed (``cards``: every card of the store; ``rules``:
    by deck), in bucket order: in a second process one bucket ahead, where there are
    two processors and several buckets (``parallel`` None), else here."""
    by_bucket: list[dict[tuple[str, int], ReplayCard]] = [{} for _ in range(reading.buckets)]
    for card in cards:
        by_bucket[journal_buckets.bucket_of(card.note_guid, reading.buckets)][
            card.note_guid, card.ord] = card
    loose = reading.loose()
    jobs = ((reading.folder, bucket, reading.sources, loose, by_bucket[bucket], rules, device)
            for bucket in range(reading.buckets))
    if parallel is None:
        parallel = reading.buckets > 1 and (os.cpu_count() or 1) > 1
    if not parallel:
        yield from map(_replay_bucket, jobs)
        return
    from concurrent.futures import ProcessPoolExecutor  # here: only a rebuild needs it

    with ProcessPoolExecutor(max_workers=1) as pool:
        ahead: deque = deque()
        for job in jobs:
            ahead.append(pool.submit(_replay_bucket, job))
            if len(ahead) > 1:  # one bucket replayed there while this one is written here
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def _replay_bucket(job: tuple) -> ReplayedBatch:
    folder, bucket, sources, loose, cards, rules, device = job
    events, problems = journal_buckets.read_bucket(folder, bucket, sources, loose)
    batch = replay_batch(events, cards, rules.__getitem__, device)
    batch.problems = problems
    return batch
