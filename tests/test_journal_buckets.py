"""A rebuild from a large journal reads it in buckets by card: the same store, warnings
and refusals as reading it whole (flashcards/journal_buckets.py).

The size above which a read goes to buckets is set to nothing here, so a small
journal takes that path; everything else is the real CLI on real files.
"""

from __future__ import annotations

import json
import os
import random
from datetime import timedelta

import pytest
from process_helpers import hook_every_child

from flashcards import history_rebuild, journal, journal_buckets
from flashcards.journal import ANSWER, SUSPEND, UNDO, Event
from tests.test_history import DAY1, cards, delete_store, invoke, review, write_notes


def history_with_every_kind_of_line(tmp_path):
    notes, db = write_notes(tmp_path / "notes"), tmp_path / "data" / "fc.db"
    invoke(db, "sync", str(notes))
    rng = random.Random(3)
    for day in range(3):
        review(db, day, rng)
    folder = notes / ".flashcards" / "journal"
    own = next(folder.glob("*.jsonl"))
    first = next(record for record in map(json.loads, own.read_text().splitlines())
                 if record["type"] == ANSWER)
    guid, ord_ = first["guid"], first["ord"]
    other = folder / "other-9f9f9f.jsonl"
    at = DAY1 + timedelta(days=3, hours=1)
    lines = [
        Event(ANSWER, "other-9f9f9f", 1, at, guid=guid, ord=ord_, button=1, grade=1,
              duration_ms=900, utc_offset_minutes=0, day_start_hour=4).to_line(),
        Event(ANSWER, "other-9f9f9f", 2, at + timedelta(minutes=1), guid=guid, ord=ord_,
              button=4, grade=5, utc_offset_minutes=0, day_start_hour=4).to_line(),
        # an undo without the card's GUID: it finds its answer by its id alone
        Event(UNDO, "other-9f9f9f", 3, at + timedelta(minutes=2),
              ref="other-9f9f9f-2").to_line(),
        Event(SUSPEND, "other-9f9f9f", 4, at + timedelta(minutes=3), guid=guid,
              ord=ord_).to_line(),
        # another tool's spelling: spaces, keys in another order
        json.dumps({"type": "answer", "v": 1, "id": "other-9f9f9f-5", "guid": guid,
                    "ord": ord_, "t": (at + timedelta(days=1)).isoformat(), "button": 3,
                    "off": 0}) + "\n",
        "<<<<<<< HEAD\n",
    ]
    other.write_text("".join(lines), encoding="utf-8")
    return notes, db


@pytest.mark.slow
def test_a_rebuild_read_in_buckets_gives_the_store_a_whole_read_gives(tmp_path, monkeypatch):
    notes, db = history_with_every_kind_of_line(tmp_path)
    delete_store(db)
    whole_output = invoke(db, "sync", str(notes), day=5)
    whole = cards(db)

    monkeypatch.setattr(journal_buckets, "BUCKETED_OVER", 0)
    monkeypatch.setattr(journal_buckets, "BUCKET_BYTES", 300)  # many buckets
    delete_store(db)
    bucketed_output = invoke(db, "sync", str(notes), day=5)
    assert cards(db) == whole
    assert bucketed_output == whole_output
    assert "other-9f9f9f.jsonl:6" in bucketed_output  # the bad line, by file and line


@pytest.mark.slow
def test_a_newer_line_in_a_bucketed_read_stops_before_anything_changes(tmp_path, monkeypatch):
    notes, db = history_with_every_kind_of_line(tmp_path)
    with (notes / ".flashcards" / "journal" / "other-9f9f9f.jsonl").open("a") as handle:
        newer = journal.NEWEST_VERSION + 1  # a format this version does not know yet
        handle.write(f'{{"v":{newer},"id":"other-9f9f9f-6","type":"answer",'
                     '"t":"2026-01-09T09:00:00Z"}\n')
    monkeypatch.setattr(journal_buckets, "BUCKETED_OVER", 0)
    delete_store(db)
    output = invoke(db, "sync", str(notes), day=5, check_ok=False)
    assert "other-9f9f9f.jsonl:7" in output and "upgrade flashcards" in output


