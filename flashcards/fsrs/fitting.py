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
import operator
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
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
    day). No review's time is held: a million of them would take 80 MB.

    Every column is an ``array`` of machine numbers, not a list of int objects: at
    a million answers the dataset took 160 MB as lists, 35 MB as arrays."""

    # Each card's answers, the cards one after another: card k's are the
    # answers starts[k] to starts[k + 1] (its FSRS rating and delta_t).
    rating: array = field(default_factory=lambda: array("b"))
    answer_delta_t: array = field(default_factory=lambda: array("i"))
    starts: array = field(default_factory=lambda: array("i", [0]))
    # The reviews that count.
    card: array = field(default_factory=lambda: array("i"))  # the card's index
    position: array = field(default_factory=lambda: array("i"))  # the answer's index in its card
    delta_t: array = field(default_factory=lambda: array("i"))
    recalled: array = field(default_factory=lambda: array("b"))  # 1 recalled, 0 forgotten
    # srs-benchmark's i: the day-apart answers + 1
    count: array = field(default_factory=lambda: array("i"))
    lapses: array = field(default_factory=lambda: array("i"))  # earlier day-apart Again answers
    # SM-2's interval before it, as a float: SM-2's intervals have no upper bound
    # (a card passed daily for months goes past any integer type).
    sm2_interval: array = field(default_factory=lambda: array("d"))
    answers: int = 0
    # What several steps share (fsrs-rs reviews, RMSE(bins)'s groups), built on first
    # use; never pickled (fsrs-rs objects are not picklable; a worker rebuilds them).
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": {}}

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


_COLUMNS = ("card", "position", "delta_t", "recalled", "count", "lapses", "sm2_interval")


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
        setattr(data, name, array(column.typecode, map(column.__getitem__, order)))
    return data


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
    state, previous_day, count, lapses = SM2_NEW, None, 1, 0
    for position, (day, rating, grade) in enumerate(answers):
        delta_t = 0 if previous_day is None or day <= previous_day else day - previous_day
        data.rating.append(rating)
        data.answer_delta_t.append(delta_t)
        if delta_t > 0:
            count += 1
            data.card.append(index)
            data.position.append(position)
            data.delta_t.append(delta_t)
            data.recalled.append(rating > 1)
            data.count.append(count)
            data.lapses.append(lapses)
            try:
                data.sm2_interval.append(state[2] or 1)
            except OverflowError:  # SM-2's intervals have no bound: past float's range
                data.sm2_interval.append(math.inf)  # delta_t / inf: 0.0, as with the int
            days.append(day)
            lapses += rating == 1
        # SM-2 schedules on the first answer of a study day only (docs/scheduler.md).
        if previous_day is None or delta_t > 0:
            state = sm2_step(state, grade)
        if previous_day is None or day > previous_day:
            previous_day = day
    data.starts.append(len(data.rating))
    data.answers += len(answers)


# -- FSRS -----------------------------------------------------------------------------

# Items handed to fsrs-rs per call when predicting: fsrs-rs copies them, so a
# chunk's Python objects are all that is held (50k: about 7 MB).
PREDICT_CHUNK = 50_000


def _answer_reviews(data: Dataset) -> list:
    """Each answer as an fsrs-rs review, the cards one after another as in
    ``data.rating``: the objects are shared (a few hundred (rating, delta_t)
    pairs), so a million answers cost a list of pointers."""
    cached = data._cache.get("reviews")
    if cached is None:
        review, made = fsrs.FSRSReview, {}
        cached = data._cache["reviews"] = [
            made.get(key) or made.setdefault(key, review(*key))
            for key in zip(data.rating, data.answer_delta_t, strict=True)]
    return cached


class _Items(Sequence):
    """The training items of some reviews, made as fsrs-rs reads them: one FSRS
    item per review, the card's answers up to and including it.

    fsrs-rs copies each item as it reads the sequence, so the Python objects live
    one at a time: held in a list, the 739k items of the last fold took 100 MB.
    """

    def __init__(self, data: Dataset, rows: range) -> None:
        self.data, self.rows, self.reviews = data, rows, _answer_reviews(data)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):  # only to be a Sequence: fsrs-rs iterates
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        row = self.rows[index]
        start = self.data.starts[self.data.card[row]]
        return fsrs.FSRSItem(self.reviews[start:start + self.data.position[row] + 1])

    def __iter__(self):
        item, reviews, starts = fsrs.FSRSItem, self.reviews, self.data.starts
        card, position = self.data.card, self.data.position
        for row in self.rows:
            start = starts[card[row]]
            yield item(reviews[start:start + position[row] + 1])


def fit(data: Dataset, rows: range | None = None) -> list[float]:
    """FSRS parameters fitted (fsrs-rs's optimizer) on the given reviews, else all."""
    rows = range(data.size) if rows is None else rows
    model = fsrs.FSRS(fsrs.DEFAULT_PARAMETERS)
    try:
        parameters = model.compute_parameters(_Items(data, rows), enable_short_term=True)
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
                 rows: Sequence[int] | None = None) -> array:
    """FSRS's predicted recall at each review: from the memory state after the
    card's previous answer, ``delta_t`` days later.

    Only those states are computed (fsrs-rs's ``memory_state`` of the answers
    before the review), in chunks: the same figures as taking them from each
    card's whole history of states, without a million state objects at once.
    """
    rows = range(data.size) if rows is None else rows
    model, reviews = fsrs.FSRS(list(parameters)), _answer_reviews(data)
    item, starts, card, position = fsrs.FSRSItem, data.starts, data.card, data.position
    decay = float(parameters[20])
    factor = SM2_RETENTION ** (-1.0 / decay) - 1.0  # forgetting_curve's, once
    predicted = array("d")
    for begin in range(0, len(rows), PREDICT_CHUNK):
        chunk = rows[begin:begin + PREDICT_CHUNK]
        items = []
        for row in chunk:
            start = starts[card[row]]
            items.append(item(reviews[start:start + position[row]]))
        states = model.memory_state_batch(items)
        del items
        predicted.extend((1.0 + factor * data.delta_t[row] / state.stability) ** -decay
                         for row, state in zip(chunk, states, strict=True))
    return predicted


