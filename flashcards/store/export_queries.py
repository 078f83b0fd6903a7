"""The store's queries for the Anki export (export/) and its HTML cache."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator

from flashcards.store.connection import (
    BUSY_TIMEOUT_MS,
    Connection,
    deck_filter,
    iso_date,
    like_prefix,
    tags_from_json,
)
from flashcards.store.records import CardSchedule, ExportAnswer, ExportCard, ExportNote
from flashcards.store.review_queries import fsrs_state_of

# Keys looked up per statement: well under SQLite's limit on bound variables.
_KEYS_PER_QUERY = 500


def _export_note(row: tuple) -> ExportNote:
    (note_id, guid, kind, path, line, question, answer, tags, modified, deck, description,
     root, ords) = row
    # One card for most notes: no split and sort.
    ordinals = tuple(sorted(map(int, ords.split(",")))) if "," in ords else (int(ords),)
    return ExportNote(note_id, guid, kind, path, line, question, answer, tags_from_json(tags),
                      modified, deck, description, root, ordinals)


class ExportQueries(Connection):
    def export_notes(
        self, *, decks: Iterable[str] = (), paths: Iterable[str] = (),
        suspended: bool = False,
    ) -> Iterator[ExportNote]:
        """Active notes with their active card ordinals, deck and source root.

        A note is active when it is not orphaned and has at least one card that
        is neither orphaned nor suspended; ``ords`` lists only those cards.
        With ``suspended``, suspended cards count as active too (an export
        with scheduling carries them, suspended).
        ``decks`` keeps those decks and their subdecks; ``paths`` (absolute)
        keeps notes in those files or under those folders. Records come one at a
        time, in deck, file and line order: an export never holds them all.
        """
        sql, params = _export_query(
            """notes.id, notes.guid, notes.kind, notes.path, notes.line, notes.question,
               notes.answer, notes.tags, notes.modified, decks.name, decks.description,
               sources.root, active.ords""", decks, paths, suspended=suspended)
        return self._records(_export_note, sql, params)

    def has_export_notes(self, *, decks: Iterable[str] = (), paths: Iterable[str] = (),
                         suspended: bool = False) -> bool:
        """Whether `export_notes` would give any note: the first note it would keep that
        has an active card (not every note's cards grouped first, as the export's read
        does: 7 ms at 10k notes)."""
        sql, params = _export_query("1", decks, paths, ordered=False, suspended=suspended,
                                    any_note=True)
        return self.conn.execute(f"{sql} LIMIT 1", params).fetchone() is not None

    def export_cards(self, note_ids: Iterable[int], *,
                     suspended: bool) -> tuple[list[ExportCard], list[ExportAnswer]]:
        """The not orphaned cards of these notes (suspended ones too, with ``suspended``)
        and their answers, each card's in the order they were written."""
        wanted = list(note_ids)
        keep = "orphaned = 0" + ("" if suspended else " AND suspended = 0")
        cards: list[ExportCard] = []
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            batch = wanted[start:start + _KEYS_PER_QUERY]
            cards += [ExportCard(card_id, note_id, ord_,
                                 CardSchedule(repetitions, easiness, interval, iso_date(due),
                                              fsrs_state_of(repetitions, interval, *fsrs)),
                                 lapses, bool(is_suspended))
                      for card_id, note_id, ord_, repetitions, easiness, interval, due, lapses,
                      is_suspended, *fsrs in self.conn.execute(
                          f"""SELECT id, note_id, ord, repetitions, easiness, interval, due,
                                     lapses, suspended, fsrs_phase, fsrs_step, stability,
                                     difficulty, last_review, due_at
                              FROM cards
                              WHERE note_id IN ({', '.join('?' * len(batch))}) AND {keep}""",
                          batch)]
        answers: list[ExportAnswer] = []
        card_ids = [card.id for card in cards]
        for start in range(0, len(card_ids), _KEYS_PER_QUERY):
            batch = card_ids[start:start + _KEYS_PER_QUERY]
            # By card, then as written: the order of the card_id index, no sort.
            answers += map(ExportAnswer._make, self.conn.execute(
                f"""SELECT card_id, reviewed_at, grade, button, duration_ms, scheduled,
                           repetitions_before, interval_before, due_before,
                           repetitions_after, easiness_after, interval_after
                    FROM reviews WHERE card_id IN ({', '.join('?' * len(batch))})
                    ORDER BY card_id, id""", batch))
        return cards, answers

    # -- rendered HTML cache --------------------------------------------------------

    def cached_html(self, keys: Iterable[str]) -> dict[str, str]:
        """The cached HTML of the given keys that are in the cache."""
        keys = list(keys)
        html: dict[str, str] = {}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            batch = keys[start:start + _KEYS_PER_QUERY]
            html.update(self.conn.execute(
                f"SELECT key, html FROM rendered WHERE key IN ({', '.join('?' * len(batch))})",
                batch))
        return html

    def cache_html(self, items: dict[str, str]) -> None:
        """Store rendered HTML."""
        if items:
            with self.transaction():
                self.conn.executemany(
                    "INSERT OR REPLACE INTO rendered (key, html) VALUES (?, ?)", items.items())

    def cache_html_while_reading(self, items: dict[str, str]) -> None:
        """Store rendered HTML while a read of this connection (the export's notes) is open.

        That read is a snapshot: once another process has written (an answer, a
        suspend, a sync), a write from this connection fails at once with
        "database is locked" (SQLite's BUSY_SNAPSHOT, which no waiting cures).
        A connection of its own has no snapshot to go stale; it waits for other
        writers like any other, with the store's busy timeout.
        """
        if not items:
            return
        if getattr(self, "_cache_writer", None) is None:
            self._cache_writer = sqlite3.connect(
                str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False)
        writer = self._cache_writer
        writer.execute("BEGIN IMMEDIATE")
        try:
            writer.executemany("INSERT OR REPLACE INTO rendered (key, html) VALUES (?, ?)",
                               items.items())
        except BaseException:
            writer.execute("ROLLBACK")
            raise
        writer.execute("COMMIT")

    def close(self) -> None:
        if getattr(self, "_cache_writer", None) is not None:
            self._cache_writer.close()
            self._cache_writer = None
        super().close()

    def prune_html(self, keep: set[str], *, cached: int) -> None:
        """Drop every cached entry but those of ``keep``, of which ``cached`` are there."""
        (count,) = self.conn.execute("SELECT count(*) FROM rendered").fetchone()
        if count == cached:  # nothing else in the cache: skip the costly delete
            return
        with self.transaction():
            self._temp_values("kept_keys", keep)
            self.conn.execute("DELETE FROM rendered WHERE key NOT IN (SELECT value FROM kept_keys)")


