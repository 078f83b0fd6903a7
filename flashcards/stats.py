"""Study statistics: every figure of ``flashcards stats``, computed from store rows.

No terminal I/O and no clock: the caller passes ``now`` in. ``collect`` reads the rows
it needs through Store methods and hands them to ``compute``, which is pure; ui.py
draws the result. docs/stats.md defines every figure precisely.

Review rows are dicts with ``reviewed_at`` (UTC ISO), ``grade``, ``duration_ms``,
``scheduled``, ``interval_before`` and ``due_before``; card rows are dicts with the
``cards`` columns plus ``deck``, ``path``, ``line`` and ``question`` of their note.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from flashcards.model import FlashcardsError
from flashcards.scheduler import PASSING_GRADE, study_day
from flashcards.settings import (
    CONFIG_PREFIX,
    DEFAULT_SETTINGS,
    LEECH_THRESHOLD,
    Settings,
    from_meta,
)

# Anki's split: from an interval of 21 days on, a card counts as mature.
MATURE_INTERVAL = 21
# SM-2's first two passes use the fixed 1- and 6-day steps; the E-Factor only takes
# over from the third, so a reviewed card with fewer passes is still "learning".
LEARNED_REPETITIONS = 2
LEECH_TAG = "leech"
DEFAULT_DAYS = 365
FORECAST_DAYS = 30
# The windows the issue asks for; --days caps them and adds itself (docs/stats.md).
RETENTION_WINDOWS = (7, 30, 365)
SUMMARY_FORECAST_DAYS = 7
# Interval buckets in days, (low, high) inclusive; None = no upper bound.
INTERVAL_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (1, 1), (2, 6), (7, 20), (21, 60), (61, 180), (181, 365), (366, None),
)
# E-Factor buckets [low, next low); 1.3 is SM-2's floor and 2.5 its start.
EASINESS_EDGES = (1.3, 1.5, 1.7, 1.9, 2.1, 2.3, 2.5, 2.7)
CARD_STATES = ("new", "learning", "young", "mature", "suspended", "orphaned")
@dataclass(frozen=True)
class Day:
    """One study day of the window: every answer, the scheduled ones, time spent."""

    date: date
    answers: int = 0
    scheduled: int = 0
    duration_ms: int = 0


@dataclass(frozen=True)
class Rate:
    passed: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.passed + other.passed, self.total + other.total)

    def to_dict(self) -> dict:
        rate = None if self.rate is None else round(self.rate, 4)
        return {"passed": self.passed, "total": self.total, "rate": rate}


@dataclass(frozen=True)
class Retention:
    days: int
    young: Rate
    mature: Rate

    @property
    def all(self) -> Rate:
        return self.young + self.mature

    def to_dict(self) -> dict:
        return {"days": self.days, "young": self.young.to_dict(),
                "mature": self.mature.to_dict(), "all": self.all.to_dict()}


@dataclass(frozen=True)
class Bucket:
    label: str
    cards: int


@dataclass(frozen=True)
class Leech:
    card_id: int
    deck: str
    question: str
    path: str
    line: int
    lapses: int
    suspended: bool

    def to_dict(self) -> dict:
        return {"card_id": self.card_id, "deck": self.deck, "question": self.question,
                "source": f"{self.path}:{self.line}", "lapses": self.lapses,
                "suspended": self.suspended}


@dataclass(frozen=True)
class Stats:
    today: date
    deck: str | None
    days: int
    settings: Settings
    daily: tuple[Day, ...]          # every study day of the window, oldest first
    current_streak: int
    longest_streak: int
    overdue: int
    forecast: tuple[tuple[date, int], ...]   # today and the 29 days after it
    retention: tuple[Retention, ...]
    card_counts: dict[str, int]
    intervals: tuple[Bucket, ...]
    easiness: tuple[Bucket, ...]
    leeches: tuple[Leech, ...]
    total_ms: int                   # every answer ever (of the deck), not only the window

    @property
    def window_ms(self) -> int:
        return sum(day.duration_ms for day in self.daily)

    @property
    def window_answers(self) -> int:
        return sum(day.answers for day in self.daily)

    @property
    def study_days(self) -> int:
        return sum(1 for day in self.daily if day.answers)

    def to_dict(self) -> dict:
        return {
            "today": self.today.isoformat(), "deck": self.deck, "days": self.days,
            "settings": {"day_start_hour": self.settings.day_start_hour,
                         "leech_threshold": self.settings.leech_threshold},
            "streak": {"current": self.current_streak, "longest": self.longest_streak},
            "calendar": [{"date": d.date.isoformat(), "answers": d.answers,
                          "scheduled": d.scheduled, "duration_ms": d.duration_ms}
                         for d in self.daily],
            "time": {"window_ms": self.window_ms, "total_ms": self.total_ms,
                     "window_answers": self.window_answers, "study_days": self.study_days},
            "forecast": {"overdue": self.overdue,
                         "days": [{"date": d.isoformat(), "due": n} for d, n in self.forecast]},
            "retention": [r.to_dict() for r in self.retention],
            "cards": dict(self.card_counts, total=sum(self.card_counts.values())),
            "intervals": [{"days": b.label, "cards": b.cards} for b in self.intervals],
            "easiness": [{"easiness": b.label, "cards": b.cards} for b in self.easiness],
            "leeches": [leech.to_dict() for leech in self.leeches],
        }


# -- building blocks ------------------------------------------------------------------

def review_day(reviewed_at: str, day_start_hour: int, tz: tzinfo | None = None) -> date:
    """The study day of a stored review time (UTC ISO) in ``tz`` (None: the local zone)."""
    moment = datetime.fromisoformat(reviewed_at)
    return study_day(moment.astimezone(tz), day_start_hour)


def window_days(today: date, days: int) -> list[date]:
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def daily(reviews: Iterable[tuple[date, Mapping]], today: date, days: int) -> tuple[Day, ...]:
    """Per study day of the last ``days`` (ending today): answers, scheduled ones, time."""
    start = today - timedelta(days=days - 1)
    answers, scheduled, duration = Counter(), Counter(), Counter()
    for day, row in reviews:
        if start <= day <= today:
            answers[day] += 1
            scheduled[day] += 1 if row["scheduled"] else 0
            duration[day] += row["duration_ms"] or 0
    return tuple(Day(d, answers[d], scheduled[d], duration[d]) for d in window_days(today, days))


def streaks(study_days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive study days with at least one answer.

    The current run ends today, or yesterday when nothing was answered today yet,
    so a streak is not lost before the day is over.
    """
    days = {d for d in study_days if d <= today}
    longest = 0
    for day in days:
        if day - timedelta(days=1) in days:
            continue  # not the first day of a run
        length = 1
        while day + timedelta(days=length) in days:
            length += 1
        longest = max(longest, length)
    end = today if today in days else today - timedelta(days=1)
    current = 0
    while end - timedelta(days=current) in days:
        current += 1
    return current, longest


