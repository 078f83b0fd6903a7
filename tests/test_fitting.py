"""FSRS fitting's pure parts: the dataset built from answers, the metrics against
scikit-learn and hand-worked figures, the time-series split, the predictions
against fsrs-rs's and py-fsrs's own, and the simulation."""

from __future__ import annotations

import math
from array import array
from datetime import UTC, datetime, timedelta

import fsrs as py_fsrs  # py-fsrs: the independent reference
import fsrs_rs_python
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.metrics import mean_squared_error, roc_auc_score
from sklearn.model_selection import TimeSeriesSplit

from flashcards.fitting_report import parse_retentions
from flashcards.fsrs import dataset, fitting
from flashcards.fsrs.fitting import SM2_RETENTION, Answer, Dataset
from flashcards.model import FlashcardsError
from flashcards.scheduler import MAX_INTERVAL, SM2State, review


def card(*answers: tuple[int, int], grades: dict[int, int] | None = None) -> list[Answer]:
    """Answers (day, rating); the SM-2 grade is the one the button gives."""
    grade_of = grades or {1: 1, 2: 3, 3: 4, 4: 5}
    return [Answer(day, rating, grade_of[rating]) for day, rating in answers]


# -- the dataset ------------------------------------------------------------------------


def test_a_card_gives_one_scored_review_per_later_study_day():
    # Days 0, 0, 3, 10, 10, 30; Again then Good on day 0, Good on day 3, Again on
    # day 10 and Good again that day, Good on day 30.
    data = fitting.prepare([card((0, 1), (0, 3), (3, 3), (10, 1), (10, 3), (30, 3))])
    assert data.card_answers(0) == [(1, 0), (3, 0), (3, 3), (1, 7), (3, 0), (3, 20)]
    assert data.card_count == 1
    assert data.answers == 6
    assert data.position.tolist() == [2, 3, 5]
    assert data.delta_t.tolist() == [3, 7, 20]
    assert data.recalled.tolist() == [1, 0, 1]
    # srs-benchmark's i: the day-apart answers so far, this one included, plus one.
    assert data.count.tolist() == [2, 3, 4]
    # Lapses: earlier day-apart Again answers (day 0's Again was the first sight).
    assert data.lapses.tolist() == [0, 0, 1]
    # SM-2 schedules on the first answer of a day: Again (1 day), then Good (1
    # day, the first pass), then Again on day 10 (1 day again).
    first = review(SM2State(), 1)
    second = review(first, 4)
    third = review(second, 1)
    assert data.sm2_interval.tolist() == [first.interval, second.interval, third.interval] \
        == [1, 1, 1]


def test_sm2_intervals_follow_the_grades_of_the_replay():
    data = fitting.prepare([card((0, 3), (1, 3), (7, 3), (22, 3))])
    # I(1), I(2), then 6 x EF 2.5 (Good keeps the E-Factor)
    assert data.sm2_interval.tolist() == [1, 6, 15]


def test_sm2_intervals_stop_where_the_scheduler_stops_them():
    # Passed every other day, a card's interval grows by its E-Factor each time: past
    # 2**63 days within a year, but the scheduler stops it at MAX_INTERVAL.
    days = range(0, 1800, 2)
    data = fitting.prepare([card(*[(day, 4) for day in days])])
    state, exact = SM2State(), []
    for _ in days[:-1]:
        state = review(state, 5)
        exact.append(SM2_RETENTION ** (2 / state.interval))
    assert state.interval == MAX_INTERVAL == data.sm2_interval[-1]
    assert fitting.predict_sm2(data).tolist() == exact


def test_reviews_are_in_time_order_across_cards():
    early = [Answer(0, 3, 4), Answer(4, 3, 4)]
    late = [Answer(1, 3, 4), Answer(2, 1, 1)]
    data = fitting.prepare([early, late])
    assert [data.card[row] for row in range(data.size)] == [1, 0]
    assert data.recalled.tolist() == [0, 1]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 40) | st.integers(0, 2_000_000), max_size=60))
def test_the_day_order_is_a_stable_sort_by_day(days):
    # Close days take the counting sort, far-apart ones the fallback to sorted().
    order = dataset._day_order(array("i", days))
    assert order.tolist() == sorted(range(len(days)), key=days.__getitem__)


def test_a_history_without_later_days_counts_nothing():
    data = fitting.prepare([card((0, 1), (0, 3)), card((5, 3))])
    assert data.size == 0 and data.answers == 3 and data.card_count == 2
    assert data.needed() == fitting.MIN_REVIEWS


