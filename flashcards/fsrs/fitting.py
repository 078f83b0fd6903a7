"""FSRS fitted to a person's own answers, scored against SM-2, and simulated.

Pure functions over plain data: each card's answers in (study day, FSRS rating,
SM-2 grade), numbers out. No store, no clock, no terminal: fitting_report.py
reads the history and saves the parameters; ui/ draws the results.

How a history becomes FSRS's input follows Anki (rslib's ``reviews_for_fsrs``)
and fsrs-rs: per card, every answer in time order, as (rating, days since the
card's previous answer), the days counted in study days; answers on the same
day are kept (delta_t 0: FSRS-6 models the short term). A review "counts" (is
something a model can be scored on, and an FSRS training item) when the card
had an earlier answer on an earlier study day: its label is recalled (Hard,
Good, Easy) or forgotten (Again). The metrics are srs-benchmark's: log loss,
RMSE(bins) and AUC (docs/scheduler.md explains them).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import fsrs_rs_python as fsrs

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
# srs-benchmark's time-series split: scikit-learn's TimeSeriesSplit with 5 folds.
N_SPLITS = 5
# SM-2 predicts recall 0.9 ** (elapsed / interval): srs-benchmark's convention
# (a card reviewed on its due day is recalled 90% of the time).
SM2_RETENTION = 0.9
# The buttons are FSRS's ratings; SM-2's full 0-5 scale maps onto them: 0-2
# forgotten (Again), 3 Hard, 4 Good, 5 Easy, as the buttons give those grades.
RATING_OF_GRADE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}
# Predictions are kept off 0 and 1 by float64's epsilon, as scikit-learn's log_loss does.
EPSILON = 2.220446049250313e-16
# The calibration chart's bins: predicted recall in steps of 0.05.
CALIBRATION_BINS = 20

DEFAULT_PARAMETERS: list[float] = [float(x) for x in fsrs.DEFAULT_PARAMETERS]

Progress = Callable[[int, int], None]


class Answer(NamedTuple):
    """One answer of a card: its study day number, the FSRS rating (1-4) and the
    SM-2 grade (0-5)."""

    day: int
    rating: int
    grade: int


def rating_of(button: int | None, grade: int) -> int:
    """The FSRS rating of an answer: the button pressed, else its SM-2 grade's."""
    return button if button in (1, 2, 3, 4) else RATING_OF_GRADE[grade]


@dataclass
class Dataset:
    """A history made ready: each card's FSRS inputs, and every review that
    counts, as columns in time order (the order of the time-series split): by
    study day, and within a day by card, not by the second (one day's reviews
    may straddle a fold's boundary; none is scored on a model fitted on a later
    day). No review's time is held: a million of them would take 80 MB."""

    cards: list[list[tuple[int, int]]] = field(default_factory=list)  # (rating, delta_t)
    card: list[int] = field(default_factory=list)  # index into cards
    position: list[int] = field(default_factory=list)  # the answer's index in its card
    delta_t: list[int] = field(default_factory=list)
    recalled: list[int] = field(default_factory=list)  # 1 recalled, 0 forgotten
    count: list[int] = field(default_factory=list)  # srs-benchmark's i: day-apart answers + 1
    lapses: list[int] = field(default_factory=list)  # earlier day-apart Again answers
    sm2_interval: list[int] = field(default_factory=list)  # SM-2's interval before it
    answers: int = 0
    # What several steps share (FSRS items, RMSE(bins)'s groups), built on first use;
    # never pickled (fsrs-rs objects are not picklable; a worker rebuilds them).
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": {}}

    @property
    def size(self) -> int:
        return len(self.card)

    @property
    def card_count(self) -> int:
        return len(self.cards)

    def needed(self) -> int:
        """How many more reviews that count before fitting (0: enough)."""
        return max(0, MIN_REVIEWS - self.size)


