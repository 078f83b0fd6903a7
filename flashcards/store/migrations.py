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
from flashcards.scheduler import MATURE_INTERVAL, PASSING_GRADE

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import sqlite_utils

SCHEMA_VERSION = 7


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


def _v5_to_v6(db: sqlite_utils.Database) -> None:
    """Version 6: what FSRS, the second scheduler, keeps about a card (NULL under SM-2)."""
    for column, kind in (("fsrs_phase", int), ("fsrs_step", int), ("stability", float),
                         ("difficulty", float), ("last_review", str), ("due_at", str)):
        db["cards"].add_column(column, kind)
    db.execute('CREATE INDEX "idx_cards_due_at" ON "cards" ("due_at") WHERE "due_at" IS NOT NULL')


# The meta key of the last review id that review_hours holds: `flashcards stats`
# adds the reviews past it (stats_queries.StatsQueries.review_hours).
REVIEW_HOURS_UPTO = "stats.review_hours_upto"
REVIEW_HOUR_COLUMNS = ("answers", "scheduled", "duration_ms", "young_passed", "young_total",
                       "mature_passed", "mature_total")
# A time stored as utc_iso writes it is totalled by its UTC hour (its first 13
# characters); a time in any other form by its whole text after "=".
_UTC_TIME = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]*+00:00'"


def hour_key(row: str = "") -> str:
    """The review_hours key of a review (of ``OLD.`` or ``NEW.`` in a trigger)."""
    at = f"{row}reviewed_at"
    return f"CASE WHEN {at} GLOB {_UTC_TIME} THEN substr({at}, 1, 13) ELSE '=' || {at} END"


def hour_values(row: str = "") -> tuple[str, ...]:
    """What one review adds to each of REVIEW_HOUR_COLUMNS: stats.DayTotals.add in
    SQL (tests/test_stats_reference.py checks that the two agree)."""
    # stats.counts_for_retention: an answer on an FSRS step (interval 0) tests no interval.
    counts = (f"{row}scheduled != 0 AND {row}due_before IS NOT NULL "
              f"AND coalesce({row}interval_before, -1) != 0")
    young = f"{counts} AND coalesce({row}interval_before, 0) < {int(MATURE_INTERVAL)}"
    mature = f"{counts} AND coalesce({row}interval_before, 0) >= {int(MATURE_INTERVAL)}"
    passed = f"{row}grade >= {int(PASSING_GRADE)}"
    return ("1", f"{row}scheduled != 0", f"coalesce({row}duration_ms, 0)",
            f"{young} AND {passed}", young, f"{mature} AND {passed}", mature)


def _counted(row: str) -> str:
    """Whether review_hours holds this review (its id is at most the one in meta)."""
    return (f"{row}id <= (SELECT CAST(value AS INTEGER) FROM \"meta\" "
            f"WHERE key = '{REVIEW_HOURS_UPTO}')")


def _take_out(row: str) -> str:
    sums = ", ".join(f"{c} = {c} - ({v})" for c, v in zip(REVIEW_HOUR_COLUMNS,
                                                           hour_values(row), strict=True))
    key = hour_key(row)
    # The last counted id going away may be taken again by the next insert: count
    # one id fewer, so that the new review is added.
    return (f'UPDATE "review_hours" SET {sums} WHERE hour = {key} AND {_counted(row)}; '
            f'DELETE FROM "review_hours" WHERE hour = {key} AND answers = 0; '
            f"UPDATE \"meta\" SET value = {row}id - 1 WHERE key = '{REVIEW_HOURS_UPTO}' "
            f"AND CAST(value AS INTEGER) = {row}id;")


def _put_in(row: str) -> str:
    sums = ", ".join(f"{c} = {c} + excluded.{c}" for c in REVIEW_HOUR_COLUMNS)
    return (f'INSERT INTO "review_hours" SELECT {hour_key(row)}, {", ".join(hour_values(row))} '
            f'WHERE {_counted(row)} ON CONFLICT ("hour") DO UPDATE SET {sums};')


def review_hours_statements() -> tuple[str, ...]:
    """The table ``review_hours`` and the triggers that keep its counted reviews
    right when one is deleted or changed (schema.sql says why). A new store and an
    upgraded one both run these.

    No trigger on insert: answers and a rebuild from the journal insert reviews by
    the thousand, and a per-row trigger made that 3-4 times slower. `stats` finds
    the new rows by id instead.
    """
    columns = ", ".join(f'"{c}" INTEGER NOT NULL' for c in REVIEW_HOUR_COLUMNS)
    return (
        f'CREATE TABLE "review_hours" ("hour" TEXT PRIMARY KEY, {columns})',
        f'CREATE TRIGGER "review_hours_delete" AFTER DELETE ON "reviews" BEGIN '
        f'{_take_out("OLD.")} END',
        f'CREATE TRIGGER "review_hours_update" AFTER UPDATE OF id, reviewed_at, grade, '
        f'duration_ms, scheduled, interval_before, due_before ON "reviews" BEGIN '
        f'{_take_out("OLD.")} {_put_in("NEW.")} END',
    )


def _v6_to_v7(db: sqlite_utils.Database) -> None:
    """Version 7: an index of notes by deck (`review --deck` of a small deck reads
    its notes, not every due card), and the answers totalled per UTC hour
    (``review_hours``) for `flashcards stats`, filled by its first run."""
    db["notes"].create_index(["deck_id"])
    for statement in review_hours_statements():
        db.execute(statement)


MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _create_v1, 2: _v1_to_v2, 3: _v2_to_v3, 4: _v3_to_v4, 5: _v4_to_v5, 6: _v5_to_v6,
    7: _v6_to_v7,
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
    return (*statements, *review_hours_statements())


def _set_version(conn: sqlite3.Connection, number: int) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [str(number)])


def _sqlite_utils_database(conn: sqlite3.Connection) -> sqlite_utils.Database:
    import sqlite_utils  # only an upgrade needs it: a new store is plain SQL

    # No plugins: finding them scans every installed package's entry points.
    return sqlite_utils.Database(conn, execute_plugins=False)
