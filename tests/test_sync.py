"""Sync on real SQLite files: identity survives authoring, history is never lost."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_helpers import count, note_rows, raw

from flashcards.htmlcache import cache_key
from flashcards.store import Store
from flashcards.sync import sync

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

TWO_CARDS = """\
---
deck: Demo
---
## What does regularization penalize?
Large weights, to reduce overfitting.

## Which penalty gives sparse weights?
The L1 penalty.
"""


@pytest.fixture
def decks(tmp_path):
    folder = tmp_path / "decks"
    folder.mkdir()
    return folder


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def add_history(store: Store, reviews_per_card: int = 2) -> dict[str, int]:
    """Log answers for every active card; returns reviews per question."""
    rows = raw(store).execute(
        "SELECT cards.id, notes.question FROM cards JOIN notes ON notes.id = note_id "
        "WHERE cards.orphaned = 0").fetchall()
    for card_id, _ in rows:
        for n in range(reviews_per_card):
            raw(store)["reviews"].insert({
                "card_id": card_id, "reviewed_at": f"2026-01-0{n + 1}T09:00:00+00:00",
                "grade": 4, "duration_ms": 1000, "scheduled": 1,
            })
    return history(store)


def history(store: Store) -> dict[str, int]:
    """Number of logged reviews per card, keyed by the card's current question."""
    rows = raw(store).execute(
        "SELECT notes.question, count(reviews.id) FROM cards "
        "JOIN notes ON notes.id = cards.note_id "
        "LEFT JOIN reviews ON reviews.card_id = cards.id GROUP BY cards.id").fetchall()
    return dict(rows)


def card_ids(store: Store) -> dict[str, int]:
    rows = raw(store).execute(
        "SELECT notes.question, cards.id FROM cards JOIN notes ON notes.id = note_id "
        "WHERE cards.orphaned = 0").fetchall()
    return dict(rows)


def test_first_sync_adds_notes_cards_decks_and_sources(store, decks):
    write(decks / "a.md", TWO_CARDS)
    report = sync(store, [decks], now=NOW)
    assert (report.added, report.files_read) == (2, 1)
    assert count(store, "notes") == 2 and count(store, "cards") == 2
    assert [r["name"] for r in raw(store)["decks"].rows] == ["Demo"]
    assert list(store.sources()) == [str(decks / "a.md")]
    assert store.roots() == [str(decks)]


def test_unchanged_files_are_skipped(store, decks):
    write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    report = sync(store, None, now=NOW)
    assert (report.files_read, report.files_unchanged, report.changed) == (0, 1, False)


@pytest.mark.parametrize("edit", [
    ("What does regularization penalize?", "What does regularisation penalise in a model?"),
    ("Large weights, to reduce overfitting.", "Big weights, which reduces overfitting."),
    ("What does regularization penalize?\nLarge weights",
     "What does regularizaton penalize?\nLarge weigths"),
], ids=["reword-question", "edit-answer", "typos-both-sides"])
def test_edits_keep_the_card_and_its_history(store, decks, edit):
    path = write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    ids_before = sorted(card_ids(store).values())
    before = sum(add_history(store).values())
    write(path, TWO_CARDS.replace(*edit))
    report = sync(store, None, now=NOW)
    assert (report.added, report.orphaned, report.updated) == (0, 0, 1)
    assert sorted(card_ids(store).values()) == ids_before
    assert sum(history(store).values()) == before == 4


def test_reordering_cards_keeps_identity(store, decks):
    path = write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    ids = card_ids(store)
    first, second = TWO_CARDS.split("## ")[1:]
    write(path, "---\ndeck: Demo\n---\n## " + second + "\n## " + first)
    report = sync(store, None, now=NOW)
    assert (report.added, report.orphaned, report.updated) == (0, 0, 0)
    assert card_ids(store) == ids
    lines = dict(raw(store).execute("SELECT question, line FROM notes").fetchall())
    assert lines["Which penalty gives sparse weights?"] == 4


