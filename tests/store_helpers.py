"""Raw looks at a store's rows, for tests that check (or damage) the tables themselves."""

from __future__ import annotations

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