def _export_query(columns: str, decks: Iterable[str], paths: Iterable[str], *,
                  ordered: bool = True, suspended: bool = False,
                  any_note: bool = False) -> tuple[str, list]:
    """The active notes of the decks (with subdecks) and paths, one row per note.

    ``any_note``: the same notes, each tested for an active card on its own, without
    the active cards' ordinals (for a question of whether there is one).
    """
    where, params = ["notes.orphaned = 0"], []
    deck_clauses = []
    for deck in decks:
        clause, deck_params = deck_filter(deck)
        deck_clauses.append(clause)
        params += deck_params
    if deck_clauses:
        where.append(f"({' OR '.join(deck_clauses)})")
    path_clauses = []
    for path in paths:
        path_clauses.append("(notes.path = ? OR notes.path LIKE ? ESCAPE '\\')")
        params += [path, like_prefix(path.rstrip(os.sep) + os.sep) + "%"]
    if path_clauses:
        where.append(f"({' OR '.join(path_clauses)})")
    active = "orphaned = 0" if suspended else "orphaned = 0 AND suspended = 0"
    if any_note:
        held = "cards.orphaned = 0" + ("" if suspended else " AND cards.suspended = 0")
        where.append(f"EXISTS (SELECT 1 FROM cards WHERE cards.note_id = notes.id AND {held})")
        return f"""
        SELECT {columns}
        FROM notes
        JOIN decks ON decks.id = notes.deck_id
        WHERE {' AND '.join(where)}""", params
    # The active cards are grouped by note on their own, before the join: sorting
    # rows with the notes' text once rather than twice (10k notes: 40 -> 30 ms).
    sql = f"""
        SELECT {columns}
        FROM (SELECT note_id, group_concat(ord) AS ords FROM cards
              WHERE {active}
              GROUP BY note_id) AS active
        JOIN notes ON notes.id = active.note_id
        JOIN decks ON decks.id = notes.deck_id
        LEFT JOIN sources ON sources.path = notes.path
        WHERE {' AND '.join(where)}"""
    if ordered:
        sql += "\n        ORDER BY decks.name, notes.path, notes.line"
    return sql, params