@pytest.mark.parametrize(("button", "grade", "rating"), [
    (1, 1, 1), (2, 3, 2), (3, 4, 3), (4, 5, 4),
    (None, 0, 1), (None, 1, 1), (None, 2, 1), (None, 3, 2), (None, 4, 3), (None, 5, 4)])
def test_ratings_are_the_buttons_or_follow_the_full_scale(button, grade, rating):
    assert fitting.rating_of(button, grade) == rating


# -- the metrics ----------------------------------------------------------------------------


def test_log_loss_by_hand_and_against_scikit_learn():
    y, p = [1, 0, 1], [0.8, 0.4, 0.5]
    by_hand = -(math.log(0.8) + math.log(0.6) + math.log(0.5)) / 3
    assert fitting.log_loss(y, p) == pytest.approx(by_hand, rel=1e-12)
    assert fitting.log_loss(y, p) == pytest.approx(sk_log_loss(y, p, labels=[0, 1]), rel=1e-12)


def test_log_loss_keeps_certain_mistakes_finite_as_scikit_learn_does():
    y, p = [1, 0], [0.0, 1.0]
    assert math.isfinite(fitting.log_loss(y, p))
    assert fitting.log_loss(y, p) == pytest.approx(sk_log_loss(y, p, labels=[0, 1]), rel=1e-9)


def _auc_by_ranks(recalled, predicted):
    """The rank-sum AUC over indices sorted by prediction, ties at their mean rank."""
    order = sorted(range(len(predicted)), key=predicted.__getitem__)
    rank_sum, start = 0.0, 0
    while start < len(order):
        end, here = start, 0
        while end < len(order) and predicted[order[end]] == predicted[order[start]]:
            here += recalled[order[end]]
            end += 1
        rank_sum += here * (start + 1 + end) / 2
        start = end
    positives = sum(recalled)
    negatives = len(recalled) - positives
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.sampled_from([0.0, 0.25, 0.5, 1.0])
                          | st.floats(0.0, 1.0)), min_size=2, max_size=80))
def test_auc_is_the_rank_sum_to_the_last_bit(pairs):
    # The two outcomes' predictions sorted apart give the same float as ranking all.
    y, p = [a for a, _ in pairs], [b for _, b in pairs]
    if 0 < sum(y) < len(y):
        assert fitting.auc(y, p) == _auc_by_ranks(y, p)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1),
                          st.sampled_from([-0.5, 0.0, 0.05, 0.1, 0.5, 0.95, 0.99, 1.0, 1.5])
                          | st.floats(-0.2, 1.2)), min_size=1, max_size=80),
       st.integers(1, 40))
def test_a_scorers_auc_sorted_range_by_range_is_the_rank_sum_to_the_last_bit(pairs, block):
    # Scorer keeps the predictions by calibration cell (ranges of value) and sorts one
    # cell at a time: the same float as ranking all, ties and clamped values included.
    y, p = [a for a, _ in pairs], [b for _, b in pairs]
    data = _bins_dataset([(1, 2, 0, a) for a in y])
    scorer = fitting.Scorer(data)
    for start in range(0, len(p), block):
        scorer.add(range(start, min(start + block, len(p))), p[start:start + block])
    if 0 < sum(y) < len(y):
        assert scorer.score("m").auc == _auc_by_ranks(y, p) == fitting.auc(y, p)
    else:
        assert scorer.score("m").auc is None


def test_auc_by_hand_with_ties():
    # Positives 0.8 and 0.4, negatives 0.4 and 0.2: of the 4 pairs, (0.8, 0.4),
    # (0.8, 0.2), (0.4, 0.2) are ordered right and (0.4, 0.4) is a tie (half).
    assert fitting.auc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.2]) == pytest.approx(3.5 / 4)
    assert fitting.auc([1, 1, 1], [0.1, 0.5, 0.9]) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.sampled_from([0.1, 0.3, 0.5, 0.7, 0.9])
                          | st.floats(0.001, 0.999)), min_size=2, max_size=60))
def test_auc_and_log_loss_agree_with_scikit_learn(pairs):
    y, p = [a for a, _ in pairs], [b for _, b in pairs]
    assert fitting.log_loss(y, p) == pytest.approx(sk_log_loss(y, p, labels=[0, 1]), rel=1e-9)
    if 0 < sum(y) < len(y):
        assert fitting.auc(y, p) == pytest.approx(roc_auc_score(y, p), rel=1e-9)
    else:
        assert fitting.auc(y, p) is None


