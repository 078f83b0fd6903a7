"""The journal keeps the history: rebuilds, two machines through git, reinstalls.

Everything goes through the real CLI (click's runner, in process) on real
SQLite files and real journal files; two machines are two stores with their
own data folders, sharing notes through a real git repository. A reinstall is
two real virtual environments with the built wheel installed, each run through
its own console script (tests/install_helpers.py).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cli_helpers import cli_at
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from install_helpers import build_wheel, imported_from, install, run_flashcards, site_packages

from flashcards.changes import configure, reset
from flashcards.maintenance import check
from flashcards.session import start
from flashcards.settings import load_settings
from flashcards.store import Store
from flashcards.sync import sync

ROOT = Path(__file__).resolve().parent.parent
DAY1 = datetime.fromisoformat("2026-01-05T08:00:00+00:00")
NOTES = {
    "basics.md": "---\ndeck: Demo\n---\n\n"
                 "## What is a tensor?\n\nAn array with any number of axes.\n\n"
                 "## What does a learning rate set?\n\nThe size of each gradient step.\n\n"
                 "## Overfitting\n<!-- reverse -->\n\nFitting the noise of the training set.\n\n"
                 "## The {{c1::bias}} and {{c2::variance}} of a model trade off.\n",
    "more.md": "---\ndeck: Demo::More\n---\n\n"
               "## What is a batch?\n\nThe examples of one gradient step.\n\n"
               "## What is an epoch?\n\nOne pass over the training set.\n",
}


def invoke(db: Path, *args: str, day: int = 0, stdin: str | None = None,
           check_ok: bool = True) -> str:
    return cli_at(DAY1, db, *args, day=day, stdin=stdin, check_ok=check_ok)


def review(db: Path, day: int, rng: random.Random, answers: int = 40) -> str:
    steps = "".join(f"\n{rng.choice('1233334')}\n" for _ in range(answers))
    return invoke(db, "review", day=day, stdin=steps + "q\n")


def cards(db: Path) -> list[dict]:
    """`list --json` without what differs between stores by design (row ids, folders)."""
    rows = json.loads(invoke(db, "list", "--json"))
    for row in rows:
        del row["id"]
        row["source"] = Path(row["source"].rsplit(":", 1)[0]).name
    return sorted(rows, key=lambda r: (r["deck"], r["question"], r["ord"]))


def write_notes(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def delete_store(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def guids(db: Path) -> dict[str, str]:
    store = Store.open(db)
    try:
        return {n.question: n.guid for n in store.notes() if not n.orphaned}
    finally:
        store.close()


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.slow
def test_a_deleted_store_comes_back_from_the_markdown_and_the_journal(tmp_path):
    notes, db, rng = write_notes(tmp_path / "notes"), tmp_path / "data" / "fc.db", \
        random.Random(1)
    invoke(db, "sync", str(notes))
    for day in range(4):
        review(db, day, rng)
    # Edits of every kind the identity rules follow (docs/format.md).
    replace_in(notes / "basics.md", "## What is a tensor?", "## In ML, what is a tensor?")
    replace_in(notes / "basics.md", "The size of each gradient step.",
               "The size of each step along the gradient.")
    replace_in(notes / "more.md", "## What is an epoch?\n\nOne pass over the training set.\n",
               "")
    moved = "\n## What is an epoch?\n\nOne pass over the training set.\n"
    (notes / "basics.md").write_text((notes / "basics.md").read_text() + moved)
    (notes / "more.md").rename(notes / "renamed.md")
    invoke(db, "sync")
    for day in range(4, 9):
        review(db, day, rng)
    before, before_guids = cards(db), guids(db)
    assert sum(row["reviews"] for row in before) > 20
    journals = {path: path.read_bytes() for path in tmp_path.rglob("*.jsonl")}

    delete_store(db)
    invoke(db, "sync", str(notes), day=9)

    assert cards(db) == before
    assert guids(db) == before_guids
    # The journal already said every identity: the rebuild added no line to it.
    assert {path: path.read_bytes() for path in tmp_path.rglob("*.jsonl")} == journals
    store = Store.open(db)
    assert list(check(store, zone=DAY1.tzinfo)) == []
    store.close()


def git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    result = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def share(clone: Path, message: str) -> None:
    git(clone, "add", "-A")
    if git(clone, "status", "--porcelain"):
        git(clone, "commit", "-q", "-m", message)
    git(clone, "pull", "-q", "--no-rebase", "--no-edit")
    git(clone, "push", "-q")


def two_machines(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """Two clones of one notes repository (a bare origin), and a store for each:
    ``laptop, desktop, laptop_db, desktop_db``."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = write_notes(tmp_path / "seed")
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "notes")
    git(seed, "push", "-q", str(origin), "main")
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    for clone in (laptop, desktop):
        git(tmp_path, "clone", "-q", str(origin), str(clone))
    laptop_db, desktop_db = tmp_path / "laptop-data" / "fc.db", tmp_path / "desktop-data" / "fc.db"
    return laptop, desktop, laptop_db, desktop_db


