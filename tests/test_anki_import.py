"""`flashcards import`: packages made by the real Anki, in both formats, with and
without scheduling, imported as Markdown with their history; and back to Anki."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flashcards.model import anki_id
from flashcards.parser import parse
from flashcards.scheduler import study_day

pytestmark = pytest.mark.slow


def run(*args: str, db: Path, moment: datetime):
    env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_NOW": moment.isoformat(),
           "FLASHCARDS_TZ": "UTC", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "flashcards", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def anki(tmp_path_factory):
    """One collection built with Anki, and the moment Anki's day count was read."""
    from tests.anki_build import build

    folder = tmp_path_factory.mktemp("anki") / "col"
    built = build(folder)
    return folder, built, datetime.now(UTC)


def store_rows(db: Path, query: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def cards_of(db: Path) -> dict[tuple[str, int], tuple]:
    rows = store_rows(db, "SELECT notes.guid, cards.ord, cards.due, cards.suspended, "
                          "cards.interval, cards.easiness, "
                          "(SELECT count(*) FROM reviews WHERE reviews.card_id = cards.id) "
                          "FROM cards JOIN notes ON notes.id = cards.note_id "
                          "WHERE NOT cards.orphaned")
    return {(guid, ord_): rest for guid, ord_, *rest in rows}


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b", "legacy"])
@pytest.mark.parametrize("scheduling", [True, False], ids=["scheduling", "no-scheduling"])
def test_an_anki_package_comes_in_whole(anki, tmp_path, legacy, scheduling):
    from tests.anki_build import export

    folder, built, moment = anki
    package = export(folder, tmp_path / "deck.apkg", legacy=legacy, with_scheduling=scheduling)
    db, out = tmp_path / "s.db", tmp_path / "notes"
    result = run("import", str(package), "--to", str(out), db=db, moment=moment)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    reviews = built.reviews if scheduling else 0
    assert f"2 decks (2 files), 30 notes, {built.cards} cards, {reviews} reviews" \
        in result.stdout
    cards = cards_of(db)
    assert len(cards) == built.cards
    assert {guid for guid, _ in cards} == set(built.guids.values())
    today = study_day(moment, 4)
    for key, (due, suspended, interval, easiness, count) in cards.items():
        if scheduling and key in built.due_in:
            assert due == (today + timedelta(days=built.due_in[key])).isoformat(), key
            assert count == built.per_card_reviews[key]
            ivl, factor = built.interval_ease[key]
            assert (interval, easiness) == (ivl, max(1.3, factor / 1000))
            assert bool(suspended) == (key in built.suspended)
        else:
            assert due is None and count == 0 and not suspended  # new cards stay new
    files = {p.name: p.read_text() for p in out.glob("*.md")}
    maths, french = files["Maths.md"], files["Languages--French.md"]
    assert maths.startswith('---\ndeck: "Maths"\n---\n')
    assert french.startswith('---\ndeck: "Languages::French"\n---\n')
    assert f"<!-- id: {anki_id(built.guids['basic'])}; tags: arith, level::one -->" in maths
    assert "## Derivative of $x^2$?" in maths
    assert "$2x$, and $$\\int 2x\\,dx = x^2$$" in maths
    assert '```python\nprint("hi")\n```' in maths
    assert "![](media/plot%20one.png)" in maths
    assert (out / "media" / "plot one.png").read_bytes().startswith(b"\x89PNG")
    assert "## {{c1::Paris::city}} is the capital of {{c2::France}}" in french
    assert "## {{c1::Rome}} is in {{c2::Italy::country}}" in french  # c2, c3 renumbered
    assert f"<!-- id: {anki_id(built.guids['reversed'])}; reverse -->" in french
    assert f"<!-- id: {anki_id(built.guids['optional'])}; reverse -->" in french
    assert f"<!-- id: {anki_id(built.guids['optional-one'])} -->" in french
    for text in files.values():
        assert not [p for p in parse(text).problems if p.severity == "error"]


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b", "legacy"])
def test_a_collection_package_comes_in_with_its_history(anki, tmp_path, legacy):
    from tests.anki_build import export_colpkg

    folder, built, moment = anki
    package = export_colpkg(folder, tmp_path / "all.colpkg", legacy=legacy)
    db = tmp_path / "s.db"
    result = run("import", str(package), "--to", str(tmp_path / "n"), db=db, moment=moment)
    assert result.returncode == 0, result.stderr
    assert f"{built.cards} cards, {built.reviews} reviews" in result.stdout
    assert store_rows(db, "SELECT count(*) FROM reviews") == [(built.reviews,)]


def test_importing_again_with_force_adds_no_history(anki, tmp_path):
    from tests.anki_build import export

    folder, built, moment = anki
    package = export(folder, tmp_path / "deck.apkg", legacy=False, with_scheduling=True)
    db, out = tmp_path / "s.db", tmp_path / "notes"
    assert run("import", str(package), "--to", str(out), db=db, moment=moment).returncode == 0
    journal = sorted((out / ".flashcards" / "journal").glob("*.jsonl"))
    before = {p.name: p.read_text() for p in journal}
    again = run("import", str(package), "--to", str(out), db=db, moment=moment)
    assert again.returncode == 1 and "exists" in again.stderr and "--force" in again.stderr
    forced = run("import", str(package), "--to", str(out), "--force", db=db, moment=moment)
    assert forced.returncode == 0, forced.stderr
    assert "0 new journal lines" in forced.stdout
    assert {p.name: p.read_text() for p in journal} == before
    assert store_rows(db, "SELECT count(*) FROM reviews") == [(built.reviews,)]
    # A store rebuilt from the folder alone has the same schedules.
    rebuilt = tmp_path / "rebuilt.db"
    assert run("sync", str(out), db=rebuilt, moment=moment).returncode == 0
    assert cards_of(rebuilt) == cards_of(db)


def through_markdown(anki, tmp_path: Path, *export_options: str) -> tuple[Path, Path, Path]:
    """Anki's package (with scheduling) imported into Markdown, then exported again:
    (Anki's package, the store, the package flashcards wrote)."""
    from tests.anki_build import export

    folder, _, moment = anki
    package = export(folder, tmp_path / "deck.apkg", legacy=False, with_scheduling=True)
    db = tmp_path / "s.db"
    assert run("import", str(package), "--to", str(tmp_path / "n"), db=db,
               moment=moment).returncode == 0
    back = tmp_path / "back.apkg"
    result = run("export", *export_options, "-o", str(back), db=db, moment=moment)
    assert result.returncode == 0, result.stderr
    return package, db, back


def test_anki_to_markdown_to_anki_keeps_the_same_notes(anki, tmp_path):
    from tests.anki_helpers import collection, import_package, notes_by_guid

    _, built, moment = anki
    package, db, back = through_markdown(anki, tmp_path)
    with collection(tmp_path / "fresh") as col:
        import_package(col, package)  # the notes as they came from Anki
        import_package(col, back)  # and again through Markdown: updates, not duplicates
        notes = notes_by_guid(col)
        assert set(notes) == set(built.guids.values())
        assert col.note_count() == len(built.guids)
        # The second import added no card either (suspended cards are not exported).
        assert col.card_count() == built.cards
    with collection(tmp_path / "fresh-only-ours") as col:
        import_package(col, back)  # alone: Anki's GUIDs, every note with an active card
        active = {guid for guid, ord_ in cards_of(db) if (guid, ord_) not in built.suspended}
        assert set(notes_by_guid(col)) == active
        assert col.card_count() == built.cards - len(built.suspended)


def test_the_journal_holds_anki_history_as_plain_lines(anki, tmp_path):
    from tests.anki_build import export

    folder, built, moment = anki
    package = export(folder, tmp_path / "deck.apkg", legacy=True, with_scheduling=True)
    out = tmp_path / "n"
    assert run("import", str(package), "--to", str(out), db=tmp_path / "s.db",
               moment=moment).returncode == 0
    journal = out / ".flashcards" / "journal"
    answers = [json.loads(line) for line in (journal / "anki.jsonl").read_text().splitlines()]
    assert len(answers) == built.reviews
    assert all(a["v"] == 1 and a["type"] == "answer" and a["button"] in (1, 2, 3, 4)
               and a["off"] == 0 for a in answers)
    schedules = [json.loads(line)
                 for line in (journal / "anki-schedule.jsonl").read_text().splitlines()]
    assert len(schedules) == len(built.due_in)
    assert all(s["v"] == 2 and set(s["sm2"]) == {"ef", "ivl", "reps", "lapses", "due"}
               for s in schedules)
    assert len((journal / "anki-suspend.jsonl").read_text().splitlines()) == \
        len(built.suspended)


DAY_LEARN = 3  # Anki's queue of learning cards due on a day, not at a time


def test_answers_given_with_anki_s_own_scheduler_come_in_with_their_states(tmp_path):
    """Three new cards answered today by Anki's scheduler: Again and Good leave them in
    learning (due in minutes, so today), Easy graduates one to review with Anki's
    interval; Anki writes the review log itself."""
    from tests.anki_build import export
    from tests.anki_helpers import collection

    folder = tmp_path / "col"
    with collection(folder) as col:
        for word in ("un", "deux", "trois"):
            note = col.new_note(col.models.by_name("Basic"))
            note["Front"], note["Back"] = word, word.upper()
            col.add_note(note, 1)
        easy, learning_due = {}, []
        for ease in (1, 3, 4):
            card = col.sched.getCard()
            col.sched.answerCard(card, ease)
            card.load()
            if ease != 4 and card.queue == DAY_LEARN:
                # A step that ends past Anki's day rollover (near 04:00): due on a day
                # number, as a review is.
                today = study_day(datetime.now(UTC), 4)
                learning_due.append(today + timedelta(days=card.due - col.sched.today))
            elif ease != 4:  # due at a time (seconds), a few minutes from now
                learning_due.append(study_day(datetime.fromtimestamp(card.due, UTC), 4))
            else:
                easy = {"guid": card.note().guid, "ivl": card.ivl, "factor": card.factor,
                        "due_in": card.due - col.sched.today}
        logged = col.db.scalar("SELECT count() FROM revlog")
    moment = datetime.now(UTC)
    package = export(folder, tmp_path / "p.apkg", legacy=False, with_scheduling=True)
    db = tmp_path / "s.db"
    result = run("import", str(package), "--to", str(tmp_path / "n"), db=db, moment=moment)
    assert result.returncode == 0, result.stderr
    assert logged == 3 and "3 reviews, 3 schedules" in result.stdout
    cards = cards_of(db)
    today = study_day(moment, 4)
    due, _, interval, easiness, count = cards[(easy["guid"], 1)]
    assert (interval, easiness, count) == (easy["ivl"], easy["factor"] / 1000, 1)
    assert due == (today + timedelta(days=easy["due_in"])).isoformat()
    learning = [rest for key, rest in cards.items() if key[0] != easy["guid"]]
    assert sorted((d, i) for d, _, i, _, _ in learning) == \
        sorted((day.isoformat(), 0) for day in learning_due)


def test_anki_to_markdown_to_anki_with_scheduling_keeps_due_dates_and_reviews(anki, tmp_path):
    # The round trip: Anki -> flashcards import -> export --with-scheduling ->
    # a fresh Anki: the same notes, review counts, due dates, intervals and eases.
    from tests.anki_helpers import collection, import_package, notes_by_guid

    _, built, moment = anki
    _, db, back = through_markdown(anki, tmp_path, "--with-scheduling")
    today = study_day(moment, 4)
    with collection(tmp_path / "fresh") as col:
        import_package(col, back, with_scheduling=True)
        assert set(notes_by_guid(col)) == set(built.guids.values())
        assert col.card_count() == built.cards
        created, checked = datetime.fromtimestamp(col.crt, UTC).date(), 0
        for guid, note in notes_by_guid(col).items():
            for card in note.cards():
                key = (guid, card.ord + 1)
                logged = col.db.scalar("SELECT count() FROM revlog WHERE cid = ?", card.id)
                assert logged == built.per_card_reviews.get(key, 0), key
                assert (card.queue == -1) == (key in built.suspended), key
                if key not in built.due_in:
                    continue
                if card.type == 2:  # a review card: due on the same study day
                    due = created + timedelta(days=card.due)
                    assert due == today + timedelta(days=built.due_in[key]), key
                    ivl, factor = built.interval_ease[key]
                    assert (card.ivl, card.factor) == (ivl, max(1300, factor)), key
                    checked += 1
        assert checked >= 5  # review cards came back as review cards, on their days
