"""The store's own contract: records in, the same records out, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest

from flashcards.model import FlashcardsError
from flashcards.store import (
    CardSchedule,
    ReviewRecord,
    SourceRecord,
    Store,
    StoredNote,
    backup_path,
)

MOMENT = datetime(2026, 1, 5, 10, 0, 0, 123000, tzinfo=UTC)


def a_note(store: Store, **changes) -> StoredNote:
    fields = dict(guid="fc-g1", kind="basic", deck_id=store.deck_id("Deck", "About"),
                  path="/notes/a.md", line=3, question="Q?", answer="A.", tags=("t1", "t2"),
                  explicit_id="q1", question_hash="qh", answer_hash="ah", content_hash="ch",
                  modified=1_700_000_000)
    return StoredNote(**{**fields, **changes})


def stored_note(store: Store, **changes) -> StoredNote:
    with store.transaction():
        (note_id,) = store.insert_notes([a_note(store, **changes)], 1)
        store.insert_cards([(note_id, 1)])
    (note,) = [n for n in store.notes() if n.id == note_id]
    return note


def test_a_note_comes_back_as_it_was_written(store):
    note = stored_note(store)
    assert note == a_note(store, id=note.id, deck="Deck")
    assert store.notes_in_paths(["/notes/a.md"]) == [note]
    assert store.notes_in_paths(["/notes/other.md"]) == []


def test_updating_and_orphaning_a_note(store):
    note = stored_note(store)
    with store.transaction():
        store.update_note(a_note(store, id=note.id, question="Q2?", line=9))
        store.orphan_notes([note.id])
    (again,) = store.orphaned_notes()
    assert (again.question, again.line, again.orphaned) == ("Q2?", 9, True)
    assert store.card(1).orphaned


def test_a_card_carries_its_note_and_schedule(store):
    note = stored_note(store)
    card = store.card(1)
    assert (card.note_id, card.note_guid, card.ord, card.deck) == (note.id, "fc-g1", 1, "Deck")
    assert card.schedule == CardSchedule() and card.schedule.is_new and card.active
    due = CardSchedule(repetitions=2, easiness=2.36, interval=6, due=date(2026, 1, 11))
    with store.transaction():
        store.set_card_schedule(card.id, due, lapses=1)
    card = store.card(1)
    assert (card.schedule, card.lapses) == (due, 1)
    assert [c.id for c in store.due_cards(date(2026, 1, 11))] == [1]
    assert list(store.due_cards(date(2026, 1, 10))) == []
    assert store.next_due_after(date(2026, 1, 5)) == (date(2026, 1, 11), 1)


def test_a_review_record_round_trips_with_every_field(store):
    stored_note(store)
    record = ReviewRecord(
        card_id=1, note_guid="fc-g1", ordinal=1, reviewed_at=MOMENT, grade=4, scheduled=True,
        before=CardSchedule(), after=CardSchedule(1, 2.5, 1, date(2026, 1, 6)), button=3,
        duration_ms=5200, utc_offset_minutes=60, day_start_hour=4)
    with store.transaction():
        review_id = store.insert_review(record)
    start, end = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC)
    assert store.reviews_between(start, end) == [
        record._replace(id=review_id)]
    assert store.was_scheduled_between(1, start, end)
    assert not store.was_scheduled_between(1, end, datetime(2026, 1, 7, tzinfo=UTC))
    assert store.scheduled_reviews()[1][0].button == 3


def test_settings_sources_and_roots(store):
    with store.transaction():
        store.set_meta("config.new_per_day", "7")
        store.set_meta("config.new_per_day", "8")
        store.set_sources([SourceRecord("/n/a.md", "/n", "h1")])
        store.set_sources([SourceRecord("/n/a.md", "/n", "h2")])
        store.add_roots(["/n", "/n"])
    assert store.meta_items("config.") == {"config.new_per_day": "8"}
    assert store.sources() == {"/n/a.md": SourceRecord("/n/a.md", "/n", "h2")}
    assert store.roots() == ["/n"]


def test_meta_items_by_prefix_and_all_of_them(store):
    with store.transaction():
        for key in ("config.a", "config.b", "configz", "journal.seq"):
            store.set_meta(key, "1")
    assert set(store.meta_items("config.")) == {"config.a", "config.b"}
    assert {"config.a", "config.b", "configz", "journal.seq"} <= set(store.meta_items(""))


def test_a_deck_is_known_with_its_subdecks(store):
    with store.transaction():
        store.deck_id("A::B")
    assert store.deck_exists("A") and store.deck_exists("A::B") and not store.deck_exists("B")
    with pytest.raises(FlashcardsError, match="no deck named 'Nope'"):
        store.require_deck("Nope")


def test_a_failed_transaction_writes_nothing(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.set_meta("config.x", "1")
        raise RuntimeError("boom")
    assert store.meta_items("config.") == {}


def test_a_wider_page_cache_lasts_only_its_block(store):
    def cache_size() -> int:
        return store.conn.execute("PRAGMA cache_size").fetchone()[0]

    before = cache_size()
    with store.page_cache(32):
        assert cache_size() == -32 * 1024  # negative: KiB, not pages
    assert cache_size() == before
    with pytest.raises(RuntimeError), store.page_cache(8):
        raise RuntimeError("boom")
    assert cache_size() == before


def test_a_file_that_is_not_sqlite_is_a_plain_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(FlashcardsError, match="cannot open the database"):
        Store.open(path)
    assert path.read_text().startswith("these are my notes")


def test_a_backup_is_a_consistent_sqlite_file_and_never_overwritten(store, tmp_path):
    stored_note(store)
    first = backup_path(store.path, "backup", MOMENT)
    store.backup_to(first)
    second = backup_path(store.path, "backup", MOMENT)
    assert second != first and second.name.endswith("-2.bak")
    store.backup_to(second)
    for copy in (first, second):
        assert sqlite3.connect(copy).execute("SELECT count(*) FROM notes").fetchone() == (1,)


def test_export_notes_list_active_cards_only(store):
    note = stored_note(store, kind="reversed")
    with store.transaction():
        store.insert_cards([(note.id, 2)])
        store.set_suspended(1, True)
    (exported,) = store.export_notes()
    assert (exported.guid, exported.ords, exported.tags) == ("fc-g1", (2,), ("t1", "t2"))


def test_whether_there_are_notes_to_export_is_whether_the_export_reads_one(store, tmp_path):
    _decks_of_many_sizes(store, tmp_path / "decks")
    file = str(tmp_path / "decks" / "01.md")  # deck Small

    def agree() -> None:
        for decks, paths in [((), ()), (("Small",), ()), (("Small::Sub",), ()),
                             (("Nope",), ()), ((), (file,)), ((), (str(tmp_path),)),
                             (("Big",), (file,))]:
            for suspended in (False, True):
                read = any(True for _ in store.export_notes(
                    decks=decks, paths=paths, suspended=suspended))
                assert store.has_export_notes(decks=decks, paths=paths,
                                              suspended=suspended) is read, (decks, paths)

    agree()
    small = "SELECT id FROM notes WHERE path = ?"
    with store.transaction():  # every card of Small suspended: only with suspended ones
        store.conn.execute(f"UPDATE cards SET suspended = 1 WHERE note_id IN ({small})", [file])
    assert not store.has_export_notes(decks=["Small"], paths=[file])
    assert store.has_export_notes(decks=["Small"], paths=[file], suspended=True)
    agree()
    with store.transaction():  # then orphaned: none either way
        store.conn.execute(f"UPDATE cards SET orphaned = 1 WHERE note_id IN ({small})", [file])
    assert not store.has_export_notes(paths=[file], suspended=True)
    agree()
    with store.transaction():  # cards back, their notes orphaned: none either way
        store.conn.execute("UPDATE cards SET orphaned = 0, suspended = 0")
        store.conn.execute(f"UPDATE notes SET orphaned = 1 WHERE id IN ({small})", [file])
    assert not store.has_export_notes(paths=[file], suspended=True)
    agree()


def _decks_of_many_sizes(store: Store, root) -> None:
    """12 decks: one of a single file, a parent with subdecks, and one of most notes,
    every card given a due date (a few suspended or new), with ties on the date."""
    from flashcards.sync import sync

    root.mkdir()
    sizes = {"Big": 300, "Small": 6, "Small::Sub": 4, "Odd_%": 5,
             **{f"Other{n}": 10 for n in range(8)}}
    for index, (deck, size) in enumerate(sizes.items()):
        cards = "".join(f"## {deck} question {n}?\n\nAnswer {n}.\n\n" for n in range(size))
        (root / f"{index:02d}.md").write_text(f"---\ndeck: {deck}\n---\n\n{cards}")
    sync(store, [root], now=MOMENT)
    with store.transaction():
        for (card_id,) in store.conn.execute("SELECT id FROM cards").fetchall():
            due = None if card_id % 7 == 0 else date(2026, 1, 1 + card_id % 9).isoformat()
            store.conn.execute("UPDATE cards SET due = ?, suspended = ? WHERE id = ?",
                               [due, int(card_id % 11 == 0), card_id])


@pytest.mark.parametrize("deck", ["Small", "Small::Sub", "Odd_%", "Other3", "Big"])
def test_a_decks_due_and_new_cards_are_the_whole_queue_filtered(store, tmp_path, deck):
    """Read deck first (a small deck) or by the due index (a big one), the cards and
    their order are those of every deck's queue, filtered."""
    _decks_of_many_sizes(store, tmp_path / "decks")
    today = date(2026, 1, 6)
    in_deck = lambda c: c.deck == deck or c.deck.startswith(deck + "::")  # noqa: E731
    assert [c.id for c in store.due_cards(today, deck=deck)] == \
        [c.id for c in store.due_cards(today) if in_deck(c)]
    assert [c.id for c in store.new_cards(deck=deck)] == \
        [c.id for c in store.new_cards() if in_deck(c)]
    assert list(store.due_cards(today, deck=deck))


