"""Study statistics: every figure of ``flashcards stats``, computed from store rows.

No terminal I/O and no clock: the caller passes ``now`` in. ``collect`` streams the
rows it needs through Store methods into ``compute``, which is pure; ui.py draws the
result. docs/stats.md defines every figure precisely.

A store may hold a million reviews, so nothing here keeps them: ``compute`` totals
them per study day in one pass (``day_totals``) and every review figure comes from
those totals. The cards are counted by the store (``card_totals``: per state, and
those in play per due date, interval and E-Factor), which gives the leeches alone as
rows. Review and card records are the store's ``StatsReview``, ``CardCounts`` and
``StatsCard``. Every review is dated in the zone of ``now``, never the machine's.

The parts: ``figures`` (the records and their JSON shape), ``review_days`` (reviews
per study day: calendar, streaks, retention), ``cards`` (cards per state: forecast,
buckets, leeches); this module puts them together and words the end screen's line.
Every name of the parts is importable from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo

from flashcards.clock import zone_of
from flashcards.model import FlashcardsError, plural
from flashcards.scheduler import LEARNED_REPETITIONS, MATURE_INTERVAL, study_day
from flashcards.settings import DEFAULT_SETTINGS, Settings, load_settings
from flashcards.stats.cards import (
    CARD_STATES,
    EASINESS_EDGES,
    FORECAST_DAYS,
    INTERVAL_BUCKETS,
    CardTotals,
    card_counts,
    card_totals,
    easiness_buckets,
    forecast,
    hundredths,
    interval_buckets,
    leeches,
)
from flashcards.stats.figures import Bucket, Day, Leech, Rate, Retention, Stats
from flashcards.stats.review_days import (
    RETENTION_WINDOWS,
    UTC_MINUTE,
    UTC_SUFFIX,
    DayTotals,
    StudyDays,
    counts_for_retention,
    daily,
    day_totals,
    hour_day_totals,
    retention,
    retention_windows,
    review_day,
    streaks,
    window_days,
)
from flashcards.store import StatsReview, Store

__all__ = [
    "CARD_STATES", "DEFAULT_DAYS", "EASINESS_EDGES", "FORECAST_DAYS", "INTERVAL_BUCKETS",
    "LEARNED_REPETITIONS", "MATURE_INTERVAL", "RETENTION_WINDOWS",
    "SUMMARY_FORECAST_DAYS", "UTC_MINUTE", "UTC_SUFFIX",
    "Bucket", "CardTotals", "Day", "DayTotals", "Leech", "Rate", "Retention", "Stats",
    "StudyDays", "card_counts", "card_totals", "collect", "compute",
    "counts_for_retention", "daily", "day_totals", "easiness_buckets", "forecast",
    "from_totals", "hour_day_totals", "hundredths", "interval_buckets", "leeches",
    "next_days_words", "plural", "retention", "retention_windows", "review_day",
    "session_summary_line",
    "streaks", "summary_line", "window_days",
]

DEFAULT_DAYS = 365
SUMMARY_FORECAST_DAYS = 7


# -- everything at once -------------------------------------------------------------

def compute(reviews: Iterable[StatsReview], cards: CardTotals, *, now: datetime,
            settings: Settings = DEFAULT_SETTINGS, days: int = DEFAULT_DAYS,
            deck: str | None = None, tz: tzinfo | None = None) -> Stats:
    """All figures from review records (read once) and the cards as the store counts
    them, as of ``now`` (aware). Reviews are dated in ``tz``, by default the zone of
    ``now``."""
    if days < 1:
        raise FlashcardsError(f"--days must be 1 or more, got {days}")
    per_day = day_totals(reviews, settings.day_start_hour, tz or zone_of(now))
    return from_totals(per_day, cards, now=now, settings=settings, days=days, deck=deck)


def from_totals(per_day: Mapping[date, DayTotals], in_cards: CardTotals, *,
                now: datetime, settings: Settings, days: int, deck: str | None) -> Stats:
    """``compute`` from reviews already totalled per study day and cards counted."""
    if days < 1:
        raise FlashcardsError(f"--days must be 1 or more, got {days}")
    today = study_day(now, settings.day_start_hour)
    current, longest = streaks(per_day, today)
    counts = in_cards.counts
    overdue, ahead = forecast(counts.due, today)
    return Stats(
        today=today, deck=deck, days=days, settings=settings,
        daily=daily(per_day, today, days),
        current_streak=current, longest_streak=longest,
        overdue=overdue, forecast=ahead,
        retention=tuple(retention(per_day, today, w) for w in retention_windows(days)),
        card_counts=card_counts(counts.states),
        intervals=interval_buckets(counts.intervals),
        easiness=easiness_buckets(hundredths(counts.easiness)),
        leeches=leeches(in_cards.leeches),
        total_ms=sum(t.duration_ms for t in per_day.values()),
    )


def collect(store: Store, *, now: datetime, deck: str | None = None,
            days: int = DEFAULT_DAYS) -> Stats:
    """Read the store's records (of ``deck`` and its subdecks) and compute every figure.

    ``now`` is aware, in the study zone, which dates every review.
    """
    if deck:
        store.require_deck(deck)
    settings = load_settings(store)
    cards = card_totals(store, settings, deck)
    if deck:
        return compute(store.stats_reviews(deck=deck), cards, now=now, settings=settings,
                       days=days, deck=deck, tz=zone_of(now))
    # The whole store: its reviews as the store totals them per UTC hour.
    per_day = hour_day_totals(store.review_hours(), store.stats_reviews_of_hour,
                              settings.day_start_hour, zone_of(now))
    return from_totals(per_day, cards, now=now, settings=settings, days=days, deck=None)


def session_summary_line(store: Store, *, now: datetime, deck: str | None = None) -> str:
    """One line for the review session's end screen: today, retention, next 7 days."""
    # Only recent rows: a day of margin on each side makes time zones irrelevant here.
    since = (now - timedelta(days=2)).astimezone(UTC).isoformat()
    settings = load_settings(store)
    stats = compute(store.stats_reviews(deck=deck, since=since),
                    card_totals(store, settings, deck), now=now, settings=settings,
                    days=1, tz=zone_of(now))
    return summary_line(stats)


def summary_line(stats: Stats) -> str:
    today = stats.daily[-1]
    rate = stats.retention[0].all
    # No "retention -": without a first answer today there is nothing to say.
    kept = "" if rate.rate is None else \
        f", {rate.rate:.0%} recalled ({rate.passed} of {rate.total})"
    upcoming = [n for _, n in stats.forecast[1:SUMMARY_FORECAST_DAYS + 1]]
    return (f"Today: {plural(today.answers, 'answer')}{kept}. "
            f"Next {SUMMARY_FORECAST_DAYS} days: {next_days_words(upcoming)}.")


def next_days_words(counts: list[int]) -> str:
    """Cards due on each following day in words: "5 due tomorrow, 2 in 3 days, then none"."""
    if not any(counts):
        return "nothing due"
    parts = [f"{n} due tomorrow" if day == 1 else f"{n} in {day} days"
             for day, n in enumerate(counts, start=1) if n]
    last = max(day for day, n in enumerate(counts, start=1) if n)
    if last < len(counts):
        parts.append("then none")
    return ", ".join(parts)

