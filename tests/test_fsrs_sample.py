"""A fit's input above the cap: a sample of whole cards, the same on every call, in
every store of the same history; below it, the whole history (fsrs/sample.py)."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from fitting_helpers import START, synthetic_history
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from flashcards import fitting_report
from flashcards.fsrs import fitting
from flashcards.fsrs.fitting import Answer
from flashcards.store import Store
from flashcards.ui.fitting_view import print_evaluation, print_optimize

AFTER = START + timedelta(days=51)  # the day after the history's last (50 days)


def random_history(rng: random.Random, cards: int, most: int) -> list[list[Answer]]:
    result = []
    for _ in range(cards):
        day, answers = rng.randrange(20), []
        for _ in range(rng.randint(1, most)):
            answers.append(Answer(day, rng.choice((1, 3, 3, 4)), 4))
            day += rng.randint(0, 9)
        result.append(answers)
    return result


def reviews_of_each_card(data: fitting.Dataset, rows) -> dict[int, int]:
    counts: dict[int, int] = {}
    for row in rows:
        counts[data.card[row]] = counts.get(data.card[row], 0) + 1
    return counts


def test_below_the_cap_a_fit_reads_the_whole_history():
    data = fitting.prepare(random_history(random.Random(1), 50, 8))
    assert fitting.fit_rows(data, cap=data.size) == range(data.size)
    train = range(0, data.size // 2)
    assert fitting.fit_rows(data, train, cap=len(train)) is train


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), cards=st.integers(2, 60), share=st.floats(0.05, 0.95))
def test_above_the_cap_a_fit_reads_whole_cards_near_the_cap(seed, cards, share):
    data = fitting.prepare(random_history(random.Random(seed), cards, 12))
    data.card_key = fitting.card_keys(fitting.card_key(f"note {seed} {index}", index % 2)
                                      for index in range(data.card_count))
    cap = int(data.size * share)
    if cap >= data.size:
        return
    rows = fitting.fit_rows(data, cap=cap)
    # The definition: every card in key order, whole, up to the first that would
    # pass the cap.
    everything = reviews_of_each_card(data, range(data.size))
    expected, total = set(), 0
    for index in sorted(range(data.card_count), key=data.card_key.__getitem__):
        if total + everything.get(index, 0) > cap:
            break
        expected.add(index)
        total += everything.get(index, 0)
    assert {data.card[row] for row in rows} == {i for i in expected if i in everything}
    assert list(rows) == sorted(set(rows))  # day order kept, no review twice
    taken = reviews_of_each_card(data, rows)
    assert all(everything[index] == count for index, count in taken.items())  # whole cards
    assert len(rows) <= cap
    # Cards are taken in key order up to the first that would pass the cap: the
    # sample falls short of it by less than that card's reviews.
    missing = [index for index in everything if index not in taken]
    assert not missing or len(rows) > cap - max(everything[index] for index in missing)
    assert fitting.fit_rows(data, cap=cap) == rows  # the same on every call


def test_each_fold_of_evaluate_reads_at_most_the_cap():
    data = fitting.prepare(random_history(random.Random(3), 120, 10))
    cap = data.size // 3
    result = fitting.evaluate(data, cap=cap)
    for train, _ in fitting.time_series_splits(data.size):
        assert len(fitting.fit_rows(data, train, cap=cap)) <= cap
    assert result.sampled_folds == sum(
        len(train) > cap for train, _ in fitting.time_series_splits(data.size)) > 0
    assert result.to_dict()["sampled_folds"] == result.sampled_folds
    assert fitting.evaluate(data).sampled_folds == 0  # far below the real cap
    out = StringIO()
    print_evaluation(result, out=Console(file=out, width=200))
    assert f"The fits of {result.sampled_folds} of 5 folds read a sample of whole cards" \
        in out.getvalue()


# -- through the store -------------------------------------------------------------------


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sample")
    synthetic_history(folder / "data" / "store.db", folder / "deck", cards=60, days=50)
    return folder / "data" / "store.db", folder / "deck"


def sampled_cards(db: Path, cap: int) -> tuple[set[tuple[str, int]], int, int]:
    """The (GUID, ordinal) of the cards a fit reads, and how many reviews of how many."""
    store = Store.open(db, create=False)
    try:
        data = fitting_report.load_history(store, now=AFTER, cap=cap)
        rows = fitting.fit_rows(data, cap=cap)
    finally:
        store.close()
    with sqlite3.connect(db) as conn:
        cards = [row[0] for row in conn.execute(
            "SELECT DISTINCT card_id FROM reviews ORDER BY card_id")]
        guids = dict(((card_id, (guid, ordinal)) for card_id, guid, ordinal in conn.execute(
            "SELECT cards.id, notes.guid, cards.ord FROM cards "
            "JOIN notes ON notes.id = cards.note_id")))
    assert len(cards) == data.card_count
    chosen = {guids[cards[index]] for index in {data.card[row] for row in rows}}
    return chosen, len(rows), data.size


@pytest.mark.slow
def test_a_store_fits_the_same_sample_of_cards_as_a_rebuilt_one(history, tmp_path):
    db, deck = history
    whole, fitted, size = sampled_cards(db, 10**9)
    assert fitted == size  # no cap: every review
    cap = size // 2
    chosen, fitted, _ = sampled_cards(db, cap)
    assert cap - 50 < fitted <= cap and len(chosen) < len(whole)
    assert sampled_cards(db, cap)[0] == chosen  # the same on every call
    # Another machine: a store whose cards got other ids (another deck synced
    # first), rebuilt from the deck folder's journal alone.
    elsewhere = tmp_path / "elsewhere" / "store.db"
    env = {**os.environ, "FLASHCARDS_DB": str(elsewhere), "FLASHCARDS_NOW": AFTER.isoformat(),
           "FLASHCARDS_TZ": "UTC"}
    other = tmp_path / "other"
    other.mkdir()
    (other / "other.md").write_text("---\ndeck: Other\n---\n\n" + "".join(
        f"## Another question {n}?\n\nAnswer {n}.\n\n" for n in range(25)), encoding="utf-8")
    for folder in (other, deck):
        done = subprocess.run([sys.executable, "-m", "flashcards", "sync", str(folder)],
                              env=env, capture_output=True, timeout=120, text=True)
        assert done.returncode == 0, done.stderr
    assert sampled_cards(elsewhere, cap) == (chosen, fitted, size)


@pytest.mark.slow
def test_optimize_says_when_it_fitted_on_a_sample(history, tmp_path):
    db = tmp_path / "store.db"
    shutil.copy(history[0], db)
    store = Store.open(db, create=False)
    try:
        full = fitting_report.optimize(store, now=AFTER)
        cap = full.reviews // 2
        sampled = fitting_report.optimize(store, now=AFTER, cap=cap)
    finally:
        store.close()
    assert not full.sampled and full.to_dict()["fitted_reviews"] == full.reviews
    assert sampled.sampled and cap - 50 < sampled.fitted_reviews <= cap
    assert sampled.to_dict()["fitted_reviews"] == sampled.fitted_reviews
    assert sampled.to_dict()["sampled"] is True
    out = StringIO()
    print_optimize(sampled, out=Console(file=out, width=200))
    assert (f"FSRS fitted on {sampled.fitted_reviews:,} of {sampled.reviews:,} reviews "
            "(a sample of whole cards)") in out.getvalue()
