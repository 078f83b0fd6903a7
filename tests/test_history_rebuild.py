"""A rebuild replays the journal's buckets in a second process while this one writes
them (flashcards/history_rebuild.py): the store must be the one an in-process replay
makes, row for row, and the one a whole read makes, card for card."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from flashcards import history_rebuild, journal_buckets
from tests.test_history import cards, delete_store, invoke
from tests.test_journal_buckets import history_with_every_kind_of_line


def rows(db) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
                for table in ("reviews", "cards")}
    finally:
        conn.close()


@pytest.mark.slow
def test_buckets_replayed_in_a_second_process_give_the_same_store(tmp_path, monkeypatch):
    notes, db = history_with_every_kind_of_line(tmp_path)
    delete_store(db)
    whole_output = invoke(db, "sync", str(notes), day=5)
    whole = cards(db)
    monkeypatch.setattr(journal_buckets, "BUCKETED_OVER", 0)
    monkeypatch.setattr(journal_buckets, "BUCKET_BYTES", 300)  # many buckets
    outputs, stores = [], []
    pristine = shutil.copytree(notes, tmp_path / "pristine")
    for processors in (2, 1):  # a worker process, then every bucket in this one
        monkeypatch.setattr(history_rebuild.os, "cpu_count", lambda n=processors: n)
        delete_store(db)
        # The same journal each time (a sync adds its notes' identities to it).
        shutil.rmtree(notes)
        shutil.copytree(pristine, notes)
        outputs.append(invoke(db, "sync", str(notes), day=5))
        stores.append(rows(db))
        assert cards(db) == whole
    assert outputs[0] == outputs[1] == whole_output
    assert stores[0] == stores[1]
    assert len(stores[0]["reviews"]) > 10
    assert "other-9f9f9f.jsonl:6" in outputs[0]  # a bad line, found in the worker


def test_a_bucket_is_replayed_alike_here_and_in_a_worker(tmp_path):
    """The worker's job is one picklable tuple, and its result the same as here."""
    notes, db = history_with_every_kind_of_line(tmp_path)
    from flashcards.history import History
    from flashcards.store import Store

    delete_store(db)
    invoke(db, "sync", str(notes / "missing"), day=5, check_ok=False)  # an empty store
    store = Store.open(db)
    try:
        history = History.of(store)
        folders = history.folders([str(notes)])
        size = journal_buckets.new_bytes(folders, {})
        found = []
        for parallel in (True, False):
            reading = journal_buckets.read_new_by_card(folders, {}, max(size, 1) * 4 // 1000)
            batches = list(history_rebuild.replay_buckets(
                reading, [], {}, history.device, parallel=parallel))
            found.append([(b.missing, b.answers_from, b.cards, len(b.problems))
                          for b in batches])
        assert found[0] == found[1]
        assert any(missing for missing, *_ in found[0])  # no cards: every note is missing
    finally:
        store.close()
