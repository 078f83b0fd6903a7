"""The settings travel in the journal: `config` lines (format version 4) written by
`flashcards config` and `optimize`, applied by a rebuild before its replay and by a
catch-up from another machine, checked and repaired by the doctor."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flashcards import journal, journal_buckets
from flashcards.changes import configure
from flashcards.journal import CONFIG, Event, events, parse_line
from flashcards.maintenance import check
from flashcards.settings import load_settings, save_setting
from flashcards.store import Store
from tests.test_history import (
    DAY1,
    cards,
    delete_store,
    invoke,
    review,
    share,
    two_machines,
    write_notes,
)


def synced(tmp_path: Path) -> tuple[Path, Path]:
    notes, db = write_notes(tmp_path / "notes"), tmp_path / "data" / "fc.db"
    invoke(db, "sync", str(notes))
    return notes, db


def config_lines(folder: Path) -> list[dict]:
    lines = []
    for path in journal.journal_files(folder):
        for line in path.read_text(encoding="utf-8").splitlines():
            if '"type":"config"' in line:
                lines.append(json.loads(line))
    return lines


def journals(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*.jsonl")}


def test_a_config_line_is_of_version_4_and_reads_back_as_written():
    event = Event(CONFIG, "laptop-3f2a1c", 7, datetime(2026, 1, 5, 9, tzinfo=UTC),
                  setting=("learning_steps", "1m 10m"))
    line = event.to_line()
    assert json.loads(line) == {"v": 4, "id": "laptop-3f2a1c-7", "type": "config",
                                "t": "2026-01-05T09:00:00.000Z", "key": "learning_steps",
                                "value": "1m 10m"}
    assert parse_line(line) == event


def test_config_writes_a_line_to_every_journal_the_store_writes(tmp_path):
    notes, db = synced(tmp_path)
    assert "scheduler = fsrs" in invoke(db, "config", "scheduler", "fsrs", day=1)
    for folder in (journal.folder_of_root(notes), db.parent / journal.JOURNAL_DIR):
        lines = config_lines(folder)
        assert [(line["key"], line["value"], line["v"]) for line in lines] == \
            [("scheduler", "fsrs", 4)], folder
    # One event: the same id in both, so a reader that sees both counts it once.
    assert config_lines(journal.folder_of_root(notes))[0]["id"] == \
        config_lines(db.parent / journal.JOURNAL_DIR)[0]["id"]


def test_a_reader_of_version_3_stops_at_a_config_line_asking_for_an_upgrade(
        tmp_path, monkeypatch):
    notes, db = synced(tmp_path)
    invoke(db, "config", "new_per_day", "7", day=1)
    monkeypatch.setattr(events, "NEWEST_VERSION", events.RESET_VERSION)  # the reader before
    output = invoke(tmp_path / "other" / "fc.db", "sync", str(notes), day=1, check_ok=False)
    assert ".jsonl:" in output
    assert "written by a newer flashcards (journal format 4); upgrade flashcards" in output
    assert "Traceback" not in output


@pytest.mark.slow
@pytest.mark.parametrize("bucketed", [False, True])
def test_a_rebuilt_store_keeps_fsrs_its_settings_and_fitted_parameters(
        tmp_path, monkeypatch, bucketed):
    from flashcards.fitting_report import save_parameters

    notes, db = synced(tmp_path)
    rng = random.Random(3)
    for day in range(4):
        review(db, day, rng)
    invoke(db, "config", "scheduler", "fsrs", day=4)
    invoke(db, "config", "desired_retention", "0.85", day=4)
    invoke(db, "config", "learning_steps", "2m 20m", day=4)
    invoke(db, "config", "new_per_day", "3", day=4)
    store = Store.open(db)
    fitted = [0.5, 1.4, 3.1, 15.0, 7.1, 0.5, 1.6, 0.02, 1.5, 0.15, 1.0, 1.9, 0.1, 0.3, 2.3,
              0.2, 3.0, 0.5, 0.3, 0.1, 0.5]
    assert save_parameters(store, fitted, None, now=DAY1) > 0  # FSRS: every card replayed
    store.close()
    review(db, 5, rng)
    before = cards(db)
    assert any(row.get("stability") for row in before)
    written = journals(tmp_path)

    if bucketed:  # the rebuild reads the journal in buckets (config lines name no card)
        monkeypatch.setattr(journal_buckets, "BUCKETED_OVER", 0)
    delete_store(db)
    invoke(db, "sync", str(notes), day=6)

    assert cards(db) == before
    assert invoke(db, "config", "learning_steps").strip() == "2m 20m"
    assert invoke(db, "config", "new_per_day").strip() == "3"
    assert journals(tmp_path) == written  # the journal said it all: no line added
    store = Store.open(db)
    assert list(check(store, zone=UTC)) == []
    store.close()
    # From the notes folder alone (another machine, a lost data folder): the same.
    other = tmp_path / "elsewhere" / "fc.db"
    invoke(other, "sync", str(notes), day=6)
    assert cards(other) == before


@pytest.mark.slow
def test_two_machines_end_on_the_same_scheduler_and_schedules(tmp_path):
    laptop, desktop, laptop_db, desktop_db = two_machines(tmp_path)
    rng = random.Random(11)
    invoke(laptop_db, "sync", str(laptop))
    invoke(desktop_db, "sync", str(desktop))
    review(laptop_db, 0, rng)
    review(desktop_db, 1, rng)

    invoke(laptop_db, "config", "scheduler", "fsrs", day=2)
    invoke(laptop_db, "config", "fuzz", "false", day=2)
    review(laptop_db, 2, rng)
    share(laptop, "laptop on fsrs")
    share(desktop, "desktop day 1")
    share(laptop, "laptop pull")
    out = invoke(desktop_db, "sync", day=3)
    device = (tmp_path / "laptop-data" / "fc.db.device").read_text().strip()
    assert f"scheduler set to fsrs by {device}" in out
    assert invoke(desktop_db, "config", "fuzz", day=3).strip() == "false"
    invoke(laptop_db, "sync", day=3)

    on_laptop, on_desktop = cards(laptop_db), cards(desktop_db)
    assert on_laptop == on_desktop
    assert any(row.get("stability") for row in on_laptop)
    for db in (laptop_db, desktop_db):
        store = Store.open(db)
        assert list(check(store, zone=UTC)) == []
        store.close()


def test_the_doctor_finds_and_fixes_settings_that_differ_from_the_journal(tmp_path):
    notes, db = synced(tmp_path)
    invoke(db, "config", "scheduler", "fsrs", day=1)
    store = Store.open(db)
    save_setting(store, "scheduler", "sm2")    # the store alone: not what the journal says
    save_setting(store, "new_per_day", "9")    # the store alone: the journal lacks it
    messages = [f.message for f in check(store, zone=UTC)]
    store.close()
    assert any("scheduler" in m and "sm2" in m and "fsrs" in m for m in messages), messages
    assert any("new_per_day" in m and "not in the journal" in m for m in messages), messages

    output = invoke(db, "doctor", "--fix", day=1)
    assert "fixed:" in output and "remain" not in output, output
    store = Store.open(db)
    assert (load_settings(store).scheduler, load_settings(store).new_per_day) == ("fsrs", 9)
    assert list(check(store, zone=UTC)) == []
    store.close()
    assert ("new_per_day", "9") in [(line["key"], line["value"])
                                    for line in config_lines(journal.folder_of_root(notes))]


def test_a_bad_config_line_is_a_warning_and_the_others_still_count(tmp_path):
    notes, db = synced(tmp_path)
    invoke(db, "config", "new_per_day", "7", day=1)
    folder = journal.folder_of_root(notes)
    with (folder / "other-9f9f9f.jsonl").open("a") as handle:
        handle.write('{"v":4,"id":"other-9f9f9f-1","type":"config",'
                     '"t":"2026-01-06T09:00:00.000Z","key":"scheduler"}\n')  # no value
        handle.write('{"v":4,"id":"other-9f9f9f-2","type":"config",'
                     '"t":"2026-01-06T09:00:01.000Z","key":"scheduler","value":"turbo"}\n')
        handle.write('{"v":4,"id":"other-9f9f9f-3","type":"config","t":"2026-01-0')  # torn
    output = invoke(db, "sync", day=2)
    assert "other-9f9f9f.jsonl:1" in output and "journal line skipped" in output, output
    assert "other-9f9f9f-2" in output and "turbo" in output, output
    assert "Traceback" not in output
    assert invoke(db, "config", "scheduler", day=2).strip() == "sm2"
    delete_store(db)
    invoke(db, "sync", str(notes), day=2)
    assert invoke(db, "config", "new_per_day", day=2).strip() == "7"


def test_a_store_with_settings_from_before_writes_them_to_the_journal_once(tmp_path):
    notes, db = synced(tmp_path)
    store = Store.open(db)
    # As an older flashcards left it: settings in the store, none in the journal.
    save_setting(store, "new_per_day", "4")
    save_setting(store, "leech_threshold", "5")
    store.conn.execute("DELETE FROM meta WHERE key LIKE 'journal.settings%'")
    store.close()
    invoke(db, "sync", day=1)
    lines = config_lines(journal.folder_of_root(notes))
    assert sorted((line["key"], line["value"]) for line in lines) == \
        [("leech_threshold", "5"), ("new_per_day", "4")]
    written = journals(tmp_path)
    invoke(db, "sync", day=2)
    assert journals(tmp_path) == written  # once
    delete_store(db)
    invoke(db, "sync", str(notes), day=2)
    assert invoke(db, "config", "new_per_day", day=2).strip() == "4"
    assert invoke(db, "config", "leech_threshold", day=2).strip() == "5"


def test_a_settings_change_before_the_first_sync_of_a_rebuilt_store_loses_no_answer(tmp_path):
    """A new store's first event takes a sequence number past those its device wrote
    before (the device id survives the store): no line of it is taken for another."""
    notes, db = synced(tmp_path)
    rng = random.Random(2)
    review(db, 0, rng)
    before = cards(db)
    delete_store(db)
    store = Store.open(db)  # set before the first sync, as docs/scheduler.md allows
    configure(store, "reviews_per_day", "150", now=DAY1 + timedelta(days=1))
    store.close()
    invoke(db, "sync", str(notes), day=1)
    assert cards(db) == before
    assert invoke(db, "config", "reviews_per_day", day=1).strip() == "150"
    lines: dict[str, set[str]] = {}
    for path in journals(tmp_path):
        for line in path.read_text(encoding="utf-8").splitlines():
            lines.setdefault(json.loads(line)["id"], set()).add(line)
    assert all(len(same) == 1 for same in lines.values())  # one id, one event


def test_a_folder_synced_again_gets_the_settings_changed_while_it_was_forgotten(tmp_path):
    notes, db = synced(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "extra.md").write_text("---\ndeck: Extra\n---\n\n## Why?\n\nBecause.\n")
    invoke(db, "sync", str(other), day=1)
    invoke(db, "sync", "--forget", str(other), day=1)
    invoke(db, "config", "new_per_day", "5", day=2)
    invoke(db, "sync", day=2)  # its own lines read back: nothing more to do then
    assert config_lines(journal.folder_of_root(other)) == []
    invoke(db, "sync", str(other), day=3)
    elsewhere = tmp_path / "elsewhere" / "fc.db"  # a store from that folder alone
    invoke(elsewhere, "sync", str(other), day=3)
    assert invoke(elsewhere, "config", "new_per_day", day=3).strip() == "5"
