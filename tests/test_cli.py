"""The check, sync and list commands, run as real processes on real files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from flashcards.store import Store

DECK = "---\ndeck: Demo::Sub\n---\n## What is a tensor?\nAn n-dimensional array.\n\n" \
       "## {{c1::Adam}} adapts learning rates per parameter.\n"


def run(*args: str, db: Path, cwd: Path | None = None, stdin: str = ""):
    env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_NOW": "2026-01-05T10:00:00+00:00",
           "FLASHCARDS_TZ": "UTC", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "flashcards", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, input=stdin, timeout=120)


@pytest.fixture
def deck_dir(tmp_path):
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "demo.md").write_text(DECK)
    return folder


def test_sync_then_list_reads_the_real_database(tmp_path, deck_dir):
    db = tmp_path / "s.db"
    result = run("sync", str(deck_dir), db=db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("2 added, 0 updated, 0 moved, 0 orphaned, 0 revived")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM cards").fetchone() == (2,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    listed = json.loads(run("list", "--json", db=db).stdout)
    assert {k for k in listed[0]} >= {"id", "deck", "question", "source", "status", "reviews",
                                      "due", "repetitions", "easiness", "interval"}
    assert [(c["deck"], c["status"], c["reviews"]) for c in listed] == [
        ("Demo::Sub", "new", 0), ("Demo::Sub", "new", 0)]
    assert listed[0]["source"].endswith("demo.md:4")


@pytest.mark.slow
def test_list_text_filters_by_deck_and_subdecks(tmp_path, deck_dir):
    db = tmp_path / "s.db"
    run("sync", str(deck_dir), db=db)
    out = run("list", "--deck", "Demo", db=db).stdout.splitlines()
    assert out[0].split("\t")[:4] == ["id", "deck", "question", "source"]
    assert len(out) == 3
    assert run("list", "--deck", "Dem", db=db).stdout.splitlines()[1:] == []


@pytest.mark.slow
@pytest.mark.parametrize("args", [["list"],
                                  pytest.param(["list", "--json"], marks=pytest.mark.slow)])
def test_list_into_a_reader_that_goes_away_stops_quietly(tmp_path, deck_dir, args):
    # `flashcards list | head -1`: far more than a pipe holds, and the reader leaves.
    (deck_dir / "many.md").write_text("".join(f"## Question {i}?\n\nAnswer {i}.\n\n"
                                              for i in range(3000)))
    db = tmp_path / "s.db"
    assert run("sync", str(deck_dir), db=db).returncode == 0
    env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_TZ": "UTC"}
    proc = subprocess.Popen([sys.executable, "-m", "flashcards", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=120) == 0
    assert proc.stderr.read().decode() == ""


@pytest.mark.slow
def test_list_orphans(tmp_path, deck_dir):
    db = tmp_path / "s.db"
    run("sync", str(deck_dir), db=db)
    (deck_dir / "demo.md").write_text(DECK.split("## {{c1")[0])
    assert "1 orphaned" in run("sync", db=db).stdout
    orphans = json.loads(run("list", "--orphans", "--json", db=db).stdout)
    assert [o["status"] for o in orphans] == ["orphaned"]


@pytest.mark.slow
def test_sync_with_errors_exits_1_with_file_line_and_keeps_the_last_version(tmp_path, deck_dir):
    db = tmp_path / "s.db"
    run("sync", str(deck_dir), db=db)
    (deck_dir / "demo.md").write_text(DECK + "\n## Broken {{c1::x\n")
    result = run("sync", db=db)
    assert result.returncode == 1
    assert "demo.md:9:11: error: unclosed cloze" in result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM notes").fetchone() == (2,)


@pytest.mark.slow
def test_check_text_json_and_strict(tmp_path, deck_dir):
    db = tmp_path / "never.db"
    (deck_dir / "warn.md").write_text("## Q\n" + "word " * 80 + "\n")
    result = run("check", str(deck_dir), db=db)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].endswith(
        "warn.md:1:1: warning: answer of 80 words (over 60) is too long to recall at once: "
        "split it into several cards or a cloze")
    assert run("check", "--strict", str(deck_dir), db=db).returncode == 1
    data = json.loads(run("check", "--format", "json", str(deck_dir), db=db).stdout)
    assert data[0]["severity"] == "warning" and data[0]["line"] == 1
    (deck_dir / "err.md").write_text("## Q\n")
    assert run("check", str(deck_dir), db=db).returncode == 1
    assert not db.exists(), "check must not touch the store"


@pytest.mark.slow
def test_missing_path_and_bad_clock_are_clear_errors(tmp_path):
    db = tmp_path / "s.db"
    result = run("sync", str(tmp_path / "nope"), db=db)
    assert result.returncode == 2 and "does not exist" in result.stderr
    env_bad = run("sync", str(tmp_path), db=db)
    assert env_bad.returncode == 0
    bad = subprocess.run([sys.executable, "-m", "flashcards", "--db", str(db), "sync"],
                         capture_output=True, text=True,
                         env={**os.environ, "FLASHCARDS_NOW": "yesterday"})
    assert bad.returncode == 1 and "not an ISO 8601" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
def test_a_corrupt_database_is_a_clear_error(tmp_path, deck_dir):
    db = tmp_path / "s.db"
    db.write_bytes(b"this is not sqlite" * 100)
    result = run("sync", str(deck_dir), db=db)
    assert result.returncode == 1 and "cannot open the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_dash_m_and_console_script_agree():
    out = subprocess.run([sys.executable, "-m", "flashcards", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "Spaced-repetition flashcards" in out and "sync" in out


# -- read-only commands create nothing; --db anywhere; help (issue 20) ---------------

READ_ONLY_COMMANDS = [
    ("status",), ("list",), ("stats",), ("export", "-o", "out.apkg"), ("doctor",),
    ("backup", "copy.db"), ("suspend", "1"), ("unsuspend", "1"), ("config",),
    ("config", "new_per_day", "5"),
]


# The fast lane checks status; every other command is slow (a whole process each).
@pytest.mark.parametrize("args", [
    args if args == ("status",) else pytest.param(args, marks=pytest.mark.slow)
    for args in READ_ONLY_COMMANDS], ids=" ".join)
def test_commands_that_read_a_store_never_create_one(tmp_path, args):
    db = tmp_path / "nodir" / "x.db"
    result = run(*args, db=db, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (f"Error: no store at {db} (run `flashcards sync` or "
                             "`flashcards review` to create one)\n")
    assert sorted(tmp_path.iterdir()) == [], "nothing may be created"


@pytest.mark.slow
def test_only_sync_and_review_create_a_store(tmp_path, deck_dir):
    synced, reviewed = tmp_path / "a" / "s.db", tmp_path / "b" / "r.db"
    assert run("sync", str(deck_dir), db=synced).returncode == 0 and synced.is_file()
    assert run("review", db=reviewed, stdin="q\n").returncode == 0 and reviewed.is_file()


@pytest.mark.slow
def test_an_empty_or_foreign_sqlite_file_is_not_taken_for_a_store(tmp_path):
    empty, foreign = tmp_path / "empty.db", tmp_path / "foreign.db"
    empty.touch()
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    for db in (empty, foreign):
        before = db.read_bytes()
        result = run("status", db=db)
        assert (result.returncode, result.stderr) == (1, f"Error: {db} is not a flashcards "
                                                         "store\n")
        assert db.read_bytes() == before


@pytest.mark.slow
def test_db_option_after_the_command_name(tmp_path, deck_dir):
    db = tmp_path / "s.db"
    env = {k: v for k, v in os.environ.items() if k != "FLASHCARDS_DB"}
    base = [sys.executable, "-m", "flashcards"]
    sync = subprocess.run([*base, "sync", "--db", str(db), str(deck_dir)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert sync.returncode == 0, sync.stderr
    status = subprocess.run([*base, "status", "--db", str(db), "--json"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    assert "Demo::Sub" in status.stdout


def test_no_arguments_prints_the_help_to_standard_output():
    result = subprocess.run([sys.executable, "-m", "flashcards"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: flashcards") and "Commands:" in result.stdout


# -- starting out -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["status", *(pytest.param(command, marks=pytest.mark.slow)
                                                 for command in ("list", "stats"))])
def test_an_empty_store_says_how_to_start(tmp_path, command):
    Store.open(tmp_path / "empty.db", create=True).close()  # a store, with no cards yet
    result = run(command, db=tmp_path / "empty.db")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("No cards yet.")
    assert "`flashcards sync PATH`" in result.stdout
    assert "`flashcards sync --bundled`" in result.stdout


@pytest.mark.slow
def test_the_bundled_decks_can_be_added_after_ones_own(tmp_path, deck_dir):
    db = tmp_path / "s.db"
    run("sync", str(deck_dir), db=db)
    result = run("sync", "--bundled", db=db)
    assert result.returncode == 0, result.stderr
    decks = {card["deck"] for card in json.loads(run("list", "--json", db=db).stdout)}
    assert "Demo::Sub" in decks and "ML Interview::Coding" in decks


@pytest.mark.slow
def test_forget_orphans_a_roots_cards_and_syncing_it_again_revives_them(tmp_path, deck_dir):
    db = tmp_path / "s.db"
    run("sync", str(deck_dir), db=db)
    run("review", db=db, stdin="\n3\nq\n")
    result = run("sync", "--forget", str(deck_dir), db=db)
    assert result.returncode == 0, result.stderr
    assert "no longer synced; 2 notes orphaned" in result.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM cards WHERE orphaned = 0").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM roots").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM reviews").fetchone() == (1,)
    assert "2 revived" in run("sync", str(deck_dir), db=db).stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM cards WHERE orphaned = 0").fetchone() == (2,)


@pytest.mark.slow
def test_forgetting_a_path_never_synced_is_an_error(tmp_path, deck_dir):
    run("sync", str(deck_dir), db=tmp_path / "s.db")
    result = run("sync", "--forget", str(tmp_path), db=tmp_path / "s.db")
    assert result.returncode == 1
    assert "is not synced" in result.stderr and "Traceback" not in result.stderr


# -- list on a terminal, its filters and status names ------------------------------------


@pytest.mark.slow
def test_list_on_a_terminal_goes_through_a_pager_and_fits_the_width(tmp_path, deck_dir):
    import pexpect

    db = tmp_path / "s.db"
    (deck_dir / "long.md").write_text("---\ndeck: A very long deck name indeed::Sub\n---\n"
                                      + "## " + "word " * 60 + "?\n\nyes\n")
    run("sync", str(deck_dir), db=db)
    pager = tmp_path / "pager.py"
    pager.write_text("import sys\nprint('PAGER GOT', len(sys.stdin.read().splitlines()))\n")
    env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_TZ": "UTC", "NO_COLOR": "1",
           "FLASHCARDS_NOW": "2026-01-05T10:00:00+00:00",
           "PAGER": f"{sys.executable} {pager}"}
    child = pexpect.spawn(sys.executable, ["-m", "flashcards", "list"], env=env,
                          encoding="utf-8", dimensions=(24, 80), timeout=60)
    child.expect("PAGER GOT 4")  # the header and three cards
    child.expect(pexpect.EOF)
    env["PAGER"] = "cat"
    child = pexpect.spawn(sys.executable, ["-m", "flashcards", "list"], env=env,
                          encoding="utf-8", dimensions=(24, 80), timeout=60)
    child.expect(pexpect.EOF)
    lines = [line for line in child.before.splitlines() if line.strip()]
    assert lines[0].split()[:3] == ["id", "deck", "question"] and len(lines) == 4
    assert all(len(line) <= 80 for line in lines), lines


@pytest.mark.slow
def test_list_filters_due_suspended_search(tmp_path, deck_dir):
    db = tmp_path / "s.db"
    run("sync", str(deck_dir), db=db)
    run("review", db=db, stdin="\n3\nq\n")  # the tensor card: due tomorrow

    def ids(*args: str, now: str = "2026-01-05T10:00:00+00:00") -> list[int]:
        result = subprocess.run([sys.executable, "-m", "flashcards", "list", "--json", *args],
                                capture_output=True, text=True, check=True,
                                env={**os.environ, "FLASHCARDS_DB": str(db),
                                     "FLASHCARDS_TZ": "UTC", "FLASHCARDS_NOW": now})
        return [card["id"] for card in json.loads(result.stdout)]

    assert ids("--due") == []
    assert ids("--due", now="2026-01-06T10:00:00+00:00") == [1]
    assert ids("--search", "ADAM") == [2] and ids("--search", "n-dimensional") == [1]
    run("suspend", "2", db=db)
    assert ids("--suspended") == [2]


@pytest.mark.slow
def test_list_and_stats_name_the_states_alike(tmp_path, deck_dir):
    db = tmp_path / "s.db"
    run("sync", str(deck_dir), db=db)
    run("review", db=db, stdin="\n3\nq\n")
    listed = json.loads(run("list", "--json", db=db).stdout)
    assert sorted(card["status"] for card in listed) == ["learning", "new"]
    counts = json.loads(run("stats", "--json", db=db).stdout)["cards"]
    assert counts["learning"] == 1 and counts["new"] == 1