def predict_sm2(data: Dataset, rows: Sequence[int] | None = None) -> array:
    """SM-2's predicted recall: 0.9 ** (elapsed days / the interval it had set)."""
    rows = range(data.size) if rows is None else rows
    delta_t, interval = data.delta_t, data.sm2_interval
    return array("d", (SM2_RETENTION ** (delta_t[row] / interval[row]) for row in rows))


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
    keys = _bin_groups(data)
    groups: dict[int, list[float]] = {}
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


def _bin_groups(data: Dataset) -> array:
    """Each review's RMSE(bins) group (its three log bins) as a number, worked out
    once per dataset (a tuple per review: about 60 MB at a million)."""
    groups = data._cache.get("bins")
    if groups is None:
        ids: dict[tuple, int] = {}
        groups = data._cache["bins"] = array("i", (
            ids.setdefault((_log_bin(delta_t, 3.62, 2.48, 2), _log_bin(count, 1.89, 1.99, 0),
                            _log_bin(lapses, 1.73, 1.65, 0) if lapses else 0), len(ids))
            for delta_t, count, lapses in zip(data.delta_t, data.count, data.lapses,
                                              strict=True)))
    return groups


def auc(recalled: Sequence[int], predicted: Sequence[float]) -> float | None:
    """Area under the ROC curve (scikit-learn's roc_auc_score): the chance that a
    recalled review got a higher prediction than a forgotten one. None when all
    outcomes are the same."""
    positives = sum(recalled)
    negatives = len(recalled) - positives
    if not positives or not negatives:
        return None
    # The predictions of each outcome sorted on their own (floats, not indices
    # sorted by a key: a third of the memory), then walked as one sorted list.
    high = sorted(compress(predicted, recalled))
    low = sorted(compress(predicted, map(operator.not_, recalled)))
    rank_sum, i, j = 0.0, 0, 0
    while i < positives:
        value = high[i]
        while j < negatives and low[j] < value:
            j += 1
        start, i_end, j_end = i + j, i, j  # start: the predictions below this one
        while i_end < positives and high[i_end] == value:
            i_end += 1
        while j_end < negatives and low[j_end] == value:
            j_end += 1
        end = start + (i_end - i) + (j_end - j)
        rank_sum += (i_end - i) * (start + 1 + end) / 2  # tied predictions: their mean rank
        i, j = i_end, j_end
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


