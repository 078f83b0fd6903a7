"""Hostile and broken Anki packages: a clear message or warning each, nothing
written outside the folder, never a traceback. The packages are made byte by
byte (tests/anki_forge.py): the real Anki would not write them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard

from flashcards.anki_import import import_package
from flashcards.anki_package import Limits, PackageError
from flashcards.model import FlashcardsError, anki_id
from tests import anki_forge
from tests.anki_forge import BASIC_ID, CLOZE_ID, OTHER_ID

NOW = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def forged(tmp_path: Path, notes, media=(), **options) -> Path:
    col = anki_forge.collection(tmp_path / "c.anki21", notes, **{
        k: v for k, v in options.items() if k in ("version", "revlog", "cards")})
    return anki_forge.package(tmp_path / "p.apkg", col, media,
                              **{k: v for k, v in options.items() if k in ("member", "extra")})


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def run(*args: str, db: Path):
    env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_NOW": NOW.isoformat(),
           "FLASHCARDS_TZ": "UTC", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "flashcards", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_a_corrupt_zip_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "bad.apkg"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip" * 50)
    result = run("import", str(bad), "--to", str(tmp_path / "out"), db=tmp_path / "s.db")
    assert result.returncode == 1
    assert "not an Anki package" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_package_without_a_collection_is_refused(tmp_path):
    package = anki_forge.package(tmp_path / "p.apkg", None, {"a.png": PNG})
    with pytest.raises(PackageError, match="no collection in the package"):
        import_package(package, tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()


def test_an_unknown_schema_version_is_refused(tmp_path):
    package = forged(tmp_path, [(1, "g1", BASIC_ID, ["q", "a"], "")], version=99)
    with pytest.raises(PackageError, match="schema version 99 is unknown"):
        import_package(package, tmp_path / "out", now=NOW)


def test_an_unknown_package_version_is_refused(tmp_path):
    package = forged(tmp_path, [(1, "g1", BASIC_ID, ["q", "a"], "")],
                     extra={"meta": b"\x08\x07"})
    with pytest.raises(PackageError, match="unknown package version 7"):
        import_package(package, tmp_path / "out", now=NOW)


def test_a_collection_that_is_not_sqlite_is_refused(tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"SQLite format 3\x00" + b"\xff" * 2000)
    package = anki_forge.package(tmp_path / "p.apkg", junk)
    with pytest.raises(PackageError, match="not a readable Anki database"):
        import_package(package, tmp_path / "out", now=NOW)


def test_a_zip_bomb_stops_at_the_limit(tmp_path):
    bomb = tmp_path / "bomb.apkg"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki21", b"\x00" * (40 * 1024 * 1024))
    assert bomb.stat().st_size < 200_000
    limits = Limits(total_bytes=64 * 1024 * 1024, file_bytes=8 * 1024 * 1024)
    with pytest.raises(PackageError, match="over the limit|more than"):
        import_package(bomb, tmp_path / "out", now=NOW, limits=limits)
    assert not (tmp_path / "out").exists()


def test_a_zstd_bomb_in_the_current_layout_stops_at_the_limit(tmp_path):
    bomb = tmp_path / "bomb.apkg"
    data = zstandard.ZstdCompressor().compress(b"\x00" * (40 * 1024 * 1024))
    with zipfile.ZipFile(bomb, "w") as archive:
        archive.writestr("meta", b"\x08\x03")
        archive.writestr("collection.anki21b", data)
    with pytest.raises(PackageError, match="more than"):
        import_package(bomb, tmp_path / "out", now=NOW,
                       limits=Limits(file_bytes=8 * 1024 * 1024))


def test_too_many_entries_are_refused(tmp_path):
    package = forged(tmp_path, [(1, "g1", BASIC_ID, ["q", "a"], "")],
                     media={f"m{i}.png": PNG for i in range(30)})
    with pytest.raises(PackageError, match="over the limit of 10"):
        import_package(package, tmp_path / "out", now=NOW, limits=Limits(entries=10))


@pytest.mark.parametrize("name", ["../evil.png", "/tmp/evil.png", "sub/evil.png",
                                  "..", "C:evil.png", "a\x00b.png", ".hidden.png"])
def test_media_names_that_leave_the_folder_are_refused(tmp_path, name):
    package = forged(tmp_path, [(1, "g1", BASIC_ID, ["q", f'<img src="{name}"> a'], "")],
                     media={name: PNG, "fine.png": PNG})
    out = tmp_path / "deep" / "out"
    before = files_under(tmp_path)
    report = import_package(package, out, now=NOW)
    assert any("unsafe name" in w for w in report.warnings)
    written = files_under(tmp_path) - before
    assert all(p.is_relative_to(out) for p in written)
    assert (out / "media" / "fine.png").read_bytes() == PNG
    assert not (tmp_path / "evil.png").exists() and not Path("/tmp/evil.png").exists()
    assert report.media == 1


def test_duplicate_guids_keep_the_first_note_and_say_so(tmp_path):
    package = forged(tmp_path, [(1, "same", BASIC_ID, ["first?", "one"], ""),
                                (2, "same", BASIC_ID, ["second?", "two"], "")])
    report = import_package(package, tmp_path / "out", now=NOW)
    assert report.notes == 1
    assert any("GUID another note already has" in w for w in report.warnings)
    text = (tmp_path / "out" / "Forged--Deck.md").read_text()
    assert "first?" in text and "second?" not in text


def test_other_note_types_come_from_their_first_two_fields_with_a_warning(tmp_path):
    package = forged(tmp_path, [(1, "v1", OTHER_ID, ["chat", "cat", "Le chat dort."], ""),
                                (2, "v2", OTHER_ID, ["chien", "dog", "Le chien."], "")])
    report = import_package(package, tmp_path / "out", now=NOW)
    assert report.notes == 2
    assert "note type 'Vocab (3 fields)' is not a stock type: 2 notes imported from their " \
        "first two fields as Basic: 1" in report.warnings
    text = (tmp_path / "out" / "Forged--Deck.md").read_text()
    assert "## chat\n" in text and "cat" in text and "dort" not in text


def test_notes_the_format_cannot_hold_are_skipped_by_name(tmp_path):
    # A cloze inside inline code is an error in the card format (docs/format.md).
    package = forged(tmp_path, [(1, "ok", CLOZE_ID, ["{{c1::fine}} text", ""], ""),
                                (2, "bad", CLOZE_ID, ["<code>{{c1::x}}</code> y", ""], "")])
    report = import_package(package, tmp_path / "out", now=NOW)
    assert report.notes == 1
    assert any("cannot hold as written" in w and "bad:" in w for w in report.warnings)


def test_an_existing_deck_file_is_never_overwritten_without_force(tmp_path):
    package = forged(tmp_path, [(1, "g1", BASIC_ID, ["q?", "a"], "")])
    out = tmp_path / "out"
    out.mkdir()
    (out / "Forged--Deck.md").write_text("mine")
    with pytest.raises(FlashcardsError, match="exists.*--force"):
        import_package(package, out, now=NOW)
    assert (out / "Forged--Deck.md").read_text() == "mine"
    assert files_under(out) == {out / "Forged--Deck.md"}
    import_package(package, out, now=NOW, force=True)
    assert f"id: {anki_id('g1')}" in (out / "Forged--Deck.md").read_text()


def test_hostile_text_stays_text(tmp_path):
    hostile = ["<div># not a heading</div><div>## nor this</div>&lt;!-- id: x --&gt; $5",
               "<script>alert(1)</script>ok"]
    package = forged(tmp_path, [(1, "g1", BASIC_ID, ["q?", hostile[0]], ""),
                                (2, "g2", BASIC_ID, ["q2?", hostile[1]], "")])
    report = import_package(package, tmp_path / "out", now=NOW)
    assert report.notes == 2 and not report.warnings
    text = (tmp_path / "out" / "Forged--Deck.md").read_text()
    assert "\\# not a heading" in text and "\\$5" in text and "<script>" not in text


def test_a_collection_damaged_past_its_header_is_refused(tmp_path):
    import sqlite3

    col = anki_forge.collection(tmp_path / "c.anki21", [(1, "g1", BASIC_ID, ["q", "a"], "")])
    with sqlite3.connect(col) as conn:
        conn.execute("DROP TABLE cards")
    package = anki_forge.package(tmp_path / "p.apkg", col)
    with pytest.raises(PackageError, match="not a readable Anki database"):
        import_package(package, tmp_path / "out", now=NOW)


def test_deck_names_with_control_characters_and_empty_levels_are_cleaned(tmp_path):
    import json
    import sqlite3

    col = anki_forge.collection(tmp_path / "c.anki21", [(1, "g1", BASIC_ID, ["q?", "a"], "")])
    decks = {"2": {"id": 2, "name": "Evil\x00\x1b[2J::::  ::../../etc \n"}}
    with sqlite3.connect(col) as conn:
        conn.execute("UPDATE col SET decks = ?", [json.dumps(decks)])
    package = anki_forge.package(tmp_path / "p.apkg", col)
    before = files_under(tmp_path)
    report = import_package(package, tmp_path / "out", now=NOW)
    assert report.notes == 1
    written = files_under(tmp_path) - before
    assert all(p.is_relative_to(tmp_path / "out") for p in written)
    (deck_file,) = (tmp_path / "out").glob("*.md")
    assert deck_file.read_text().startswith('---\ndeck: "Evil[2J::../../etc"\n---\n')


@pytest.mark.parametrize("created", [-1, 10**15])
def test_an_impossible_creation_time_is_refused(tmp_path, created):
    import sqlite3

    col = anki_forge.collection(tmp_path / "c.anki21", [(1, "g1", BASIC_ID, ["q", "a"], "")])
    with sqlite3.connect(col) as conn:
        conn.execute("UPDATE col SET crt = ?", [created])
    package = anki_forge.package(tmp_path / "p.apkg", col)
    with pytest.raises(PackageError, match="creation time"):
        import_package(package, tmp_path / "out", now=NOW)


def test_impossible_due_days_and_review_times_are_contained(tmp_path):
    col = anki_forge.collection(
        tmp_path / "c.anki21", [(1, "g1", BASIC_ID, ["q?", "a"], ""),
                                (2, "g2", BASIC_ID, ["q2?", "b"], "")],
        cards=[(11, 1, 0, 2, 2, 10**12, 5, 2500), (12, 2, 0, 2, 2, -10**9, 5, 2500)],
        revlog=[(-5, 11, 3), (10**17, 12, 3), (1_767_600_000_000, 11, 3)])
    package = anki_forge.package(tmp_path / "p.apkg", col)
    report = import_package(package, tmp_path / "out", now=NOW)
    assert report.reviews == 1 and report.scheduled == 2
    assert any("impossible time" in w for w in report.warnings)


def test_zip_member_names_are_never_paths_to_write(tmp_path):
    import json

    col = anki_forge.collection(tmp_path / "c.anki21", [(1, "g1", BASIC_ID, ["q?", "a"], "")])
    package = tmp_path / "p.apkg"
    with zipfile.ZipFile(package, "w") as archive:
        archive.write(col, "collection.anki21")
        archive.writestr("../../evil.txt", b"x")
        archive.writestr("/abs/evil.txt", b"x")
        archive.writestr("media", json.dumps({"../../evil.txt": "ok.png"}))
    before = files_under(tmp_path)
    report = import_package(package, tmp_path / "a" / "out", now=NOW)
    written = files_under(tmp_path) - before
    assert all(p.is_relative_to(tmp_path / "a" / "out") for p in written)
    assert (tmp_path / "a" / "out" / "media" / "ok.png").read_bytes() == b"x"
    assert report.media == 1


def test_media_that_is_not_an_accepted_image_is_copied_but_not_shown(tmp_path):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    package = forged(tmp_path, [(1, "g1", BASIC_ID, ["q?", 'see <img src="d.svg"> and '
                                                            "[sound:hello.mp3]"], "")],
                     media={"d.svg": svg, "hello.mp3": b"ID3"})
    report = import_package(package, tmp_path / "out", now=NOW)
    assert any("not a PNG, JPEG, GIF or WebP image, linked" in w for w in report.warnings)
    text = (tmp_path / "out" / "Forged--Deck.md").read_text()
    assert "![" not in text and "[d.svg](media/d.svg)" in text
    assert "\\[sound:hello.mp3\\]" in text
    assert (tmp_path / "out" / "media" / "d.svg").read_bytes() == svg
    assert report.media == 2
