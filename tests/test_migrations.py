"""Every schema version that ever shipped opens with the current code, data intact.

tests/fixtures/schema-vN.db is a store written by version N of the code
(scripts/make_fixture_db.py). A new schema version adds a migration in
flashcards/store/migrations.py, the same change to schema.sql, and a fixture
here; these tests then cover the upgrade from every older one.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
import sqlite_utils
from store_helpers import copy_fixture

from flashcards.maintenance import doctor
from flashcards.model import FlashcardsError
from flashcards.store import SCHEMA_VERSION, Store
from flashcards.store import migrations as store_module

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime.fromisoformat("2026-01-05T10:00:00+00:00")
BACKUP_NAME = re.compile(r"^store\.db\.v(\d+)-\d{8}T\d{6}\.bak$")


def fixture_dbs() -> list[Path]:
    return sorted(FIXTURES.glob("schema-v*.db"), key=lambda p: int(p.stem.split("-v")[1]))


def raw(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


SNAPSHOT = {
    "notes": "SELECT guid, kind, question, answer, tags, modified FROM notes ORDER BY id",
    "cards": "SELECT id, note_id, ord, repetitions, easiness, interval, due, lapses FROM cards "
             "ORDER BY id",
    "reviews": "SELECT id, card_id, reviewed_at, grade, scheduled, due_after FROM reviews "
               "ORDER BY id",
    "decks": "SELECT name, description FROM decks ORDER BY id",
}


def snapshot(path: Path) -> dict[str, list[tuple]]:
    return {name: raw(path, sql) for name, sql in SNAPSHOT.items()}


def version_of(path: Path) -> int:
    return int(raw(path, "SELECT value FROM meta WHERE key = 'schema_version'")[0][0])


def test_there_is_a_fixture_for_every_version_up_to_the_current_one():
    versions = [version_of(path) for path in fixture_dbs()]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


@pytest.mark.parametrize("fixture", fixture_dbs(), ids=lambda p: p.stem)
def test_fixture_opens_with_current_code_and_keeps_its_data(tmp_path, fixture):
    db = tmp_path / "store.db"
    copy_fixture(fixture.name, db)
    before = snapshot(db)
    assert before["reviews"] and before["cards"], "the fixture should hold reviewed cards"
    old_version = version_of(db)

    store = Store.open(db)
    assert store.version == SCHEMA_VERSION
    report = doctor(store, now=NOW)
    store.close()

    assert snapshot(db) == before
    assert report.findings == [], [f.message for f in report.findings]
    backups = [p.name for p in tmp_path.iterdir() if BACKUP_NAME.match(p.name)]
    if old_version < SCHEMA_VERSION:
        assert len(backups) == 1 and BACKUP_NAME.match(backups[0])[1] == str(old_version)
        assert snapshot(tmp_path / backups[0]) == before
    else:
        assert backups == []


NEXT = SCHEMA_VERSION + 1


@pytest.fixture
def next_version(monkeypatch):
    """Pretend the code has moved on to the next schema version with this migration."""
    calls = []

    def add_column(db):
        calls.append(db)
        db.execute("ALTER TABLE cards ADD COLUMN pretend_next INTEGER NOT NULL DEFAULT 0")

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", NEXT)
    monkeypatch.setitem(store_module.MIGRATIONS, NEXT, add_column)
    return calls


def copy_latest(tmp_path: Path) -> Path:
    """A store of the current schema version, the one the next version upgrades."""
    db = tmp_path / "store.db"
    copy_fixture(f"schema-v{SCHEMA_VERSION}.db", db)
    return db


def test_upgrade_copies_the_database_to_a_timestamped_backup_first(tmp_path, next_version):
    db = copy_latest(tmp_path)
    before = snapshot(db)

    Store.open(db).close()

    assert next_version, "the migration ran"
    assert version_of(db) == NEXT
    assert raw(db, "SELECT count(*) FROM cards WHERE pretend_next = 0") == [(len(before["cards"]),)]
    (backup,) = [p for p in tmp_path.iterdir() if p.name.endswith(".bak")]
    assert BACKUP_NAME.match(backup.name)[1] == str(SCHEMA_VERSION)
    assert version_of(backup) == SCHEMA_VERSION
    assert snapshot(backup) == before
    assert not Path(f"{backup}-wal").exists()


def test_opening_an_upgraded_store_again_neither_migrates_nor_backs_up(tmp_path, next_version):
    db = copy_latest(tmp_path)
    Store.open(db).close()
    Store.open(db).close()
    assert len(next_version) == 1
    assert len(list(tmp_path.glob("*.bak"))) == 1


def test_a_failing_migration_changes_nothing_and_keeps_the_backup(tmp_path, monkeypatch):
    def half_done(db):
        db.execute("ALTER TABLE cards ADD COLUMN pretend_next INTEGER")
        db.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", NEXT)
    monkeypatch.setitem(store_module.MIGRATIONS, NEXT, half_done)
    db = copy_latest(tmp_path)
    before = snapshot(db)

    with pytest.raises(FlashcardsError, match="cannot open the database"):
        Store.open(db)

    assert version_of(db) == SCHEMA_VERSION
    assert "pretend_next" not in [row[1] for row in raw(db, "PRAGMA table_info(cards)")]
    assert snapshot(db) == before
    assert len(list(tmp_path.glob(f"store.db.v{SCHEMA_VERSION}-*.bak"))) == 1


def test_a_new_store_is_created_without_a_backup(tmp_path):
    Store.open(tmp_path / "store.db").close()
    assert version_of(tmp_path / "store.db") == SCHEMA_VERSION
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) \
        == ["store.db"]


def test_a_store_from_a_newer_version_is_refused_untouched(tmp_path):
    db = copy_latest(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(FlashcardsError, match="newer flashcards"):
        Store.open(db)
    assert version_of(db) == 99
    assert list(tmp_path.glob("*.bak")) == []


def test_migration_backup_names_use_utc():
    moment = datetime.fromisoformat("2026-01-05T11:00:00+01:00")
    name = store_module.backup_path(Path("/x/flashcards.db"), "v1", moment).name
    assert name == "flashcards.db.v1-20260105T100000.bak"


def schema_of(path: Path) -> dict[str, tuple]:
    """Every table's columns, foreign keys and indexes, and every trigger's text, as
    SQLite reports them."""
    conn = sqlite3.connect(path)
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        triggers = conn.execute("SELECT name, tbl_name, sql FROM sqlite_master "
                                "WHERE type = 'trigger' ORDER BY name").fetchall()
        return {"triggers": triggers} | {table: (
            conn.execute(f"PRAGMA table_xinfo({table})").fetchall(),
            conn.execute(f"PRAGMA foreign_key_list({table})").fetchall(),
            sorted((index[1], index[2], tuple(conn.execute(
                f"PRAGMA index_info({index[1]})").fetchall()))
                for index in conn.execute(f"PRAGMA index_list({table})")),
        ) for table in tables}
    finally:
        conn.close()


def test_a_new_store_has_the_schema_the_migrations_build(tmp_path):
    # A new file gets schema.sql in one go; the same file built by running every
    # migration from version 0 must have the same tables, columns, keys and indexes.
    fresh = Store.open(tmp_path / "fresh.db")
    fresh.close()
    migrated_path = tmp_path / "migrated.db"
    migrated = Store(sqlite3.connect(migrated_path, isolation_level=None), migrated_path)
    with migrated.transaction():
        db = sqlite_utils.Database(migrated.conn)
        for version in range(1, SCHEMA_VERSION + 1):
            store_module.MIGRATIONS[version](db)
    migrated.close()
    assert schema_of(tmp_path / "fresh.db") == schema_of(migrated_path)
    assert version_of(tmp_path / "fresh.db") == SCHEMA_VERSION


def test_an_upgraded_store_keeps_the_button_each_old_grade_came_from(tmp_path):
    db = tmp_path / "store.db"
    copy_fixture("schema-v2.db", db)
    Store.open(db).close()
    pairs = set(raw(db, "SELECT grade, button FROM reviews"))
    assert pairs and all(button == {1: 1, 3: 2, 4: 3, 5: 4}.get(grade) for grade, button in pairs)


def test_an_upgraded_store_has_no_card_flagged(tmp_path):
    db = tmp_path / "store.db"
    copy_fixture("schema-v3.db", db)
    Store.open(db).close()
    assert raw(db, "SELECT count(*), sum(flagged) FROM cards")[0][1] == 0
    assert version_of(db) == SCHEMA_VERSION
