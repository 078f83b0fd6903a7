"""The store's queries for `stats` and `list` (store/stats_queries.py), on real stores.

The card state is one SQL expression that both `flashcards list` (a status a card)
and `flashcards stats` (cards counted per state, in SQLite) use: these tests pin its
rules (docs/stats.md, "Card states") card by card, and check that the counts, the
listing and a deck's share agree. The E-Factor comes back as stored, so that Python's
``round`` makes the hundredths (SQLite's ``round`` rounds a half up, not to even).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime

import pytest

from flashcards import stats
from flashcards.settings import Settings
from flashcards.store import CARD_STATES, Store
from flashcards.sync import sync

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
DECKS = {"A": 14, "A::B": 3, "AB": 2, "A_": 2}  # "AB" and "A_" are not subdecks of "A"

# (orphaned, suspended, due, fsrs_phase, repetitions, interval) -> its state, in the
# order the rules apply: the first that applies wins.
CASES = [
    ((1, 1, "2026-01-05", None, 3, 30), "orphaned"),
    ((1, 0, None, None, 0, 0), "orphaned"),
    ((0, 1, None, None, 0, 0), "suspended"),
    ((0, 1, "2026-01-05", 2, 5, 40), "suspended"),
    ((0, 0, None, None, 0, 0), "new"),
    ((0, 0, "2026-01-04", None, 0, 1), "learning"),      # SM-2: failed last time
    ((0, 0, "2026-01-09", None, 1, 6), "learning"),      # SM-2: passed once since
    ((0, 0, "2026-01-30", None, 2, 20), "young"),
    ((0, 0, "2026-02-01", None, 2, 21), "mature"),
    ((0, 0, "2026-01-05", 1, 9, 0), "learning"),         # FSRS: a learning step
    ((0, 0, "2026-01-05", 3, 9, 30), "learning"),        # FSRS: relearning, whatever else
    ((0, 0, "2026-01-07", 2, 0, 3), "young"),            # FSRS in review: repetitions aside
    ((0, 0, "2026-03-07", 2, 1, 60), "mature"),
]


@pytest.fixture
def cards(tmp_path):
    """A store of four decks (one a subdeck), its cards' ids in file order."""
    root = tmp_path / "decks"
    root.mkdir()
    for index, (deck, count) in enumerate(DECKS.items()):
        body = "\n".join(f"## {deck} question {n}?\n\nAnswer {n}.\n" for n in range(count))
        (root / f"{index}.md").write_text(f"---\ndeck: {deck}\n---\n\n{body}")
    store = Store.open(tmp_path / "fc.db")
    sync(store, [root], now=NOW)
    ids = [row[0] for row in store.conn.execute("SELECT id FROM cards ORDER BY id")]
    yield store, ids
    store.close()


