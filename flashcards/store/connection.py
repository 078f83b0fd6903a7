"""The store's file: opening it, transactions, backups, settings and shared SQL helpers.

One connection API: every query runs plain SQL on ``conn`` (sqlite3), with
rows turned into the records of ``records.py`` by the query groups.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from flashcards.model import FlashcardsError
from flashcards.store import migrations

# Wait this long for another process's write before reporting "locked": a
# review and a sync may run at the same time, and both write briefly.
BUSY_TIMEOUT_MS = 10_000
# Turning WAL on needs a moment alone with a brand-new file; when two processes
# create the store at once, SQLite reports "locked" at once instead of waiting.
WAL_ATTEMPTS = 50
WAL_RETRY_SECONDS = 0.1

T = TypeVar("T")


def _enable_wal(conn: sqlite3.Connection) -> None:
    for attempt in range(WAL_ATTEMPTS):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(WAL_RETRY_SECONDS)


class Connection:
    """A flashcards database file. Open it with ``Store.open(path)``."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True):  # -> Self
        """Open (upgrading) the store at ``path``; create it only if ``create``.

        Only the commands that fill a store (sync, review) create one: any other
        finding no store at a mistyped path must say so, not show an empty one.
        """
        path = Path(path)
        if path.is_dir():
            raise FlashcardsError(f"{path} is a folder, not a flashcards store")
        if not create and not path.exists():
            raise FlashcardsError(f"no store at {path} (run `flashcards sync` or "
                                  "`flashcards review` to create one)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not create and migrations.version(conn) == 0:
                conn.close()  # before WAL is turned on, which would write to the file
                raise FlashcardsError(f"{path} is not a flashcards store")
            _enable_wal(conn)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            store = cls(conn, path)
            migrations.upgrade(store, now=datetime.now(UTC))
        except sqlite3.DatabaseError as exc:
            read_only = not os.access(path.parent, os.W_OK) or (
                path.exists() and not os.access(path, os.W_OK))
            hint = " (the store or its folder is read-only)" if read_only else ""
            raise FlashcardsError(f"{path}: cannot open the database: {exc}{hint}") from exc
        except OSError as exc:
            raise FlashcardsError(f"{path}: cannot create the store: "
                                  f"{exc.strerror or exc}") from exc
        return store

    @classmethod
    def reader(cls, path: Path | str):  # -> Self
        """A connection that only reads a store this program has open elsewhere (a
        second process's), in one read transaction: it sees the store as its last
        commit left it, whatever the writer does meanwhile. No upgrade: the writer
        opened it with ``open``."""
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("BEGIN")
        return cls(conn, Path(path))

    def close(self) -> None:
        self.conn.close()

    @property
    def version(self) -> int:
        return migrations.version(self.conn)

    @contextmanager
    def page_cache(self, mib: int) -> Iterator[None]:
        """SQLite's page cache at ``mib`` MiB (its default: 2) while the block runs.

        For a read that comes back to the same pages out of order: the review log
        rows of a batch of cards, spread over the whole table.
        """
        (before,) = self.conn.execute("PRAGMA cache_size").fetchone()
        self.conn.execute(f"PRAGMA cache_size = {-1024 * int(mib)}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size = {int(before)}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; taken at once (IMMEDIATE) so it never deadlocks."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the whole store, safe while other processes write.

        One backup step copies every page inside a single read transaction: in WAL
        mode that is a snapshot that writers do not disturb (a stepwise backup would
        restart on every write). The copy goes to a temporary file renamed into place,
        so a crash never leaves a truncated backup under the requested name.
        """
        target = Path(target)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            dest = sqlite3.connect(str(partial))
            try:
                self.conn.backup(dest, pages=-1)
                dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                dest.close()
            os.replace(partial, target)
        except (OSError, sqlite3.Error) as exc:
            with suppress(OSError):  # its folder may not exist, or not be one
                partial.unlink(missing_ok=True)
            reason = getattr(exc, "strerror", None) or exc
            raise FlashcardsError(f"{target}: cannot write the backup: {reason}") from exc

    # -- settings (the meta table) ---------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def meta_items(self, prefix: str) -> dict[str, str]:
        # A range of the key's index, not a scan: meta also remembers journal identities.
        if not prefix:
            return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = self.conn.execute("SELECT key, value FROM meta WHERE key >= ? AND key < ?",
                                 [prefix, after])
        return dict(rows.fetchall())

    def add_to_counter(self, key: str, count: int) -> int:
        """Add ``count`` to the whole number kept under ``key`` (0 if none); the new value.

        One statement: it runs once per answer (the journal's sequence numbers).
        """
        row = self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
            "SET value = CAST(CAST(value AS INTEGER) + ? AS TEXT) RETURNING value",
            [key, str(count), count]).fetchone()
        return int(row[0])

    def delete_meta(self, keys: Iterable[str]) -> None:
        self.conn.executemany("DELETE FROM meta WHERE key = ?", ((key,) for key in keys))

    # -- helpers of the query groups ---------------------------------------------------

    def _stream(self, sql: str, params: Iterable | dict = ()) -> Iterator[tuple]:
        """Rows one at a time: a caller that stops early reads no more of them.

        Closing the generator (or dropping it) closes the cursor, ending its read.
        """
        cursor = self.conn.execute(sql, params if isinstance(params, dict) else list(params))
        try:
            # A loop, not `yield from`: closing this generator would close the cursor
            # through `yield from` too, outside the guard below.
            for row in cursor:  # noqa: UP028
                yield row
        finally:
            # A reader that went away (`list | head`) leaves the generator to be
            # collected after the store has closed, which finalised the cursor.
            with suppress(sqlite3.ProgrammingError):
                cursor.close()

    def _records(self, make: Callable[[tuple], T], sql: str,
                 params: Iterable | dict = ()) -> Iterator[T]:
        """``_stream`` with each row made into a record; closing it ends the read."""
        rows = self._stream(sql, params)
        try:
            for row in rows:
                yield make(row)
        finally:
            rows.close()

    def _temp_values(self, table: str, values: Iterable[str]) -> None:
        """Fill a temporary one-column table: a long IN list without SQLite's variable limit."""
        self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (value TEXT PRIMARY KEY)")
        self.conn.execute(f"DELETE FROM {table}")
        self.conn.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?)",
                              ((value,) for value in values))


def deck_filter(deck: str | None) -> tuple[str, list]:
    """A WHERE clause for a deck and its subdecks (``A`` matches ``A::B``)."""
    if not deck:
        return "1 = 1", []
    return "(decks.name = ? OR decks.name LIKE ? ESCAPE '\\')", [deck, like_prefix(deck) + "::%"]


def like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def tags_json(tags: Iterable[str]) -> str:
    """A note's tags as the store keeps them: a JSON list."""
    # Most notes have none: no encoder for those (a cold sync writes a row per note).
    return json.dumps(list(tags)) if tags else "[]"


def tags_from_json(text: str | None) -> tuple[str, ...]:
    # Most notes have no tags: no JSON parse for those.
    return tuple(json.loads(text)) if text and text != "[]" else ()


def iso_date(text: str | None) -> date | None:
    """A stored due date (``YYYY-MM-DD``, or NULL for a new card) as a date."""
    return date.fromisoformat(text) if text else None
