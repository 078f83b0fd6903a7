"""Schema versions: the schema of a new store, and the steps that upgrade an old one.

A new file gets ``schema.sql`` in one go. A file of an older version gets the
missing steps of ``MIGRATIONS``, in order, in one transaction, after a backup.
Never edit a shipped step: a new version adds a step here, the same change to
``schema.sql``, and ``tests/fixtures/schema-vN.db`` (scripts/make_fixture_db.py);
tests/test_migrations.py checks that both paths give the same schema and that
every fixture opens with its data intact. The only sqlite-utils owner: its
table helpers do the schema work of the steps.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from flashcards.model import FlashcardsError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import sqlite_utils

SCHEMA_VERSION = 5


def _create_v1(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["roots"].create({"path": str}, pk="path")
    db["sources"].create({"path": str, "root": str, "hash": str}, pk="path")
    db["decks"].create({"id": int, "name": str, "description": str}, pk="id")
    db["decks"].create_index(["name"], unique=True)
    db["notes"].create(
        {
            "id": int, "guid": str, "explicit_id": str, "kind": str, "deck_id": int,
            "path": str, "line": int, "question": str, "answer": str, "tags": str,
            "question_hash": str, "answer_hash": str, "content_hash": str,
            "modified": int, "orphaned": int,
        },
        pk="id",
        foreign_keys=[("deck_id", "decks", "id")],
        not_null={"guid", "kind", "deck_id", "question", "answer", "modified", "orphaned"},
    )
    db["notes"].create_index(["guid"], unique=True)
    db["notes"].create_index(["explicit_id"], unique=True)
    db["notes"].create_index(["path"])
    db["cards"].create(
        {
            "id": int, "note_id": int, "ord": int, "suspended": int, "orphaned": int,
            "repetitions": int, "easiness": float, "interval": int, "due": str,
            "lapses": int,
        },
        pk="id",
        foreign_keys=[("note_id", "notes", "id")],
        not_null={"note_id", "ord", "suspended", "orphaned", "repetitions", "easiness",
                  "interval", "lapses"},
        defaults={"suspended": 0, "orphaned": 0, "repetitions": 0, "easiness": 2.5,
                  "interval": 0, "lapses": 0},
    )
    db["cards"].create_index(["note_id", "ord"], unique=True)
    db["cards"].create_index(["orphaned", "suspended", "due"])
    db["reviews"].create(
        {
            "id": int, "card_id": int, "reviewed_at": str, "grade": int, "duration_ms": int,
            "scheduled": int,
            "repetitions_before": int, "easiness_before": float, "interval_before": int,
            "due_before": str,
            "repetitions_after": int, "easiness_after": float, "interval_after": int,
            "due_after": str,
        },
        pk="id",
        foreign_keys=[("card_id", "cards", "id")],
        not_null={"card_id", "reviewed_at", "grade", "scheduled"},
    )
    db["reviews"].create_index(["card_id"])
    db["reviews"].create_index(["reviewed_at"])


def _v1_to_v2(db: sqlite_utils.Database) -> None:
    """Version 2: a cache of rendered card HTML, so exports render only what changed."""
    db["rendered"].create({"key": str, "html": str}, pk="key", not_null={"html"})


# The buttons 1-4 gave these SM-2 grades before version 3 recorded the button.
_BUTTON_OF_GRADE = {1: 1, 3: 2, 4: 3, 5: 4}


def _v2_to_v3(db: sqlite_utils.Database) -> None:
    """Version 3: each review keeps what replaying it elsewhere needs (ReviewRecord).

    The button pressed, and the UTC offset and day-start hour in force. Older
    rows get the button their grade came from (NULL for grades 0 and 2, which
    only the full scale gives); their offset and hour were not recorded.
    """
    for column in ("button", "utc_offset_minutes", "day_start_hour"):
        db["reviews"].add_column(column, int)
    for grade, button in _BUTTON_OF_GRADE.items():
        db.execute("UPDATE reviews SET button = ? WHERE grade = ?", [button, grade])


def _v3_to_v4(db: sqlite_utils.Database) -> None:
    """Version 4: each review names its line in the journal (docs/journal.md).

    Older rows get ids of a device of their own (``before-journal-<row id>``:
    the row ids are their sequence); ``journal.export_pending`` asks the next sync or review to
    write them, with the suspended cards and the notes' identities, to the journal.
    """
    db["reviews"].add_column("event_id", str)
    db.execute("UPDATE reviews SET event_id = ? || '-' || id", [LEGACY_DEVICE])
    db["reviews"].create_index(["event_id"], unique=True)
    db.execute("INSERT INTO meta (key, value) VALUES ('journal.export_pending', '1') "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value")


# Reviews written before the journal: a device name no machine takes.
LEGACY_DEVICE = "before-journal"


def _v4_to_v5(db: sqlite_utils.Database) -> None:
    """Version 5: a card can be flagged in the review (`f`) to be fixed later."""
    db["cards"].add_column("flagged", int, not_null_default=0)


MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _create_v1, 2: _v1_to_v2, 3: _v2_to_v3, 4: _v3_to_v4, 5: _v4_to_v5,
}


class Migratable(Protocol):
    conn: sqlite3.Connection
    path: Path

    def transaction(self) -> AbstractContextManager[None]: ...

    def backup_to(self, target: Path) -> None: ...


def backup_path(db_path: Path, label: str, moment: datetime) -> Path:
    """``flashcards.db.<label>-20260105T100000.bak`` beside the store, in UTC; a
    second backup in the same second gets ``-2``, ``-3``...: none is overwritten."""
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    target = db_path.with_name(f"{db_path.name}.{label}-{stamp}.bak")
    counter = 2
    while target.exists():
        target = db_path.with_name(f"{db_path.name}.{label}-{stamp}-{counter}.bak")
        counter += 1
    return target


def version(conn: sqlite3.Connection) -> int:
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                    "AND name = 'meta'").fetchone() is None:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def upgrade(store: Migratable, *, now: datetime) -> None:
    """Bring the store to SCHEMA_VERSION: a new file in one go, an old one step by step.

    ``now`` names the backup taken before upgrading (the store's only clock read,
    passed by ``Store.open``: a file name, never data).
    """
    current = version(store.conn)
    if current > SCHEMA_VERSION:
        raise FlashcardsError(
            f"{store.path} was written by a newer flashcards (schema {current}); upgrade")
    if current == SCHEMA_VERSION:
        return
    if current >= 1:
        store.backup_to(backup_path(store.path, f"v{current}", now))
    with store.transaction():
        # Another process may have created or upgraded the file since we looked.
        if version(store.conn) == 0:
            for statement in schema_statements():
                store.conn.execute(statement)
            _set_version(store.conn, SCHEMA_VERSION)
            return
        db = _sqlite_utils_database(store.conn)
        for step in range(version(store.conn) + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[step](db)
            _set_version(store.conn, step)


@cache
def schema_statements() -> tuple[str, ...]:
    """schema.sql as single statements.

    Not ``executescript``: it commits an open transaction first, and a new
    file's schema must land in the transaction that checked the version.
    """
    # Beside this module (as importlib.resources would find it, without its imports).
    text = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
    statements, pending = [], ""
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return tuple(statements)


def _set_version(conn: sqlite3.Connection, number: int) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [str(number)])


def _sqlite_utils_database(conn: sqlite3.Connection) -> sqlite_utils.Database:
    import sqlite_utils  # only an upgrade needs it: a new store is plain SQL

    # No plugins: finding them scans every installed package's entry points.
    return sqlite_utils.Database(conn, execute_plugins=False)
