"""A rebuild's replay: cards with no stored answers, replayed from their events alone.

A store rebuilt from Markdown and the journal (or one never answered) replays
every card from nothing, so this replay reads nothing back from the store: it
turns a batch of events straight into the rows to write (``store.answer_values``
and ``schedule_values``), with no per-answer objects beyond the replay's own.

A large rebuild's buckets (``journal_buckets``) are shared with a second process
(``replay_buckets``): each card's events are all in one bucket, so the two never
need each other's results, and the rows of the second come back through a file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from flashcards import journal, second_process
from flashcards.journal import ANSWER, JOURNAL_ONLY, NOTE, SUSPEND, UNSUSPEND, Event
from flashcards.journal_buckets import BucketedReading
from flashcards.store import ReplayCard, ReviewRecord, answer_values, schedule_values

# The cards of a batch, by (note GUID, ordinal): a StoredCard or a ReplayCard.
Cards = Mapping[tuple[str, int], ReplayCard]
RulesFor = Callable[[str], journal.Rules]

# From this many buckets (about 12 MB of journal) a second process takes some:
# fewer are not worth its start (about 0.3 s).
SECOND_PROCESS_FROM = 3
# The share of the buckets this process replays itself: it also writes every row
# to the store, the second's included (docs/benchmarks.md, "The rebuild on two cores").
OWN_SHARE = 0.35


@dataclass
class ReplayedBatch:
    """One batch replayed: rows ready for the store, and what the user is told."""

    reviews: list[list] = field(default_factory=list)  # store.answer_values rows
    schedules: list[list] = field(default_factory=list)  # store.schedule_values rows
    suspensions: list[tuple[int, bool]] = field(default_factory=list)  # changed ones
    answers_from: Counter[str] = field(default_factory=Counter)
    missing: set[str] = field(default_factory=set)  # GUIDs of notes the store lacks
    cards: int = 0
    has_schedules: bool = False


def replay_batch(events: list[Event], cards: Cards, rules_for: RulesFor, device: str, *,
                 rows: int = 20_000) -> Iterator[ReplayedBatch]:
    """Every card of ``events`` (each card's events all here), replayed from nothing, in
    parts of about ``rows`` answers (so a large read never holds all its rows)."""
    batch = ReplayedBatch(has_schedules=any(e.type in JOURNAL_ONLY for e in events))
    for key, card_events in journal.by_card(e for e in events if e.type != NOTE).items():
        card = cards.get(key)
        if card is None:
            batch.missing.add(key[0])  # a note this store does not hold (yet)
            continue
        history = journal.replay(card_events, rules_for(card.deck))
        batch.reviews += [answer_values(card.id, a.event.time, a.event.grade,
                                        a.event.duration_ms, a.scheduled, a.before, a.after,
                                        a.event.button, a.event.utc_offset_minutes,
                                        a.event.day_start_hour, a.event.id)
                          for a in history.answers]
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


def replay_buckets(reading: BucketedReading, cards: Cards, rules_for: RulesFor, device: str,
                   *, rows: int) -> Iterator[ReplayedBatch]:
    """Every bucket of ``reading`` replayed (``replay_batch``), on two cores if there are.

    A second process (second_process.share) replays the last buckets while this one
    replays the first, then writes the second's batches as they come; they follow
    this one's, so the rows are written in the same order whoever replayed them.
    """
    if reading.buckets < SECOND_PROCESS_FROM:
        yield from _replay_here(reading, range(reading.buckets), cards, rules_for, device, rows)
        return
    assert reading.folder is not None
    rules = {deck: rules_for(deck) for deck in {c.deck for c in cards.values()}}
    here = _Buckets(reading, cards, rules, device, rows)
    there = _Buckets(reading.for_another_process(), cards, rules, device, rows)
    yield from second_process.share(here, there, range(reading.buckets), OWN_SHARE,
                                    reading.folder / "second.batches",
                                    ended=reading.problems.extend)


def _replay_here(reading: BucketedReading, buckets: Iterable[int], cards: Cards,
                 rules_for: RulesFor, device: str, rows: int) -> Iterator[ReplayedBatch]:
    for events in reading.batches(buckets):
        yield from replay_batch(events, cards, rules_for, device, rows=rows)


@dataclass(frozen=True)
class _Buckets:
    """A rebuild's buckets as ``second_process.Work``: the same replay in either process."""

    reading: BucketedReading
    cards: Cards
    rules: dict[str, journal.Rules]  # by deck
    device: str
    rows: int

    def replay(self, bucket: int) -> Iterator[ReplayedBatch]:
        return _replay_here(self.reading, [bucket], self.cards, self.rules.__getitem__,
                            self.device, self.rows)

    def ended(self) -> list:
        return self.reading.problems  # met in the second process's buckets
