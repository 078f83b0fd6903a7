"""Today's queue: what was done in this study day, the day's limits, and the cards in
order (due, new, then SM-2's repeats or FSRS's steps). docs/review.md has the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime

from flashcards.clock import day_window
from flashcards.model import FlashcardsError
from flashcards.scheduler import (
    needs_repeat,
)
from flashcards.settings import (
    Settings,
)
from flashcards.store import ReviewRecord, Store, StoredCard

Clock = Callable[[], datetime]

Card = StoredCard  # a card as the session shows and schedules it


@dataclass(frozen=True)
class Today:
    """What was already done in this study day, read from the review log."""

    new_done: int = 0
    reviews_done: int = 0
    notes_seen: frozenset[str] = frozenset()  # note GUIDs
    cards_scheduled: frozenset[int] = frozenset()
    # Cards whose last answer today was below 4: SM-2 asks them again today.
    unfinished: tuple[int, ...] = ()


def done_today(store: Store, today: date, settings: Settings, zone) -> Today:
    start, end = day_window(today, settings.day_start_hour, zone)
    reviews = store.reviews_between(start, end)
    # A card's first scheduled answer of the day says whether it was new or a review
    # (under FSRS a card in its steps is scheduled by later answers too).
    first: dict[int, ReviewRecord] = {}
    for record in reviews:
        if record.scheduled:
            first.setdefault(record.card_id, record)
    last_grade = {r.card_id: r.grade for r in reviews}
    return Today(
        new_done=sum(r.before.is_new for r in first.values()),
        reviews_done=sum(not r.before.is_new for r in first.values()),
        notes_seen=frozenset(r.note_guid for r in first.values()),
        cards_scheduled=frozenset(first),
        # SM-2's same-day repeats; under FSRS a card on a step is simply due again.
        unfinished=() if settings.uses_fsrs else
        tuple(c for c, g in last_grade.items() if needs_repeat(g)),
    )


def build_queue(
    store: Store,
    today: date,
    settings: Settings,
    zone,
    deck: str | None = None,
    new_limit: int | None = None,
    review_limit: int | None = None,
) -> list[Card]:
    """Today's cards in order: due (most overdue first), new, then unfinished repeats
    (SM-2) or the cards on a step of minutes due today (FSRS).

    The limits are totals for the study day (default: the settings), so what was
    answered earlier today counts. A card is left for another day when a sibling
    (a card of the same note) was answered today or is already in the queue.
    Cards on a step count against no limit and bury no sibling of their own, as
    in Anki; the session shows each when its moment comes.
    """
    if deck is not None:
        store.require_deck(deck)
    done = done_today(store, today, settings, zone)
    reviews_left = left_today(
        settings.reviews_per_day if review_limit is None else review_limit, done.reviews_done)
    new_left = left_today(settings.new_per_day if new_limit is None else new_limit,
                          done.new_done)
    taken_notes = set(done.notes_seen)
    # Due before new: taking due cards marks their notes, which buries new siblings.
    with closing(store.due_cards(today, deck=deck)) as cards:
        due = _take(cards, reviews_left, taken_notes)
    with closing(store.new_cards(deck=deck)) as cards:
        new = _take(cards, new_left, taken_notes)
    steps = steps_today(store, today, deck) if settings.uses_fsrs else []
    return due + new + repeats_today(store, done, deck) + steps


def steps_today(store: Store, today: date, deck: str | None) -> list[Card]:
    """Active cards on a step of minutes due by the end of ``today``, soonest first."""
    return sorted(store.step_cards(today, deck=deck), key=lambda c: c.schedule.due_at)


def left_today(limit: int, done: int) -> int:
    if limit < 0:
        raise FlashcardsError(f"a limit must be 0 or more, got {limit}")
    return max(0, limit - done)


def repeats_today(store: Store, done: Today, deck: str | None) -> list[Card]:
    """Today's unfinished cards that are still active (and in ``deck``)."""
    cards = (store.card(card_id) for card_id in done.unfinished)
    return [c for c in cards
            if c is not None and c.active and (deck is None or in_deck(c.deck, deck))]


def _take(cards: Iterable[Card], limit: int, taken_notes: set[str]) -> list[Card]:
    """Up to ``limit`` cards, skipping (burying) siblings of cards already taken.

    Reads ``cards`` only as far as it needs: a store with 90k cards due gives the
    day's 200 without the rest being read.
    """
    taken: list[Card] = []
    if limit <= 0:
        return taken
    for card in cards:
        if card.note_guid in taken_notes or card.schedule.due_at is not None:
            continue
        taken_notes.add(card.note_guid)
        taken.append(card)
        if len(taken) == limit:
            break
    return taken


def in_deck(name: str, deck: str) -> bool:
    """True if deck ``name`` is ``deck`` or one of its subdecks."""
    return name == deck or name.startswith(deck + "::")