def prepare(histories: Iterable[Sequence[Answer]]) -> Dataset:
    """The dataset of cards' answers, each card's in time order (``Answer`` or
    plain tuples in its order)."""
    data, days = Dataset(), []
    for answers in histories:
        if answers:
            _add_card(data, days, answers)
    order = sorted(range(len(days)), key=days.__getitem__)  # stable: cards in order
    for name in ("card", "position", "delta_t", "recalled", "count", "lapses", "sm2_interval"):
        column = getattr(data, name)
        setattr(data, name, [column[index] for index in order])
    return data


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


def _add_card(data: Dataset, days: list[int], answers: Sequence[Answer]) -> None:
    index, reviews = len(data.cards), []
    state, previous_day, count, lapses = SM2_NEW, None, 1, 0
    for position, (day, rating, grade) in enumerate(answers):
        delta_t = 0 if previous_day is None or day <= previous_day else day - previous_day
        reviews.append((rating, delta_t))
        if delta_t > 0:
            count += 1
            data.card.append(index)
            data.position.append(position)
            data.delta_t.append(delta_t)
            data.recalled.append(int(rating > 1))
            data.count.append(count)
            data.lapses.append(lapses)
            data.sm2_interval.append(state[2] or 1)
            days.append(day)
            lapses += rating == 1
        # SM-2 schedules on the first answer of a study day only (docs/scheduler.md).
        if previous_day is None or delta_t > 0:
            state = sm2_step(state, grade)
        if previous_day is None or day > previous_day:
            previous_day = day
    data.cards.append(reviews)
    data.answers += len(answers)


# -- FSRS -----------------------------------------------------------------------------


def _card_reviews(data: Dataset) -> list[list]:
    """Each card's answers as fsrs-rs reviews, made once per dataset."""
    cached = data._cache.get("reviews")
    if cached is None:
        review = fsrs.FSRSReview
        cached = data._cache["reviews"] = [[review(r, t) for r, t in card]
                                           for card in data.cards]
    return cached


def _items(data: Dataset, rows: range) -> list:
    """One FSRS training item per review: the card's answers up to and including it.

    Made once per dataset for all reviews in time order; a fold's training rows
    are a prefix of them, so the five folds share the items of the first.
    """
    items = data._cache.get("items")
    if items is None:
        reviews, item = _card_reviews(data), fsrs.FSRSItem
        items = data._cache["items"] = [
            item(reviews[card][:position + 1])
            for card, position in zip(data.card, data.position, strict=True)]
    if rows.start == 0 and rows.step == 1:
        return items[:rows.stop]
    return [items[row] for row in rows]


def fit(data: Dataset, rows: range | None = None) -> list[float]:
    """FSRS parameters fitted (fsrs-rs's optimizer) on the given reviews, else all."""
    rows = range(data.size) if rows is None else rows
    model = fsrs.FSRS(fsrs.DEFAULT_PARAMETERS)
    try:
        parameters = model.compute_parameters(_items(data, rows), enable_short_term=True)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # fsrs-rs's errors, and its panics (a BaseException)
        raise FitError(str(exc) or type(exc).__name__) from exc
    return [float(x) for x in parameters]


class FitError(ValueError):
    """fsrs-rs could not fit these reviews."""


def check_parameters(parameters: Sequence[float]) -> list[float]:
    """Parameters as FSRS takes them (older sets filled in); ValueError if unusable."""
    try:
        return [float(x) for x in fsrs.check_and_fill_parameters(list(parameters))]
    except Exception as exc:  # the binding raises its own error types
        raise ValueError(f"not a set of FSRS parameters: {exc}") from exc


def forgetting_curve(elapsed: float, stability: float, decay: float) -> float:
    """FSRS-6's recall probability after ``elapsed`` days at ``stability``."""
    factor = SM2_RETENTION ** (-1.0 / decay) - 1.0
    return (1.0 + factor * elapsed / stability) ** -decay


