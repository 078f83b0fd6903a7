"""A change of scheduler replays every answered card (flashcards/rescheduling.py): on
two cores, the second process (a real one) gives the store one core gives; if it
dies, this process replays its cards; an error it raises is raised here.

The size from which the second process takes part is set to nothing here, so a
small store takes that path; everything else is the real CLI on real files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3

import pytest
from process_helpers import hook_every_child

from flashcards import rescheduling
from flashcards.history import HAS_SCHEDULES_KEY
from tests.test_history import invoke
from tests.test_journal_buckets import history_with_every_kind_of_line

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no second process")

# Run by the second process at its start (PYTHONPATH): its opening of the store, a line
# in a file named after its process id; with REPLAY_FAULT, a SIGKILL there (as if
# killed, or out of memory) or an error raised there.
_WATCH_THE_STORE = """
import os, signal, sys

def _watch(event, args):
    if event != "sqlite3.connect":
        return
    with open(os.path.join(os.environ["RECORDS_IN"], str(os.getpid())), "a") as out:
        out.write(f"{args[0]}\\n")
    fault = os.environ.get("REPLAY_FAULT")
    if fault == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if fault == "error":
        raise RuntimeError("the store cannot be read here")

sys.addaudithook(_watch)
"""


def watch_the_second_process(folder, monkeypatch, fault: str | None = None):
    """The stores each second process opens from now on, by its pid."""
    return hook_every_child(folder, monkeypatch, _WATCH_THE_STORE,
                            **({"REPLAY_FAULT": fault} if fault else {}))


def digest(db) -> str:
    """Every row of the answers and the cards: what a replay rewrites."""
    conn = sqlite3.connect(db)
    try:
        found = hashlib.sha256()
        for table in ("reviews", "cards"):
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY id"):
                found.update(repr(row).encode())
        return found.hexdigest()
    finally:
        conn.close()


@pytest.fixture
def answered(tmp_path):
    """A store with answers of two devices, an undo, a suspension and a reset (so a
    replay reads the journal's reset events too), and a copy of it to start again."""
    notes, db = history_with_every_kind_of_line(tmp_path)
    invoke(db, "sync", str(notes), day=5)
    first = json.loads(invoke(db, "list", "--json", day=5))[0]["id"]
    invoke(db, "reset", str(first), day=5)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT 1 FROM meta WHERE key = ?", [HAS_SCHEDULES_KEY]).fetchone()
    assert conn.execute("SELECT count(DISTINCT card_id) FROM reviews").fetchone()[0] > 4
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.copy(db, db.with_name("before.db"))
    return db


def switch_there_and_back(db) -> tuple[str, str]:
    invoke(db, "config", "scheduler", "fsrs", day=6)
    on_fsrs = digest(db)
    invoke(db, "config", "scheduler", "sm2", day=6)
    return on_fsrs, digest(db)


def start_again(db) -> None:
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    shutil.copy(db.with_name("before.db"), db)


def on_two_cores(monkeypatch) -> None:
    monkeypatch.setattr(rescheduling, "SECOND_PROCESS_FROM", 1)
    monkeypatch.setattr(rescheduling, "PARTS", 4)
    monkeypatch.setattr(rescheduling, "OWN_SHARE", 0.25)  # most cards to the second


def test_switching_on_two_cores_gives_the_store_one_core_gives(answered, tmp_path,
                                                                monkeypatch):
    before = digest(answered)
    one = switch_there_and_back(answered)
    assert one[0] != before  # FSRS placed the answers otherwise

    start_again(answered)
    opens = watch_the_second_process(tmp_path / "two", monkeypatch)
    on_two_cores(monkeypatch)
    two = switch_there_and_back(answered)
    assert two == one
    assert len(opens()) == 2  # a second process at each switch, which read the store
    assert all(lines == [str(answered)] for lines in opens().values())


def test_a_second_process_that_dies_leaves_its_cards_to_the_first(answered, tmp_path,
                                                                  monkeypatch):
    one = switch_there_and_back(answered)
    start_again(answered)
    opens = watch_the_second_process(tmp_path / "two", monkeypatch, fault="kill")
    on_two_cores(monkeypatch)
    assert switch_there_and_back(answered) == one
    assert len(opens()) == 2  # each killed as it opened the store


def test_an_error_in_the_second_process_is_raised_here_and_changes_nothing(
        answered, tmp_path, monkeypatch):
    before = digest(answered)
    watch_the_second_process(tmp_path / "two", monkeypatch, fault="error")
    on_two_cores(monkeypatch)
    output = invoke(answered, "config", "scheduler", "fsrs", day=6, check_ok=False)
    assert "the store cannot be read here" in output
    assert digest(answered) == before
    assert "sm2" in invoke(answered, "config", "scheduler", day=6)


def test_card_ranges_hold_about_as_many_answers_each_and_every_card_once(answered):
    from flashcards.store import Store

    store = Store.open(answered)
    try:
        ranges = store.answered_card_ranges(3)
        answers = [len(list(store.answers_by_card(r))) for r in ranges]
        every = list(store.answers_by_card())
    finally:
        store.close()
    assert [first for first, _ in ranges[1:]] == [last + 1 for _, last in ranges[:-1]]
    assert sum(answers) == len(every)
    assert len(ranges) == 3 and max(answers) - min(answers) <= len(every) // 3

