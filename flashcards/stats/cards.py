"""The figures made of the cards as the store counts them (``CardCounts``): the
forecast, the interval and E-Factor buckets, the leeches.

Which state a card is in is the store's rule (one SQL expression that `flashcards
list` shows too); so is which cards are in play and which are leeches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from flashcards.settings import Settings
from flashcards.stats.figures import Bucket, Leech
from flashcards.store import CARD_STATES, CardCounts, StatsCard, Store

FORECAST_DAYS = 30
# Interval buckets in days, (low, high) inclusive; None = no upper bound.
INTERVAL_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (1, 1), (2, 6), (7, 20), (21, 60), (61, 180), (181, 365), (366, None),
)
# E-Factor buckets [low, next low); 1.3 is SM-2's floor and 2.5 its start.
EASINESS_EDGES = (1.3, 1.5, 1.7, 1.9, 2.1, 2.3, 2.5, 2.7)


@dataclass(frozen=True)
class CardTotals:
    """The cards as the store counts them, and the leeches themselves."""

    counts: CardCounts
    leeches: list[StatsCard]


def card_totals(store: Store, settings: Settings, deck: str | None = None) -> CardTotals:
    """The cards of ``deck`` and its subdecks (None: all) counted, and their leeches."""
    return CardTotals(store.stats_card_counts(deck=deck),
                      store.stats_leeches(lapses=settings.leech_threshold, deck=deck))


def hundredths(easiness: Mapping[float, int]) -> Counter[int]:
    """Cards per E-Factor in hundredths, from cards per E-Factor as stored."""
    counted: Counter[int] = Counter()
    for value, count in easiness.items():
        # Compare in hundredths: the E-Factor moves in steps of 0.01 and floats drift.
        counted[round(value * 100)] += count
    return counted


def card_counts(states: Mapping[str, int]) -> dict[str, int]:
    return {state: states[state] for state in CARD_STATES}


def forecast(due: Mapping[str, int], today: date,
             days: int = FORECAST_DAYS) -> tuple[int, tuple[tuple[date, int], ...]]:
    """(overdue cards, cards due on each of today and the next days), from cards in
    play counted per due date."""
    by_day: Counter[date] = Counter()
    for text, count in due.items():
        by_day[date.fromisoformat(text)] += count
    overdue = sum(n for d, n in by_day.items() if d < today)
    ahead = tuple((d, by_day[d]) for d in (today + timedelta(days=i) for i in range(days)))
    return overdue, ahead


def interval_buckets(intervals: Mapping[int, int]) -> tuple[Bucket, ...]:
    buckets = []
    for low, high in INTERVAL_BUCKETS:
        label = f"{low}" if low == high else f"{low}+" if high is None else f"{low}-{high}"
        count = sum(n for i, n in intervals.items() if i >= low and (high is None or i <= high))
        buckets.append(Bucket(label, count))
    return tuple(buckets)


def easiness_buckets(hundredths: Mapping[int, int]) -> tuple[Bucket, ...]:
    edges = [round(e * 100) for e in EASINESS_EDGES]
    buckets = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        label = f"{low / 100:.1f}+" if high is None else f"{low / 100:.1f}-{high / 100:.1f}"
        count = sum(n for v, n in hundredths.items() if v >= low and (high is None or v < high))
        buckets.append(Bucket(label, count))
    return tuple(buckets)


def leeches(cards: Iterable[StatsCard]) -> tuple[Leech, ...]:
    """The leeches the store found (``Store.stats_leeches``), most lapses first."""
    found = sorted(cards, key=lambda c: (-c.lapses, c.path, c.line, c.id))
    return tuple(Leech(c.id, c.deck, c.question, c.path, c.line, c.lapses, bool(c.suspended))
                 for c in found)