def test_moving_a_card_to_another_file_and_deck_keeps_history(store, decks):
    path = write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    ids = card_ids(store)
    add_history(store)
    write(path, TWO_CARDS.split("## Which")[0])
    write(decks / "b.md", "---\ndeck: Other\n---\n## Which penalty gives sparse weights?\n"
                          "The L1 penalty.\n")
    report = sync(store, None, now=NOW)
    assert (report.added, report.orphaned, report.moved) == (0, 0, 1)
    assert card_ids(store) == ids
    assert history(store) == {"What does regularization penalize?": 2,
                              "Which penalty gives sparse weights?": 2}
    moved = note_rows(store, "question = ?", ["Which penalty gives sparse weights?"])[0]
    assert (moved["deck"], moved["path"]) == ("Other", str(decks / "b.md"))


def test_renaming_a_file_keeps_identity(store, decks):
    write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    ids = card_ids(store)
    (decks / "a.md").rename(decks / "renamed.md")
    report = sync(store, None, now=NOW)
    assert (report.added, report.orphaned, report.files_removed) == (0, 0, 1)
    assert card_ids(store) == ids
    assert list(store.sources()) == [str(decks / "renamed.md")]


def test_rewriting_both_sides_starts_over_and_orphans_the_old_card(store, decks):
    path = write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    add_history(store)
    write(path, TWO_CARDS.replace("## Which penalty gives sparse weights?\nThe L1 penalty.",
                                  "## Name a tree ensemble.\nRandom forest."))
    report = sync(store, None, now=NOW)
    assert (report.added, report.orphaned) == (1, 1)
    orphan = store.listed_cards(orphans=True)
    assert [(r.question, r.reviews, r.status) for r in orphan] == [
        ("Which penalty gives sparse weights?", 2, "orphaned")]


def test_removed_card_is_orphaned_and_revived_with_history(store, decks):
    path = write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    ids = card_ids(store)
    add_history(store, reviews_per_card=3)
    write(path, TWO_CARDS.split("## Which")[0])
    assert sync(store, None, now=NOW).orphaned == 1
    assert count(store, "cards", "orphaned = 1") == 1
    write(path, TWO_CARDS)
    report = sync(store, None, now=NOW)
    assert (report.revived, report.added) == (1, 0)
    assert card_ids(store) == ids
    assert history(store)["Which penalty gives sparse weights?"] == 3


def test_explicit_id_wins_even_when_both_sides_change(store, decks):
    path = write(decks / "a.md", "## Old question\n<!-- id: keep-me -->\nOld answer\n")
    sync(store, [decks], now=NOW)
    ids = list(card_ids(store).values())
    write(path, "## Entirely new wording\n<!-- id: keep-me -->\nAnother answer\n")
    report = sync(store, None, now=NOW)
    assert (report.added, report.updated) == (0, 1)
    assert list(card_ids(store).values()) == ids


def test_different_explicit_ids_never_match(store, decks):
    path = write(decks / "a.md", "## Same text\n<!-- id: one -->\nSame answer\n")
    sync(store, [decks], now=NOW)
    write(path, "## Same text\n<!-- id: two -->\nSame answer\n")
    report = sync(store, None, now=NOW)
    assert (report.added, report.orphaned) == (1, 1)


def test_a_changed_card_gets_a_strictly_later_modification_time(store, decks):
    path = write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    stamps = []
    for n in range(3):  # three edits within the same second
        write(path, TWO_CARDS.replace("The L1 penalty.", f"The L1 penalty ({n})."))
        sync(store, None, now=NOW)
        stamps.append(note_rows(store, "question LIKE 'Which%'")[0]["modified"])
    assert stamps == sorted(set(stamps)) and stamps[0] == int(NOW.timestamp()) + 1
    untouched = note_rows(store, "question LIKE 'What%'")[0]["modified"]
    assert untouched == int(NOW.timestamp())


def test_guid_is_stable_across_edits_and_from_explicit_id(store, decks, tmp_path):
    path = write(decks / "a.md", "## Q\n<!-- id: stable -->\nA\n")
    sync(store, [decks], now=NOW)
    guid = note_rows(store, "1 = 1")[0]["guid"]
    write(path, "## Q changed\n<!-- id: stable -->\nA changed\n")
    sync(store, None, now=NOW)
    assert note_rows(store, "1 = 1")[0]["guid"] == guid
    other = Store.open(tmp_path / "other.db")
    sync(other, [decks], now=NOW)
    assert note_rows(other, "1 = 1")[0]["guid"] == guid
    other.close()