def predict_fsrs(data: Dataset, parameters: Sequence[float],
                 rows: Sequence[int] | None = None) -> list[float]:
    """FSRS's predicted recall at each review: from the memory state after the
    card's previous answer, ``delta_t`` days later."""
    rows = range(data.size) if rows is None else rows
    cards = sorted({data.card[row] for row in rows})
    model = fsrs.FSRS(list(parameters))
    whole = data._cache.get("cards")
    if whole is None:
        whole = data._cache["cards"] = [fsrs.FSRSItem(r) for r in _card_reviews(data)]
    states = dict(zip(cards, model.historical_memory_state_batch([whole[c] for c in cards]),
                      strict=True))
    decay = float(parameters[20])
    return [forgetting_curve(data.delta_t[row],
                             states[data.card[row]][data.position[row] - 1].stability, decay)
            for row in rows]


def predict_sm2(data: Dataset, rows: Sequence[int] | None = None) -> list[float]:
    """SM-2's predicted recall: 0.9 ** (elapsed days / the interval it had set)."""
    rows = range(data.size) if rows is None else rows
    return [SM2_RETENTION ** (data.delta_t[row] / data.sm2_interval[row]) for row in rows]


# -- the metrics (srs-benchmark's definitions) -----------------------------------------------


def log_loss(recalled: Sequence[int], predicted: Sequence[float]) -> float:
    """Mean negative log-likelihood of the outcomes (scikit-learn's log_loss)."""
    total = 0.0
    for y, p in zip(recalled, predicted, strict=True):
        p = min(max(p, EPSILON), 1.0 - EPSILON)
        total -= math.log(p) if y else math.log(1.0 - p)
    return total / len(recalled)


@functools.lru_cache(maxsize=4096)  # days, counts and lapses repeat: a few hundred values
def _log_bin(value: float, base: float, scale: float, digits: int) -> float:
    return round(scale * base ** math.floor(math.log(value) / math.log(base)), digits)


def rmse_bins(data: Dataset, rows: Sequence[int], predicted: Sequence[float]) -> float:
    """srs-benchmark's RMSE(bins): reviews grouped by elapsed days, review count and
    lapses (each on a log scale); the root mean square of (mean observed - mean
    predicted) over the groups, each weighted by its number of reviews."""
    keys = _bin_keys(data)
    groups: dict[tuple, list[float]] = {}
    for row, p in zip(rows, predicted, strict=True):
        group = groups.get(keys[row])
        if group is None:
            group = groups[keys[row]] = [0.0, 0.0, 0]
        group[0] += data.recalled[row]
        group[1] += p
        group[2] += 1
    total = sum(n for _, _, n in groups.values())
    squares = sum(n * (y / n - p / n) ** 2 for y, p, n in groups.values())
    return math.sqrt(squares / total)


def _bin_keys(data: Dataset) -> list[tuple]:
    """Each review's RMSE(bins) group, worked out once per dataset."""
    keys = data._cache.get("bins")
    if keys is None:
        keys = data._cache["bins"] = [
            (_log_bin(delta_t, 3.62, 2.48, 2), _log_bin(count, 1.89, 1.99, 0),
             _log_bin(lapses, 1.73, 1.65, 0) if lapses else 0)
            for delta_t, count, lapses in zip(data.delta_t, data.count, data.lapses,
                                              strict=True)]
    return keys


