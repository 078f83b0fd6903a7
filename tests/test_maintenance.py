"""`flashcards backup` and `flashcards doctor`, on real SQLite files and real processes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import copy_fixture

from flashcards.maintenance import check, state_from_log
from flashcards.session import start
from flashcards.store import SCHEMA_VERSION, CardSchedule, Store
from flashcards.sync import sync

# A store at the current schema version, so opening it migrates nothing.
FIXTURE = Path(__file__).parent / "fixtures" / f"schema-v{SCHEMA_VERSION}.db"
NOW = "2026-01-05T10:00:00+00:00"
DECK = "## What is a tensor?\n\nAn n-dimensional array.\n\n## The {{c1::Adam}} {{c2::optimizer}}\n"


def run(*args: str, db: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_NOW": NOW, "FLASHCARDS_TZ": "UTC",
           "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "flashcards", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)


def raw(db: Path, *statements: str) -> list[tuple]:
    """Run SQL as another program would: no foreign keys, so it can break things."""
    conn = sqlite3.connect(db)
    try:
        rows = []
        for sql in statements:
            rows = conn.execute(sql).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


CARD_STATE = "SELECT id, repetitions, easiness, interval, due, lapses FROM cards ORDER BY id"


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "flashcards.db"
    copy_fixture(FIXTURE.name, path)
    return path


@pytest.mark.slow
def test_a_healthy_store_passes(db):
    result = run("doctor", db=db)
    assert (result.returncode, result.stdout) == (0, "no problems found\n"), result.stderr


@pytest.mark.slow
def test_a_card_disagreeing_with_its_log_is_reported_then_rebuilt_after_a_backup(db, tmp_path):
    good = raw(db, CARD_STATE)
    raw(db, "UPDATE cards SET interval = 99, due = '2030-01-01', lapses = 7 WHERE id = 2")

    result = run("doctor", db=db)
    assert result.returncode == 1
    (line,) = [x for x in result.stdout.splitlines() if "card 2 " in x]
    assert "basics.md:" in line and "interval 99 but the log says 6" in line
    assert "lapses 7 but the log says 1" in line
    assert list(tmp_path.glob("*.bak")) == [], "checking alone writes nothing"

    fixed = run("doctor", "--fix", db=db)
    assert fixed.returncode == 0, fixed.stdout
    assert "fixed: " in fixed.stdout
    assert raw(db, CARD_STATE) == good
    (backup,) = tmp_path.glob("flashcards.db.doctor-20260105T100000.bak")
    assert raw(backup, "SELECT interval, due FROM cards WHERE id = 2") == [(99, "2030-01-01")]
    assert run("doctor", db=db).returncode == 0


@pytest.mark.slow
def test_dangling_rows_are_reported_and_repaired(db):
    raw(db,
        "INSERT INTO cards (id, note_id, ord) VALUES (900, 999, 1)",
        "INSERT INTO reviews (card_id, reviewed_at, grade, scheduled) "
        "VALUES (901, '2026-01-05T10:00:00.000+00:00', 4, 1)",
        "DELETE FROM reviews WHERE card_id IN (SELECT id FROM cards WHERE note_id = 3)",
        "DELETE FROM cards WHERE note_id = 3",
        "INSERT INTO decks (id, name, description) VALUES (50, 'Doomed', '')",
        "UPDATE notes SET deck_id = 50 WHERE id = 1",
        "DELETE FROM decks WHERE id = 50")
    result = run("doctor", db=db)
    assert result.returncode == 1
    out = result.stdout
    assert "card 900 has no note" in out
    assert "review" in out and "belongs to a missing card" in out
    assert "note 3 has no cards" in out
    assert "note 1 belongs to a missing deck" in out
    assert out.splitlines()[-1] == "4 problem(s) remain (`flashcards doctor --fix` repairs 4)"

    fixed = run("doctor", "--fix", db=db)
    assert fixed.returncode == 0, fixed.stdout
    assert raw(db, "SELECT count(*) FROM cards WHERE id = 900") == [(0,)]
    assert raw(db, "SELECT ord FROM cards WHERE note_id = 3 ORDER BY ord") == [(1,), (2,)]
    assert raw(db, "SELECT decks.name FROM notes JOIN decks ON decks.id = deck_id "
                   "WHERE notes.id = 1") == [("Default",)]
    assert raw(db, "PRAGMA foreign_key_check") == []


@pytest.mark.slow
def test_a_recovered_note_gets_its_deck_back_on_the_next_sync(tmp_path):
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "a.md").write_text("---\ndeck: Kept\n---\n" + DECK)
    db = tmp_path / "s.db"
    assert run("sync", str(deck), db=db).returncode == 0
    raw(db, "PRAGMA foreign_keys = OFF", "DELETE FROM decks WHERE name = 'Kept'")
    assert run("doctor", "--fix", db=db).returncode == 0
    assert run("sync", db=db).returncode == 0
    assert raw(db, "SELECT DISTINCT decks.name FROM notes JOIN decks ON decks.id = deck_id") \
        == [("Kept",)]


@pytest.mark.slow
def test_a_deleted_source_file_is_reported_and_fix_orphans_its_cards(tmp_path):
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "a.md").write_text(DECK)
    (deck / "b.md").write_text("## Kept?\n\nYes.\n")
    db = tmp_path / "s.db"
    assert run("sync", str(deck), db=db).returncode == 0
    (deck / "a.md").unlink()

    result = run("doctor", db=db, cwd=tmp_path)
    assert result.returncode == 1
    assert "deck/a.md: source file no longer exists" in result.stdout
    assert run("doctor", "--fix", db=db).returncode == 0
    assert raw(db, "SELECT orphaned, count(*) FROM cards GROUP BY orphaned") == [(0, 1), (1, 3)]
    assert [p for (p,) in raw(db, "SELECT path FROM sources")] == [str(deck / "b.md")]


def test_a_corrupt_file_gives_a_message_not_a_traceback(db):
    data = bytearray(db.read_bytes())
    data[4096 * 2: 4096 * 6] = os.urandom(4096 * 4)  # wreck a few pages after the header
    db.write_bytes(bytes(data))
    result = run("doctor", db=db)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "integrity check" in result.stdout or "cannot open the database" in result.stderr


@pytest.mark.slow
def test_backup_makes_a_complete_standalone_copy(db, tmp_path):
    target = tmp_path / "copy.db"
    result = run("backup", str(target), db=db)
    assert result.returncode == 0, result.stderr
    assert raw(target, CARD_STATE) == raw(db, CARD_STATE)
    assert raw(target, "PRAGMA journal_mode") == [("delete",)]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert run("backup", db=db).returncode == 0
    assert (tmp_path / "flashcards.db.backup-20260105T100000.bak").is_file()


def test_backup_to_a_missing_folder_is_a_clear_error(db, tmp_path):
    result = run("backup", str(tmp_path / "no" / "such" / "copy.db"), db=db)
    assert result.returncode == 1
    assert "cannot write the backup" in result.stderr and "Traceback" not in result.stderr


WRITER = """
import sys
from flashcards.store import Store
store = Store.open(sys.argv[1])
print("ready", flush=True)
for i in range(100000):
    with store.transaction():  # two rows per transaction: a snapshot holds an even number
        store.set_meta(f"w{i}a", "x")
        store.set_meta(f"w{i}b", "x")