def test_a_new_note_never_takes_a_guid_the_store_already_holds(store, decks):
    # A note keeps the GUID of its first content through edits; a new note with
    # that first content again gets another GUID, not a clash with the old note.
    path = write(decks / "a.md", "## Q\nA\n")
    sync(store, [decks], now=NOW)
    write(path, "## Q\nA, edited\n")
    sync(store, None, now=NOW)
    write(path, "## Q\nA, edited\n\n## Q\nA\n")  # the first content again, in its deck
    sync(store, None, now=NOW)
    guids = [row["guid"] for row in note_rows(store, "1 = 1 ORDER BY id")]
    assert len(guids) == 2 and len(set(guids)) == 2


def test_duplicate_ids_are_errors_at_both_places_and_both_files_wait(store, decks):
    write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    before = count(store, "notes")
    write(decks / "b.md", "## One\n<!-- id: same -->\nA\n")
    write(decks / "c.md", "## Two\n<!-- id: same -->\nB\n")
    report = sync(store, None, now=NOW)
    places = sorted((p.path.rsplit("/", 1)[-1], p.line) for p in report.errors)
    assert places == [("b.md", 1), ("c.md", 1)]
    assert report.files_with_errors == 2 and "2 with errors, kept as last synced" in \
        report.summary()
    assert count(store, "notes") == before and len(store.sources()) == 1


def test_duplicate_id_against_an_unchanged_file_is_an_error(store, decks):
    write(decks / "a.md", "## One\n<!-- id: same -->\nA\n")
    sync(store, [decks], now=NOW)
    write(decks / "b.md", "## Two\n<!-- id: same -->\nB\n")
    report = sync(store, None, now=NOW)
    assert [p.message for p in report.errors] == ["duplicate id 'same' (also at "
                                                  f"{decks / 'a.md'}:1)"]
    assert count(store, "notes") == 1


def test_identical_cards_in_one_deck_are_an_error(store, decks):
    write(decks / "a.md", "---\ndeck: D\n---\n## Q\nA\n\n## Q\nA\n")
    report = sync(store, [decks], now=NOW)
    assert [p.line for p in report.errors] == [4, 7]
    assert count(store, "notes") == 0


def test_a_file_with_errors_keeps_its_last_good_version_and_the_others_sync(store, decks):
    path = write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    snapshot = list(raw(store).execute("SELECT * FROM notes ORDER BY id").fetchall())
    write(path, TWO_CARDS.replace("L1 penalty", "L1 norm") + "\n## Broken {{c1::cloze\n")
    write(decks / "b.md", "## Good?\nYes.\n")
    report = sync(store, None, now=NOW)
    assert {(p.path.rsplit("/", 1)[-1], p.line) for p in report.errors} == {("a.md", 10)}
    assert list(raw(store).execute("SELECT * FROM notes WHERE path = ? ORDER BY id",
                                   [str(path)]).fetchall()) == snapshot
    assert count(store, "notes", "question = 'Good?'") == 1
    # Not marked as synced: the next sync reads the file again, and takes it once fixed.
    assert sync(store, None, now=NOW).files_read == 1
    write(path, TWO_CARDS.replace("L1 penalty", "L1 norm"))
    assert sync(store, None, now=NOW).errors == []
    assert count(store, "notes", "answer = 'The L1 norm.'") == 1


def test_a_first_sync_whose_files_all_have_errors_still_remembers_its_folder(store, decks):
    """The folder is configuration, not data: a later bare `sync` must read it (and
    report its errors again), never fall back to the bundled decks."""
    write(decks / "a.md", "## Broken {{c1::cloze\n")
    report = sync(store, [decks], now=NOW)
    assert report.files_with_errors == 1 and count(store, "notes") == 0
    assert store.roots() == [str(decks)]
    again = sync(store, None, now=NOW)
    assert {p.path.rsplit("/", 1)[-1] for p in again.errors} == {"a.md"}
    assert count(store, "notes") == 0  # no bundled deck came in
    write(decks / "a.md", "## Fixed {{c1::cloze}}\n")
    assert sync(store, None, now=NOW).added == 1


