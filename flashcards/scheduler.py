"""SM-2 as P. A. Wozniak described it in 1990: (state, grade) -> new state.

Pure code: no I/O, no clock, no environment, no randomness. The caller passes the
time in (see ``study_day``). Only the standard library is imported, so importing
this module stays cheap.

The E-Factor changes in steps of 0.01, so it is kept exact as integer hundredths
while computing; binary floats would otherwise drift (2.5 plus five steps of 0.1
is 3.0000000000000004, and 50 days times that rounds up to 151 instead of 150).
See docs/scheduler.md for the rules, a worked table and other published variants.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

__all__ = [
    "BUTTON_GRADES",
    "BUTTON_NAMES",
    "DAY_START_HOUR",
    "FIRST_INTERVAL",
    "GRADE_MEANINGS",
    "INITIAL_EASINESS",
    "LEARNED_REPETITIONS",
    "MATURE_INTERVAL",
    "MAX_INTERVAL",
    "MAX_GRADE",
    "MIN_EASINESS",
    "MIN_GRADE",
    "PASSING_GRADE",
    "REPEAT_BELOW_GRADE",
    "SECOND_INTERVAL",
    "SM2State",
    "due_date",
    "needs_repeat",
    "review",
    "study_day",
]

# The lowest and highest grades of Wozniak's 0-5 quality scale.
MIN_GRADE = 0
MAX_GRADE = 5
# Grades from 3 up count as recalled; lower grades restart the repetitions.
PASSING_GRADE = 3
# SM-2's same-day rule: answers below 4 are asked again until they reach 4.
REPEAT_BELOW_GRADE = 4
# Wozniak's starting E-Factor for every new item.
INITIAL_EASINESS = 2.5
# Items below 1.3 came back too often and were usually badly worded (Wozniak, 1990).
MIN_EASINESS = 1.3
# I(1) and I(2) of the 1990 text, in days; later intervals multiply by the E-Factor.
FIRST_INTERVAL = 1
SECOND_INTERVAL = 6
# The longest interval, in days: from 0001-01-01 to 9999-12-31. A longer one is due
# on date.max all the same (``due_date``), and SM-2's intervals otherwise grow past
# any integer the store can hold (a 64-bit SQLite INTEGER, after some 90 perfect answers).
MAX_INTERVAL = date.max.toordinal() - 1
# Anki's split: from an interval of 21 days on, a card counts as mature.
MATURE_INTERVAL = 21
# SM-2's first two passes use the fixed 1- and 6-day steps; the E-Factor only takes
# over from the third, so a reviewed card with fewer passes is still "learning".
LEARNED_REPETITIONS = 2
# The hour a study day begins, as in Anki, so a session after midnight counts for the day before.
DAY_START_HOUR = 4
# The E-Factor is held as an integer count of these steps, which makes it exact.
_EF_SCALE = 100
_MIN_EF_HUNDREDTHS = 130

# Wozniak's own wording of each grade.
GRADE_MEANINGS: dict[int, str] = {
    5: "perfect response",
    4: "correct response after a hesitation",
    3: "correct response recalled with serious difficulty",
    2: "incorrect response; where the correct one seemed easy to recall",
    1: "incorrect response; the correct one remembered",
    0: "complete blackout",
}
# Four answer buttons (as in Anki) -> SM-2 grades; 2 and 0 stay reachable on the full scale.
BUTTON_GRADES: dict[int, int] = {1: 1, 2: 3, 3: 4, 4: 5}
BUTTON_NAMES: dict[int, str] = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


@dataclass(frozen=True)
class SM2State:
    """What SM-2 knows about one card. A new card is ``SM2State()``.

    ``repetitions`` counts passing reviews since the last failure, ``easiness`` is the
    E-Factor and ``interval`` the days until the next review (0 for a new card).
    """

    repetitions: int = 0
    easiness: float = INITIAL_EASINESS
    interval: int = 0

    def __post_init__(self) -> None:
        _check_count("repetitions", self.repetitions)
        _check_count("interval", self.interval)
        _check_easiness(self.easiness)
        if self.repetitions > 0 and self.interval < 1:
            raise ValueError(
                f"interval must be at least 1 day once a card has repetitions "
                f"(got repetitions={self.repetitions}, interval={self.interval})"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SM2State:
        """Build a state from ``to_dict()`` output; other keys are ignored."""
        missing = [name for name in ("repetitions", "easiness", "interval") if name not in data]
        if missing:
            raise ValueError(f"SM-2 state is missing {', '.join(missing)}: {dict(data)!r}")
        return cls(
            repetitions=data["repetitions"],
            easiness=data["easiness"],
            interval=data["interval"],
        )


def review(state: SM2State, grade: int) -> SM2State:
    """Return the state after answering with ``grade`` (0-5); ``state`` is left as it is."""
    _check_grade(grade)
    ef_hundredths = _next_ef_hundredths(_to_hundredths(state.easiness), grade)
    easiness = ef_hundredths / _EF_SCALE
    if grade < PASSING_GRADE:
        return SM2State(repetitions=0, easiness=easiness, interval=FIRST_INTERVAL)
    repetitions = state.repetitions + 1
    interval = _next_interval(repetitions, state.interval, ef_hundredths)
    return SM2State(repetitions=repetitions, easiness=easiness, interval=interval)


def needs_repeat(grade: int) -> bool:
    """True if the card must be asked again today (grade below 4).

    These same-day repeats never change the schedule: call ``review`` only for the
    first answer of the day.
    """
    _check_grade(grade)
    return grade < REPEAT_BELOW_GRADE


def study_day(moment: datetime, day_start_hour: int = DAY_START_HOUR) -> date:
    """The study day a timezone-aware *local* time belongs to.

    A day runs from ``day_start_hour`` to the same hour the next morning, so with the
    default 4, 03:59 belongs to the day before and 04:00 to the same day.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"study_day needs a timezone-aware local time, got the naive {moment.isoformat()}; "
            "pass e.g. datetime.now().astimezone()"
        )
    if isinstance(day_start_hour, bool) or not isinstance(day_start_hour, int):
        raise ValueError(f"day_start_hour must be a whole hour 0-23, got {day_start_hour!r}")
    if not 0 <= day_start_hour <= 23:
        raise ValueError(f"day_start_hour must be a whole hour 0-23, got {day_start_hour!r}")
    # Wall-clock arithmetic on purpose: the local hour decides, also on DST days.
    return (moment - timedelta(hours=day_start_hour)).date()


