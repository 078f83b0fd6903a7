"""A person's history made ready for FSRS and for scoring: each card's answers, and
every review that counts, as columns (``Dataset``, ``prepare``); SM-2 replayed on them.

How a history becomes FSRS's input follows Anki (rslib's ``reviews_for_fsrs``)
and fsrs-rs: per card, every answer in time order, as (rating, days since the
card's previous answer), the days counted in study days; answers on the same
day are kept (delta_t 0: FSRS-6 models the short term). A review "counts" (is
something a model can be scored on, and an FSRS training item) when the card
had an earlier answer on an earlier study day: its label is recalled (Hard,
Good, Easy) or forgotten (Again).
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from flashcards.scheduler import (
    FIRST_INTERVAL,
    INITIAL_EASINESS,
    PASSING_GRADE,
    _next_ef_hundredths,
    _next_interval,
)

# The FSRS optimizer asks for 400 reviews before it fits (Anki asked for 1,000 in
# its FSRS-4 days and 400 for its retention search); fsrs-rs itself fits nothing
# below 8 training items and only the four first-day stabilities below 64, so
# fewer reviews would hand back mostly the defaults and call them "yours".
MIN_REVIEWS = 400
# The buttons are FSRS's ratings; SM-2's full 0-5 scale maps onto them: 0-2
# forgotten (Again), 3 Hard, 4 Good, 5 Easy, as the buttons give those grades.
RATING_OF_GRADE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}


class Answer(NamedTuple):
    """One answer of a card: its study day number, the FSRS rating (1-4) and the
    SM-2 grade (0-5)."""

    day: int
    rating: int
    grade: int


def rating_of(button: int | None, grade: int) -> int:
    """The FSRS rating of an answer: the button pressed, else its SM-2 grade's."""
    return button if button in (1, 2, 3, 4) else RATING_OF_GRADE[grade]


class _Scoring:
    """A column of the reviews that only scoring reads: worked out with the others
    from the answers on first read (``Dataset._scoring``), or set. Either way it is
    then the instance's own attribute, read as fast as a field (in loops of 900k)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, data: Dataset | None, owner: type | None = None):
        return self if data is None else data._scoring(self.name)


@dataclass
class Dataset:
    """A history made ready: each card's FSRS inputs, and every review that
    counts, as columns in time order (the order of the time-series split): by
    study day, and within a day by card, not by the second (one day's reviews
    may straddle a fold's boundary; none is scored on a model fitted on a later
    day). No review's time is held: a million of them would take 80 MB.

    Every column is an ``array`` of machine numbers, not a list of int objects: at
    a million answers the dataset took 160 MB as lists, 35 MB as arrays.

    ``prepare`` makes only what a fit reads (each card's answers, and each review's
    card and position); the columns only scoring reads (``delta_t`` to
    ``sm2_interval``, 19 MB at 900k reviews) are worked out from them when first
    read, so that no fit holds them beside fsrs-rs's own memory (115 MB at 750k)."""

    # Each card's answers, the cards one after another: card k's are the
    # answers starts[k] to starts[k + 1] (its FSRS rating, delta_t and SM-2 grade).
    rating: array = field(default_factory=lambda: array("b"))
    answer_delta_t: array = field(default_factory=lambda: array("i"))
    grade: array = field(default_factory=lambda: array("b"))
    starts: array = field(default_factory=lambda: array("i", [0]))
    # The reviews that count.
    card: array = field(default_factory=lambda: array("i"))  # the card's index
    position: array = field(default_factory=lambda: array("i"))  # the answer's index in its card
    answers: int = 0
    # Each card's place in the order a fit samples cards in (fsrs/sample.py): set by
    # whoever knows the cards' GUIDs, and only for a history a fit samples.
    card_key: array = field(default_factory=lambda: array("Q"))
    # What several steps share (fsrs-rs reviews, RMSE(bins)'s groups), built on first
    # use; never pickled (fsrs-rs objects are not picklable; a worker rebuilds them),
    # nor are the scoring columns (a worker fits: it needs none of them).
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:
        state = {key: value for key, value in self.__dict__.items() if key not in _SCORING}
        return {**state, "_cache": {}}

    # The scoring columns of the reviews that count, worked out on first read.
    delta_t = _Scoring()
    recalled = _Scoring()  # 1 recalled, 0 forgotten
    count = _Scoring()  # srs-benchmark's i: the day-apart answers + 1
    lapses = _Scoring()  # earlier day-apart Again answers
    # SM-2's interval before it, as a float (at most scheduler.MAX_INTERVAL days).
    sm2_interval = _Scoring()

    def _scoring(self, name: str) -> array:
        for key, column in _scoring_columns(self).items():
            self.__dict__.setdefault(key, column)  # those set by hand are kept
        return self.__dict__[name]

    @property
    def size(self) -> int:
        return len(self.card)

    @property
    def card_count(self) -> int:
        return len(self.starts) - 1

    def card_answers(self, index: int) -> list[tuple[int, int]]:
        """A card's answers as (rating, delta_t), in time order."""
        span = slice(self.starts[index], self.starts[index + 1])
        return list(zip(self.rating[span], self.answer_delta_t[span], strict=True))

    def needed(self) -> int:
        """How many more reviews that count before fitting (0: enough)."""
        return max(0, MIN_REVIEWS - self.size)


