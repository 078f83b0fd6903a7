"""Study statistics: every figure of ``flashcards stats``, computed from store rows.

No terminal I/O and no clock: the caller passes ``now`` in. ``collect`` streams the
rows it needs through Store methods into ``compute``, which is pure; ui.py draws the
result. docs/stats.md defines every figure precisely.

A store may hold a million reviews, so nothing here keeps them: ``compute`` totals
them per study day in one pass (``day_totals``) and every review figure comes from
those totals; cards are likewise counted in one pass (``card_totals``), keeping only
the leeches. Review and card records are the store's ``StatsReview`` and
``StatsCard``. Every review is dated in the zone of ``now``, never the machine's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from flashcards.clock import zone_of
from flashcards.fsrs.scheduler import REVIEW as FSRS_REVIEW
from flashcards.model import FlashcardsError
from flashcards.scheduler import (
    LEARNED_REPETITIONS,
    MATURE_INTERVAL,
    PASSING_GRADE,
    study_day,
)
from flashcards.settings import DEFAULT_SETTINGS, Settings, load_settings
from flashcards.store import HourTotals, StatsCard, StatsReview, Store

# The card states' thresholds (LEARNED_REPETITIONS, MATURE_INTERVAL) live with SM-2,
# so `flashcards list` names the states as the statistics count them.
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
IN_PLAY = ("learning", "young", "mature")
# How stored review times end (session.utc_iso); only such times are memoized.
UTC_SUFFIX = "+00:00"
# "YYYY-MM-DDTHH:MM": the first 13 characters name the hour, the first 16 the minute.
UTC_MINUTE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d", re.ASCII)


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

def review_day(reviewed_at: str, day_start_hour: int, tz: tzinfo) -> date:
    """The study day of a stored review time (UTC ISO) in zone ``tz``."""
    moment = datetime.fromisoformat(reviewed_at)
    return study_day(moment.astimezone(tz), day_start_hour)


class StudyDays:
    """``review_day`` of many review times, worked out once per UTC hour where it can.

    An hour, or else a minute, has one study day when the zone's offset and the study
    day are the same at its first and last microsecond: tzdata never changes a zone's
    offset twice within four days, so the offset holds in between, local time only moves
    forward, and so does the study day. Since 1972 every offset is whole minutes and
    changes on a whole UTC minute, so at worst an hour falls back to its minutes; the
    rest (older times, other forms) are dated one by one. docs/stats.md has more.
    """

    def __init__(self, day_start_hour: int, tz: tzinfo):
        self.day_start_hour = day_start_hour
        self.tz = tz
        self.hours: dict[str, date] = {}  # "YYYY-MM-DDTHH" -> day; day_totals reads it
        self._minutes: dict[str, date | None] = {}  # of the hours that have no one day
        self._split_hours: set[str] = set()

    def __call__(self, reviewed_at: str) -> date:
        if not (UTC_MINUTE.match(reviewed_at) and reviewed_at.endswith(UTC_SUFFIX)):
            return review_day(reviewed_at, self.day_start_hour, self.tz)
        hour = reviewed_at[:13]
        if hour in self.hours:
            return self.hours[hour]
        moment = datetime.fromisoformat(reviewed_at)
        if hour not in self._split_hours:
            day = self._one_day(moment.replace(minute=0, second=0, microsecond=0),
                                timedelta(hours=1))
            if day is not None:
                self.hours[hour] = day
                return day
            self._split_hours.add(hour)
        minute = reviewed_at[:16]
        if minute not in self._minutes:
            self._minutes[minute] = self._one_day(moment.replace(second=0, microsecond=0),
                                                  timedelta(minutes=1))
        day = self._minutes[minute]
        return review_day(reviewed_at, self.day_start_hour, self.tz) if day is None else day

    def of_hour(self, hour: str) -> date | None:
        """The study day of every moment of a UTC hour ("YYYY-MM-DDTHH"), or None when
        a study day begins within it."""
        if hour not in self.hours:
            start = datetime.fromisoformat(f"{hour}:00:00+00:00")
            day = self._one_day(start, timedelta(hours=1))
            if day is None:
                return None
            self.hours[hour] = day
        return self.hours[hour]

    def _one_day(self, start: datetime, length: timedelta) -> date | None:
        """The study day of every moment of [start, start + length), if there is one."""
        first = start.astimezone(self.tz)
        last = (start + length - timedelta(microseconds=1)).astimezone(self.tz)
        if first.utcoffset() != last.utcoffset():
            return None
        day = study_day(first, self.day_start_hour)
        return day if study_day(last, self.day_start_hour) == day else None


@dataclass(slots=True)
class DayTotals:
    """One study day's answers, as every review figure needs them."""

    answers: int = 0
    scheduled: int = 0
    duration_ms: int = 0
    young_passed: int = 0
    young_total: int = 0
    mature_passed: int = 0
    mature_total: int = 0

    def add(self, grade: int, duration_ms: int | None, scheduled: int,
            interval_before: int | None, due_before: str | None) -> None:
        self.answers += 1
        if scheduled:
            self.scheduled += 1
        self.duration_ms += duration_ms or 0
        if counts_for_retention(scheduled, due_before, interval_before):
            passed = grade >= PASSING_GRADE
            if (interval_before or 0) >= MATURE_INTERVAL:
                self.mature_total += 1
                self.mature_passed += passed
            else:
                self.young_total += 1
                self.young_passed += passed


    def merge(self, hour: HourTotals) -> None:
        """Add an hour's totals, summed in SQL by the rules of ``add``."""
        self.answers += hour.answers
        self.scheduled += hour.scheduled
        self.duration_ms += hour.duration_ms
        self.young_passed += hour.young_passed
        self.young_total += hour.young_total
        self.mature_passed += hour.mature_passed
        self.mature_total += hour.mature_total


