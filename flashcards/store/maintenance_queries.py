"""The store's queries for the doctor (maintenance.py): checks and repairs."""

from __future__ import annotations

from collections.abc import Iterable

from flashcards.store.connection import Connection, iso_date
from flashcards.store.records import CardSchedule, CardState, ReviewRecord, StoredNote
from flashcards.store.review_queries import REVIEW_SELECT, review_from_row
from flashcards.store.sync_queries import NOTE_SELECT, note_from_row


class MaintenanceQueries(Connection):
    def integrity_errors(self) -> list[str]:
        rows = self.conn.execute("PRAGMA integrity_check").fetchall()
        return [row[0] for row in rows if row[0] != "ok"]

    def foreign_key_errors(self) -> list[tuple[str, int, str]]:
        """(table, rowid, missing parent table) for every dangling reference."""
        rows = self.conn.execute("PRAGMA foreign_key_check").fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def cards_without_notes(self) -> list[int]:
        return [row[0] for row in self.conn.execute(
            "SELECT id FROM cards WHERE note_id NOT IN (SELECT id FROM notes) ORDER BY id")]

    def reviews_without_cards(self) -> list[int]:
        return [row[0] for row in self.conn.execute(
            "SELECT id FROM reviews WHERE card_id NOT IN (SELECT id FROM cards) ORDER BY id")]

    def notes_without_cards(self) -> list[StoredNote]:
        return [note_from_row(row) for row in self.conn.execute(
            f"{NOTE_SELECT} WHERE notes.id NOT IN (SELECT note_id FROM cards) "
            "ORDER BY notes.id")]

    def notes_without_deck(self) -> list[StoredNote]:
        return [note_from_row(row) for row in self.conn.execute(
            f"{NOTE_SELECT} WHERE notes.deck_id NOT IN (SELECT id FROM decks) "
            "ORDER BY notes.id")]

    def active_note_ids_in(self, path: str) -> list[int]:
        return [row[0] for row in self.conn.execute(
            "SELECT id FROM notes WHERE path = ? AND orphaned = 0 ORDER BY id", [path])]

    def card_states(self) -> list[CardState]:
        rows = self.conn.execute(
            "SELECT cards.id, notes.path, notes.line, cards.repetitions, cards.easiness, "
            "cards.interval, cards.due, cards.lapses FROM cards "
            "JOIN notes ON notes.id = cards.note_id ORDER BY cards.id")
        return [CardState(card_id, path, line,
                          CardSchedule(repetitions, easiness, interval, iso_date(due)), lapses)
                for card_id, path, line, repetitions, easiness, interval, due, lapses in rows]

    def scheduled_reviews(self) -> dict[int, list[ReviewRecord]]:
        """Each card's schedule-changing reviews, oldest first (by id: the order written)."""
        log: dict[int, list[ReviewRecord]] = {}
        for row in self.conn.execute(f"{REVIEW_SELECT} WHERE reviews.scheduled = 1 "
                                     "ORDER BY reviews.id"):
            review = review_from_row(row)
            log.setdefault(review.card_id, []).append(review)
        return log

    def delete_cards(self, card_ids: Iterable[int]) -> None:
        """Cards and their review log: for rows no command can reach any more."""
        for card_id in card_ids:
            self.conn.execute("DELETE FROM reviews WHERE card_id = ?", [card_id])
            self.conn.execute("DELETE FROM cards WHERE id = ?", [card_id])

    def delete_reviews(self, review_ids: Iterable[int]) -> None:
        self.conn.executemany("DELETE FROM reviews WHERE id = ?", [(r,) for r in review_ids])

    def set_note_deck(self, note_id: int, deck_id: int) -> None:
        self.conn.execute("UPDATE notes SET deck_id = ? WHERE id = ?", [deck_id, note_id])
