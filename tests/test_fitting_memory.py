"""What FSRS fitting holds while fsrs-rs fits (its peak of memory: about 110 MB at
750k training items), and that the columns worked out later are the ones a
straight replay of each card gives."""

from __future__ import annotations

import json
import pickle
import random
import subprocess
import sys
import tracemalloc
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards.fsrs import fitting
from flashcards.fsrs.dataset import SM2_NEW, Answer, sm2_step

SCORING = {"delta_t", "recalled", "count", "lapses", "sm2_interval"}


def history(rng: random.Random, cards: int, answers: int) -> list[list[Answer]]:
    """Cards answered every 0 to 9 days (same-day answers too), any button."""
    made = []
    for _ in range(cards):
        day, given = rng.randint(0, 20), []
        for _ in range(answers):
            rating = rng.randint(1, 4)
            given.append(Answer(day, rating, rng.choice(
                {1: [0, 1, 2], 2: [3], 3: [4], 4: [5]}[rating])))
            day += rng.choice([0, 0, 1, 2, 5, 9])
        made.append(given)
    return made


def replayed(cards: list[list[Answer]]) -> dict[str, list]:
    """The scoring columns as each card's replay gives them, in day order (stable)."""
    rows = []
    for answers in cards:
        state, previous, count, lapses = SM2_NEW, None, 1, 0
        for day, rating, grade in answers:
            if previous is not None and day > previous:
                count += 1
                rows.append((day, day - previous, int(rating > 1), count, lapses,
                             float(state[2] or 1)))
                lapses += rating == 1
            if previous is None or day > previous:
                state, previous = sm2_step(state, grade), day
    rows.sort(key=lambda row: row[0])
    names = ("delta_t", "recalled", "count", "lapses", "sm2_interval")
    return {name: [row[k + 1] for row in rows] for k, name in enumerate(names)}


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 12), st.integers(1, 9))
def test_the_scoring_columns_are_each_cards_replay_in_day_order(seed, cards, answers):
    given_cards = history(random.Random(seed), cards, answers)
    data = fitting.prepare(given_cards)
    expected = replayed(given_cards)
    assert {name: getattr(data, name).tolist() for name in expected} == expected


def test_no_fit_of_evaluate_holds_a_score_a_prediction_or_a_scoring_column(monkeypatch):
    # The fits hold the most memory (fsrs-rs's); what scoring needs comes after them.
    data = fitting.prepare(history(random.Random(3), 60, 9))
    seen, real_fit = [], fitting.fit

    def fit(data, rows=None, **options):
        held = vars(data)
        seen.append((sorted(data._cache), sorted(SCORING.intersection(held)),
                     options.get("keep_reviews", False)))
        return real_fit(data, rows, **options)

    monkeypatch.setattr(fitting, "fit", fit)
    fitting.evaluate(data)
    # The fsrs-rs reviews of the answers serve one fit after another, but the last
    # (the largest) lets them go once read (test_the_training_items_reviews_go...).
    assert seen == [([], [], True)] + [(["reviews"], [], True)] * (fitting.N_SPLITS - 2) \
        + [(["reviews"], [], False)]


def test_the_training_items_reviews_go_when_fsrs_rs_has_read_them():
    # fsrs-rs reads every item, then fits: the list of the answers' reviews (8 bytes
    # an answer) must not be held by then, though the sequence and its iterator are.
    data = fitting.prepare(history(random.Random(5), 2_000, 30))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        items = fitting._Items(data, range(data.size))
        iterator = iter(items)
        for _ in iterator:
            pass
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert data.answers == 60_000 and held < 8 * data.answers // 4, held
    assert iterator is not None and "reviews" not in data._cache
    fitting._answer_reviews(data)  # kept for the predictions, or for an earlier fit
    for _ in fitting.training_items(data):
        pass
    assert "reviews" not in data._cache  # the last fit's iteration took them over


def test_the_fit_worker_lets_its_dataset_go_when_fsrs_rs_has_read_the_items():
    data = fitting.prepare(history(random.Random(9), 200, 8))
    expected = fitting.fit(data)
    dataset = weakref.ref(data)
    items = fitting.training_items(data, release=True)
    del data
    assert dataset() is not None  # the items hold it until read
    for _ in iter(items):
        pass
    assert dataset() is None
    # What fit_worker.run does, with the same figures as a fit that keeps the data.
    again = fitting.training_items(fitting.prepare(history(random.Random(9), 200, 8)),
                                   release=True)
    assert fitting.fit_items(again) == expected


