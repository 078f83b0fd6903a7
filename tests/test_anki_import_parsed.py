"""The files an import parses to check them go to the sync that follows, which
takes them instead of parsing again, but only while their bytes are the same."""

from __future__ import annotations

from datetime import UTC, datetime

from flashcards.anki_import import import_package
from flashcards.loader import SourceFile, load_file
from flashcards.model import DeckFile
from flashcards.store import Store
from flashcards.sync import sync
from tests import anki_forge
from tests.anki_forge import BASIC_ID, CLOZE_ID

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def imported(tmp_path):
    notes = [(1, "g1", BASIC_ID, ["What is <b>2+2</b>?", "<div>4</div>"], "math"),
             (2, "g2", CLOZE_ID, ["The {{c1::sun}} is a star", ""], ""),
             (3, "g3", BASIC_ID, ["Capital of France?", "Paris"], "")]
    col = anki_forge.collection(tmp_path / "c.anki21", notes)
    package = anki_forge.package(tmp_path / "p.apkg", col)
    return import_package(package, tmp_path / "notes", now=NOW)


def test_the_import_hands_over_each_file_as_a_sync_would_load_it(tmp_path):
    report = imported(tmp_path)
    assert [item.source.path for item in report.parsed] == report.files
    for item in report.parsed:
        again = load_file(SourceFile(item.source.path, tmp_path / "notes"))
        assert item == again


def test_the_sync_takes_a_handed_file_while_its_bytes_are_the_same(tmp_path):
    report = imported(tmp_path)
    # Emptied decks with the files' own hashes: taken as they are, no note comes in.
    emptied = [item._replace(deck=DeckFile(item.deck.path, item.deck.deck))
               for item in report.parsed]
    synced = sync(Store.open(tmp_path / "a.db"), [tmp_path / "notes"], now=NOW,
                  render_html=False, parsed=emptied)
    assert (synced.files_read, synced.added) == (1, 0)


def test_a_file_edited_since_is_parsed_again(tmp_path):
    report = imported(tmp_path)
    emptied = [item._replace(deck=DeckFile(item.deck.path, item.deck.deck))
               for item in report.parsed]
    path = report.files[0]
    path.write_text(path.read_text().replace("Paris", "Paris, on the Seine"))
    synced = sync(Store.open(tmp_path / "a.db"), [tmp_path / "notes"], now=NOW,
                  render_html=False, parsed=emptied)
    assert synced.added == 3


def test_a_sync_that_renders_html_parses_for_itself(tmp_path):
    report = imported(tmp_path)
    emptied = [item._replace(deck=DeckFile(item.deck.path, item.deck.deck))
               for item in report.parsed]
    synced = sync(Store.open(tmp_path / "a.db"), [tmp_path / "notes"], now=NOW, parsed=emptied)
    assert synced.added == 3


def test_a_note_whose_image_the_folder_holds_as_another_file_is_left_out(tmp_path):
    from tests.test_anki_hostile import PNG

    notes = [(1, "g1", BASIC_ID, ["Plot?", '<img src="a.png">'], ""),
             (2, "g2", BASIC_ID, ["Capital of France?", "Paris"], "")]
    col = anki_forge.collection(tmp_path / "c.anki21", notes)
    package = anki_forge.package(tmp_path / "p.apkg", col, {"a.png": PNG})
    (tmp_path / "notes" / "media").mkdir(parents=True)
    (tmp_path / "notes" / "media" / "a.png").write_text("not an image")
    report = import_package(package, tmp_path / "notes", now=NOW)
    assert report.notes == 1
    assert any("as written, skipped: 1 (e.g. g1: image" in w for w in report.warnings), \
        report.warnings
    synced = sync(Store.open(tmp_path / "a.db"), [tmp_path / "notes"], now=NOW,
                  render_html=False, parsed=report.hand_over())
    assert (synced.added, synced.errors) == (1, [])