def set_cards(store: Store, rows: dict[int, dict]) -> None:
    with store.transaction():
        for card_id, values in rows.items():
            store.conn.execute(
                f"UPDATE cards SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                [*values.values(), card_id])


def case_values(case: tuple) -> dict:
    return dict(zip(("orphaned", "suspended", "due", "fsrs_phase", "repetitions", "interval"),
                    case, strict=True))


def set_cases(store: Store, ids: list[int]) -> None:
    """The first cards put in the states of CASES, one each; the others stay new."""
    set_cards(store, {card_id: case_values(case)
                      for card_id, (case, _) in zip(ids[:len(CASES)], CASES, strict=True)})


def test_each_rule_of_the_card_states(cards):
    store, ids = cards
    set_cases(store, ids)
    status = {card.id: card.status for card in store.listed_cards()}
    assert [status[card_id] for card_id in ids[:len(CASES)]] == [state for _, state in CASES]


def test_stats_counts_the_states_list_shows(cards):
    store, ids = cards
    set_cases(store, ids)
    listed = Counter(card.status for card in store.listed_cards())
    counts = store.stats_card_counts()
    assert list(counts.states) == list(CARD_STATES)
    assert counts.states == {state: listed[state] for state in CARD_STATES}
    in_play = [c for c in store.listed_cards() if c.status in ("learning", "young", "mature")]
    assert counts.due == Counter(c.due for c in in_play)
    assert counts.intervals == Counter(c.interval for c in in_play)
    assert counts.easiness == Counter(c.easiness for c in in_play)


def test_list_and_stats_agree_on_a_phase_fsrs_never_writes(cards):
    """One definition: `list` once read phases 1 and 3 as learning and `stats` any
    phase but 2, so a card with phase 0 was "mature" in one and "learning" in the other."""
    store, ids = cards
    set_cases(store, ids)
    set_cards(store, {ids[-1]: case_values((0, 0, "2026-03-07", 0, 5, 60))})
    listed = Counter(card.status for card in store.listed_cards())
    assert stats.collect(store, now=NOW).card_counts == {s: listed[s] for s in CARD_STATES}


def test_every_state_the_sql_gives_is_a_card_state(cards):
    store, ids = cards
    set_cases(store, ids)
    assert set(store.stats_card_counts().states) == set(CARD_STATES)
    assert {card.status for card in store.listed_cards()} == set(CARD_STATES)


def test_a_deck_counts_its_subdecks_and_no_other_deck(cards):
    store, ids = cards
    set_cards(store, {card_id: case_values(CASES[n % len(CASES)][0])
                      for n, card_id in enumerate(ids)})
    for deck in DECKS:
        listed = list(store.listed_cards(deck=deck))
        counts = store.stats_card_counts(deck=deck)
        assert sum(counts.states.values()) == len(listed) == sum(
            n for name, n in DECKS.items() if name == deck or name.startswith(deck + "::"))
        assert counts.states == {s: sum(c.status == s for c in listed) for s in CARD_STATES}
        in_play = [c for c in listed if c.status in ("learning", "young", "mature")]
        assert counts.due == Counter(c.due for c in in_play)
        assert counts.intervals == Counter(c.interval for c in in_play)


def test_an_empty_store_counts_nothing(store):
    counts = store.stats_card_counts()
    assert counts.states == dict.fromkeys(CARD_STATES, 0)
    assert (counts.due, counts.intervals, counts.easiness) == ({}, {}, {})
    assert store.stats_leeches(lapses=1) == []


# -- the E-Factor in hundredths ---------------------------------------------------------

EDGES = [2.345, 1.305, 2.125, 2.695, 1.4999999999, 1.5, 2.5, 2.7, 2.35, 1.3]


def test_sqlite_rounds_a_half_otherwise_than_python():
    """Why the store hands the stored E-Factor over rather than rounding it itself."""
    with sqlite3.connect(":memory:") as conn:
        (sqlite_round,) = conn.execute("SELECT CAST(round(1.305 * 100) AS INTEGER)").fetchone()
    assert 1.305 * 100 == 130.5 and round(1.305 * 100) == 130 and sqlite_round == 131


def test_the_easiness_comes_back_as_stored_and_python_rounds_it(cards):
    store, ids = cards
    set_cards(store, {card_id: {"due": "2026-01-10", "repetitions": 3, "interval": 10,
                                "easiness": EDGES[n % len(EDGES)]}
                      for n, card_id in enumerate(ids)})
    counts = store.stats_card_counts()
    assert counts.easiness == Counter(EDGES[n % len(EDGES)] for n in range(len(ids)))
    hundredths = stats.hundredths(counts.easiness)
    assert hundredths == Counter(round(EDGES[n % len(EDGES)] * 100) for n in range(len(ids)))
    # The halves go to the even hundredth, as Python's round: 130.5 -> 130, 212.5 -> 212.
    assert {130, 212, 235, 270} <= set(hundredths) and not {131, 213} & set(hundredths)


# -- leeches ----------------------------------------------------------------------------

def test_the_leeches_are_the_cards_settings_call_leeches(cards):
    store, ids = cards
    lapses = {card_id: n % 11 for n, card_id in enumerate(ids)}
    orphaned = set(ids[::5])
    set_cards(store, {card_id: {"lapses": n, "orphaned": int(card_id in orphaned),
                                "suspended": int(card_id % 3 == 0)}
                      for card_id, n in lapses.items()})
    for threshold in range(1, 12):
        settings = Settings(leech_threshold=threshold)
        found = store.stats_leeches(lapses=settings.leech_threshold)
        assert {card.id for card in found} == {
            c for c, n in lapses.items() if settings.is_leech(n) and c not in orphaned}
        assert all(card.question and card.deck and card.line for card in found)
    assert {c.deck for c in store.stats_leeches(lapses=1, deck="A")} == {"A", "A::B"}