class Scorer:
    """A model's figures gathered block by block: ``log_loss``, ``rmse_bins`` and
    ``calibration`` summed as the reviews come (in the same order as one pass over
    them all: the same figures), and only the outcomes and predictions kept (for
    ``auc``), as arrays: 9 bytes a review."""

    def __init__(self, data: Dataset) -> None:
        self.data, self.loss = data, 0.0
        self.groups: dict[int, list[float]] = {}  # RMSE(bins)'s, in the order first met
        self.cells = [[0, 0.0, 0] for _ in range(CALIBRATION_BINS)]
        self.recalled, self.predicted = array("b"), array("d")

    def add(self, rows: Sequence[int], predicted: Sequence[float]) -> None:
        keys, outcome, log = _bin_groups(self.data), self.data.recalled, math.log
        groups, cells, top = self.groups, self.cells, CALIBRATION_BINS - 1
        loss, recalled = self.loss, self.recalled
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
        self.loss = loss
        self.predicted.extend(predicted)

    def score(self, model: str) -> Score:
        size = len(self.recalled)
        squares = sum(n * (y / n - p / n) ** 2 for y, p, n in self.groups.values())
        bins = [Bin(k / CALIBRATION_BINS, (k + 1) / CALIBRATION_BINS, n, p / n, y / n)
                for k, (n, p, y) in enumerate(self.cells) if n]
        return Score(model, self.loss / size, math.sqrt(squares / size),
                     auc(self.recalled, self.predicted), bins)


def score(model: str, data: Dataset, rows: Sequence[int], predicted: Sequence[float]) -> Score:
    """A model's figures on the given reviews: ``log_loss``, ``rmse_bins`` and
    ``calibration`` in one pass over them (three models times 739k reviews at 1M),
    then ``auc``; tests check it against the functions one by one."""
    scorer = Scorer(data)
    scorer.add(rows, predicted)
    return scorer.score(model)


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
    with default parameters are scored on the same reviews.

    Nothing of a fold outlives it but its scores' sums and its predictions: each
    fit reads its training items as fsrs-rs copies them, and each prediction
    computes only the memory states its test block needs. SM-2 and the default
    parameters come after the fits, which hold the most memory (fsrs-rs's).
    """
    progress = progress or (lambda done, total: None)
    splits = time_series_splits(data.size)
    # Progress in reviews: a fit costs about as many as it trains on, the scoring one each.
    total = sum(len(train) for train, _ in splits) + data.size
    done = 0
    scorers = [Scorer(data) for _ in MODELS]
    for train, test in splits:
        progress(done, total)
        scorers[2].add(test, predict_fsrs(data, fit(data, train), test))
        done += len(train)
    progress(done, total)
    tested = range(splits[0][1].start, splits[-1][1].stop) if splits else range(0)
    scorers[0].add(tested, predict_sm2(data, tested))
    scorers[1].add(tested, predict_fsrs(data, DEFAULT_PARAMETERS, tested))
    data._cache.clear()  # the fsrs-rs reviews and the bins: not needed for the AUCs
    scores = [scorer.score(model) for scorer, model in zip(scorers, MODELS, strict=True)]
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
