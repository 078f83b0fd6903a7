"""FSRS fitted to a person's own answers, scored against SM-2, and simulated.

Pure functions over plain data: each card's answers in (study day, FSRS rating,
SM-2 grade), numbers out. No store, no clock, no terminal: fitting_report.py
reads the history and saves the parameters; ui/ draws the results.

The history made ready (``Dataset``, ``prepare``) is ``dataset``; the metrics
(srs-benchmark's log loss, RMSE(bins), AUC, calibration) are ``metrics``. This
module fits (fsrs-rs), predicts, evaluates on a time-series split and simulates;
the names of both are importable from here.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import fsrs_rs_python as fsrs

from flashcards.fsrs.dataset import (
    MIN_REVIEWS,
    RATING_OF_GRADE,
    SM2_NEW,
    Answer,
    Dataset,
    prepare,
    rating_of,
    sm2_step,
)
from flashcards.fsrs.metrics import (
    CALIBRATION_BINS,
    EPSILON,
    Bin,
    Score,
    Scorer,
    auc,
    calibration,
    log_loss,
    rmse_bins,
    score,
)
from flashcards.fsrs.sample import MAX_FIT_REVIEWS, card_key, card_keys, fit_rows, is_sample

__all__ = [
    "CALIBRATION_BINS", "DEFAULT_PARAMETERS", "EPSILON", "MAX_FIT_REVIEWS", "MIN_REVIEWS",
    "MODELS", "N_SPLITS", "PREDICT_CHUNK", "RATING_OF_GRADE", "SIMULATION_SEED", "SM2_NEW",
    "SM2_RETENTION", "UNLIMITED_SECONDS", "Answer", "Bin", "Dataset", "Evaluation", "FitError",
    "Progress", "Score", "Scorer", "Workload", "auc", "calibration", "card_key", "card_keys",
    "check_parameters", "evaluate", "fit", "fit_items", "fit_rows", "forgetting_curve",
    "is_sample", "log_loss", "predict_fsrs", "predict_sm2", "prepare", "rating_of", "rmse_bins",
    "score", "simulate", "sm2_step", "time_series_splits", "training_items",
]

# srs-benchmark's time-series split: scikit-learn's TimeSeriesSplit with 5 folds.
N_SPLITS = 5
# SM-2 predicts recall 0.9 ** (elapsed / interval): srs-benchmark's convention
# (a card reviewed on its due day is recalled 90% of the time).
SM2_RETENTION = 0.9

DEFAULT_PARAMETERS: list[float] = [float(x) for x in fsrs.DEFAULT_PARAMETERS]

Progress = Callable[[int, int], None]


# -- FSRS -----------------------------------------------------------------------------

# Items handed to fsrs-rs per call when predicting: fsrs-rs copies them, so a
# chunk's Python objects are all that is held (50k: about 7 MB).
PREDICT_CHUNK = 50_000


def _answer_reviews(data: Dataset, *, keep: bool = True) -> list:
    """Each answer as an fsrs-rs review, the cards one after another as in
    ``data.rating``: the objects are shared (a few hundred (rating, delta_t)
    pairs), so a million answers cost a list of pointers (8 MB): kept for the
    predictions that follow one another, made for a fit alone (``keep=False``)."""
    cached = data._cache.get("reviews")
    if cached is None:
        pairs = (data.rating, data.answer_delta_t)
        made = {key: fsrs.FSRSReview(*key) for key in set(zip(*pairs, strict=True))}
        cached = list(map(made.__getitem__, zip(*pairs, strict=True)))
        if keep:
            data._cache["reviews"] = cached
    return cached


class _Items(Sequence):
    """The training items of some reviews, made as fsrs-rs reads them: one FSRS
    item per review, the card's answers up to and including it.

    fsrs-rs copies each item as it reads the sequence, so the Python objects live
    one at a time: held in a list, the 739k items of the last fold took 100 MB.
    The answers' fsrs-rs reviews are the iteration's own unless ``keep_reviews``:
    they go when the last item has been read, before fsrs-rs fits (at its peak of
    memory); so does the dataset if ``release``.
    """

    def __init__(self, data: Dataset, rows: Sequence[int], release: bool = False,
                 keep_reviews: bool = False) -> None:
        self.data, self.rows, self.release, self.keep = data, rows, release, keep_reviews

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):  # only to be a Sequence: fsrs-rs iterates
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        row, data = self.rows[index], self._data()
        start = data.starts[data.card[row]]
        return fsrs.FSRSItem([fsrs.FSRSReview(data.rating[k], data.answer_delta_t[k])
                              for k in range(start, start + data.position[row] + 1)])

    def _data(self) -> Dataset:
        if self.data is None:
            raise RuntimeError("training items made with release=True are read once")
        return self.data

    def __iter__(self):
        data = self._data()
        if self.release:
            self.data = None  # the iteration's locals hold it, until its end
        item, reviews, starts = fsrs.FSRSItem, _answer_reviews(data, keep=self.keep), data.starts
        if not self.keep:
            data._cache.pop("reviews", None)  # kept by an earlier step: now the iteration's
        card, position = data.card, data.position
        for row in self.rows:
            start = starts[card[row]]
            yield item(reviews[start:start + position[row] + 1])


def training_items(data: Dataset, rows: Sequence[int] | None = None, *,
                   release: bool = False) -> Sequence:
    """``fit_items``'s items: those of the given reviews, else all. With ``release``
    they hold the dataset only until fsrs-rs has read them (a fit worker needs it
    no longer: 13 MB at 900k reviews, let go before fsrs-rs's peak)."""
    return _Items(data, range(data.size) if rows is None else rows, release)


def fit(data: Dataset, rows: Sequence[int] | None = None, *,
        keep_reviews: bool = False) -> list[float]:
    """FSRS parameters fitted (fsrs-rs's optimizer) on the given reviews, else all
    (``fit_rows`` picks them: a fit reads what it is given).
    ``keep_reviews``: the answers' fsrs-rs reviews stay for the fit that follows
    (made once, not each time: 0.13 s at a million answers), held through this one."""
    rows = range(data.size) if rows is None else rows
    return fit_items(_Items(data, rows, keep_reviews=keep_reviews))


def fit_items(items: Sequence) -> list[float]:
    """FSRS parameters fitted on ``training_items``."""
    model = fsrs.FSRS(fsrs.DEFAULT_PARAMETERS)
    try:
        parameters = model.compute_parameters(items, enable_short_term=True)
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
    # Folds whose fit read a sample of whole cards (``fit_rows``), not all their past.
    sampled_folds: int = 0

    def to_dict(self) -> dict:
        return {"reviews": self.reviews, "scored": self.scored, "cards": self.cards,
                "splits": self.splits, "sampled_folds": self.sampled_folds,
                "models": [s.to_dict() for s in self.scores]}


def evaluate(data: Dataset, progress: Progress | None = None, *,
             cap: int = MAX_FIT_REVIEWS) -> Evaluation:
    """Fit on the past, score on the later reviews, fold by fold; SM-2 and FSRS
    with default parameters are scored on the same reviews.

    Each fold's fit reads what `optimize` would read on that past: ``fit_rows`` of
    it, a sample of whole cards when it holds more than ``cap`` reviews; so the
    scores are those of the fits `optimize` makes. Every later review is still
    scored, of every card (the same blocks for the three models).

    The five fits come first, which hold the most memory (fsrs-rs's): each reads
    its training items as fsrs-rs copies them, and none holds a score, a
    prediction or the columns only scoring reads (worked out after them). Then
    the models are scored one after another, each model's predictions let go once
    its figures are taken: FSRS fitted (each fold's test block predicted and scored
    in turn, computing only the memory states it needs, in the same order as fold
    by fold: the same figures), FSRS with default parameters, then SM-2, which
    needs no fsrs-rs reviews (they go before its AUC).
    """
    progress = progress or (lambda done, total: None)
    splits = time_series_splits(data.size)
    # Progress in reviews: a fit costs about as many as it reads, the scoring one each.
    total = sum(min(len(train), cap) for train, _ in splits) + data.size
    done, sampled = 0, 0
    fitted = []
    for train, _ in splits:
        progress(done, total)
        rows = fit_rows(data, train, cap=cap)
        sampled += is_sample(rows, train)
        # The fsrs-rs reviews serve the next fit too, but are not held beside the last
        # (the largest: the peak of memory); the predictions make them again.
        fitted.append(fit(data, rows, keep_reviews=train is not splits[-1][0]))
        done += min(len(train), cap)
        del rows
    progress(done, total)
    tested = range(splits[0][1].start, splits[-1][1].stop) if splits else range(0)
    scores = dict.fromkeys(MODELS)
    # One model at a time: three models' predictions at once (20 MB at 739k reviews)
    # were held beside the AUCs' sorting.
    scorer = Scorer(data)
    for (_, test), parameters in zip(splits, fitted, strict=True):
        scorer.add(test, predict_fsrs(data, parameters, test))
    scores[MODELS[2]] = scorer.score(MODELS[2])
    scorer = Scorer(data)
    scorer.add(tested, predict_fsrs(data, DEFAULT_PARAMETERS, tested))
    data._cache.pop("reviews", None)  # the fsrs-rs reviews: SM-2 predicts without them
    scores[MODELS[1]] = scorer.score(MODELS[1])
    scorer = Scorer(data)
    scorer.add(tested, predict_sm2(data, tested))
    data._cache.clear()  # the bins: not needed for the AUC
    scores[MODELS[0]] = scorer.score(MODELS[0])
    del scorer
    progress(total, total)
    return Evaluation(data.size, len(tested), data.card_count, len(splits), list(scores.values()),
                      sampled)


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
