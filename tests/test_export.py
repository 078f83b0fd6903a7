"""Export to .apkg, checked by importing into the real Anki (headless `anki` package)."""

from __future__ import annotations

import gc
import json
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from anki_helpers import collection, import_package, notes_by_guid
from click.testing import CliRunner
from store_helpers import count, raw

from flashcards import export
from flashcards.cli import cli
from flashcards.htmlcache import cache_key
from flashcards.model import FlashcardsError, ProblemsError
from flashcards.store import Store
from flashcards.sync import bundled_decks, sync

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)

SMALL_DECK = """\
---
deck: Top::Sub
tags: [deck-tag, "say\\"hi"]
---
## What is a plain card?
<!-- id: plain; tags: Plain, plain, a::::b -->
Just an answer.

## Term
<!-- id: term; reverse -->
Its definition.

## The {{c1::first}}, the {{c2::second}} and the {{c3::third}}.
<!-- id: three -->

## Which plot?
<!-- id: plot -->
This one: ![a plot](images/plot.png) and again ![same](images/plot.png).

## Is this safe?
<!-- id: unsafe -->
<script>alert(1)</script><img src="https://example.com/x.png" onerror="alert(2)"> yes
"""


@pytest.fixture
def decks(tmp_path):
    """A copy of the bundled decks, free to edit."""
    folder = tmp_path / "decks"
    shutil.copytree(bundled_decks(), folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


@pytest.fixture
def small(tmp_path):
    folder = tmp_path / "small"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "plot.png").write_bytes(PNG)
    (folder / "cards.md").write_text(SMALL_DECK, encoding="utf-8")
    return folder


INLINE_MATH = re.compile(r"(?<![\\$])\$([^$\s](?:[^$]*[^$\s])?)\$(?![$\d])")


def active_counts(store: Store) -> tuple[int, int]:
    notes = count(store, "notes", "orphaned = 0")
    cards = count(store, "cards", "orphaned = 0 AND suspended = 0")
    return notes, cards


def find_note(col, text: str):
    """The one note whose fields contain `text`."""
    found = [col.get_note(nid) for nid in col.find_notes("")]
    found = [note for note in found if any(text in field for field in note.fields)]
    assert len(found) == 1, text
    return found[0]


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# -- the bundled decks through the real Anki -------------------------------------


@pytest.mark.slow
def test_bundled_decks_import_with_counts_decks_tags_and_html_intact(store, decks, tmp_path):
    sync(store, [decks], now=NOW)
    report = export.export_apkg(store, tmp_path / "ml.apkg", now=NOW)
    notes, cards = active_counts(store)
    assert (report.notes, report.cards) == (notes, cards)
    assert report.size == (tmp_path / "ml.apkg").stat().st_size
    rows = {row.guid: row for row in store.export_notes()}
    deck_names = {row.deck for row in rows.values()}
    with collection(tmp_path / "anki") as col:
        log = import_package(col, tmp_path / "ml.apkg")
        assert (len(log.new), len(log.updated), len(log.conflicting)) == (notes, 0, 0)
        assert (col.note_count(), col.card_count()) == (notes, cards)
        anki_decks = {d.name for d in col.decks.all_names_and_ids()}
        assert deck_names <= anki_decks
        assert report.decks == len(deck_names)
        for guid, note in notes_by_guid(col).items():
            assert sorted(note.tags, key=str.lower) == sorted(
                export.anki_tags(rows[guid].tags), key=str.lower)
            deck = col.decks.name(note.cards()[0].did)
            assert deck == rows[guid].deck

        by_guid = notes_by_guid(col)
        code_row = next(r for r in rows.values() if "```python" in r.answer)
        code = by_guid[code_row.guid].cards()[0].answer()
        assert '<pre class="highlight"><code class="language-python">' in code
        assert '<span class="k">' in code or '<span class="kn">' in code
        assert f"{Path(code_row.path).name}:{code_row.line}" in code

        # Inline math with `_` (and often `^`, `\`): Markdown must not touch it.
        math_row, latex = next((r, m) for r in rows.values()
                               for m in INLINE_MATH.findall(r.answer)
                               if m.count("_") >= 2 and not set("&<>") & set(m))
        assert f"\\({latex}\\)" in by_guid[math_row.guid].cards()[0].answer()


