"""How well a model predicts recall, by srs-benchmark's definitions: log loss,
RMSE(bins), AUC, and the calibration chart's bins (docs/scheduler.md explains them).
"""

from __future__ import annotations

import functools
import math
import operator
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress

from flashcards.fsrs.dataset import Dataset

# Predictions are kept off 0 and 1 by float64's epsilon, as scikit-learn's log_loss does.
EPSILON = 2.220446049250313e-16
# The calibration chart's bins: predicted recall in steps of 0.05.
CALIBRATION_BINS = 20


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
    return _twice_ordered(high, low) / (2 * positives * negatives)


def _twice_ordered(high: Sequence[float], low: Sequence[float]) -> int:
    """Twice the pairs (recalled, forgotten) ordered right plus the pairs tied (a tie
    counts half), from each outcome's predictions sorted: twice the AUC's numerator
    (the recalled's rank sum less its least possible value), in integers, so exact;
    the AUC is this over twice the pairs, one correctly rounded division."""
    positives, negatives = len(high), len(low)
    twice, i, j = 0, 0, 0
    while i < positives:
        value = high[i]
        while j < negatives and low[j] < value:
            j += 1
        i_end, j_end = i, j  # j: the forgotten predictions below this one
        while i_end < positives and high[i_end] == value:
            i_end += 1
        while j_end < negatives and low[j_end] == value:
            j_end += 1
        twice += (i_end - i) * (j + j_end)  # below: 2 each; tied: 1 each
        i, j = i_end, j_end
    return twice


def _auc_by_range(ranked: Sequence[Sequence[float]]) -> float | None:
    """``auc`` of predictions given by range of value: ``ranked`` holds each
    range's forgotten then recalled predictions, the ranges in increasing order,
    no value in two of them. Each range is sorted and walked on its own (the pairs
    across ranges are ordered by the ranges): the same figure as sorting all, with
    one range's floats at a time (a whole model's: 26 MB at 739k reviews)."""
    positives = sum(map(len, ranked[1::2]))
    negatives = sum(map(len, ranked[::2]))
    if not positives or not negatives:
        return None
    twice, below = 0, 0  # below: the forgotten predictions in the ranges so far
    for low, high in zip(ranked[::2], ranked[1::2], strict=True):
        if high:
            twice += _twice_ordered(sorted(high), sorted(low)) + 2 * len(high) * below
        below += len(low)
    return twice / (2 * positives * negatives)


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
    them all: the same figures), and only the predictions kept (for ``auc``), as
    arrays (8 bytes a review) by calibration cell and outcome: ranges of value,
    which ``auc`` sorts one at a time."""

    def __init__(self, data: Dataset) -> None:
        self.data, self.loss = data, 0.0
        self.groups: dict[int, list[float]] = {}  # RMSE(bins)'s, in the order first met
        self.cells = [[0, 0.0, 0] for _ in range(CALIBRATION_BINS)]
        # Cell k's forgotten predictions at 2k, its recalled at 2k + 1.
        self.ranked = [array("d") for _ in range(2 * CALIBRATION_BINS)]

    def add(self, rows: Sequence[int], predicted: Sequence[float]) -> None:
        keys, outcome, log = _bin_groups(self.data), self.data.recalled, math.log
        groups, cells, top = self.groups, self.cells, CALIBRATION_BINS - 1
        keep = [values.append for values in self.ranked]
        loss = self.loss
        for row, p in zip(rows, predicted, strict=True):
            y = outcome[row]
            clipped = EPSILON if p < EPSILON else 1.0 - EPSILON if p > 1.0 - EPSILON else p
            loss -= log(clipped) if y else log(1.0 - clipped)
            group = groups.get(keys[row])
            if group is None:
                group = groups[keys[row]] = [0.0, 0.0, 0]
            group[0] += y
            group[1] += p
            group[2] += 1
            k = int(p * CALIBRATION_BINS)
            k = k if 0 <= k <= top else (0 if k < 0 else top)
            cell = cells[k]
            cell[0] += 1
            cell[1] += p
            cell[2] += y
            keep[k + k + y](p)
        self.loss = loss

    def score(self, model: str) -> Score:
        size = sum(n for n, _, _ in self.cells)  # each review counted in one cell
        squares = sum(n * (y / n - p / n) ** 2 for y, p, n in self.groups.values())
        bins = [Bin(k / CALIBRATION_BINS, (k + 1) / CALIBRATION_BINS, n, p / n, y / n)
                for k, (n, p, y) in enumerate(self.cells) if n]
        return Score(model, self.loss / size, math.sqrt(squares / size),
                     _auc_by_range(self.ranked), bins)


def score(model: str, data: Dataset, rows: Sequence[int], predicted: Sequence[float]) -> Score:
    """A model's figures on the given reviews: ``log_loss``, ``rmse_bins`` and
    ``calibration`` in one pass over them (three models times 739k reviews at 1M),
    then ``auc``; tests check it against the functions one by one."""
    scorer = Scorer(data)
    scorer.add(rows, predicted)
    return scorer.score(model)