@pytest.mark.slow
def test_two_machines_share_their_history_through_git_without_conflicts(tmp_path):
    laptop, desktop, laptop_db, desktop_db = two_machines(tmp_path)
    rng = random.Random(7)

    invoke(laptop_db, "sync", str(laptop))
    review(laptop_db, 0, rng)
    share(laptop, "laptop day 0")
    git(desktop, "pull", "-q")
    out = invoke(desktop_db, "sync", str(desktop), day=1)
    assert "answers from" in out
    review(desktop_db, 1, rng)
    # Day 2: the same cards answered on both machines before either shares.
    review(laptop_db, 2, rng)
    review(desktop_db, 2, rng)
    share(desktop, "desktop day 2")
    share(laptop, "laptop day 2")   # a merge: both devices' files, no conflict
    share(desktop, "desktop pull")
    for db, clone in ((laptop_db, laptop), (desktop_db, desktop)):
        invoke(db, "sync", str(clone), day=3)

    on_laptop, on_desktop = cards(laptop_db), cards(desktop_db)
    assert on_laptop == on_desktop
    assert any(row["reviews"] >= 3 for row in on_laptop)
    files = sorted(p.name for p in (laptop / ".flashcards" / "journal").iterdir())
    assert len(files) == 2  # one file per device


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def installed(venv: Path, wheel: Path) -> None:
    """A virtual environment with flashcards installed, importing its own copy."""
    install(venv, wheel)
    assert all(path.is_relative_to(site_packages(venv)) for path in imported_from(venv))


def listed(venv: Path, db: Path) -> list[dict]:
    """`list --json` through the environment's console script, each card's source
    relative to the environment's bundled decks (asserted to be there)."""
    decks = site_packages(venv) / "flashcards" / "decks"
    rows = json.loads(run_flashcards(venv, db, "list", "--json", now=DAY1.isoformat()))
    for row in rows:
        path, line = row["source"].rsplit(":", 1)
        row["source"] = f"{Path(path).relative_to(decks)}:{line}"
    return rows


def synced_without_orphans(venv: Path, db: Path) -> None:
    report = run_flashcards(venv, db, "sync", now=DAY1.isoformat())
    assert " 0 orphaned" in report, report


# What happens between the reviews in venv1 and the sync in venv2.
REINSTALLS = {
    "venv1-deleted-then-venv2-installed": ("delete venv1", "install venv2"),
    # Issue 14's report: `python3 -m venv .venv2 && .venv2/bin/pip install . &&
    # rm -rf .venv && .venv2/bin/flashcards sync` printed `282 orphaned`.
    "venv2-installed-then-venv1-deleted": ("install venv2", "delete venv1"),
}


