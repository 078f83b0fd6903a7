"""The figures of `flashcards stats` as records, and their JSON shape (``to_dict``).

docs/stats.md defines every figure; ``flashcards.stats`` computes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flashcards.settings import Settings


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