def test_a_small_deck_is_read_by_its_notes_not_by_every_due_card(store, tmp_path):
    """The plan that makes `review --deck` of a small deck at 100k cards take
    milliseconds (docs/benchmarks.md): the deck's notes by idx_notes_deck_id."""
    from flashcards.store.review_queries import DECK_CARD_SELECT

    _decks_of_many_sizes(store, tmp_path / "decks")
    assert store._read_deck_first("Small") and not store._read_deck_first("Big")  # noqa: SLF001
    plan = " | ".join(row[3] for row in store.conn.execute(
        f"EXPLAIN QUERY PLAN {DECK_CARD_SELECT} WHERE decks.name = 'Small' "
        "AND +cards.orphaned = 0 AND +cards.suspended = 0 AND +cards.due <= '2026-01-06'"))
    assert "idx_notes_deck_id" in plan and "idx_cards_note_id_ord" in plan, plan
    assert "idx_cards_orphaned_suspended_due" not in plan, plan


@pytest.mark.parametrize("deck", [None, "Small", "Odd_%"])
def test_the_list_for_a_pager_has_the_rows_of_the_piped_list(store, tmp_path, deck):
    _decks_of_many_sizes(store, tmp_path / "decks")
    piped = list(store.listed_cards(deck=deck))
    assert piped and list(store.listed_cards(deck=deck, first_rows_fast=True)) == piped