def _bins_dataset(rows: list[tuple[int, int, int, int]]) -> Dataset:
    """Scored reviews given as (delta_t, count, lapses, recalled)."""
    data = Dataset()
    data.card.extend([0] * len(rows))
    data.position.extend([1] * len(rows))
    data.delta_t = array("i", [delta_t for delta_t, _, _, _ in rows])
    data.count = array("i", [count for _, count, _, _ in rows])
    data.lapses = array("i", [lapses for _, _, lapses, _ in rows])
    data.recalled = array("b", [recalled for _, _, _, recalled in rows])
    data.sm2_interval = array("d", [1.0] * len(rows))
    return data


def test_rmse_bins_by_hand():
    # delta_t 1 and 2 share a bin (2.48 x 3.62^0 = 2.48), 5 is in the next (8.98);
    # count 2 and 3 share one (1.99 x 1.89 = 3.76, rounded 4), lapses 0 are bin 0.
    data = _bins_dataset([(1, 2, 0, 1), (2, 3, 0, 0), (5, 2, 0, 1)])
    predicted = [0.9, 0.7, 0.6]
    # Bin A: observed 0.5, predicted 0.8, 2 reviews; bin B: 1.0 against 0.6, 1 review.
    expected = math.sqrt((2 * (0.5 - 0.8) ** 2 + 1 * (1.0 - 0.6) ** 2) / 3)
    assert fitting.rmse_bins(data, range(3), predicted) == pytest.approx(expected)


def test_rmse_bins_against_scikit_learn_on_the_benchmarks_bins():
    # srs-benchmark: group by the three log bins, then scikit-learn's RMSE of the
    # groups' means weighted by their sizes.
    import random

    rng = random.Random(5)
    rows = [(rng.choice([1, 2, 3, 7, 20, 60, 200]), rng.randint(2, 12), rng.choice([0, 0, 1, 2, 5]),
             rng.randint(0, 1)) for _ in range(300)]
    predicted = [rng.uniform(0.3, 1.0) for _ in rows]
    groups: dict = {}
    for (delta_t, count, lapses, y), p in zip(rows, predicted, strict=True):
        key = (round(2.48 * 3.62 ** math.floor(math.log(delta_t) / math.log(3.62)), 2),
               round(1.99 * 1.89 ** math.floor(math.log(count) / math.log(1.89)), 0),
               round(1.65 * 1.73 ** math.floor(math.log(lapses) / math.log(1.73)), 0)
               if lapses else 0)
        groups.setdefault(key, []).append((y, p))
    ys = [sum(y for y, _ in g) / len(g) for g in groups.values()]
    ps = [sum(p for _, p in g) / len(g) for g in groups.values()]
    weights = [len(g) for g in groups.values()]
    reference = math.sqrt(mean_squared_error(ys, ps, sample_weight=weights))
    data = _bins_dataset(rows)
    assert fitting.rmse_bins(data, range(len(rows)), predicted) == pytest.approx(reference)


def test_calibration_bins_count_every_review_once():
    y = [1, 0, 1, 1, 0]
    p = [0.91, 0.93, 0.52, 0.99, 1.0]
    bins = fitting.calibration(y, p)
    assert [(b.low, b.count) for b in bins] == [(0.5, 1), (0.9, 2), (0.95, 2)]
    assert bins[1].observed == 0.5 and bins[1].predicted == pytest.approx(0.92)
    assert sum(b.count for b in bins) == len(y)


@pytest.mark.parametrize("size", [6, 7, 11, 100, 1001])
def test_time_series_splits_are_scikit_learns(size):
    ours = [(list(train), list(test)) for train, test in fitting.time_series_splits(size)]
    theirs = [(list(train), list(test)) for train, test in TimeSeriesSplit(5).split(range(size))]
    assert ours == theirs


def test_too_short_a_history_has_no_split():
    assert fitting.time_series_splits(5) == []


# -- predictions ----------------------------------------------------------------------------


