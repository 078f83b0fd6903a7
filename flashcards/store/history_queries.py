"""The store's queries for keeping it equal to the review journal (history.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter

from flashcards.store.connection import Connection
from flashcards.store.migrations import (
    LEGACY_DEVICE,
    REVIEW_HOURS_UPTO,
    review_hours_statements,
)
from flashcards.store.records import (
    AnswerMark,
    CardSchedule,
    ReplayCard,
    ReviewRecord,
    StoredCard,
)
from flashcards.store.review_queries import (
    CARD_SELECT,
    INSERT_REVIEW,
    REVIEW_SELECT,
    UPDATE_SCHEDULE,
    _iso,
    card_from_row,
    review_from_row,
    review_values,
    schedule_values,
)

_OFFSET_PREFIX = "journal.offset:"
_EXPORT_PENDING = "journal.export_pending"
_IDENTITY_PREFIX = "journal.identity:"
_WAITING_PREFIX = "journal.waiting:"
_KEYS_PER_QUERY = 500
_HOURS_UPDATE_TRIGGER = "review_hours_update"


class HistoryQueries(Connection):
    def card_of(self, guid: str, ordinal: int) -> StoredCard | None:
        """The card a journal event names, by its note's GUID and its ordinal."""
        row = self.conn.execute(f"{CARD_SELECT} WHERE notes.guid = ? AND cards.ord = ?",
                                [guid, ordinal]).fetchone()
        return card_from_row(row) if row else None

    def cards_of_guids(self, guids: Iterable[str]) -> list[StoredCard]:
        self._temp_values("wanted_guids", guids)
        return [card_from_row(row) for row in self.conn.execute(
            f"{CARD_SELECT} WHERE notes.guid IN (SELECT value FROM wanted_guids)")]

    def replay_cards(self) -> Iterator[ReplayCard]:
        """Every card, light: what a rebuild's replay needs of each."""
        return self._records(ReplayCard._make, """
            SELECT cards.id, notes.guid, cards.ord, decks.name, cards.suspended = 1
            FROM cards JOIN notes ON notes.id = cards.note_id
            JOIN decks ON decks.id = notes.deck_id""")

    def has_reviews(self) -> bool:
        return self.conn.execute("SELECT 1 FROM reviews LIMIT 1").fetchone() is not None

    def reviewed_cards(self) -> list[StoredCard]:
        """Every card with at least one answer in the store."""
        return [card_from_row(row) for row in self.conn.execute(
            f"{CARD_SELECT} WHERE cards.id IN (SELECT DISTINCT card_id FROM reviews)")]

    def reviews_of_card(self, card_id: int) -> list[ReviewRecord]:
        """A card's answers, in the order they were written."""
        return [review_from_row(row) for row in self.conn.execute(
            f"{REVIEW_SELECT} WHERE reviews.card_id = ? ORDER BY reviews.id", [card_id])]

    def answer_marks(self, card_ids: Iterable[int]) -> dict[int, list[AnswerMark]]:
        """The stored answers of several cards, each as its ``AnswerMark``."""
        found: dict[int, list[AnswerMark]] = {}
        rows = self.conn.execute(
            "SELECT card_id, coalesce(event_id, ? || '-' || id), reviewed_at, scheduled, "
            "utc_offset_minutes, day_start_hour FROM reviews "
            "WHERE card_id IN (SELECT value FROM json_each(?)) ORDER BY card_id, id",
            [LEGACY_DEVICE, json.dumps(list(card_ids))])
        for card_id, event_id, at, scheduled, offset, hour in rows:
            found.setdefault(card_id, []).append(AnswerMark(
                card_id, event_id, datetime.fromisoformat(at), bool(scheduled), offset, hour))
        return found

    def reviews_of_cards(self, card_ids: Iterable[int]) -> dict[int, list[ReviewRecord]]:
        """The answers of several cards, each card's in the order they were written."""
        found: dict[int, list[ReviewRecord]] = {}
        rows = self.conn.execute(
            f"{REVIEW_SELECT} WHERE reviews.card_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY reviews.card_id, reviews.id", [json.dumps(list(card_ids))])
        for row in rows:
            review = review_from_row(row)
            found.setdefault(review.card_id, []).append(review)
        return found

    def all_reviews(self) -> Iterator[ReviewRecord]:
        """Every answer, in the order written, one at a time."""
        return self._records(review_from_row, f"{REVIEW_SELECT} ORDER BY reviews.id")

    def set_review_zone(self, review_id: int, utc_offset_minutes: int,
                        day_start_hour: int) -> None:
        """The UTC offset and day-start hour of an answer that was stored without them."""
        self.conn.execute("UPDATE reviews SET utc_offset_minutes = ?, day_start_hour = ? "
                          "WHERE id = ?", [utc_offset_minutes, day_start_hour, review_id])

    def delete_reviews_of_card(self, card_id: int) -> None:
        self.conn.execute("DELETE FROM reviews WHERE card_id = ?", [card_id])

    def set_card_schedules(self, schedules: Iterable[tuple[int, CardSchedule, int]]) -> None:
        """(card id, schedule, lapses) of many cards, in one statement."""
        self.set_schedule_values(schedule_values(card_id, s, lapses)
                                 for card_id, s, lapses in schedules)

    @contextmanager
    def reviews_in_bulk(self) -> Iterator[None]:
        """Inside a transaction: answers added in bulk to an empty log (a rebuild).

        The log's indexes are dropped and made again at the end, from their own
        SQL: one sort each instead of a million inserts at random places, which
        spill the page cache over and over once the indexes outgrow it.
        """
        if self.has_reviews():
            yield
            return
        indexes = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews' "
            "AND sql IS NOT NULL ORDER BY name").fetchall()
        for name, _ in indexes:
            self.conn.execute(f'DROP INDEX "{name}"')
        try:
            yield
        finally:
            for _, sql in indexes:
                self.conn.execute(sql)

    def add_reviews(self, reviews: Iterable[ReviewRecord]) -> None:
        """Answers added after a card's others (a replay that changed none of those)."""
        self.add_review_values(map(review_values, reviews))

    def add_review_values(self, rows: Iterable[list]) -> None:
        """``add_reviews`` of answers already made into rows by ``review_values`` (in a
        process that has no store: a rebuild's replay worker)."""
        self.conn.executemany(INSERT_REVIEW, rows)

    def set_schedule_values(self, rows: Iterable[list]) -> None:
        """``set_card_schedules`` of schedules already made into ``schedule_values`` rows."""
        self.conn.executemany(UPDATE_SCHEDULE, rows)

    def answers_by_card(self, cards: tuple[int, int] | None = None) -> Iterator[tuple]:
        """Every answer with its card, ordered by card then row: ``(card_id, guid, ord,
        deck, review id, reviewed_at, grade, button, duration_ms, utc_offset_minutes,
        day_start_hour, event_id)``, one at a time (a million of them at 100k cards).
        ``cards``: only those whose ids are in this range (first, last), inclusive."""
        where = "" if cards is None else "WHERE reviews.card_id BETWEEN ? AND ?"
        return self._records(_answer_row, f"""
            SELECT reviews.card_id, notes.guid, cards.ord, decks.name, reviews.id,
                   reviews.reviewed_at, reviews.grade, reviews.button, reviews.duration_ms,
                   reviews.utc_offset_minutes, reviews.day_start_hour, reviews.event_id
            FROM reviews JOIN cards ON cards.id = reviews.card_id
            JOIN notes ON notes.id = cards.note_id JOIN decks ON decks.id = notes.deck_id
            {where} ORDER BY reviews.card_id, reviews.id""", cards or ())

    def count_answers(self) -> int:
        return self.conn.execute("SELECT count(*) FROM reviews").fetchone()[0]

    def answered_card_ranges(self, parts: int) -> list[tuple[int, int]]:
        """Card ids cut into at most ``parts`` ranges (first, last) of about as many answers
        each; no card is in two. Read from the card index alone (0.1 s at 1M answers)."""
        total = self.count_answers()
        if not total:
            return []
        lasts = [self.conn.execute("SELECT card_id FROM reviews ORDER BY card_id LIMIT 1 "
                                   "OFFSET ?", [max(0, total * n // parts - 1)]).fetchone()[0]
                 for n in range(1, parts + 1)]
        ranges, first = [], 0
        for last in sorted(set(lasts)):
            ranges.append((first, last))
            first = last + 1
        return ranges

    def answer_decks(self) -> list[str]:
        """The decks of the cards that have answers."""
        return [row[0] for row in self.conn.execute("""
            SELECT DISTINCT decks.name FROM decks JOIN notes ON notes.deck_id = decks.id
            JOIN cards ON cards.note_id = notes.id
            WHERE EXISTS (SELECT 1 FROM reviews WHERE reviews.card_id = cards.id)""")]

    @contextmanager
    def rewriting_reviews(self) -> Iterator[None]:
        """Inside a transaction: every review row about to be rewritten (``set_replayed``).

        The trigger that keeps ``review_hours`` right row by row is set aside, and the
        table emptied: the next `flashcards stats` totals the log again in one query,
        instead of four statements per rewritten row here.
        """
        self.conn.execute(f'DROP TRIGGER IF EXISTS "{_HOURS_UPDATE_TRIGGER}"')
        try:
            yield
        finally:
            self.conn.execute("DELETE FROM review_hours")
            self.conn.execute("DELETE FROM meta WHERE key = ?", [REVIEW_HOURS_UPTO])
            self.conn.execute(next(sql for sql in review_hours_statements()
                                   if _HOURS_UPDATE_TRIGGER in sql))

    def set_replayed(self, answers: list[tuple], cards: Iterable[list]) -> None:
        """Rewrite answers in place (``replayed_values`` rows) and cards' schedules
        (``schedule_values`` rows): a replay of every card under new rules."""
        # In the table's order: each page is read and written once per batch (a tenth
        # less time than in card order at 1M answers).
        self.conn.executemany(_UPDATE_REPLAYED, sorted(answers, key=itemgetter(-1)))
        self.set_schedule_values(cards)

    def known_event_ids(self, event_ids: Iterable[str]) -> set[str]:
        """Those of ``event_ids`` that the store holds as answers."""
        wanted, known = list(event_ids), set()
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            batch = wanted[start:start + _KEYS_PER_QUERY]
            known.update(row[0] for row in self.conn.execute(
                f"SELECT event_id FROM reviews WHERE event_id IN ({', '.join('?' * len(batch))})",
                batch))
        return known

    def suspended_cards(self) -> list[StoredCard]:
        return [card_from_row(row) for row in self.conn.execute(
            f"{CARD_SELECT} WHERE cards.suspended = 1")]

    def root_of(self, path: str) -> str | None:
        """The synced root a deck file was found under."""
        row = self.conn.execute("SELECT root FROM sources WHERE path = ?", [path]).fetchone()
        return row[0] if row else None

    # -- bookkeeping in meta ------------------------------------------------------------

    def journal_offsets(self) -> dict[str, int]:
        """Bytes of each journal file already applied to this store."""
        return {key[len(_OFFSET_PREFIX):]: int(value)
                for key, value in self.meta_items(_OFFSET_PREFIX).items()}

    def set_journal_offsets(self, offsets: dict[str, int]) -> None:
        for path, offset in offsets.items():
            self.set_meta(_OFFSET_PREFIX + path, str(offset))

    # Journal lines about notes this store does not hold yet (their file has not
    # arrived): the notes' identities, and the GUIDs whose answers were left unread.

    def remember_identities(self, identities: dict[str, dict]) -> None:
        for guid, identity in identities.items():
            self.set_meta(_IDENTITY_PREFIX + guid, json.dumps(identity))

    def remembered_identities(self) -> dict[str, dict]:
        return {key[len(_IDENTITY_PREFIX):]: json.loads(value)
                for key, value in self.meta_items(_IDENTITY_PREFIX).items()}

    def remember_waiting(self, guids: Iterable[str]) -> None:
        for guid in guids:
            self.set_meta(_WAITING_PREFIX + guid, "")

    def waiting_guids(self) -> set[str]:
        return {key[len(_WAITING_PREFIX):] for key in self.meta_items(_WAITING_PREFIX)}

    def remembered_guids(self) -> set[str]:
        """The GUIDs of every remembered identity and waiting answer."""
        return {key.partition(":")[2] for prefix in (_IDENTITY_PREFIX, _WAITING_PREFIX)
                for key in self.meta_items(prefix)}

    def forget_remembered(self, guids: Iterable[str]) -> None:
        guids = list(guids)
        self.delete_meta(prefix + guid for prefix in (_IDENTITY_PREFIX, _WAITING_PREFIX)
                         for guid in guids)

    def guids_absent(self, guids: Iterable[str]) -> set[str]:
        """Those of ``guids`` that no note of the store has."""
        wanted = list(guids)
        present = {row[0] for row in self.conn.execute(
            "SELECT guid FROM notes WHERE guid IN (SELECT value FROM json_each(?))",
            [json.dumps(wanted)])}
        return set(wanted) - present

    def export_pending(self) -> bool:
        return bool(self.meta_items(_EXPORT_PENDING))

    def clear_export_pending(self) -> None:
        self.conn.execute("DELETE FROM meta WHERE key = ?", [_EXPORT_PENDING])


_UPDATE_REPLAYED = (
    "UPDATE reviews SET scheduled = ?, repetitions_before = ?, easiness_before = ?, "
    "interval_before = ?, due_before = ?, repetitions_after = ?, easiness_after = ?, "
    "interval_after = ?, due_after = ? WHERE id = ?")


def replayed_values(review_id: int, scheduled: bool, before: CardSchedule,
                    after: CardSchedule) -> tuple:
    """The parameters of ``set_replayed`` for one answer placed again by a replay."""
    return (int(scheduled), before.repetitions, before.easiness, before.interval,
            _iso(before.due), after.repetitions, after.easiness, after.interval,
            _iso(after.due), review_id)


def _answer_row(row: tuple) -> tuple:
    return (*row[:5], datetime.fromisoformat(row[5]), *row[6:])