@pytest.mark.slow
def test_media_is_packaged_flat_and_anki_finds_every_file(store, small, tmp_path):
    sync(store, [small], now=NOW)
    report = export.export_apkg(store, tmp_path / "small.apkg", now=NOW)
    assert report.media == 1
    with zipfile.ZipFile(tmp_path / "small.apkg") as package:
        names = list(json.loads(package.read("media")).values())
    assert len(names) == 1 and re.fullmatch(r"plot-[0-9a-f]{12}\.png", names[0])
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "small.apkg")
        plot = find_note(col, "This one:")
        assert plot.fields[1].count(f'src="{names[0]}"') == 2
        assert (Path(col.media.dir()) / names[0]).read_bytes() == PNG
        check = col.media.check()
        assert not check.missing and not check.unused


def test_images_with_the_same_name_in_two_folders_get_two_names(store, small, tmp_path):
    (small / "other").mkdir()
    (small / "other" / "plot.png").write_bytes(PNG + b"different")
    (small / "more.md").write_text("## Other plot?\n![b](other/plot.png)\n", encoding="utf-8")
    sync(store, [small], now=NOW)
    report = export.export_apkg(store, tmp_path / "small.apkg", now=NOW)
    with zipfile.ZipFile(tmp_path / "small.apkg") as package:
        names = sorted(json.loads(package.read("media")).values())
    assert report.media == 2 and len(set(names)) == 2


# -- re-imports update exactly what changed ---------------------------------------


@pytest.mark.slow
def test_edited_cards_update_in_place_and_keep_review_progress(store, decks, tmp_path):
    sync(store, [decks], now=NOW)
    export.export_apkg(store, tmp_path / "one.apkg", now=NOW)
    answer_row, question_row = editable_rows(store)[:2]
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "one.apkg")
        ids_before = {guid: note.id for guid, note in notes_by_guid(col).items()}
        answered = notes_by_guid(col)[answer_row.guid].cards()[0]
        answered.start_timer()
        col.sched.answerCard(answered, 4)  # Easy: graduates to review at once
        interval = col.get_card(answered.id).ivl
        assert interval > 0

        # One card's answer (the one just answered) and another card's question, in
        # the same second as the first sync: the store still stamps a newer time.
        first_line = answer_row.answer.splitlines()[0]
        replace_in(Path(answer_row.path), first_line, first_line + " Edited answer.")
        heading = "## " + question_row.question + "\n"
        replace_in(Path(question_row.path), heading, "## Edited: " + heading[3:])
        report = sync(store, [decks], now=NOW)
        assert report.updated == 2 and report.added == 0
        export.export_apkg(store, tmp_path / "two.apkg", now=NOW)
        log = import_package(col, tmp_path / "two.apkg")

        assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 2, 0)
        assert len(log.duplicate) == len(ids_before) - 2
        after = notes_by_guid(col)
        assert {guid: note.id for guid, note in after.items()} == ids_before
        assert "Edited answer." in after[answer_row.guid].fields[1]
        assert after[question_row.guid].fields[0].startswith("<p>Edited: ")
        assert col.get_card(answered.id).ivl == interval


def editable_rows(store: Store) -> list[dict]:
    """Basic notes whose heading and plain first answer line each occur once in their file."""
    found = []
    for row in store.export_notes():
        text = Path(row.path).read_text(encoding="utf-8")
        first = row.answer.splitlines()[0]
        if (row.kind == "basic" and first[:1].isalpha() and text.count(first) == 1
                and text.count("## " + row.question + "\n") == 1):
            found.append(row)
    return found


@pytest.mark.slow
def test_exporting_twice_without_changes_updates_nothing(store, decks, tmp_path):
    sync(store, [decks], now=NOW)
    export.export_apkg(store, tmp_path / "one.apkg", now=NOW)
    sync(store, [decks], now=NOW + timedelta(hours=1))
    export.export_apkg(store, tmp_path / "two.apkg", now=NOW + timedelta(hours=1))
    notes, _ = active_counts(store)
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "one.apkg")
        log = import_package(col, tmp_path / "two.apkg")
        assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 0, 0)
        assert len(log.duplicate) == notes == col.note_count()