def test_the_hourly_review_totals_are_the_same_from_a_read_only_store(store, tmp_path):
    """A store that cannot be written (here: opened read-only) gets the totals computed
    on the spot instead of kept; the figures are the same."""
    note = stored_note(store)
    (card_id,) = store.conn.execute("SELECT id FROM cards WHERE note_id = ?",
                                    [note.id]).fetchone()
    with store.transaction():
        for n, moment in enumerate(("2026-01-05T10:00:00+00:00", "2026-01-05T10:59:00+00:00",
                                    "2026-01-05T11:00:00Z", "2026-01-06T09:00:00+00:00")):
            store.conn.execute(
                "INSERT INTO reviews (card_id, reviewed_at, grade, duration_ms, scheduled, "
                "interval_before, due_before) VALUES (?, ?, ?, 1000, 1, ?, '2026-01-01')",
                [card_id, moment, 2 + n, 10 * n])
    path = store.path
    read_only = Store(sqlite3.connect(f"file:{path}?mode=ro", uri=True), path)
    try:
        computed = sorted(read_only.review_hours())
    finally:
        read_only.conn.close()
    assert sorted(store.review_hours()) == computed
    assert [h.hour for h in computed] == ["2026-01-05T10", "2026-01-06T09",
                                          "=2026-01-05T11:00:00Z"]
    assert computed[0].answers == 2 and computed[0].mature_total == 0
    assert computed[1].mature_total == 1 and computed[1].mature_passed == 1


def test_a_store_without_answers_has_no_card_ranges(tmp_path):
    store = Store.open(tmp_path / "fc.db")
    try:
        assert store.answered_card_ranges(4) == []
    finally:
        store.close()
