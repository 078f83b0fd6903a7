"""Reviews dated by study day and totalled per day, in one pass; the figures made of those
totals: the calendar, streaks, retention.

A store may hold a million reviews, so nothing here keeps them. Every review is
dated in the zone the caller gives, never the machine's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from flashcards.scheduler import MATURE_INTERVAL, PASSING_GRADE, study_day
from flashcards.stats.figures import Day, Rate, Retention
from flashcards.store import HourTotals, StatsReview

# The windows the issue asks for; --days caps them and adds itself (docs/stats.md).
RETENTION_WINDOWS = (7, 30, 365)
# How stored review times end (session.utc_iso); only such times are memoized.
UTC_SUFFIX = "+00:00"
# "YYYY-MM-DDTHH:MM": the first 13 characters name the hour, the first 16 the minute.
UTC_MINUTE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d", re.ASCII)


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