def counts_for_retention(row: Mapping) -> bool:
    """Scheduled answers to cards seen before: a first sight or a same-day repeat
    says nothing about whether the interval was right."""
    return bool(row["scheduled"]) and row["due_before"] is not None


def retention(reviews: Iterable[tuple[date, Mapping]], today: date, days: int) -> Retention:
    """Passed share (grade >= 3) over the last ``days``, split by the interval before."""
    start = today - timedelta(days=days - 1)
    young, mature = Counter(), Counter()
    for day, row in reviews:
        if not start <= day <= today or not counts_for_retention(row):
            continue
        side = mature if (row["interval_before"] or 0) >= MATURE_INTERVAL else young
        side["total"] += 1
        side["passed"] += 1 if row["grade"] >= PASSING_GRADE else 0
    return Retention(days, Rate(young["passed"], young["total"]),
                     Rate(mature["passed"], mature["total"]))


def retention_windows(days: int) -> tuple[int, ...]:
    """7, 30 and 365 days, none longer than ``days``, and ``days`` itself."""
    return tuple(sorted({w for w in RETENTION_WINDOWS if w <= days} | {days}))


def card_state(card: Mapping) -> str:
    """One of CARD_STATES; the first rule that applies wins (docs/stats.md)."""
    if card["orphaned"]:
        return "orphaned"
    if card["suspended"]:
        return "suspended"
    if card["due"] is None:
        return "new"
    if card["repetitions"] < LEARNED_REPETITIONS:
        return "learning"
    return "mature" if card["interval"] >= MATURE_INTERVAL else "young"


def card_counts(cards: Iterable[Mapping]) -> dict[str, int]:
    counts = Counter(card_state(card) for card in cards)
    return {state: counts[state] for state in CARD_STATES}


def scheduled_cards(cards: Iterable[Mapping]) -> list[Mapping]:
    """Cards that are reviewed and still in play (learning, young or mature)."""
    return [c for c in cards if card_state(c) in ("learning", "young", "mature")]


def forecast(cards: Iterable[Mapping], today: date,
             days: int = FORECAST_DAYS) -> tuple[int, tuple[tuple[date, int], ...]]:
    """(overdue cards, cards due on each of today and the next days)."""
    due = Counter(date.fromisoformat(c["due"]) for c in scheduled_cards(cards))
    overdue = sum(n for d, n in due.items() if d < today)
    ahead = tuple((d, due[d]) for d in (today + timedelta(days=i) for i in range(days)))
    return overdue, ahead