def rebuild_in_buckets(notes, db, monkeypatch, *, second_from: int) -> tuple[str, list]:
    monkeypatch.setattr(journal_buckets, "BUCKETED_OVER", 0)
    monkeypatch.setattr(journal_buckets, "BUCKET_BYTES", 300)  # many buckets
    monkeypatch.setattr(history_rebuild, "SECOND_PROCESS_FROM", second_from)
    delete_store(db)
    return invoke(db, "sync", str(notes), day=5), cards(db)


def with_a_bad_line_in_a_bucket(notes):
    """A line that goes to its card's bucket but does not parse there (no button)."""
    folder = notes / ".flashcards" / "journal"
    guid = json.loads((folder / "other-9f9f9f.jsonl").read_text().splitlines()[0])["guid"]
    with (folder / "other-9f9f9f.jsonl").open("a") as handle:
        handle.write(f'{{"v":1,"id":"other-9f9f9f-7","type":"answer",'
                     f'"t":"2026-01-09T09:00:00.000Z","guid":"{guid}","ord":1}}\n')


# Run by the rebuild's second process at its start (PYTHONPATH): each bucket file it
# reads, a line in a file named after its process id; with KILL_AT_BUCKET, a SIGKILL
# as it begins its first bucket, or the last that holds lines (so a card's answers are
# left to replay; each bucket before has its frame written).
_WATCH_BUCKETS = """
import os, signal, sys

def _watch(event, args):
    if event != "open" or not isinstance(args[0], (str, os.PathLike)) \
            or "r" not in (args[1] or ""):  # os.open's event has no mode
        return
    folder, name = os.path.split(os.fspath(args[0]))
    if not name.endswith(".lines"):
        return
    bucket, kill = int(name.split(".")[0]), os.environ.get("KILL_AT_BUCKET")
    last = max(int(other.split(".")[0]) for other in os.listdir(folder)
               if other.endswith(".lines") and os.path.getsize(os.path.join(folder, other)))
    dies = kill == "first" or (kill == "last" and bucket == last)
    with open(os.path.join(os.environ["RECORDS_IN"], str(os.getpid())), "a") as out:
        out.write(("killed at " if dies else "") + f"{bucket}\\n")
    if dies:
        os.kill(os.getpid(), signal.SIGKILL)  # as if killed, or out of memory

sys.addaudithook(_watch)
"""


def watch_the_second_process(folder, monkeypatch, kill_at: str | None = None):
    """The bucket files each second process reads from now on (the real process,
    found by no mock: it runs _WATCH_BUCKETS), by its pid; ``kill_at`` kills it."""
    return hook_every_child(folder, monkeypatch, _WATCH_BUCKETS,
                            **({"KILL_AT_BUCKET": kill_at} if kill_at else {}))


@pytest.mark.slow
def test_a_rebuild_on_two_cores_gives_what_one_gives(tmp_path, monkeypatch):
    notes, db = history_with_every_kind_of_line(tmp_path)
    with_a_bad_line_in_a_bucket(notes)
    one_output, one = rebuild_in_buckets(notes, db, monkeypatch, second_from=10**6)

    reads = watch_the_second_process(tmp_path / "two", monkeypatch)
    monkeypatch.setattr(history_rebuild, "OWN_SHARE", 0.1)  # most buckets to the second
    two_output, two = rebuild_in_buckets(notes, db, monkeypatch, second_from=1)
    [(pid, buckets)] = reads().items()  # one second process, which read its buckets
    assert pid != os.getpid() and len(buckets) > 1
    assert two == one
    assert two_output == one_output
    assert "other-9f9f9f.jsonl:7" in two_output  # the bad line, from whichever process


@pytest.mark.slow
def test_a_second_process_that_dies_leaves_its_buckets_to_the_first(tmp_path, monkeypatch):
    notes, db = history_with_every_kind_of_line(tmp_path)
    one_output, one = rebuild_in_buckets(notes, db, monkeypatch, second_from=10**6)

    for death in ("first", "last"):  # at once; before its last bucket of answers
        reads = watch_the_second_process(tmp_path / death, monkeypatch, kill_at=death)
        two_output, two = rebuild_in_buckets(notes, db, monkeypatch, second_from=1)
        [buckets] = reads().values()
        assert buckets[-1].startswith("killed at"), death  # it died where it was meant to
        assert len(buckets) > 1 if death == "last" else len(buckets) == 1
        assert two == one, death
        assert two_output == one_output