@pytest.mark.slow
@pytest.mark.parametrize("steps", REINSTALLS.values(), ids=REINSTALLS.keys())
def test_a_reinstall_at_another_path_keeps_the_bundled_decks_history(tmp_path, wheel, steps):
    """Two real virtual environments at two paths, one store: the second finds the
    bundled decks' history the first wrote, and nothing is orphaned."""
    db = tmp_path / "data" / "fc.db"
    first, second = tmp_path / "venv1", tmp_path / "venv2"
    installed(first, wheel)
    run_flashcards(first, db, "review", now=DAY1.isoformat(), stdin="\n3\n" * 5 + "q\n")
    before = listed(first, db)
    assert sum(row["reviews"] for row in before) == 5
    for step in steps:
        if step == "delete venv1":
            shutil.rmtree(first)
        else:
            installed(second, wheel)
    synced_without_orphans(second, db)
    assert listed(second, db) == before


actions = st.lists(st.sampled_from(["1", "3", "4", "5", "undo", "suspend", "reset",
                                    "next day", "scheduler fsrs", "scheduler sm2",
                                    "desired_retention 0.8"]),
                   min_size=1, max_size=30)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_any_answers_undos_suspends_and_syncs_leave_store_equal_to_the_journal(tmp_path_factory,
                                                                              steps):
    """(and resets: of the card shown, or of the last one answered; and settings
    changed, which a rebuild takes from the journal)"""
    folder = tmp_path_factory.mktemp("h")
    notes = write_notes(folder / "notes")
    store = Store.open(folder / "fc.db")
    day = 0
    sync(store, [notes], now=DAY1)
    session = start(store, DAY1, clock=lambda: DAY1)
    for step in steps:
        moment = DAY1 + timedelta(days=day, minutes=len(session.log))
        if step == "next day":
            day += 1
            moment = DAY1 + timedelta(days=day)
            sync(store, None, now=moment)
            session = start(store, moment, clock=lambda m=moment: m)
        elif " " in step:  # a setting: `flashcards config KEY VALUE`
            key, value = step.split()
            configure(store, key, value, now=moment)
            session = start(store, moment, clock=lambda m=moment: m)  # as a new command
        elif step == "undo":
            session.undo()
        elif session.current is None:
            continue
        elif step == "suspend":
            session.suspend()
        elif step == "reset":
            shown = session.log[-1].card.id if session.log else session.current.id
            reset(store, [shown], now=moment)
        else:
            session.clock = lambda m=moment: m
            session.answer(int(step))
    assert [f.message for f in check(store, zone=DAY1.tzinfo)] == []
    states = {(c.question, c.ord): (c.due, c.repetitions, c.easiness, c.interval, c.reviews,
                                    c.stability, c.difficulty)
              for c in store.listed_cards()}
    chosen = load_settings(store)
    store.close()
    delete_store(folder / "fc.db")
    rebuilt = Store.open(folder / "fc.db")
    sync(rebuilt, [notes], now=DAY1 + timedelta(days=day))
    assert {(c.question, c.ord): (c.due, c.repetitions, c.easiness, c.interval, c.reviews,
                                  c.stability, c.difficulty)
            for c in rebuilt.listed_cards()} == states
    assert load_settings(rebuilt) == chosen
    rebuilt.close()


def test_a_store_from_before_the_journal_writes_its_log_on_the_next_sync(tmp_path):
    deck = tmp_path / "deck-v1"
    shutil.copytree(ROOT / "tests" / "fixtures" / "deck-v1", deck,
                    ignore=shutil.ignore_patterns(".flashcards"))
    db = tmp_path / "data" / "fc.db"
    db.parent.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "schema-v3.db", db)
    conn = __import__("sqlite3").connect(db)
    (old,) = conn.execute("SELECT path FROM roots").fetchone()  # where the fixture was made
    for table, column in (("roots", "path"), ("sources", "path"), ("sources", "root"),
                          ("notes", "path")):
        conn.execute(f"UPDATE {table} SET {column} = replace({column}, ?, ?)", [old, str(deck)])
    conn.commit()
    answered = conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
    conn.close()

    invoke(db, "sync", day=30)

    lines = [json.loads(line) for path in (deck / ".flashcards" / "journal").iterdir()
             for line in path.read_text().splitlines()]
    assert sum(line["type"] == "answer" for line in lines) == answered
    before = cards(db)
    store = Store.open(db)
    assert list(check(store, zone=DAY1.tzinfo)) == []
    store.close()
    delete_store(db)
    invoke(db, "sync", str(deck), day=30)
    assert cards(db) == before


