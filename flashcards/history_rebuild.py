"""A rebuild's replay: cards with no stored answers, replayed from their events alone.

A store rebuilt from Markdown and the journal (or one never answered) replays
every card from nothing, so this replay reads nothing back from the store: it
turns a batch of events straight into the rows to write (``store.review_values``
and ``schedule_values``), with no per-answer objects beyond the replay's own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from flashcards import journal
from flashcards.journal import ANSWER, JOURNAL_ONLY, NOTE, SUSPEND, UNSUSPEND, Event
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


def replay_batch(events: list[Event], cards: Cards, rules_for: Callable[[str], journal.Rules],
                 device: str, *, rows: int = 20_000) -> Iterator[ReplayedBatch]:
    """Every card of ``events`` (each card's events all here), replayed from nothing, in
    parts of about ``rows`` answers (so a large read never holds all its rows)."""
    batch = ReplayedBatch(has_schedules=any(e.type in JOURNAL_ONLY for e in events))
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
        if len(batch.reviews) >= rows:
            yield batch
            batch = ReplayedBatch()
    yield batch


def record_of(answer: journal.ReplayedAnswer, card: ReplayCard) -> ReviewRecord:
    """A replayed answer as the store keeps it."""
    event = answer.event
    return ReviewRecord(
        card_id=card.id, note_guid=card.note_guid, ordinal=card.ord, reviewed_at=event.time,
        grade=event.grade, scheduled=answer.scheduled, before=answer.before, after=answer.after,
        button=event.button, duration_ms=event.duration_ms,
        utc_offset_minutes=event.utc_offset_minutes, day_start_hour=event.day_start_hour,
        event_id=event.id)