def interval_buckets(cards: Iterable[Mapping]) -> tuple[Bucket, ...]:
    intervals = [c["interval"] for c in scheduled_cards(cards)]
    buckets = []
    for low, high in INTERVAL_BUCKETS:
        label = f"{low}" if low == high else f"{low}+" if high is None else f"{low}-{high}"
        count = sum(1 for i in intervals if i >= low and (high is None or i <= high))
        buckets.append(Bucket(label, count))
    return tuple(buckets)


def easiness_buckets(cards: Iterable[Mapping]) -> tuple[Bucket, ...]:
    # Compare in hundredths: the E-Factor moves in steps of 0.01 and floats drift.
    values = [round(c["easiness"] * 100) for c in scheduled_cards(cards)]
    edges = [round(e * 100) for e in EASINESS_EDGES]
    buckets = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        label = f"{low / 100:.1f}+" if high is None else f"{low / 100:.1f}-{high / 100:.1f}"
        count = sum(1 for v in values if v >= low and (high is None or v < high))
        buckets.append(Bucket(label, count))
    return tuple(buckets)


def is_leech(lapses: int, threshold: int = LEECH_THRESHOLD) -> bool:
    """A card failed ``threshold`` times or more (lapses = scheduled failing grades)."""
    return lapses >= threshold


def leeches(cards: Iterable[Mapping], threshold: int) -> tuple[Leech, ...]:
    found = [c for c in cards if not c["orphaned"] and is_leech(c["lapses"], threshold)]
    found.sort(key=lambda c: (-c["lapses"], c["path"], c["line"], c["id"]))
    return tuple(Leech(c["id"], c["deck"], c["question"], c["path"], c["line"], c["lapses"],
                       bool(c["suspended"])) for c in found)


# -- everything at once -------------------------------------------------------------

def compute(reviews: Sequence[Mapping], cards: Sequence[Mapping], *, now: datetime,
            settings: Settings = DEFAULT_SETTINGS, days: int = DEFAULT_DAYS,
            deck: str | None = None, tz: tzinfo | None = None) -> Stats:
    """All figures from review and card rows, as of ``now`` (aware, local)."""
    if days < 1:
        raise FlashcardsError(f"--days must be 1 or more, got {days}")
    today = study_day(now, settings.day_start_hour)
    dated = [(review_day(r["reviewed_at"], settings.day_start_hour, tz), r) for r in reviews]
    current, longest = streaks((d for d, _ in dated), today)
    overdue, ahead = forecast(cards, today)
    return Stats(
        today=today, deck=deck, days=days, settings=settings,
        daily=daily(dated, today, days),
        current_streak=current, longest_streak=longest,
        overdue=overdue, forecast=ahead,
        retention=tuple(retention(dated, today, w) for w in retention_windows(days)),
        card_counts=card_counts(cards),
        intervals=interval_buckets(cards), easiness=easiness_buckets(cards),
        leeches=leeches(cards, settings.leech_threshold),
        total_ms=sum(r["duration_ms"] or 0 for r in reviews),
    )


def collect(store, *, now: datetime, deck: str | None = None,
            days: int = DEFAULT_DAYS) -> Stats:
    """Read the store's rows (of ``deck`` and its subdecks) and compute every figure."""
    if deck and not store.stats_deck_exists(deck):
        raise FlashcardsError(f"no deck named {deck!r}; `flashcards list` shows the decks")
    settings = from_meta(store.meta_items(CONFIG_PREFIX))
    return compute(store.stats_reviews(deck=deck), store.stats_cards(deck=deck), now=now,
                   settings=settings, days=days, deck=deck)


def session_summary_line(store, *, now: datetime) -> str:
    """One line for the review session's end screen: today, retention, next 7 days."""
    settings = from_meta(store.meta_items(CONFIG_PREFIX))
    # Only recent rows: a day of margin on each side makes time zones irrelevant here.
    since = (now - timedelta(days=2)).astimezone(UTC).isoformat()
    reviews = store.stats_reviews(since=since)
    stats = compute(reviews, store.stats_cards(), now=now, settings=settings, days=1)
    return summary_line(stats)


def summary_line(stats: Stats) -> str:
    today = stats.daily[-1]
    rate = stats.retention[0].all
    kept = "-" if rate.rate is None else f"{rate.rate:.0%} ({rate.passed}/{rate.total})"
    upcoming = " ".join(str(n) for _, n in stats.forecast[1:SUMMARY_FORECAST_DAYS + 1])
    return (f"Today: {today.answers} answers, retention {kept}. "
            f"Next {SUMMARY_FORECAST_DAYS} days: {upcoming}")