def test_the_forgetting_curve_is_py_fsrs():
    parameters = list(fitting.DEFAULT_PARAMETERS)
    scheduler = py_fsrs.Scheduler(parameters=tuple(parameters))
    last = datetime(2026, 1, 1, tzinfo=UTC)
    for stability, days in [(1.0, 1), (2.3, 5), (30.0, 12), (0.5, 40)]:
        reference = scheduler.get_card_retrievability(
            py_fsrs.Card(state=py_fsrs.State.Review, stability=stability, difficulty=5.0,
                         last_review=last), last + timedelta(days=days))
        assert fitting.forgetting_curve(days, stability, parameters[20]) == \
            pytest.approx(reference, rel=1e-9)


def test_fsrs_predictions_are_the_memory_state_before_each_review():
    data = fitting.prepare([card((0, 3), (0, 3), (2, 3), (9, 1), (10, 3)),
                            card((1, 4), (8, 2), (30, 3))])
    parameters = fitting.DEFAULT_PARAMETERS
    model = fsrs_rs_python.FSRS(parameters)
    predicted = fitting.predict_fsrs(data, parameters)
    for row, p in enumerate(predicted):
        history = data.card_answers(data.card[row])[:data.position[row]]
        state = model.memory_state(fsrs_rs_python.FSRSItem(
            [fsrs_rs_python.FSRSReview(r, t) for r, t in history]))
        assert p == pytest.approx(fitting.forgetting_curve(
            data.delta_t[row], state.stability, parameters[20]), rel=1e-6)


def test_fsrs_predictions_in_chunks_are_those_of_whole_histories(monkeypatch):
    # Each review's state is fsrs-rs's memory_state of the answers before it,
    # PREDICT_CHUNK items at a time; it must equal the state taken from the card's
    # whole history (historical_memory_state_batch), bit for bit.
    import random

    rng = random.Random(11)
    cards = []
    for _ in range(12):
        day, answers = 0, [(0, rng.choice([1, 3]))]
        for _ in range(rng.randint(1, 6)):
            day += rng.choice([0, 1, 3, 9])
            answers.append((day, rng.choice([1, 2, 3, 4])))
        cards.append(card(*answers))
    data = fitting.prepare(cards)
    parameters = fitting.DEFAULT_PARAMETERS
    model = fsrs_rs_python.FSRS(parameters)
    states = model.historical_memory_state_batch([
        fsrs_rs_python.FSRSItem([fsrs_rs_python.FSRSReview(r, t)
                                 for r, t in data.card_answers(index)])
        for index in range(data.card_count)])
    expected = [fitting.forgetting_curve(data.delta_t[row],
                                         states[data.card[row]][data.position[row] - 1].stability,
                                         parameters[20]) for row in range(data.size)]
    monkeypatch.setattr(fitting, "PREDICT_CHUNK", 4)
    rows = range(2, data.size)
    assert fitting.predict_fsrs(data, parameters, rows).tolist() == expected[2:]


def test_training_items_are_each_cards_answers_up_to_the_review():
    data = fitting.prepare([card((0, 3), (2, 1), (2, 3), (5, 3)), card((1, 4), (3, 3))])
    items = fitting._Items(data, range(data.size))

    def item(*reviews):  # the binding shows an item's reviews only in its repr
        return repr(fsrs_rs_python.FSRSItem([fsrs_rs_python.FSRSReview(*r) for r in reviews]))

    # Days 1, 2, 3, 5: card 0's review of day 2, card 1's of day 3, card 0's of day 5.
    expected = [item((3, 0), (1, 2)), item((4, 0), (3, 2)),
                item((3, 0), (1, 2), (3, 0), (3, 3))]
    assert len(items) == data.size == 3
    assert [repr(each) for each in items] == expected
    assert repr(items[1]) == expected[1]


def test_sm2_predicts_ninety_percent_on_the_due_day():
    data = fitting.prepare([card((0, 3), (1, 3), (7, 3), (40, 3))])
    assert fitting.predict_sm2(data) == pytest.approx([0.9, 0.9, 0.9 ** (33 / 15)])


def test_a_fit_on_too_few_reviews_gives_back_the_defaults():
    # fsrs-rs below 8 training items: the reason for MIN_REVIEWS.
    data = fitting.prepare([card((0, 3), (1, 3), (4, 3))])
    assert fitting.fit(data) == pytest.approx(fitting.DEFAULT_PARAMETERS, rel=1e-6)


def test_unusable_parameters_are_refused():
    with pytest.raises(ValueError, match="FSRS parameters"):
        fitting.check_parameters([1.0, 2.0])


# -- simulate and its options ----------------------------------------------------------------