@pytest.mark.slow
def test_note_modification_time_is_the_stores(store, small, tmp_path):
    sync(store, [small], now=NOW)
    replace_in(small / "cards.md", "Just an answer.", "Just an edited answer.")
    sync(store, [small], now=NOW + timedelta(days=3))
    export.export_apkg(store, tmp_path / "small.apkg", now=NOW + timedelta(days=9))
    modified = {row.guid: row.modified for row in store.export_notes()}
    assert sorted(set(modified.values())) == [int(NOW.timestamp()),
                                              int((NOW + timedelta(days=3)).timestamp())]
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "small.apkg")
        assert {guid: note.mod for guid, note in notes_by_guid(col).items()} == modified


# -- note types, cards, tags, decks -------------------------------------------------


def test_note_types_are_pinned():
    # Changing any of these makes Anki import a second note type and stop updating
    # every existing note: only with a migration documented in docs/anki.md.
    assert (export.BASIC_MODEL_ID, export.REVERSED_MODEL_ID, export.CLOZE_MODEL_ID) == (
        1836189779, 1108444273, 1158026485)
    assert (export.BASIC_MODEL_NAME, export.REVERSED_MODEL_NAME, export.CLOZE_MODEL_NAME) == (
        "flashcards Basic", "flashcards Basic+Reverse", "flashcards Cloze")
    assert export.BASIC_FIELDS == ("Front", "Back", "Source")
    assert export.REVERSED_FIELDS == ("Front", "Back", "Source")
    assert export.CLOZE_FIELDS == ("Text", "Back Extra", "Source")
    assert export.deck_id("ML Interview::Coding") == export.deck_id("ML Interview::Coding")
    assert export.deck_id("A") != export.deck_id("B")
    assert export.deck_id("ML Interview") == 1278888519941370


@pytest.mark.slow
def test_note_types_and_cards_in_anki(store, small, tmp_path):
    sync(store, [small], now=NOW)
    export.export_apkg(store, tmp_path / "small.apkg", now=NOW)
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "small.apkg")
        types = {m["id"]: m for m in col.models.all()}
        expected = {
            export.BASIC_MODEL_ID: ("flashcards Basic", 0, ["Card 1"]),
            export.REVERSED_MODEL_ID: ("flashcards Basic+Reverse", 0, ["Card 1", "Card 2"]),
            export.CLOZE_MODEL_ID: ("flashcards Cloze", 1, ["Cloze"]),
        }
        fields = {export.BASIC_MODEL_ID: list(export.BASIC_FIELDS),
                  export.REVERSED_MODEL_ID: list(export.REVERSED_FIELDS),
                  export.CLOZE_MODEL_ID: list(export.CLOZE_FIELDS)}
        for model_id, (name, kind, templates) in expected.items():
            model = types[model_id]
            assert (model["name"], model["type"]) == (name, kind)
            assert [t["name"] for t in model["tmpls"]] == templates
            assert [f["name"] for f in model["flds"]] == fields[model_id]
            assert ".nightMode" in model["css"]

        cloze = find_note(col, "{{c3::third}}")
        assert cloze.note_type()["id"] == export.CLOZE_MODEL_ID
        cards = sorted(cloze.cards(), key=lambda c: c.ord)
        assert [c.ord for c in cards] == [0, 1, 2]
        shown = re.sub(r"<[^>]*>", "", cards[1].question().split("</style>")[-1])
        assert "[...]" in shown and "first" in shown and "third" in shown
        assert "second" not in shown

        term = find_note(col, "Its definition.")
        assert term.note_type()["id"] == export.REVERSED_MODEL_ID
        reverse = [c for c in term.cards() if c.ord == 1][0]
        assert "Its definition." in reverse.question() and "Term" not in reverse.question()
        assert len(term.cards()) == 2

        plain = find_note(col, "Just an answer.")
        assert plain.note_type()["id"] == export.BASIC_MODEL_ID
        assert plain.fields[2] == "cards.md:5"
        assert len(plain.cards()) == 1
        assert col.decks.name(plain.cards()[0].did) == "Top::Sub"
        assert "Top" in {d.name for d in col.decks.all_names_and_ids()}
        # `"` replaced, empty `::` parts dropped, case duplicates merged.
        assert sorted(plain.tags, key=str.lower) == ["a::b", "deck-tag", "Plain", "say_hi"]


