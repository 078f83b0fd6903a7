"""A large replay's second process (flashcards/replay_worker.py) as a real process, in
a rebuild and in a change of scheduler: what it imports under the installed command,
Ctrl-C while it works, an error it raises, and a working directory that holds
another `flashcards` folder.

A rebuild takes the second process only past a real size (journal_buckets.BUCKETED_OVER
bytes of journal, three buckets or more), and a monkeypatch does not reach a command
run as a process of its own: the tests that run one write a journal of that size.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from process_helpers import ctrl_c_while_its_child_runs, imports_of_an_installed_run

from flashcards import history_rebuild, journal, journal_buckets, rescheduling
from flashcards.journal import ANSWER, Event
from flashcards.model import FlashcardsError, digest
from flashcards.settings import load_settings
from flashcards.store import ReplayCard, Store

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
CARDS, ANSWERS_EACH = 2_000, 90  # 180k answer lines, some 26 MB: past BUCKETED_OVER
_WORKER = b"flashcards.replay_worker"


def write_large_collection(folder: Path) -> Path:
    """CARDS basic cards in 20 files, and a journal of ANSWERS_EACH answers to each,
    written as this device writes them: a rebuild of it is bucketed, on two cores."""
    for number in range(20):
        text = "".join(f"## Question {card}?\n<!-- id: c{card} -->\n\nAnswer {card}.\n\n"
                       for card in range(number * 100, number * 100 + 100))
        (folder / f"deck{number:02}.md").write_text(text, encoding="utf-8")
    target = folder / journal.FOLDER_NAME / journal.JOURNAL_DIR
    target.mkdir(parents=True)
    guids = ["fc" + digest("id", f"c{card}")[:16] for card in range(CARDS)]  # sync's GUIDs
    with (target / f"desktop-5eed00{journal.SUFFIX}").open("w", encoding="utf-8") as out:
        seq = 0
        for round_ in range(ANSWERS_EACH):
            lines = []
            for card, guid in enumerate(guids):
                seq += 1
                moment = START + timedelta(days=round_ * 4, minutes=card % 600)
                lines.append(f'{{"v":1,"id":"desktop-5eed00-{seq}","type":"answer",'
                             f'"t":"{moment:%Y-%m-%dT%H:%M:%S}.000Z","guid":"{guid}","ord":1,'
                             f'"button":{1 + (card * 7 + round_) % 4},"ms":4000,"off":60}}\n')
            out.write("".join(lines))
    assert journal.new_bytes([target], {}) > journal_buckets.BUCKETED_OVER
    return folder


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("large") / "notes"
    folder.mkdir()
    return write_large_collection(folder)


def _env(db: Path, **more: str) -> dict[str, str]:
    return {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_TZ": "UTC", "NO_COLOR": "1",
            "FLASHCARDS_NOW": (START + timedelta(days=400)).isoformat(), **more}


@pytest.mark.slow
def test_the_second_process_of_the_installed_command_loads_no_command_line(large, tmp_path):
    # pip's console script imports the command line above its __main__ guard; the
    # rebuild's second process must not run it again (as a multiprocessing spawn did).
    out = _one_worker_loads_no_command_line(tmp_path, ["sync", str(large)],
                                            _env(tmp_path / "fc.db"), "flashcards.history_rebuild")
    assert f"{CARDS * ANSWERS_EACH} answers from desktop-5eed00" in out


def _one_worker_loads_no_command_line(tmp_path, args, env, replay_module) -> str:
    """Run ``flashcards ARGS`` through an installed-style script: exactly one other
    process imports ``replay_module``, and it imports no command line. Its output."""
    imports, command, out, err = imports_of_an_installed_run(tmp_path, args, env, timeout=600)
    assert command.returncode == 0, err
    workers = [names for pid, names in imports.items()
               if pid != command.pid and replay_module in names]
    assert len(workers) == 1, sorted(imports)
    assert not {"click", "rich", "flashcards.cli"} & workers[0]
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the worker in /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no second process")
def test_ctrl_c_during_a_large_rebuild_ends_its_second_process(large, tmp_path):
    db = tmp_path / "fc.db"
    ctrl_c_while_its_child_runs(["sync", str(large)], _env(db), _WORKER, wait=120)
    store = Store.open(db, create=False)
    try:
        assert not store.has_reviews()  # nothing written: the rebuild's one transaction
    finally:
        store.close()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no second process")
def test_an_error_in_the_second_process_is_raised_here_with_its_message(tmp_path):
    # Three buckets (SECOND_PROCESS_FROM): the first replayed here, the others by the
    # second process, whose last bucket holds a line of a newer journal format.
    source = tmp_path / "journal" / "dev-1.jsonl"
    source.parent.mkdir()
    answer = Event(ANSWER, "dev-1", 1, START, guid="g0", ord=1, button=3, grade=4).to_line()
    newer = ('{"v":99,"id":"dev-1-2","type":"answer","t":"2025-01-07T08:00:00.000Z",'
             '"guid":"g2","ord":1}\n')
    source.write_text(answer + newer, encoding="utf-8")
    buckets = tmp_path / "buckets"
    buckets.mkdir()
    for bucket, lines in enumerate([b"0:1 " + answer.encode(), b"", b"0:2 " + newer.encode()]):
        (buckets / f"{bucket}.lines").write_bytes(lines)
    reading = journal_buckets.BucketedReading(events=[], offsets={}, folder=buckets,
                                              buckets=3, sources=[(source, 0)])
    assert reading.buckets >= history_rebuild.SECOND_PROCESS_FROM
    cards = {("g0", 1): ReplayCard(1, "g0", 1, "Default", False)}
    with pytest.raises(FlashcardsError) as raised:
        list(history_rebuild.replay_buckets(reading, cards, lambda deck: journal.SM2, "dev-2",
                                            rows=100))
    assert str(raised.value) == (f"{source}:2: written by a newer flashcards "
                                 "(journal format 99); upgrade flashcards")
    # Raised by the second process (not found again here after it died): its traceback
    # comes along as a note.
    assert any("second process" in note for note in raised.value.__notes__)


@pytest.fixture(scope="module")
def large_store(large, tmp_path_factory) -> Path:
    """A store of the large collection, rebuilt from its journal (180k answers): a
    change of scheduler replays its cards on two cores."""
    db = tmp_path_factory.mktemp("large-store") / "fc.db"
    done = subprocess.run([sys.executable, "-m", "flashcards", "sync", str(large)],
                          env=_env(db), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert CARDS * ANSWERS_EACH >= rescheduling.SECOND_PROCESS_FROM
    return db


def _copy_of(db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.db"
    source = Store.open(db, create=False)
    try:
        source.backup_to(copy)
    finally:
        source.close()
    return copy


@pytest.mark.slow
def test_a_switch_of_scheduler_s_second_process_loads_no_command_line(large_store, tmp_path):
    db = _copy_of(large_store, tmp_path)
    out = _one_worker_loads_no_command_line(tmp_path, ["config", "scheduler", "fsrs"], _env(db),
                                            "flashcards.rescheduling")
    assert f"({CARDS} cards rescheduled)" in out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the worker in /proc")
def test_ctrl_c_during_a_large_switch_of_scheduler_ends_its_second_process(large_store,
                                                                           tmp_path):
    db = _copy_of(large_store, tmp_path)
    ctrl_c_while_its_child_runs(["config", "scheduler", "fsrs"], _env(db), _WORKER, wait=120)
    store = Store.open(db, create=False)
    try:
        assert not load_settings(store).uses_fsrs  # the switch's one transaction undone
    finally:
        store.close()