def due_date(reviewed_on: date, state: SM2State) -> date:
    """The study day the card is due again: the review's study day plus the interval.

    An interval reaching past ``date.max`` (year 9999) gives ``date.max``.
    """
    if isinstance(reviewed_on, datetime):
        raise ValueError(
            f"due_date needs the review's study day, got the time {reviewed_on.isoformat()}; "
            "pass study_day(moment)"
        )
    days_left = date.max.toordinal() - reviewed_on.toordinal()
    if state.interval >= days_left:
        return date.max
    return reviewed_on + timedelta(days=state.interval)


def _next_ef_hundredths(ef_hundredths: int, grade: int) -> int:
    # EF' = EF + (0.1 - (5-q)*(0.08 + (5-q)*0.02)), times 100 on both sides.
    misses = MAX_GRADE - grade
    return max(_MIN_EF_HUNDREDTHS, ef_hundredths + 10 - misses * (8 + misses * 2))


def _next_interval(repetitions: int, previous: int, ef_hundredths: int) -> int:
    if repetitions == 1:
        return FIRST_INTERVAL
    if repetitions == 2:
        return SECOND_INTERVAL
    # ceil(previous * EF') with the E-Factor in hundredths, in integers only.
    return min(-(-previous * ef_hundredths // _EF_SCALE), MAX_INTERVAL)


def _to_hundredths(easiness: float) -> int:
    return round(easiness * _EF_SCALE)


def _check_grade(grade: object) -> None:
    if isinstance(grade, bool) or not isinstance(grade, int):
        raise ValueError(f"grade must be a whole number 0-5, got {grade!r}")
    if not MIN_GRADE <= grade <= MAX_GRADE:
        raise ValueError(f"grade must be a whole number 0-5, got {grade!r}")


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number 0 or more, got {value!r}")


def _check_easiness(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"easiness must be a number of at least {MIN_EASINESS}, got {value!r}")
    if _to_hundredths(value) < _MIN_EF_HUNDREDTHS:
        raise ValueError(f"easiness must be a number of at least {MIN_EASINESS}, got {value!r}")