def test_a_higher_retention_costs_more_reviews_and_keeps_more_cards():
    loads = fitting.simulate(fitting.DEFAULT_PARAMETERS, [0.8, 0.9, 0.95], deck_size=200,
                             new_per_day=10, reviews_per_day=9999, days=60)
    reviews = [w.total_reviews for w in loads]
    remembered = [w.remembered for w in loads]
    assert reviews == sorted(reviews) and reviews[0] < reviews[-1]
    assert remembered == sorted(remembered)
    assert all(w.learned_per_day == pytest.approx(200 / 60) for w in loads)


def test_the_simulation_is_seeded():
    def run():
        return fitting.simulate(fitting.DEFAULT_PARAMETERS, [0.9], deck_size=50, new_per_day=5,
                                reviews_per_day=100, days=30)

    assert run() == run()


def test_retentions_are_parsed_and_sorted():
    assert parse_retentions("0.9, 0.8,0.85") == [0.8, 0.85, 0.9]


@pytest.mark.parametrize("text", ["2", "0.5", "0.99", "abc", "0.8,,0.9", "", "nan"])
def test_bad_retentions_are_named(text):
    with pytest.raises(FlashcardsError, match="--retention: .* from 0.70 to 0.97"):
        parse_retentions(text)


def random_cards(rng, count: int, answers: int, gap: int, ratings: list[int],
                 first: list[int] | None = None) -> list:
    """``count`` cards: a first answer (rating 3, or one of ``first``), then ``answers``
    more, each 1 to ``gap`` days after the one before, with one of ``ratings``."""
    cards = []
    for _ in range(count):
        day, given = 0, [(0, rng.choice(first) if first else 3)]
        for _ in range(answers):
            day += rng.randint(1, gap)
            given.append((day, rng.choice(ratings)))
        cards.append(card(*given))
    return cards


def test_evaluate_reports_progress_up_to_its_total():
    import random

    data = fitting.prepare(random_cards(random.Random(9), 40, 6, 9, [1, 3, 3, 3]))
    seen = []
    result = fitting.evaluate(data, lambda done, total: seen.append((done, total)))
    totals = {total for _, total in seen}
    assert len(totals) == 1 and totals.pop() > 50  # enough for a bar to be drawn
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1][0] == seen[-1][1]
    assert result.scored == 5 * (data.size // 6) and result.splits == 5


@given(st.lists(st.integers(0, 5), max_size=40))
def test_the_fast_sm2_replay_is_the_scheduler(grades):
    state, fast = SM2State(), fitting.SM2_NEW
    for grade in grades:
        state, fast = review(state, grade), fitting.sm2_step(fast, grade)
        assert fast == (state.repetitions, round(state.easiness * 100), state.interval)


def test_a_fit_fsrs_rs_refuses_is_a_fit_error():
    data = fitting.prepare([card((0, 3), (1, 3), (4, 3))])
    data.rating[1] = 7  # no such rating: fsrs-rs answers InvalidInput
    with pytest.raises(fitting.FitError):
        fitting.fit(data)


def test_score_is_the_metrics_one_by_one():
    import random

    rng = random.Random(4)
    data = fitting.prepare(random_cards(rng, 60, 5, 30, [1, 2, 3, 3, 4], first=[1, 3]))
    rows = list(range(3, data.size))
    predicted = [rng.choice([0.0, 1.0, 0.5]) if n % 7 == 0 else rng.random()
                 for n in range(len(rows))]
    recalled = [data.recalled[row] for row in rows]
    result = fitting.score("m", data, rows, predicted)
    assert result.log_loss == pytest.approx(fitting.log_loss(recalled, predicted), rel=1e-12)
    assert result.rmse_bins == pytest.approx(fitting.rmse_bins(data, rows, predicted), rel=1e-12)
    assert result.auc == pytest.approx(fitting.auc(recalled, predicted), rel=1e-12)
    assert result.calibration == pytest.approx(fitting.calibration(recalled, predicted))


def test_a_score_gathered_in_blocks_is_the_score_in_one_pass():
    import random

    rng = random.Random(8)
    data = fitting.prepare(random_cards(rng, 50, 5, 40, [1, 3, 3, 4]))
    predicted = [rng.random() for _ in range(data.size)]
    scorer = fitting.Scorer(data)
    for start in range(0, data.size, 37):  # evaluate's folds, uneven
        block = range(start, min(start + 37, data.size))
        scorer.add(block, predicted[block.start:block.stop])
    assert scorer.score("m") == fitting.score("m", data, range(data.size), predicted)
