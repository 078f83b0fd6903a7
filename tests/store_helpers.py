"""Raw looks at a store's rows, for tests that check (or damage) the tables themselves."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import sqlite_utils

from flashcards.store import Store


def raw(store: Store) -> sqlite_utils.Database:
    """The store's tables as sqlite-utils sees them: for tests that look at (or damage)
    the rows themselves, beside the store's own API."""
    return sqlite_utils.Database(store.conn, execute_plugins=False)


def count(store: Store, table: str, where: str = "1 = 1", params: list | tuple = ()) -> int:
    return raw(store).execute(f"SELECT count(*) FROM [{table}] WHERE {where}",
                              list(params)).fetchone()[0]


def note_rows(store: Store, where: str = "1 = 1", params: list | tuple = ()) -> list[dict]:
    """Note rows as dicts, with their deck's name as ``deck``."""
    return list(raw(store).query(
        f"SELECT notes.*, decks.name AS deck FROM notes JOIN decks ON decks.id = deck_id "
        f"WHERE {where}", list(params)))


FIXTURES = Path(__file__).parent / "fixtures"


def copy_fixture(name: str, db: Path) -> Path:
    """A fixture store copied to ``db``, with the fixture deck (and its journal) beside it.

    The fixture was made against tests/fixtures/deck-v1 wherever the repository was;
    the copy points at its own copy of the deck, so a test that syncs, repairs or
    writes a journal touches nothing of the repository.
    """
    shutil.copy(FIXTURES / name, db)
    deck = db.parent / "deck-v1"
    if not deck.exists():
        shutil.copytree(FIXTURES / "deck-v1", deck)
    conn = sqlite3.connect(db)
    try:
        (old,) = conn.execute("SELECT path FROM roots").fetchone()
        for table, column in (("roots", "path"), ("sources", "path"), ("sources", "root"),
                              ("notes", "path")):
            conn.execute(f"UPDATE {table} SET {column} = replace({column}, ?, ?)",
                         [old, str(deck)])
        conn.commit()
    finally:
        conn.close()
    return db
