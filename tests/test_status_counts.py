"""`status.status` against the queue it summarises, on varied seeded stores.

The reference below is status as first written: build the whole unlimited queue
with ``build_queue`` and count its cards per deck. ``status.status`` counts in
SQL instead; on every scenario both must give the same report, siblings, limits,
suspended and orphaned cards, same-day repeats and the study day included.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta

import pytest
from store_helpers import note_rows

from flashcards import daily_queue, session
from flashcards.daily_queue import build_queue
from flashcards.scheduler import study_day
from flashcards.session import Card
from flashcards.settings import load_settings, save_setting
from flashcards.status import status
from flashcards.store import ReviewRecord, Store
from flashcards.sync import sync

DAY0 = datetime.fromisoformat("2025-12-20T09:00:00+00:00")
TODAY = datetime.fromisoformat("2026-01-05T10:00:00+00:00")
NO_LIMIT = 10**9


def reference_status(store: Store, now: datetime) -> dict:
    """The unlimited queue, grouped by deck, with the day's limits applied afterwards."""
    settings = load_settings(store)
    today = study_day(now, settings.day_start_hour)
    done = daily_queue.done_today(store, today, settings, now.tzinfo)
    unlimited = build_queue(store, today, settings, now.tzinfo, new_limit=NO_LIMIT,
                            review_limit=NO_LIMIT)
    new_left = max(0, settings.new_per_day - done.new_done)
    by_deck: dict[str, list[Card]] = {}
    for card in unlimited:
        by_deck.setdefault(card.deck, []).append(card)
    decks = []
    for deck, next_due in _deck_schedule(store, today.isoformat()):
        mine = by_deck.get(deck, [])
        decks.append({"deck": deck,
                      "due_today": sum(c.schedule.due is not None and c.schedule.due <= today
                                       for c in mine),
                      "new_today": min(new_left, sum(c.schedule.is_new for c in mine)),
                      "next_due": next_due})
    next_dues = [d["next_due"] for d in decks if d["next_due"]]
    total = {"due_today": min(max(0, settings.reviews_per_day - done.reviews_done),
                              sum(d["due_today"] for d in decks)),
             "new_today": min(new_left, sum(c.schedule.is_new for c in unlimited)),
             "next_due": min(next_dues) if next_dues else None}
    return {"today": today.isoformat(), "decks": decks, "total": total}


def _deck_schedule(store: Store, today: str) -> list[tuple[str, str | None]]:
    """Decks with active cards and their first due date after today (read directly)."""
    with sqlite3.connect(store.path) as conn:
        return conn.execute(
            "SELECT decks.name, min(CASE WHEN cards.due > ? THEN cards.due END) "
            "FROM cards JOIN notes ON notes.id = cards.note_id "
            "JOIN decks ON decks.id = notes.deck_id "
            "WHERE cards.orphaned = 0 AND cards.suspended = 0 AND notes.orphaned = 0 "
            "GROUP BY decks.name ORDER BY decks.name", [today]).fetchall()


# -- a varied collection ------------------------------------------------------------


def deck_files(rng: random.Random) -> dict[str, str]:
    """Decks, subdecks and sub-subdecks of basic, reversed and cloze notes."""
    files, number = {}, 0
    names = [f"D{d}" for d in range(5)] + [f"D{d}::Sub{s}" for d in range(3) for s in range(2)]
    names += ["D0::Sub0::Deep", "D_x", "D%y"]
    for index, name in enumerate(names):
        notes = []
        for _ in range(rng.randint(3, 14)):
            number += 1
            kind = rng.choice(["basic", "basic", "reversed", "cloze"])
            if kind == "cloze":
                parts = " ".join(f"{{{{c{c}::part{number}x{c}}}}}"
                                 for c in range(1, rng.randint(1, 4) + 1))
                notes.append(f"## Cloze {number}: {parts}\n")
            elif kind == "reversed":
                notes.append(f"## Term {number}\n<!-- reverse -->\n\nMeaning {number}.\n")
            else:
                notes.append(f"## Question {number}?\n\nAnswer {number}.\n")
        files[f"{index:02d}-{name.replace(':', '_')}.md"] = (
            f"---\ndeck: {name}\n---\n" + "\n".join(notes))
    return files


def make_store(tmp_path, seed: int) -> tuple[Store, random.Random]:
    rng = random.Random(seed)
    root = tmp_path / "decks"
    root.mkdir()
    for name, text in deck_files(rng).items():
        (root / name).write_text(text)
    store = Store.open(tmp_path / "fc.db")
    sync(store, [root], now=DAY0)
    return store, rng