@pytest.mark.slow
def test_an_export_after_a_rebuild_updates_the_notes_anki_already_has(tmp_path):
    from anki_helpers import collection, import_package, notes_by_guid

    notes, db = write_notes(tmp_path / "notes"), tmp_path / "data" / "fc.db"
    invoke(db, "sync", str(notes))
    invoke(db, "export", "-o", str(tmp_path / "before.apkg"))
    delete_store(db)
    replace_in(notes / "basics.md", "An array with any number of axes.",
               "An array with any number of axes (a scalar has none).")
    invoke(db, "sync", str(notes), day=1)
    invoke(db, "export", "-o", str(tmp_path / "after.apkg"), day=1)
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "before.apkg")
        count = col.note_count()
        log = import_package(col, tmp_path / "after.apkg")
        assert col.note_count() == count == 6  # the same notes, no duplicate
        assert len(log.new) == 0
        edited = [n for n in notes_by_guid(col).values() if "scalar has none" in n.fields[1]]
        assert len(edited) == 1


def test_a_sync_does_not_read_back_the_identities_it_wrote(tmp_path):
    """The notes' identity lines a sync writes are its own: the store counts them read,
    so the next sync reads no journal line (a re-sync of 100k notes read 100k lines)."""
    notes, db = write_notes(tmp_path / "notes"), tmp_path / "data" / "fc.db"
    invoke(db, "sync", str(notes))
    files = list(tmp_path.rglob("*.jsonl"))
    assert files and all(path.stat().st_size for path in files)
    store = Store.open(db)
    try:
        assert store.journal_offsets() == {str(path): path.stat().st_size for path in files}
    finally:
        store.close()


def while_locked(db: Path, action):
    """``action`` run while another connection holds the store's write lock (a second
    terminal in the middle of a long write): a command that asks for the lock waits
    for it, then fails with "locked"."""
    import sqlite3

    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        return action()
    finally:
        conn.close()


def test_a_no_change_sync_takes_no_write_lock_after_a_journal_file_is_gone(tmp_path):
    """A journal file the store once read and that is gone now (deleted, or left behind
    by a store that moved) is not a change: the next syncs and reviews read the journal
    without the write lock. They used to take it to write every offset again."""
    laptop, desktop, laptop_db, desktop_db = two_machines(tmp_path)
    invoke(desktop_db, "sync", str(desktop))
    review(desktop_db, 0, random.Random(3), answers=4)
    share(desktop, "desktop day 0")
    git(laptop, "pull", "-q")
    invoke(laptop_db, "sync", str(laptop))
    review(laptop_db, 0, random.Random(4), answers=2)  # the laptop's own file, which stays
    desktop_device = Path(f"{desktop_db}.device").read_text(encoding="utf-8").strip()
    (laptop / ".flashcards" / "journal" / f"{desktop_device}.jsonl").unlink()
    invoke(laptop_db, "sync")
    assert "unchanged" in while_locked(laptop_db, lambda: invoke(laptop_db, "sync"))
    assert "due today" in while_locked(laptop_db, lambda: invoke(laptop_db, "status"))


def test_a_no_change_sync_takes_no_write_lock(tmp_path):
    notes, db = write_notes(tmp_path / "notes"), tmp_path / "data" / "fc.db"
    invoke(db, "sync", str(notes))
    assert "2 unchanged" in while_locked(db, lambda: invoke(db, "sync"))
    assert "2 unchanged" in while_locked(db, lambda: invoke(db, "sync", str(notes)))