def auc(recalled: Sequence[int], predicted: Sequence[float]) -> float | None:
    """Area under the ROC curve (scikit-learn's roc_auc_score): the chance that a
    recalled review got a higher prediction than a forgotten one. None when all
    outcomes are the same."""
    positives = sum(recalled)
    negatives = len(recalled) - positives
    if not positives or not negatives:
        return None
    # Indices sorted by a float key: 6 times faster than sorting (p, y) pairs.
    order = sorted(range(len(predicted)), key=predicted.__getitem__)
    rank_sum, start, size = 0.0, 0, len(order)
    while start < size:  # tied predictions share their mean rank
        value, end, recalled_here = predicted[order[start]], start, 0
        while end < size and predicted[order[end]] == value:
            recalled_here += recalled[order[end]]
            end += 1
        rank_sum += recalled_here * (start + 1 + end) / 2
        start = end
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@dataclass(frozen=True)
class Bin:
    """Reviews whose predicted recall fell in [low, high): how many, the mean
    prediction and the share actually recalled."""

    low: float
    high: float
    count: int
    predicted: float
    observed: float

    def to_dict(self) -> dict:
        return {"low": round(self.low, 2), "high": round(self.high, 2), "count": self.count,
                "predicted": round(self.predicted, 4), "observed": round(self.observed, 4)}


def calibration(recalled: Sequence[int], predicted: Sequence[float],
                bins: int = CALIBRATION_BINS) -> list[Bin]:
    """Predicted against observed recall, in equal bins of prediction; empty bins left out."""
    sums = [[0, 0.0, 0] for _ in range(bins)]
    for y, p in zip(recalled, predicted, strict=True):
        k = int(p * bins)
        cell = sums[k if 0 <= k < bins else (0 if k < 0 else bins - 1)]
        cell[0] += 1
        cell[1] += p
        cell[2] += y
    return [Bin(k / bins, (k + 1) / bins, n, p / n, y / n)
            for k, (n, p, y) in enumerate(sums) if n]


@dataclass(frozen=True)
class Score:
    """One model's figures on the scored reviews."""

    model: str
    log_loss: float
    rmse_bins: float
    auc: float | None
    calibration: list[Bin]

    def to_dict(self) -> dict:
        return {"model": self.model, "log_loss": round(self.log_loss, 4),
                "rmse_bins": round(self.rmse_bins, 4),
                "auc": None if self.auc is None else round(self.auc, 4),
                "calibration": [b.to_dict() for b in self.calibration]}


def score(model: str, data: Dataset, rows: Sequence[int], predicted: Sequence[float]) -> Score:
    """A model's figures on the given reviews: ``log_loss``, ``rmse_bins`` and
    ``calibration`` in one pass over them (three models times 739k reviews at 1M),
    then ``auc``; tests check it against the functions one by one."""
    keys, outcome, log = _bin_keys(data), data.recalled, math.log
    groups: dict[tuple, list[float]] = {}
    cells = [[0, 0.0, 0] for _ in range(CALIBRATION_BINS)]
    recalled, loss, top = [], 0.0, CALIBRATION_BINS - 1
    for row, p in zip(rows, predicted, strict=True):
        y = outcome[row]
        recalled.append(y)
        clipped = EPSILON if p < EPSILON else 1.0 - EPSILON if p > 1.0 - EPSILON else p
        loss -= log(clipped) if y else log(1.0 - clipped)
        group = groups.get(keys[row])
        if group is None:
            group = groups[keys[row]] = [0.0, 0.0, 0]
        group[0] += y
        group[1] += p
        group[2] += 1
        k = int(p * CALIBRATION_BINS)
        cell = cells[k if 0 <= k <= top else (0 if k < 0 else top)]
        cell[0] += 1
        cell[1] += p
        cell[2] += y
    squares = sum(n * (y / n - p / n) ** 2 for y, p, n in groups.values())
    bins = [Bin(k / CALIBRATION_BINS, (k + 1) / CALIBRATION_BINS, n, p / n, y / n)
            for k, (n, p, y) in enumerate(cells) if n]
    return Score(model, loss / len(recalled), math.sqrt(squares / len(recalled)),
                 auc(recalled, predicted), bins)


# -- optimize and evaluate ------------------------------------------------------------------