"""


@pytest.mark.slow
def test_backup_while_another_process_writes_is_a_consistent_snapshot(db, tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert writer.stdout.readline() == "ready\n"
        counts = []
        for n in range(4):
            target = tmp_path / f"copy{n}.db"
            result = run("backup", str(target), db=db)
            assert result.returncode == 0, result.stderr
            assert raw(target, "PRAGMA integrity_check") == [("ok",)]
            (count,) = raw(target, "SELECT count(*) FROM meta WHERE key LIKE 'w%'")[0]
            assert count % 2 == 0
            counts.append(count)
    finally:
        writer.kill()
        writer.wait()
    assert counts[-1] > 0, "the writer was writing during the backups"


# -- the state can always be rebuilt from the log -------------------------------------


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.lists(st.integers(0, 5), max_size=12), min_size=1, max_size=6),
       gaps=st.lists(st.integers(0, 20), min_size=6, max_size=6))
def test_sessions_leave_every_card_as_its_log_says(tmp_path_factory, days, gaps):
    assert_the_log_rebuilds_every_card(tmp_path_factory, days, gaps)


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.lists(st.integers(0, 5), max_size=12), min_size=1, max_size=6),
       gaps=st.lists(st.integers(0, 20), min_size=6, max_size=6))
def test_sessions_leave_every_card_as_its_log_says_sample(tmp_path_factory, days, gaps):
    """The fast lane's share of the 25 examples above."""
    assert_the_log_rebuilds_every_card(tmp_path_factory, days, gaps)


def assert_the_log_rebuilds_every_card(tmp_path_factory, days, gaps) -> None:
    """Whatever the session does (repeats, lapses, gaps, undo), replaying the log agrees."""
    folder = tmp_path_factory.mktemp("deck")
    (folder / "a.md").write_text(DECK + "\n## Precision\n\nTP / (TP + FP)\n<!-- reverse -->\n")
    store = Store.open(folder / "s.db")
    moment = datetime.fromisoformat(NOW)
    sync(store, [folder / "a.md"], now=moment)
    for grades, gap in zip(days, gaps, strict=False):
        moment += timedelta(days=gap, minutes=1)
        session = start(store, moment, clock=lambda m=moment: m)
        for index, grade in enumerate(grades):
            if session.current is None:
                break
            session.answer(grade)
            if index % 5 == 4:
                session.undo()
    findings = [f.message for f in check(store, zone=UTC)]
    store.close()
    assert findings == []


def test_state_from_an_empty_log_is_a_new_card():
    replayed = state_from_log([], zone=UTC)
    assert replayed.schedule == CardSchedule() and replayed.lapses == 0