@pytest.mark.slow
def test_scripts_and_event_handlers_are_removed(store, small, tmp_path):
    sync(store, [small], now=NOW)
    export.export_apkg(store, tmp_path / "small.apkg", now=NOW)
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "small.apkg")
        note = find_note(col, "yes")
        html = note.cards()[0].answer()
        for field in note.fields:
            assert "<script" not in field and "onerror" not in field and "alert" not in field
        assert "onerror" not in html and "alert(" not in html


def test_tags_anki_cannot_hold_are_replaced():
    assert export.anki_tag('say"hi') == "say_hi"
    assert export.anki_tag("tab\there") == "tab_here"
    assert export.anki_tag("ctl\x01x") == "ctl_x"
    assert export.anki_tag("::lead::x::") == "lead::x"
    assert export.anki_tag("top::sub") == "top::sub"
    assert export.anki_tag("::") == ""
    assert export.anki_tags(["B", "a", "b", "", "::"]) == ["B", "a"]


# -- selection ----------------------------------------------------------------------


@pytest.mark.slow
def test_orphaned_and_suspended_cards_are_left_out(store, small, tmp_path):
    sync(store, [small], now=NOW)
    replace_in(small / "cards.md", "## What is a plain card?", "## Gone")
    (small / "cards.md").write_text(
        (small / "cards.md").read_text().split("## Gone")[0]
        + "## Term" + (small / "cards.md").read_text().split("## Term")[1])
    sync(store, [small], now=NOW)
    term = next(r for r in store.export_notes() if r.question == "Term")
    reverse_card = raw(store).execute("SELECT id FROM cards WHERE note_id = ? AND ord = 2",
                                    [term.id]).fetchone()[0]
    store.set_suspended(reverse_card, True)
    plot = next(r for r in store.export_notes() if r.question == "Which plot?")
    for (card_id,) in raw(store).execute("SELECT id FROM cards WHERE note_id = ?", [plot.id]):
        store.set_suspended(card_id, True)

    report = export.export_apkg(store, tmp_path / "small.apkg", now=NOW)
    assert (report.notes, report.cards, report.media) == (3, 1 + 3 + 1, 0)
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "small.apkg")
        assert col.note_count() == 3
        assert [c.ord for c in find_note(col, "Its definition.").cards()] == [0]
        assert not col.find_notes('"Front:*plain card*"')


@pytest.mark.slow
def test_deck_and_path_selection(store, small, decks, tmp_path):
    sync(store, [decks, small], now=NOW)
    coding = export.export_apkg(store, tmp_path / "c.apkg", now=NOW,
                                decks=["ML Interview::Coding"])
    assert coding.decks == 1
    assert coding.notes == count(store, "notes", "orphaned = 0 AND deck_id = ?",
                                       [store.deck_id("ML Interview::Coding")])
    both = export.export_apkg(store, tmp_path / "b.apkg", now=NOW, decks=["Top", "ML Interview"])
    assert both.notes == active_counts(store)[0]
    only_small = export.export_apkg(store, tmp_path / "s.apkg", now=NOW, paths=[small])
    assert only_small.notes == 5
    with pytest.raises(FlashcardsError, match="nothing to export"):
        export.export_apkg(store, tmp_path / "n.apkg", now=NOW, decks=["No such deck"])
    assert not (tmp_path / "n.apkg").exists()


# -- errors -------------------------------------------------------------------------


def test_missing_image_is_an_error_with_file_and_line(store, small, tmp_path):
    sync(store, [small], now=NOW)
    (small / "images" / "plot.png").unlink()
    with pytest.raises(ProblemsError) as caught:
        export.export_apkg(store, tmp_path / "small.apkg", now=NOW)
    problems = caught.value.problems
    assert [p.line for p in problems] == [18, 18]
    assert problems[0].path.endswith("cards.md")
    assert "images/plot.png" in problems[0].message and "not found" in problems[0].message
    assert not (tmp_path / "small.apkg").exists()