def time_series_splits(size: int, n_splits: int = N_SPLITS) -> list[tuple[range, range]]:
    """(train, test) rows of scikit-learn's TimeSeriesSplit: the last ``n_splits``
    equal blocks are tested in turn, each after fitting on everything before it."""
    test_size = size // (n_splits + 1)
    if test_size == 0:
        return []
    first = size - n_splits * test_size
    return [(range(0, first + k * test_size), range(first + k * test_size,
                                                    first + (k + 1) * test_size))
            for k in range(n_splits)]


MODELS = ("SM-2", "FSRS, default parameters", "FSRS, fitted")


@dataclass(frozen=True)
class Evaluation:
    """The three models scored on the same later reviews of a time-series split."""

    reviews: int  # reviews that count in the history
    scored: int  # of which scored (the test blocks)
    cards: int
    splits: int
    scores: list[Score]

    def to_dict(self) -> dict:
        return {"reviews": self.reviews, "scored": self.scored, "cards": self.cards,
                "splits": self.splits, "models": [s.to_dict() for s in self.scores]}


def evaluate(data: Dataset, progress: Progress | None = None) -> Evaluation:
    """Fit on the past, score on the later reviews, fold by fold; SM-2 and FSRS
    with default parameters are scored on the same reviews."""
    progress = progress or (lambda done, total: None)
    splits = time_series_splits(data.size)
    # Progress in reviews: a fit costs about as many as it trains on, the scoring one each.
    total = sum(len(train) for train, _ in splits) + data.size
    done = 0
    tested: list[int] = []
    fitted: list[float] = []
    for train, test in splits:
        progress(done, total)
        fitted += predict_fsrs(data, fit(data, train), test)
        tested += test
        done += len(train)
    progress(done, total)
    scores = [score(MODELS[0], data, tested, predict_sm2(data, tested)),
              score(MODELS[1], data, tested, predict_fsrs(data, DEFAULT_PARAMETERS, tested)),
              score(MODELS[2], data, tested, fitted)]
    progress(total, total)
    return Evaluation(data.size, len(tested), data.card_count, len(splits), scores)


# -- simulate -------------------------------------------------------------------------------

SIMULATION_SEED = 42
# No time budget: the collection's limits are counts (new_per_day, reviews_per_day).
UNLIMITED_SECONDS = 1e9


@dataclass(frozen=True)
class Workload:
    """What a desired retention costs over the simulated days."""

    retention: float
    reviews_per_day: float  # reviews (not first answers) on an average day
    learned_per_day: float  # new cards on an average day
    remembered: float  # cards you would recall on the last day (the expected count)
    total_reviews: int

    def to_dict(self) -> dict:
        return {"retention": self.retention, "reviews_per_day": round(self.reviews_per_day, 1),
                "learned_per_day": round(self.learned_per_day, 1),
                "remembered": round(self.remembered, 1), "total_reviews": self.total_reviews}


def simulate(parameters: Sequence[float], retentions: Sequence[float], *, deck_size: int,
             new_per_day: int, reviews_per_day: int, days: int,
             progress: Progress | None = None) -> list[Workload]:
    """fsrs-rs's simulator: a deck of ``deck_size`` cards learned at ``new_per_day``,
    reviewed at each desired retention for ``days`` days (same seed for each)."""
    progress = progress or (lambda done, total: None)
    config = fsrs.default_simulator_config()
    config.deck_size = deck_size
    config.learn_span = days
    config.learn_limit = new_per_day
    config.review_limit = reviews_per_day
    config.max_cost_perday = UNLIMITED_SECONDS
    results = []
    for step, retention in enumerate(retentions):
        progress(step * days, len(retentions) * days)  # in simulated days
        run = fsrs.simulate(list(parameters), retention, config, SIMULATION_SEED)
        reviews = run.review_cnt_per_day
        results.append(Workload(retention, sum(reviews) / days, sum(run.learn_cnt_per_day) / days,
                                float(run.memorized_cnt_per_day[-1]), int(sum(reviews))))
    progress(len(retentions) * days, len(retentions) * days)
    return results
