"""A note that reaches a store after the journal lines about it were read.

Two machines share a notes folder. The second machine reads the first one's
journal (the note's identity line and its answers) before the note's file
arrives; when the file does arrive, sync gives the note its identity and
replays its older answers, without `doctor --fix`.
"""

from __future__ import annotations

import random
import shutil

import pytest

from tests.test_history import cards, invoke, replace_in, review, write_notes

LATE = ("---\ndeck: Late\n---\n\n## What is dropout?\n\nZeroing random units while training.\n\n"
        "## What is a sigmoid?\n<!-- id: sigmoid -->\n\nA squashing function.\n")


@pytest.mark.slow
def test_a_note_synced_after_its_journal_lines_were_read_gets_its_identity_and_answers(
        tmp_path):
    laptop_notes = write_notes(tmp_path / "laptop")
    (laptop_notes / "late.md").write_text(LATE, encoding="utf-8")
    laptop_db, desktop_db = tmp_path / "laptop-data" / "fc.db", tmp_path / "desktop-data" / "fc.db"
    invoke(laptop_db, "sync", str(laptop_notes))
    rng = random.Random(5)
    for day in range(3):
        review(laptop_db, day, rng)
    # Reworded on the laptop: its GUID no longer follows from its text.
    replace_in(laptop_notes / "late.md", "## What is dropout?", "## What does dropout do?")
    invoke(laptop_db, "sync", day=3)

    # The desktop gets everything but the late file, and reads the laptop's journal.
    desktop_notes = tmp_path / "desktop"
    shutil.copytree(laptop_notes, desktop_notes, ignore=shutil.ignore_patterns("late.md"))
    assert "answers from" in invoke(desktop_db, "sync", str(desktop_notes), day=3)
    # Then the file arrives.
    shutil.copy(laptop_notes / "late.md", desktop_notes / "late.md")
    invoke(desktop_db, "sync", day=3)

    late_on_laptop = [row for row in cards(laptop_db) if row["deck"] == "Late"]
    late_on_desktop = [row for row in cards(desktop_db) if row["deck"] == "Late"]
    assert sum(row["reviews"] for row in late_on_laptop) > 0
    assert late_on_desktop == late_on_laptop
    assert cards(desktop_db) == cards(laptop_db)
    assert "no problems found" in invoke(desktop_db, "doctor")


def test_answers_read_before_their_note_are_replayed_when_it_arrives(tmp_path):
    """The same, in process: a note with an explicit id, answered on the laptop."""
    from datetime import timedelta

    from flashcards.session import start
    from flashcards.store import Store
    from flashcards.sync import sync
    from tests.test_history import DAY1

    laptop_notes = write_notes(tmp_path / "laptop")
    (laptop_notes / "late.md").write_text(LATE, encoding="utf-8")
    laptop = Store.open(tmp_path / "laptop-data" / "fc.db")
    sync(laptop, [laptop_notes], now=DAY1)
    session = start(laptop, DAY1, clock=lambda: DAY1, new_limit=100)
    while session.current is not None:
        session.answer(4)
    desktop_notes = tmp_path / "desktop"
    shutil.copytree(laptop_notes, desktop_notes, ignore=shutil.ignore_patterns("late.md"))
    desktop = Store.open(tmp_path / "desktop-data" / "fc.db")
    later = DAY1 + timedelta(days=1)
    sync(desktop, [desktop_notes], now=later)
    shutil.copy(laptop_notes / "late.md", desktop_notes / "late.md")
    sync(desktop, None, now=later)

    def late(store: Store) -> list:
        return sorted((c.question, c.ord, c.due, c.repetitions, c.reviews)
                      for c in store.listed_cards() if c.deck == "Late")

    assert late(desktop) == late(laptop)
    assert all(reviews == 1 for *_, reviews in late(laptop))
    laptop.close()
    desktop.close()


def test_an_undo_read_after_its_answer_cancels_it_on_the_other_machine(tmp_path):
    """The answer reaches the desktop in one sync, the laptop's undo of it in the next
    (a folder kept in step by Syncthing while the laptop reviews)."""
    from flashcards.session import start
    from flashcards.store import Store
    from flashcards.sync import sync
    from tests.test_history import DAY1

    notes = write_notes(tmp_path / "notes")
    laptop = Store.open(tmp_path / "laptop-data" / "fc.db")
    desktop = Store.open(tmp_path / "desktop-data" / "fc.db")
    sync(laptop, [notes], now=DAY1)
    session = start(laptop, DAY1, clock=lambda: DAY1)
    session.answer(5)
    sync(desktop, [notes], now=DAY1)
    assert sum(c.reviews for c in desktop.listed_cards()) == 1
    session.undo()
    sync(desktop, [notes], now=DAY1)

    def states(store: Store) -> list:
        return sorted((c.question, c.ord, c.due, c.repetitions, c.reviews)
                      for c in store.listed_cards())

    assert sum(c.reviews for c in laptop.listed_cards()) == 0
    assert states(desktop) == states(laptop)
    laptop.close()
    desktop.close()