_COLUMNS = ("card", "position")
_SCORING = ("delta_t", "recalled", "count", "lapses", "sm2_interval")


def prepare(histories: Iterable[Sequence[Answer]]) -> Dataset:
    """The dataset of cards' answers, each card's in time order (``Answer`` or
    plain tuples in its order)."""
    data, days = Dataset(), array("i")
    for answers in histories:
        if answers:
            _add_card(data, days, answers)
    order = _day_order(days)
    for name in _COLUMNS:  # one column at a time: one spare copy at most
        column = getattr(data, name)
        typecode = _narrow(column) if name == "position" else column.typecode
        setattr(data, name, array(typecode, map(column.__getitem__, order)))
    data.answer_delta_t = array(_narrow(data.answer_delta_t), data.answer_delta_t)
    return data


def _narrow(column: array) -> str:
    """The smallest array type for a column of numbers from 0 (a review's position
    in its card, the days between answers): one or two bytes a value where they
    fit, not four (4 MB less at a million answers, held beside every fit)."""
    top = max(column, default=0)
    return "B" if top < 1 << 8 else "H" if top < 1 << 16 else column.typecode


def _day_order(days: array) -> array:
    """The rows sorted by day, stable (cards in order within a day): a counting
    sort, where ``sorted`` would hold two lists of a million int objects."""
    if not days:
        return array("i")
    low = min(days)
    span = max(days) - low + 1
    if span > 4 * len(days) + 10_000:  # days far apart and few: sorting is smaller
        return array("i", sorted(range(len(days)), key=days.__getitem__))
    counts = [0] * (span + 1)
    for day in days:
        counts[day - low + 1] += 1
    for k in range(1, span + 1):  # counts[k]: the first slot of day low + k
        counts[k] += counts[k - 1]
    order = array("i", [0]) * len(days)
    for row, day in enumerate(days):
        k = day - low
        order[counts[k]] = row
        counts[k] += 1
    return order


def sm2_step(state: tuple[int, int, int], grade: int) -> tuple[int, int, int]:
    """``scheduler.review`` on (repetitions, E-Factor in hundredths, interval), the
    same integer arithmetic without a validated state object per answer: a
    million answers are replayed here (tests check it against ``review``)."""
    repetitions, ef, interval = state
    ef = _next_ef_hundredths(ef, grade)
    if grade < PASSING_GRADE:
        return 0, ef, FIRST_INTERVAL
    return repetitions + 1, ef, _next_interval(repetitions + 1, interval, ef)


SM2_NEW = (0, round(INITIAL_EASINESS * 100), 0)


def _add_card(data: Dataset, days: array, answers: Sequence[Answer]) -> None:
    index = data.card_count
    previous_day = None
    for position, (day, rating, grade) in enumerate(answers):
        delta_t = 0 if previous_day is None or day <= previous_day else day - previous_day
        data.rating.append(rating)
        data.answer_delta_t.append(delta_t)
        data.grade.append(grade)
        if delta_t > 0:
            data.card.append(index)
            data.position.append(position)
            days.append(day)
        if previous_day is None or day > previous_day:
            previous_day = day
    data.starts.append(len(data.rating))
    data.answers += len(answers)


def _scoring_columns(data: Dataset) -> dict[str, array]:
    """The scoring columns of the reviews that count, from each card's answers: worked
    out answer by answer in card order (SM-2 replayed on the grades), then read in
    the reviews' day order (a review's answer: its card's start + its position)."""
    rating, answer_delta_t, grade, starts = (data.rating, data.answer_delta_t, data.grade,
                                             data.starts)
    size = len(rating)
    counts, lapses, intervals = array("i", bytes(4 * size)), array("i", bytes(4 * size)), \
        array("d", bytes(8 * size))
    for index in range(data.card_count):
        first, end = starts[index], starts[index + 1]
        if first == end:
            continue
        state, count, lapsed = sm2_step(SM2_NEW, grade[first]), 1, 0
        for answer in range(first + 1, end):
            if answer_delta_t[answer] == 0:  # a same-day answer: not scored, not SM-2's
                continue
            count += 1
            counts[answer] = count
            lapses[answer] = lapsed
            intervals[answer] = state[2] or 1
            lapsed += rating[answer] == 1
            # SM-2 schedules on the first answer of a study day only (docs/scheduler.md).
            state = sm2_step(state, grade[answer])
    rows = array("i", map(operator.add, map(starts.__getitem__, data.card), data.position))
    return {"delta_t": array("i", map(answer_delta_t.__getitem__, rows)),
            "recalled": array("b", map((1).__lt__, map(rating.__getitem__, rows))),
            "count": array("i", map(counts.__getitem__, rows)),
            "lapses": array("i", map(lapses.__getitem__, rows)),
            "sm2_interval": array("d", map(intervals.__getitem__, rows))}