def test_image_outside_the_deck_folder_is_an_error(store, small, tmp_path):
    (tmp_path / "outside.png").write_bytes(PNG)
    (small / "out.md").write_text("## Outside?\nNo.\n", encoding="utf-8")
    sync(store, [small], now=NOW)
    # Written after the sync, which would have refused it.
    replace_in(small / "out.md", "No.", "![x](../outside.png)")
    raw(store).execute("UPDATE notes SET answer = '![x](../outside.png)' WHERE question = ?",
                     ["Outside?"])
    with pytest.raises(ProblemsError, match=r"out\.md:2:1: error: image '../outside.png' "
                                            r"points outside the deck folder"):
        export.export_apkg(store, tmp_path / "small.apkg", now=NOW)


def test_two_notes_with_one_guid_are_refused(store, small, tmp_path):
    sync(store, [small], now=NOW)
    raw(store).execute("DROP INDEX idx_notes_guid")
    raw(store).execute("UPDATE notes SET guid = 'same'")
    with pytest.raises(FlashcardsError, match="GUID"):
        export.export_apkg(store, tmp_path / "small.apkg", now=NOW)
    # Found while writing: the half-written package is gone with the error.
    assert not any(p.name.endswith(".apkg") or p.name.endswith(".tmp")
                   for p in tmp_path.iterdir())


def test_a_failed_export_keeps_the_previous_package(store, small, tmp_path):
    sync(store, [small], now=NOW)
    target = tmp_path / "small.apkg"
    export.export_apkg(store, target, now=NOW)
    before = target.read_bytes()
    (small / "images" / "plot.png").unlink()
    with pytest.raises(ProblemsError):
        export.export_apkg(store, target, now=NOW)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_an_export_leaves_the_garbage_collector_on_whether_it_fails_or_not(
        store, small, tmp_path):
    # The export pauses the collector while its notes stream (gcpause): never for good.
    sync(store, [small], now=NOW)
    assert gc.isenabled()
    export.export_apkg(store, tmp_path / "small.apkg", now=NOW)
    assert gc.isenabled()
    (small / "images" / "plot.png").unlink()
    with pytest.raises(ProblemsError):
        export.export_apkg(store, tmp_path / "small.apkg", now=NOW)
    assert gc.isenabled()


def test_render_workers_collect_garbage_while_the_export_pauses_it():
    # Forked while the export pauses the collector, a worker would render every side of a
    # first export with it off, its cyclic garbage never freed.
    from flashcards.export.notes import _Renderer
    from flashcards.gcpause import no_collections

    with no_collections(), _Renderer() as renderer:
        assert len(renderer.map(["Some *text*."] * export.PARALLEL_RENDER)) \
            == export.PARALLEL_RENDER
        if renderer.pool is None:
            pytest.skip("one core: no render workers")
        assert renderer.pool.submit(gc.isenabled).result()


def test_temp_files_of_killed_exports_are_cleaned_up(store, small, tmp_path):
    sync(store, [small], now=NOW)
    target = tmp_path / "small.apkg"
    dead = subprocess.Popen(["true"])  # its process id belongs to no running process
    dead.wait()
    stale = tmp_path / f".small.apkg.{dead.pid}.tmp"
    stale.write_bytes(b"half a package")
    other = tmp_path / ".unrelated.tmp"
    other.write_bytes(b"not ours")
    export.export_apkg(store, target, now=NOW)
    assert not stale.exists() and other.exists()


def cache_rows(store: Store) -> dict[str, str]:
    return dict(raw(store).execute("SELECT key, html FROM rendered").fetchall())


def test_rendered_html_is_cached_and_reused(store, small, tmp_path):
    sync(store, [small], now=NOW)
    export.export_apkg(store, tmp_path / "a.apkg", now=NOW)
    cached = cache_rows(store)
    texts = raw(store).execute("SELECT question, answer FROM notes").fetchall()
    sides = {text for pair in texts for text in pair if text}
    # Every side but the one with a local image, whose media name must be checked anew.
    assert len(cached) == len(sides) - 1
    assert not any("plot.png" in html for html in cached.values())
    # The next export takes the cached HTML instead of rendering the text again.
    key = cache_key("Just an answer.")
    raw(store).execute("UPDATE rendered SET html = '<p>from the cache</p>' WHERE key = ?", [key])
    export.export_apkg(store, tmp_path / "b.apkg", now=NOW)
    with zipfile.ZipFile(tmp_path / "b.apkg") as package:
        notes = package.read("collection.anki2")
    assert b"from the cache" in notes