@pytest.mark.slow
def test_a_rebuild_from_a_folder_that_holds_a_flashcards_folder_uses_two_cores(
        tmp_path, monkeypatch):
    # A package named flashcards in the working directory (another checkout, say) must
    # not stand in for this one in the second process (it would die, and this one
    # would replay every bucket alone).
    notes, db = history_with_every_kind_of_line(tmp_path)
    one_output, one = rebuild_in_buckets(notes, db, monkeypatch, second_from=10**6)
    other = tmp_path / "here" / "flashcards"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("raise ImportError('not this flashcards')\n")
    monkeypatch.chdir(tmp_path / "here")
    reads = watch_the_second_process(tmp_path / "two", monkeypatch)
    two_output, two = rebuild_in_buckets(notes, db, monkeypatch, second_from=1)
    [buckets] = reads().values()
    assert buckets and not any(read.startswith("killed") for read in buckets)
    assert (two_output, two) == (one_output, one)


def test_the_buckets_hold_each_card_whole_with_the_same_events_problems_and_offsets(
        tmp_path, monkeypatch):
    from flashcards import journal

    monkeypatch.setattr(journal_buckets, "BUCKET_BYTES", 1000)
    folder = tmp_path / "journal"
    folder.mkdir()
    lines = []
    for seq in range(1, 60):
        lines.append(Event(ANSWER, "dev-1", seq, DAY1 + timedelta(hours=seq), guid=f"g{seq % 7}",
                           ord=1 + seq % 2, button=3, grade=4, utc_offset_minutes=60,
                           day_start_hour=4).to_line())
    lines.insert(10, "not json\n")
    lines.append(Event(UNDO, "dev-1", 60, DAY1, guid="g3", ord=2, ref="dev-1-3").to_line())
    lines.append(Event(UNDO, "dev-1", 61, DAY1, ref="dev-1-4").to_line())  # names no card
    (folder / "dev-1.jsonl").write_text("".join(lines) + '{"v":1,"torn', encoding="utf-8")
    whole = journal.read_new([folder], {})
    bucketed = journal_buckets.read_new_by_card([folder], {}, total=8000)  # eight buckets

    assert bucketed.buckets > 1
    assert bucketed.offsets == whole.offsets
    batches = list(bucketed.batches())
    assert [(p.path, p.line) for p in bucketed.problems] == \
        [(p.path, p.line) for p in whole.problems] == [(str(folder / "dev-1.jsonl"), 11)]
    expected = {key: journal.replay(events)
                for key, events in journal.by_card(whole.events).items()}
    found = {}
    for events in batches:
        for key, card_events in journal.by_card(events).items():
            assert key not in found, "a card's events in two buckets"
            found[key] = journal.replay(card_events)
    assert found == expected
    assert bucketed.max_seq("dev-1") == whole.max_seq("dev-1") == 61


def test_bucket_folders_of_a_killed_rebuild_are_removed_by_the_next(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead = tmp_path / f"flashcards-journal-{finished.stdout.strip()}-abc"
    alive = tmp_path / f"flashcards-journal-{os.getpid()}-def"  # another read, running
    other = tmp_path / "flashcards-journal-notapid-x"
    for folder in (dead, alive, other):
        folder.mkdir()
        (folder / "0.lines").write_bytes(b"x")
    journal_folder = tmp_path / "journal"
    journal_folder.mkdir()
    (journal_folder / "dev-1.jsonl").write_text(
        Event(ANSWER, "dev-1", 1, DAY1, guid="g", ord=1, button=3, grade=4).to_line())
    reading = journal_buckets.read_new_by_card([journal_folder], {}, total=100)
    assert not dead.exists() and alive.exists() and other.exists()
    assert [e.seq for events in reading.batches() for e in events] == [1]