def day_totals(reviews: Iterable[StatsReview], day_start_hour: int,
               tz: tzinfo) -> dict[date, DayTotals]:
    """Review rows totalled per study day, in one pass that keeps no row."""
    days = StudyDays(day_start_hour, tz)
    hours = days.hours
    totals: dict[date, DayTotals] = {}
    for reviewed_at, grade, duration_ms, scheduled, interval_before, due_before in reviews:
        # StudyDays' hour memo, read here: this line runs a million times at 100k cards.
        day = hours.get(reviewed_at[:13]) if reviewed_at.endswith(UTC_SUFFIX) else None
        if day is None:
            day = days(reviewed_at)
        day_total = totals.get(day)
        if day_total is None:
            day_total = totals[day] = DayTotals()
        day_total.add(grade, duration_ms, scheduled, interval_before, due_before)
    return totals


def hour_day_totals(hours: Iterable[HourTotals],
                    reviews_of_hour: Callable[[str], Iterable[StatsReview]],
                    day_start_hour: int, tz: tzinfo) -> dict[date, DayTotals]:
    """``day_totals`` from the store's totals per UTC hour: an hour within one study
    day is added whole; the reviews of an hour in which a study day begins (every
    day in a zone of a half-hour offset) are read and dated one by one."""
    days = StudyDays(day_start_hour, tz)
    totals: dict[date, DayTotals] = {}
    for row in hours:
        odd_form = row.hour.startswith("=")
        day = days(row.hour[1:]) if odd_form else days.of_hour(row.hour)
        if day is None:
            for reviewed_at, *rest in reviews_of_hour(row.hour):
                _day_total(totals, days(reviewed_at)).add(*rest)
        else:
            _day_total(totals, day).merge(row)
    return totals


def _day_total(totals: dict[date, DayTotals], day: date) -> DayTotals:
    found = totals.get(day)
    if found is None:
        found = totals[day] = DayTotals()
    return found


def window_days(today: date, days: int) -> list[date]:
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def daily(totals: Mapping[date, DayTotals], today: date, days: int) -> tuple[Day, ...]:
    """Per study day of the last ``days`` (ending today): answers, scheduled ones, time."""
    empty = DayTotals()
    window = ((d, totals.get(d, empty)) for d in window_days(today, days))
    return tuple(Day(d, t.answers, t.scheduled, t.duration_ms) for d, t in window)


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