def study(store: Store, rng: random.Random, moment: datetime) -> None:
    """A session of a random length with random grades, stopped part way at times."""
    options = {}
    if rng.random() < 0.5:
        options["new_limit"] = rng.randint(0, 15)
    if rng.random() < 0.3:
        options["review_limit"] = rng.randint(0, 10)
    if rng.random() < 0.3:
        options["deck"] = rng.choice(["D0", "D1", "D2::Sub1"])
    review = session.start(store, moment, clock=lambda: moment, **options)
    for _ in range(rng.randint(0, 40)):
        if review.current is None:
            break
        if rng.random() < 0.05:
            review.suspend()
        else:
            review.answer(rng.choice([0, 1, 2, 3, 3, 4, 4, 5, 5]), 1000)


def history(store: Store, rng: random.Random) -> None:
    """Two weeks of study, a session or two today, then a few odd rows and settings."""
    for day in range(1, 16):
        if rng.random() < 0.7:
            study(store, rng, DAY0 + timedelta(days=day, hours=rng.randint(0, 12)))
    for _ in range(rng.randint(1, 2)):
        study(store, rng, TODAY - timedelta(hours=rng.randint(0, 5)))
    card_ids = [card.id for card in store.listed_cards()]
    with store.transaction():
        for card_id in rng.sample(card_ids, 6):
            store.set_suspended(card_id, True)
        notes = note_rows(store, "orphaned = 0")
        store.orphan_notes(note["id"] for note in rng.sample(notes, 3))
        cloze = [n for n in notes if n["kind"] == "cloze" and n["answer"] == ""]
        for note in rng.sample(cloze, min(2, len(cloze))):
            store.set_card_ordinals(note["id"], [1])  # a cloze number removed
        # Answers the session never writes alone: unscheduled, failed, today; one
        # of a new card, one of a due card (a repeat that is also in the due part).
        due = [card.id for card in store.listed_cards()
               if card.due and card.due <= "2026-01-05"]
        for card_id in (rng.choice(card_ids), rng.choice(due)):
            card = store.card(card_id)
            store.insert_review(ReviewRecord(
                card_id=card_id, note_guid=card.note_guid, ordinal=card.ord,
                reviewed_at=TODAY - timedelta(hours=1), grade=1, scheduled=False,
                before=card.schedule, after=card.schedule, duration_ms=1000))
    for key, values in (("new_per_day", [0, 3, 20, 500]), ("reviews_per_day", [0, 5, 200]),
                        ("day_start_hour", [0, 4, 11, 23])):
        if rng.random() < 0.6:
            save_setting(store, key, str(rng.choice(values)))


@pytest.mark.parametrize("seed", [0, 1, *(pytest.param(seed, marks=pytest.mark.slow)
                                         for seed in range(2, 8))])
def test_status_counts_what_the_unlimited_queue_holds(tmp_path, seed):
    store, rng = make_store(tmp_path, seed)
    history(store, rng)
    for moment in (TODAY, TODAY + timedelta(hours=13), TODAY + timedelta(days=1),
                   TODAY + timedelta(days=4), DAY0, TODAY + timedelta(days=90)):
        assert status(store, moment) == reference_status(store, moment), moment
    store.close()


@pytest.mark.slow
def test_the_scenarios_reach_the_cases_that_matter(tmp_path):
    """Keep the seeds honest: between them they bury siblings and hit both limits."""
    buried = repeats = new_capped = due_seen = 0
    for seed in range(8):
        folder = tmp_path / str(seed)
        folder.mkdir()
        store, rng = make_store(folder, seed)
        history(store, rng)
        settings = load_settings(store)
        today = study_day(TODAY, settings.day_start_hour)
        done = daily_queue.done_today(store, today, settings, TODAY.tzinfo)
        queue = build_queue(store, today, settings, TODAY.tzinfo, new_limit=NO_LIMIT,
                            review_limit=NO_LIMIT)
        with sqlite3.connect(store.path) as conn:
            active = conn.execute(
                "SELECT count(*) FROM cards JOIN notes ON notes.id = cards.note_id "
                "WHERE cards.orphaned = 0 AND cards.suspended = 0 AND notes.orphaned = 0 "
                "AND (cards.due IS NULL OR cards.due <= ?)", [today.isoformat()]).fetchone()[0]
        buried += active > len({c.note_id for c in queue})
        repeats += bool(done.unfinished)
        report = reference_status(store, TODAY)
        new_capped += report["total"]["new_today"] < sum(c.schedule.is_new for c in queue)
        due_seen += report["total"]["due_today"] > 0
        store.close()
    assert buried and repeats and new_capped and due_seen