def test_edited_text_replaces_its_cache_entry(store, small, tmp_path):
    sync(store, [small], now=NOW)
    export.export_apkg(store, tmp_path / "a.apkg", now=NOW)
    before = cache_rows(store)
    (small / "cards.md").write_text(SMALL_DECK.replace("Just an answer.", "A new answer."))
    sync(store, None, now=NOW)
    export.export_apkg(store, tmp_path / "b.apkg", now=NOW)
    after = cache_rows(store)
    assert len(after) == len(before)
    assert cache_key("Just an answer.") not in after
    assert cache_key("A new answer.") in after


# -- the command ----------------------------------------------------------------------


def test_export_command_syncs_paths_and_prints_what_it_wrote(small, tmp_path, monkeypatch):
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-01-05T10:00:00+00:00")
    db = tmp_path / "cli.db"
    out = tmp_path / "out" / "small.apkg"
    result = CliRunner().invoke(cli, ["--db", str(db), "export", str(small), "--deck", "Top",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert re.search(r"1 decks, 5 notes, 8 cards, 1 media files, [\d.]+ KiB", result.output)
    assert zipfile.is_zipfile(out)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM notes WHERE orphaned = 0").fetchone()[0] == 5
    conn.close()


def test_export_command_reports_errors_without_a_traceback(small, tmp_path, monkeypatch):
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-01-05T10:00:00+00:00")
    Store.open(tmp_path / "cli.db").close()  # an empty store: export creates none
    args = ["--db", str(tmp_path / "cli.db"), "export", "--deck", "Nope", "-o",
            str(tmp_path / "x.apkg")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "nothing to export" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_a_cloze_added_to_an_imported_note_becomes_a_new_card(store, small, tmp_path):
    sync(store, [small], now=NOW)
    export.export_apkg(store, tmp_path / "one.apkg", now=NOW)
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "one.apkg")
        note_id = find_note(col, "{{c3::third}}").id
        replace_in(small / "cards.md", "{{c3::third}}.", "{{c3::third}} and {{c4::fourth}}.")
        sync(store, [small], now=NOW)
        export.export_apkg(store, tmp_path / "two.apkg", now=NOW)
        log = import_package(col, tmp_path / "two.apkg")
        assert (len(log.new), len(log.updated)) == (0, 1)
        assert sorted(c.ord for c in col.get_note(note_id).cards()) == [0, 1, 2, 3]


def package_tables(path: Path) -> dict[str, list]:
    with zipfile.ZipFile(path) as package:
        (path.parent / "unzipped.anki2").write_bytes(package.read("collection.anki2"))
        media = json.loads(package.read("media"))
    db = sqlite3.connect(path.parent / "unzipped.anki2")
    try:
        return {"notes": db.execute("SELECT * FROM notes ORDER BY id").fetchall(),
                "cards": db.execute("SELECT * FROM cards ORDER BY id").fetchall(),
                "col": db.execute("SELECT decks, models FROM col").fetchall(),
                "media": sorted(media.values()),
                # Anki's tables and indexes: the fast writer builds its indexes last.
                "schema": db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                     "ORDER BY type, name").fetchall()}
    finally:
        db.close()


@pytest.mark.slow
def test_a_package_written_in_batches_of_one_note_is_the_same(store, small, decks, tmp_path,
                                                               monkeypatch):
    # The export streams notes in batches; their edges must not show in the package.
    sync(store, [small, decks], now=NOW)
    whole = export.export_apkg(store, tmp_path / "one" / "a.apkg", now=NOW)
    raw(store).execute("DELETE FROM rendered")  # rendered again, batch by batch
    monkeypatch.setattr(export.notes, "_BATCH", 1)
    batched = export.export_apkg(store, tmp_path / "two" / "a.apkg", now=NOW)
    assert (batched.notes, batched.cards, batched.media) == (whole.notes, whole.cards, whole.media)
    one, two = tmp_path / "one" / "a.apkg", tmp_path / "two" / "a.apkg"
    assert package_tables(two) == package_tables(one)


# -- the fast writer and genanki's own --------------------------------------------------


def package_contents(path: Path) -> dict[str, list]:
    """`package_tables`, with the deck and note type JSON read (genanki's own writer
    repeats a note type's key when several decks hold its notes; the last one counts)."""
    tables = package_tables(path)
    tables["col"] = [tuple(map(json.loads, row)) for row in tables["col"]]
    return tables


@pytest.mark.slow
def test_genanki_public_api_writes_the_same_package(store, small, decks, tmp_path,
                                                    monkeypatch):
    # The fast writer copies genanki's internals; where it does not know the installed
    # genanki, the package goes through genanki's public Note, Deck and Package.
    sync(store, [small, decks], now=NOW)
    replace_in(small / "cards.md", "Just an answer.", "Just an edited answer.")
    sync(store, [small], now=NOW + timedelta(days=3))  # notes with two modification times
    term = next(r for r in store.export_notes() if r.question == "Term")
    store.set_suspended(raw(store).execute("SELECT id FROM cards WHERE note_id = ? AND ord = 1",
                                           [term.id]).fetchone()[0], True)
    assert export.writers._genanki_tables() is not None  # the fast writer runs on this genanki
    fast = export.export_apkg(store, tmp_path / "fast" / "a.apkg", now=NOW + timedelta(days=9))
    monkeypatch.setattr(export.writers, "_genanki_tables", lambda: None)
    public = export.export_apkg(store, tmp_path / "public" / "a.apkg",
                                now=NOW + timedelta(days=9))
    assert (public.decks, public.notes, public.cards, public.media) == (
        fast.decks, fast.notes, fast.cards, fast.media)
    fast_tables = package_contents(tmp_path / "fast" / "a.apkg")
    assert package_contents(tmp_path / "public" / "a.apkg") == fast_tables
    # Exactly the active cards: the reverse card of "Term" only.
    assert len({row[1] for row in fast_tables["notes"]}) == fast.notes
    assert len(fast_tables["cards"]) == fast.cards
    with collection(tmp_path / "anki") as col:
        log = import_package(col, tmp_path / "public" / "a.apkg")
        assert (len(log.new), len(log.conflicting)) == (public.notes, 0)
        assert col.card_count() == public.cards
        modified = {row.guid: row.modified for row in store.export_notes()}
        assert {guid: note.mod for guid, note in notes_by_guid(col).items()} == modified
        assert [c.ord for c in find_note(col, "Its definition.").cards()] == [1]


def test_the_fast_writer_runs_only_on_a_genanki_it_knows():
    from genanki import __version__
    from genanki.apkg_schema import APKG_SCHEMA

    assert export.writers._fast_writer_fits(__version__, APKG_SCHEMA)
    assert export.writers._fast_writer_fits("0.13.0", APKG_SCHEMA)
    for version in ("0.12.0", "0.14.0", "1.0", "", "dev"):
        assert not export.writers._fast_writer_fits(version, APKG_SCHEMA), version
    # A column more, fewer or renamed in genanki's notes or cards table.
    for old, new in [("data            text not null          /* 10 */",
                      "data text not null, extra text"),
                     ("flags           integer not null,      /* 16 */\n", ""),
                     ("guid            text not null", "uuid text not null")]:
        assert old in APKG_SCHEMA
        assert not export.writers._fast_writer_fits(__version__, APKG_SCHEMA.replace(old, new)), new
    assert not export.writers._fast_writer_fits(__version__, "not SQL")


@pytest.mark.parametrize("writer", ["fast", "public"])
def test_an_export_leaves_nothing_in_the_temporary_folder(writer, store, small, tmp_path,
                                                          monkeypatch):
    # genanki's own write_to_file makes its collection with mkstemp and never deletes
    # it: every export left a file the size of the collection in the temporary folder.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    if writer == "public":
        monkeypatch.setattr(export.writers, "_genanki_tables", lambda: None)
    sync(store, [small], now=NOW)
    done = export.export_apkg(store, tmp_path / "out" / "a.apkg", now=NOW)
    assert done.notes and package_tables(tmp_path / "out" / "a.apkg")["notes"]
    assert list(scratch.iterdir()) == []