def counts_for_retention(scheduled: int, due_before: str | None,
                         interval_before: int | None = None) -> bool:
    """Scheduled answers to cards seen before: a first sight or a same-day repeat
    says nothing about whether the interval was right, nor does an answer on an
    FSRS step of minutes (interval 0), as in Anki's true retention."""
    return bool(scheduled) and due_before is not None and interval_before != 0


def retention(totals: Mapping[date, DayTotals], today: date, days: int) -> Retention:
    """Passed share (grade >= 3) over the last ``days``, split by the interval before."""
    start = today - timedelta(days=days - 1)
    window = [t for d, t in totals.items() if start <= d <= today]
    return Retention(days,
                     Rate(sum(t.young_passed for t in window), sum(t.young_total for t in window)),
                     Rate(sum(t.mature_passed for t in window),
                          sum(t.mature_total for t in window)))


def retention_windows(days: int) -> tuple[int, ...]:
    """7, 30 and 365 days, none longer than ``days``, and ``days`` itself."""
    return tuple(sorted({w for w in RETENTION_WINDOWS if w <= days} | {days}))


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


# -- everything at once -------------------------------------------------------------

def compute(reviews: Iterable[StatsReview], cards: Iterable[StatsCard], *, now: datetime,
            settings: Settings = DEFAULT_SETTINGS, days: int = DEFAULT_DAYS,
            deck: str | None = None, tz: tzinfo | None = None) -> Stats:
    """All figures from review and card records, as of ``now`` (aware); each iterable
    is read once. Reviews are dated in ``tz``, by default the zone of ``now``."""
    if days < 1:
        raise FlashcardsError(f"--days must be 1 or more, got {days}")
    per_day = day_totals(reviews, settings.day_start_hour, tz or zone_of(now))
    return from_totals(per_day, card_totals(cards, settings), now=now, settings=settings,
                       days=days, deck=deck)


def from_totals(per_day: Mapping[date, DayTotals], in_cards: CardTotals, *,
                now: datetime, settings: Settings, days: int, deck: str | None) -> Stats:
    """``compute`` from reviews already totalled per study day and cards counted."""
    if days < 1:
        raise FlashcardsError(f"--days must be 1 or more, got {days}")
    today = study_day(now, settings.day_start_hour)
    current, longest = streaks(per_day, today)
    overdue, ahead = forecast(in_cards.due, today)
    return Stats(
        today=today, deck=deck, days=days, settings=settings,
        daily=daily(per_day, today, days),
        current_streak=current, longest_streak=longest,
        overdue=overdue, forecast=ahead,
        retention=tuple(retention(per_day, today, w) for w in retention_windows(days)),
        card_counts=card_counts(in_cards.states),
        intervals=interval_buckets(in_cards.intervals),
        easiness=easiness_buckets(in_cards.easiness),
        leeches=leeches(in_cards.leeches, settings),
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
    if deck:
        return compute(store.stats_reviews(deck=deck), store.stats_cards(deck=deck), now=now,
                       settings=settings, days=days, deck=deck, tz=zone_of(now))
    # The whole store: its reviews as the store totals them per UTC hour, its cards
    # without their notes' text (a third of the time), which only leeches show.
    per_day = hour_day_totals(store.review_hours(), store.stats_reviews_of_hour,
                              settings.day_start_hour, zone_of(now))
    in_cards = card_totals(store.stats_schedules(), settings)
    in_cards.leeches = store.stats_cards_of([card.id for card in in_cards.leeches])
    return from_totals(per_day, in_cards, now=now, settings=settings, days=days, deck=None)


def session_summary_line(store: Store, *, now: datetime, deck: str | None = None) -> str:
    """One line for the review session's end screen: today, retention, next 7 days."""
    # Only recent rows: a day of margin on each side makes time zones irrelevant here.
    since = (now - timedelta(days=2)).astimezone(UTC).isoformat()
    stats = compute(store.stats_reviews(deck=deck, since=since), store.stats_cards(deck=deck),
                    now=now, settings=load_settings(store), days=1, tz=zone_of(now))
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


def plural(count: int, noun: str) -> str:
    """"1 card", "2 cards", "0 cards"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


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
