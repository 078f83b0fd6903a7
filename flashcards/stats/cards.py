"""Cards counted by state in one pass, and the figures made of those counts: the
forecast, the interval and E-Factor buckets, the leeches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flashcards.fsrs.scheduler import REVIEW as FSRS_REVIEW
from flashcards.scheduler import LEARNED_REPETITIONS, MATURE_INTERVAL
from flashcards.settings import Settings
from flashcards.stats.figures import Bucket, Leech
from flashcards.store import StatsCard

# The card states' thresholds (LEARNED_REPETITIONS, MATURE_INTERVAL) live with SM-2,
# so `flashcards list` names the states as the statistics count them.
FORECAST_DAYS = 30
# Interval buckets in days, (low, high) inclusive; None = no upper bound.
INTERVAL_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (1, 1), (2, 6), (7, 20), (21, 60), (61, 180), (181, 365), (366, None),
)
# E-Factor buckets [low, next low); 1.3 is SM-2's floor and 2.5 its start.
EASINESS_EDGES = (1.3, 1.5, 1.7, 1.9, 2.1, 2.3, 2.5, 2.7)
CARD_STATES = ("new", "learning", "young", "mature", "suspended", "orphaned")
IN_PLAY = ("learning", "young", "mature")


def card_state(card: StatsCard) -> str:
    """One of CARD_STATES; the first rule that applies wins (docs/stats.md)."""
    if card.orphaned:
        return "orphaned"
    if card.suspended:
        return "suspended"
    if card.due is None:
        return "new"
    if card.fsrs_phase is not None:  # FSRS: learning on its (re)learning steps
        if card.fsrs_phase != FSRS_REVIEW:
            return "learning"
    elif card.repetitions < LEARNED_REPETITIONS:
        return "learning"
    return "mature" if card.interval >= MATURE_INTERVAL else "young"


@dataclass
class CardTotals:
    """Cards counted per state, and the cards in play per due date, interval and
    E-Factor (in hundredths); the leeches themselves."""

    states: Counter[str] = field(default_factory=Counter)
    due: Counter[str] = field(default_factory=Counter)
    intervals: Counter[int] = field(default_factory=Counter)
    easiness: Counter[int] = field(default_factory=Counter)
    leeches: list[StatsCard] = field(default_factory=list)


def card_totals(cards: Iterable[StatsCard], settings: Settings) -> CardTotals:
    """Card rows counted in one pass that keeps only the leeches."""
    totals = CardTotals()
    for card in cards:
        state = card_state(card)
        totals.states[state] += 1
        if state in IN_PLAY:
            totals.due[card.due] += 1
            totals.intervals[card.interval] += 1
            # Compare in hundredths: the E-Factor moves in steps of 0.01 and floats drift.
            totals.easiness[round(card.easiness * 100)] += 1
        if not card.orphaned and settings.is_leech(card.lapses):
            totals.leeches.append(card)
    return totals


def card_counts(states: Counter[str]) -> dict[str, int]:
    return {state: states[state] for state in CARD_STATES}


def forecast(due: Counter[str], today: date,
             days: int = FORECAST_DAYS) -> tuple[int, tuple[tuple[date, int], ...]]:
    """(overdue cards, cards due on each of today and the next days), from cards in
    play counted per due date."""
    by_day: Counter[date] = Counter()
    for text, count in due.items():
        by_day[date.fromisoformat(text)] += count
    overdue = sum(n for d, n in by_day.items() if d < today)
    ahead = tuple((d, by_day[d]) for d in (today + timedelta(days=i) for i in range(days)))
    return overdue, ahead


def interval_buckets(intervals: Counter[int]) -> tuple[Bucket, ...]:
    buckets = []
    for low, high in INTERVAL_BUCKETS:
        label = f"{low}" if low == high else f"{low}+" if high is None else f"{low}-{high}"
        count = sum(n for i, n in intervals.items() if i >= low and (high is None or i <= high))
        buckets.append(Bucket(label, count))
    return tuple(buckets)


def easiness_buckets(hundredths: Counter[int]) -> tuple[Bucket, ...]:
    edges = [round(e * 100) for e in EASINESS_EDGES]
    buckets = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        label = f"{low / 100:.1f}+" if high is None else f"{low / 100:.1f}-{high / 100:.1f}"
        count = sum(n for v, n in hundredths.items() if v >= low and (high is None or v < high))
        buckets.append(Bucket(label, count))
    return tuple(buckets)


def leeches(cards: Iterable[StatsCard], settings: Settings) -> tuple[Leech, ...]:
    found = [c for c in cards if not c.orphaned and settings.is_leech(c.lapses)]
    found.sort(key=lambda c: (-c.lapses, c.path, c.line, c.id))
    return tuple(Leech(c.id, c.deck, c.question, c.path, c.line, c.lapses, bool(c.suspended))
                 for c in found)