def test_cloze_numbers_and_reverse_map_to_cards(store, decks):
    path = write(decks / "a.md", "## {{c1::A}} and {{c2::B}}\n\n## Term\n<!-- reverse -->\nDef\n")
    sync(store, [decks], now=NOW)
    assert count(store, "cards", "orphaned = 0") == 4
    write(path, "## {{c1::A}} and {{c2::B}} and {{c3::C}}\n\n## Term\nDef\n")
    sync(store, None, now=NOW)
    ords = raw(store).execute("SELECT kind, ord, cards.orphaned FROM cards JOIN notes "
                            "ON notes.id = note_id ORDER BY kind, ord").fetchall()
    assert ords == [("basic", 1, 0), ("basic", 2, 1),
                    ("cloze", 1, 0), ("cloze", 2, 0), ("cloze", 3, 0)]


def test_deck_name_from_path_without_front_matter(store, decks):
    (decks / "ml").mkdir()
    write(decks / "ml" / "metrics.md", "## Q\nA\n")
    sync(store, [decks], now=NOW)
    assert note_rows(store, "1 = 1")[0]["deck"] == "ml::metrics"


@pytest.mark.slow
def test_first_sync_without_paths_uses_the_bundled_decks(store):
    report = sync(store, None, now=NOW)
    assert report.added > 0
    # Remembered by name, not by the folder of this installation (docs/journal.md).
    assert store.roots() == ["bundled:"]


def test_a_deleted_root_orphans_its_cards(store, decks):
    write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW)
    shutil.rmtree(decks)  # the Markdown and the folder's journal (.flashcards/) with it
    report = sync(store, None, now=NOW + timedelta(days=1))
    assert report.orphaned == 2 and count(store, "cards", "orphaned = 0") == 0


@pytest.mark.parametrize("files", [1, 70])  # one process, and the parser's process pool
def test_sync_renders_every_side_for_the_export(store, decks, files):
    from flashcards import render

    (decks / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    for number in range(files):
        write(decks / f"deck{number:02}.md", TWO_CARDS.replace("?", f" ({number})?")
              + f"\n## Show the plot {number}\n![plot](plot.png)\n")
    sync(store, [decks], now=NOW)
    cached = dict(raw(store).execute("SELECT key, html FROM rendered").fetchall())
    sides = [text for row in raw(store).execute("SELECT question, answer FROM notes").fetchall()
             for text in row if text]
    with_image = [text for text in sides if "plot.png" in text]
    assert len(with_image) == files  # rendered at export: its media name needs the image
    assert cached == {cache_key(text): render.to_html(text)
                      for text in sides if text not in with_image}


def test_writing_in_batches_of_one_gives_the_same_store(tmp_path, decks, monkeypatch):
    # Sync writes new cards and rendered HTML in batches; their edges must not show.
    import flashcards.sync as sync_module
    import flashcards.sync_writes as writes_module

    for number in range(3):
        write(decks / f"deck{number}.md", TWO_CARDS.replace("?", f" {number}?")
              + f"\n## Both ways {number}\n<!-- reverse -->\nYes.\n\n"
              + f"## {{{{c1::Cloze}}}} and {{{{c2::more}}}} {number}\n")

    def synced(name: str) -> list[list]:
        store = Store.open(tmp_path / f"{name}.db")
        sync(store, [decks], now=NOW)
        tables = [raw(store).execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                  for table in ("notes", "cards", "rendered")]
        store.close()
        return tables

    whole = synced("whole")
    monkeypatch.setattr(writes_module, "_CARD_BATCH", 1)
    monkeypatch.setattr(sync_module._HtmlBatches, "SIZE", 1)
    assert synced("batched") == whole
    assert len(whole[1]) == 3 * (2 + 2 + 2)  # cards: two basic, a reversed pair, two clozes


def test_a_sync_for_a_review_renders_no_html_and_the_export_still_can(store, decks, tmp_path):
    from flashcards.export import export_apkg

    write(decks / "a.md", TWO_CARDS)
    sync(store, [decks], now=NOW, render_html=False)
    assert count(store, "rendered") == 0
    report = export_apkg(store, tmp_path / "a.apkg", now=NOW)
    assert report.notes == 2 and count(store, "rendered") > 0


def test_the_summary_counts_one_file_as_one_file():
    from flashcards.sync import SyncReport

    report = SyncReport(files_read=1, files_unchanged=1, files_removed=1)
    assert "(1 file read, 1 unchanged, 1 removed)" in report.summary()
    report = SyncReport(files_read=2, files_unchanged=0, files_removed=0)
    assert "(2 files read, 0 unchanged, 0 removed)" in report.summary()
