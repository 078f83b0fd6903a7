"""A seeded review history from a known memory model, written through the real
review path (sync, then `session.start` and `press` day after day, each answer to
the journal and the store), for the FSRS fitting tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flashcards import session
from flashcards.store import Store
from flashcards.sync import sync

START = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
SEED = 20260105
# The person's memory, which no scheduler here knows: recall after t days at
# stability S is 1 / (1 + t / (9 S)) (a power law steeper than FSRS-6's default
# curve); a recalled card's stability grows the more, the harder the recall was
# (the spacing effect), a forgotten one's falls to a quarter.
FIRST_STABILITY = {1: 0.4, 3: 2.0, 4: 5.0}


def recall_probability(elapsed: float, stability: float) -> float:
    return 1.0 / (1.0 + elapsed / (9.0 * stability))


def write_deck(folder: Path, cards: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["---", "deck: Memory", "---", ""]
    for number in range(cards):
        lines += [f"## What is fact number {number}?", "", f"Fact {number} is {number * 7}.", ""]
    (folder / "memory.md").write_text("\n".join(lines), encoding="utf-8")
    return folder


def synthetic_history(db: Path, folder: Path, *, cards: int = 150, days: int = 120,
                      seed: int = SEED) -> int:
    """Review ``cards`` cards for ``days`` days on SM-2, answering as the memory
    model says (seeded); returns the number of answers given."""
    store = Store.open(db)
    try:
        sync(store, [write_deck(folder, cards)], now=START)
        rng, memory, answers = random.Random(seed), {}, 0
        for day in range(days):
            moment = [START + timedelta(days=day)]

            def clock(moment=moment):
                moment[0] += timedelta(seconds=20)
                return moment[0]

            run = session.start(store, moment[0], clock=clock)
            while run.current is not None:
                card = run.current
                run.press(_button(rng, memory, card.id, day, card.id in run.again))
                answers += 1
        return answers
    finally:
        store.close()


def _button(rng: random.Random, memory: dict, card_id: int, day: int, repeat: bool) -> int:
    if repeat:  # asked again the same day: the answer was just seen
        return 3
    if card_id not in memory:
        button = rng.choices((1, 3, 4), weights=(3, 6, 1))[0]
        memory[card_id] = (FIRST_STABILITY[button], day)
        return button
    stability, last = memory[card_id]
    p = recall_probability(day - last, stability)
    if rng.random() >= p:
        memory[card_id] = (max(0.3, stability * 0.25), day)
        return 1
    memory[card_id] = (stability * (1.2 + 2.0 * (1.0 - p)), day)
    return 2 if p < 0.6 else 4 if rng.random() < 0.1 else 3