def test_a_dataset_sent_to_the_fit_worker_carries_no_scoring_column():
    data = fitting.prepare(history(random.Random(7), 30, 6))
    expected = data.sm2_interval.tolist()
    sent = pickle.loads(pickle.dumps(data))
    assert not SCORING.intersection(vars(sent))
    assert sent.sm2_interval.tolist() == expected  # worked out again where needed


def imported(code: str, *prefixes: str) -> list[str]:
    """The modules of those prefixes a fresh interpreter holds after running ``code``."""
    code += (f"; import json, sys; print(json.dumps(sorted(m for m in sys.modules"
             f" if m.startswith({prefixes}))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def test_the_fit_worker_imports_neither_the_command_line_nor_the_store():
    # The worker runs `python -m flashcards.fsrs.fit_worker`: the command line (click and
    # every command), the store and the journal are not its to hold. (Run by name, its
    # module's imports are those of an import; test_fitting_cli.py runs the real one.)
    assert imported("import flashcards.fsrs.fit_worker", "click", "flashcards.cli",
                    "flashcards.store", "flashcards.history", "flashcards.journal") == []


def test_the_columns_a_fit_reads_take_the_smallest_type_that_holds_them():
    data = fitting.prepare(history(random.Random(2), 40, 12))
    assert (data.position.itemsize, data.answer_delta_t.itemsize) == (1, 1)
    far = fitting.prepare([[Answer(0, 3, 4), Answer(300, 3, 4), Answer(70_300, 1, 1)],
                           [Answer(5, 3, 4)] * 300 + [Answer(9, 3, 4)]])
    assert far.answer_delta_t.itemsize == 4 and far.position.itemsize == 2
    assert far.delta_t.tolist() == [4, 300, 70_000]  # in day order: days 9, 300, 70300
    assert far.position.tolist() == [300, 1, 2]


def test_evaluate_imports_neither_the_fit_worker_machinery_nor_the_journal_nor_hashlib():
    # Only optimize starts a worker and saves through the journal, and evaluate hashes
    # nothing (hashlib loads OpenSSL: 5 MB): its process holds none of them by its fits.
    assert imported("import flashcards.cli; from flashcards import fitting_report; "
                    "import flashcards.ui.fitting_view", "multiprocessing",
                    "flashcards.history", "flashcards.journal", "hashlib", "_hashlib") == []


def test_an_item_taken_by_index_is_the_one_iteration_gives():
    # fsrs-rs iterates the items once; a reader that indexes them (Sequence's own `in`,
    # `index`, `reversed`) must get the same items, without remaking every answer's review.
    data = fitting.prepare(history(random.Random(4), 30, 6))
    items = fitting.training_items(data)
    by_index = [repr(item.reviews) for item in reversed(items)]
    assert by_index[::-1] == [repr(item.reviews) for item in items]
    assert len(by_index) == data.size > 0


def test_items_that_let_their_dataset_go_say_so_when_read_again():
    items = fitting.training_items(fitting.prepare(history(random.Random(4), 30, 6)),
                                   release=True)
    assert sum(1 for _ in items) > 0
    with pytest.raises(RuntimeError, match="read once"):
        next(iter(items))


def test_evaluate_scores_one_model_at_a_time(monkeypatch):
    # Each model's predictions go once its figures are taken: three models' at once
    # were held beside the AUC's sorting (20 MB at 739k reviews).
    data = fitting.prepare(history(random.Random(3), 60, 9))
    live, held_at_score = weakref.WeakSet(), []

    class Scorer(fitting.Scorer):
        def __init__(self, data):
            super().__init__(data)
            live.add(self)

        def score(self, model):
            held_at_score.append(len(live))
            return super().score(model)

    monkeypatch.setattr(fitting, "Scorer", Scorer)
    fitting.evaluate(data)
    assert held_at_score == [1, 1, 1]


def test_a_scorer_sorts_one_range_of_predictions_at_a_time():
    # The AUC sorts each calibration cell's predictions on its own: its peak is a
    # cell's floats, not a whole model's (36 bytes a review as a sorted list).
    rng = random.Random(6)
    data = fitting.prepare(history(rng, 2000, 12))
    predicted = [rng.random() for _ in range(data.size)]
    scorer = fitting.Scorer(data)
    scorer.add(range(data.size), predicted)
    tracemalloc.start()
    try:
        scorer.score("m")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data.size > 10_000
    assert peak < 8 * data.size  # not even a list of pointers to every prediction
