"""Copying the bundled decks to a folder of the user's (`e` on a bundled card)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flashcards.adopt import copy_bundled_decks
from flashcards.model import FlashcardsError
from flashcards.paths import BUNDLED_ROOT
from flashcards.session import start
from flashcards.sync import sync

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_a_folder_with_anything_in_it_is_never_written(store, tmp_path):
    with store.transaction():
        store.add_roots([BUNDLED_ROOT])
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.md").write_text("## Mine\n\nKeep.\n")
    with pytest.raises(FlashcardsError, match="not an empty folder"):
        copy_bundled_decks(store, target, now=NOW)
    assert [p.name for p in target.iterdir()] == ["notes.md"]
    assert store.roots() == [BUNDLED_ROOT]


def test_only_synced_bundled_decks_are_copied(store, tmp_path):
    with pytest.raises(FlashcardsError, match="not synced"):
        copy_bundled_decks(store, tmp_path / "mine", now=NOW)
    assert not (tmp_path / "mine").exists()


@pytest.mark.slow
def test_the_copy_keeps_every_guid_schedule_and_review(store, tmp_path):
    sync(store, None, now=NOW)
    session = start(store, NOW, clock=lambda: NOW)
    for _ in range(5):
        session.press(3, duration_ms=1000)
    before = {(c.note_guid, c.ord): (c.schedule, c.id) for c in store.due_cards(
        (NOW + timedelta(days=30)).date())}
    reviews = store.conn.execute("SELECT card_id, reviewed_at, grade FROM reviews "
                                 "ORDER BY id").fetchall()
    later = NOW + timedelta(minutes=5)
    target = tmp_path / "home" / "decks"
    report = copy_bundled_decks(store, target, now=later)
    assert report.added == 0 and report.errors == []
    assert store.roots() == [str(target)]
    after = {(c.note_guid, c.ord): (c.schedule, c.id) for c in store.due_cards(
        (NOW + timedelta(days=30)).date())}
    assert after == before and len(after) == 5
    assert store.conn.execute("SELECT card_id, reviewed_at, grade FROM reviews "
                              "ORDER BY id").fetchall() == reviews
    assert store.conn.execute("SELECT count(*) FROM notes WHERE orphaned = 1").fetchone() == (0,)
    # A later sync reads the copy, not the installed decks.
    assert sync(store, None, now=later).files_unchanged == len(list(target.rglob("*.md")))
