"""The store's queries for the review session and status (session.py, status.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING

from flashcards.model import FlashcardsError
from flashcards.store.connection import Connection, deck_filter, iso_date
from flashcards.store.records import (
    CardSchedule,
    DeckCounts,
    ReviewRecord,
    StoredCard,
    utc_iso,
)

if TYPE_CHECKING:
    from flashcards.fsrs.scheduler import FSRSState

_CARD_COLUMNS = """
    SELECT cards.id, cards.note_id, notes.guid, cards.ord, notes.kind, decks.name,
           notes.path, notes.line, notes.question, notes.answer,
           cards.repetitions, cards.easiness, cards.interval, cards.due, cards.lapses,
           cards.suspended, cards.orphaned OR notes.orphaned,
           cards.fsrs_phase, cards.fsrs_step, cards.stability, cards.difficulty,
           cards.last_review, cards.due_at"""
CARD_SELECT = f"""{_CARD_COLUMNS}
    FROM cards JOIN notes ON notes.id = cards.note_id
    JOIN decks ON decks.id = notes.deck_id"""
_ACTIVE = "cards.orphaned = 0 AND cards.suspended = 0 AND notes.orphaned = 0"
# The same columns read deck first: the deck's notes by idx_notes_deck_id, their
# cards by (note_id, ord). CROSS JOIN fixes that order, and "+" keeps SQLite off
# the (orphaned, suspended, due) index, which would walk every due card.
DECK_CARD_SELECT = f"""{_CARD_COLUMNS}
    FROM decks CROSS JOIN notes ON notes.deck_id = decks.id
    CROSS JOIN cards ON cards.note_id = notes.id"""
_DECK_ACTIVE = "+cards.orphaned = 0 AND +cards.suspended = 0 AND notes.orphaned = 0"
# A deck of at most this share of the notes is read deck first (docs/benchmarks.md:
# at 100k cards, a 100-card deck 0.8 ms against 200 ms by the due index; a tenth of
# the notes 29 ms against 17 ms). A bigger deck has its first due cards early on the
# due index, which stops at the day's limit.
DECK_FIRST_SHARE = 10

REVIEW_SELECT = """
    SELECT reviews.id, reviews.card_id, notes.guid, cards.ord, reviews.reviewed_at,
           reviews.grade, reviews.scheduled,
           reviews.repetitions_before, reviews.easiness_before, reviews.interval_before,
           reviews.due_before,
           reviews.repetitions_after, reviews.easiness_after, reviews.interval_after,
           reviews.due_after,
           reviews.button, reviews.duration_ms, reviews.utc_offset_minutes,
           reviews.day_start_hour, reviews.event_id
    FROM reviews JOIN cards ON cards.id = reviews.card_id
    JOIN notes ON notes.id = cards.note_id"""


INSERT_REVIEW = """
    INSERT INTO reviews (card_id, reviewed_at, grade, duration_ms, scheduled,
        repetitions_before, easiness_before, interval_before, due_before,
        repetitions_after, easiness_after, interval_after, due_after,
        button, utc_offset_minutes, day_start_hour, event_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def review_values(review: ReviewRecord) -> list:
    return answer_values(review.card_id, review.reviewed_at, review.grade, review.duration_ms,
                         review.scheduled, review.before, review.after, review.button,
                         review.utc_offset_minutes, review.day_start_hour, review.event_id)


def answer_values(card_id: int, reviewed_at: datetime, grade: int, duration_ms: int | None,
                  scheduled: bool, before: CardSchedule, after: CardSchedule,
                  button: int | None, utc_offset_minutes: int | None,
                  day_start_hour: int | None, event_id: str | None) -> list:
    """``review_values`` of a ReviewRecord's fields, without making one (a rebuild's
    replay writes a million)."""
    return [card_id, utc_iso(reviewed_at), grade, duration_ms, int(scheduled),
            before.repetitions, before.easiness, before.interval, _iso(before.due),
            after.repetitions, after.easiness, after.interval, _iso(after.due),
            button, utc_offset_minutes, day_start_hour, event_id]


def card_from_row(row: tuple) -> StoredCard:
    (card_id, note_id, guid, ord_, kind, deck, path, line, question, answer,
     repetitions, easiness, interval, due, lapses, suspended, orphaned, *fsrs) = row
    return StoredCard(id=card_id, note_id=note_id, note_guid=guid, ord=ord_, kind=kind,
                      deck=deck, path=path, line=line, question=question, answer=answer,
                      schedule=CardSchedule(repetitions, easiness, interval, iso_date(due),
                                            fsrs_state_of(repetitions, interval, *fsrs)),
                      lapses=lapses, suspended=bool(suspended), orphaned=bool(orphaned))


def fsrs_state_of(reps: int, interval: int, phase: int | None, step: int | None,
                  stability: float | None, difficulty: float | None, last_review: str | None,
                  due_at: str | None) -> FSRSState | None:
    """A card's FSRS state from its columns; None for a card under SM-2 (or new)."""
    if phase is None:
        return None
    return _fsrs_state()(phase, step, stability, difficulty, reps,
                         date.fromisoformat(last_review), interval,
                         datetime.fromisoformat(due_at) if due_at else None)


@cache
def _fsrs_state() -> type[FSRSState]:
    """FSRS's state class, imported at the first card that has one (a store under
    SM-2 never loads the FSRS scheduler); looked up once, not imported for each row
    (an import statement costs a microsecond: 0.1 s of an export of 100k cards)."""
    from flashcards.fsrs.scheduler import FSRSState

    return FSRSState


def fsrs_values(schedule: CardSchedule) -> list:
    state = schedule.fsrs
    if state is None:
        return [None] * 6
    return [state.phase, state.step, state.stability, state.difficulty,
            state.last_review.isoformat(), utc_iso(state.due_at) if state.due_at else None]


def review_from_row(row: tuple) -> ReviewRecord:
    (review_id, card_id, guid, ord_, reviewed_at, grade, scheduled,
     rep_before, ef_before, ivl_before, due_before, rep_after, ef_after, ivl_after, due_after,
     button, duration_ms, offset, day_start_hour, event_id) = row
    return ReviewRecord(
        card_id=card_id, note_guid=guid, ordinal=ord_,
        reviewed_at=datetime.fromisoformat(reviewed_at), grade=grade,
        scheduled=bool(scheduled),
        before=_schedule(rep_before, ef_before, ivl_before, due_before),
        after=_schedule(rep_after, ef_after, ivl_after, due_after),
        button=button, duration_ms=duration_ms, utc_offset_minutes=offset,
        day_start_hour=day_start_hour, event_id=event_id, id=review_id)


def _schedule(repetitions: int | None, easiness: float | None, interval: int | None,
              due: str | None) -> CardSchedule:
    # Rows of the first version may lack the before/after columns: a new card's values.
    new = CardSchedule()
    return CardSchedule(new.repetitions if repetitions is None else repetitions,
                        new.easiness if easiness is None else easiness,
                        new.interval if interval is None else interval, iso_date(due))


class ReviewQueries(Connection):
    def due_cards(self, today: date, *, deck: str | None = None) -> Iterator[StoredCard]:
        """Active cards due on or before ``today``, most overdue first.

        One at a time: the queue takes a day's limit of them, not all that are due
        (90k rows with their notes' text were 0.5 s and 100 MB). SQLite walks the
        (orphaned, suspended, due) index and sorts only each due date's cards, so
        the first rows come at once.
        """
        where, params = deck_filter(deck)
        select, active, due = CARD_SELECT, _ACTIVE, "cards.due"
        if self._read_deck_first(deck):
            select, active, due = DECK_CARD_SELECT, _DECK_ACTIVE, "+cards.due"
        sql = (f"{select} WHERE {active} AND {where} AND {due} <= ? "
               "ORDER BY cards.due, decks.name, notes.path, notes.line, cards.ord")
        return self._records(card_from_row, sql, [*params, today.isoformat()])

    def new_cards(self, *, deck: str | None = None) -> Iterator[StoredCard]:
        """Active never-reviewed cards in the order they are written (file, line).

        By file path rather than deck name, so numbered files (01-basics.md,
        02-more.md) are studied in their order whatever their decks are called.
        One at a time, like ``due_cards``.
        """
        where, params = deck_filter(deck)
        select, active, due = CARD_SELECT, _ACTIVE, "cards.due"
        if self._read_deck_first(deck):
            select, active, due = DECK_CARD_SELECT, _DECK_ACTIVE, "+cards.due"
        sql = (f"{select} WHERE {active} AND {where} AND {due} IS NULL "
               "ORDER BY notes.path, notes.line, cards.ord")
        return self._records(card_from_row, sql, params)

    def step_cards(self, today: date, *, deck: str | None = None) -> list[StoredCard]:
        """Active cards on an FSRS step of minutes, due by the end of study day ``today``."""
        where, params = deck_filter(deck)
        sql = (f"{CARD_SELECT} WHERE cards.due_at IS NOT NULL AND {_ACTIVE} AND {where} "
               "AND cards.due <= ?")
        return [card_from_row(row) for row in self.conn.execute(
            sql, [*params, today.isoformat()])]

    def _read_deck_first(self, deck: str | None) -> bool:
        """Whether a deck (and its subdecks) is small enough to read deck first."""
        if not deck:
            return False
        where, params = deck_filter(deck)
        (in_deck,) = self.conn.execute(
            "SELECT count(*) FROM decks CROSS JOIN notes ON notes.deck_id = decks.id "
            f"WHERE {where}", params).fetchone()
        (notes,) = self.conn.execute("SELECT count(*) FROM notes").fetchone()
        return in_deck * DECK_FIRST_SHARE <= notes

    def card(self, card_id: int) -> StoredCard | None:
        """One card with its note's text, whatever its status (None if no such card)."""
        row = self.conn.execute(f"{CARD_SELECT} WHERE cards.id = ?", [card_id]).fetchone()
        return card_from_row(row) if row else None

    def reviews_between(self, start: datetime, end: datetime) -> list[ReviewRecord]:
        """Reviews with ``start <= reviewed_at < end``, in the order given."""
        sql = (f"{REVIEW_SELECT} WHERE reviews.reviewed_at >= ? AND reviews.reviewed_at < ? "
               "ORDER BY reviews.reviewed_at, reviews.id")
        return [review_from_row(row) for row in self.conn.execute(
            sql, [utc_iso(start), utc_iso(end)])]

    def was_scheduled_between(self, card_id: int, start: datetime, end: datetime) -> bool:
        """Whether an answer in [start, end) changed the card's schedule (a study day's
        first answer), whichever session gave it."""
        return self.conn.execute(
            "SELECT 1 FROM reviews WHERE card_id = ? AND scheduled = 1 "
            "AND reviewed_at >= ? AND reviewed_at < ? LIMIT 1",
            [card_id, utc_iso(start), utc_iso(end)]).fetchone() is not None

    # The session's statements are plain SQL on ``conn``: a review (and the first
    # answer) never waits for anything else to load.

    def insert_review(self, review: ReviewRecord) -> int:
        """Write one answer; its row id."""
        return self.conn.execute(INSERT_REVIEW, review_values(review)).lastrowid

    def delete_review_event(self, event_id: str) -> None:
        """Delete the answer of a journal event (its row id may have changed on replay)."""
        self.conn.execute("DELETE FROM reviews WHERE event_id = ?", [event_id])

    def set_card_schedule(self, card_id: int, schedule: CardSchedule, lapses: int) -> None:
        self.conn.execute(UPDATE_SCHEDULE, schedule_values(card_id, schedule, lapses))

    def set_suspended(self, card_id: int, suspended: bool) -> bool:
        """Suspend or unsuspend a card; False if there is no such card."""
        cursor = self.conn.execute("UPDATE cards SET suspended = ? WHERE id = ?",
                                   [int(suspended), card_id])
        return cursor.rowcount > 0

    def toggle_flag(self, card_id: int) -> bool | None:
        """Flag a card, or unflag a flagged one; its new state (None if no such card)."""
        self.conn.execute("UPDATE cards SET flagged = 1 - flagged WHERE id = ?", [card_id])
        return self.is_flagged(card_id)

    def is_flagged(self, card_id: int) -> bool | None:
        row = self.conn.execute("SELECT flagged FROM cards WHERE id = ?", [card_id]).fetchone()
        return bool(row[0]) if row else None

    def next_due_after(self, day: date, *, deck: str | None = None) -> tuple[date, int] | None:
        """The first due date after ``day`` among active cards, and how many are due then."""
        where, params = deck_filter(deck)
        sql = (f"SELECT cards.due, count(*) FROM cards JOIN notes ON notes.id = cards.note_id "
               f"JOIN decks ON decks.id = notes.deck_id "
               f"WHERE {_ACTIVE} AND {where} AND cards.due > ? GROUP BY cards.due "
               "ORDER BY cards.due LIMIT 1")
        row = self.conn.execute(sql, [*params, day.isoformat()]).fetchone()
        return (date.fromisoformat(row[0]), row[1]) if row else None

    def status_counts(self, today: date, seen_notes: Iterable[str]) -> list[DeckCounts]:
        """Per deck with active cards: what an unlimited queue for ``today`` would take.

        The queue takes one card per note (siblings are buried), none of a note in
        ``seen_notes`` (GUIDs of notes answered today), and a note's new card only if
        no card of it is due; every card of a note is in the note's deck, so counting
        notes per deck counts the queue's cards. ``due`` and ``new`` are those note counts;
        ``next_due`` is the first due date after ``today``.
        """
        # The unary + keeps SQLite off the (orphaned, suspended, due) index: walking
        # the cards in note order reads each notes page once, not once per card
        # (0.27 s -> 0.09 s at 100k cards), and hands GROUP BY note_id its order.
        sql = """
            WITH per_note AS (
                SELECT notes.deck_id,
                       notes.guid IN (SELECT value FROM json_each(:seen)) AS seen,
                       max(cards.due IS NOT NULL AND cards.due <= :today) AS has_due,
                       max(cards.due IS NULL) AS has_new,
                       min(CASE WHEN cards.due > :today THEN cards.due END) AS next_due
                FROM cards JOIN notes ON notes.id = cards.note_id
                WHERE +cards.orphaned = 0 AND +cards.suspended = 0 AND notes.orphaned = 0
                GROUP BY cards.note_id),
            per_deck AS (
                SELECT deck_id, sum(NOT seen AND has_due) AS due,
                       sum(NOT seen AND NOT has_due AND has_new) AS new,
                       min(next_due) AS next_due
                FROM per_note GROUP BY deck_id)
            SELECT decks.name, due, new, next_due
            FROM per_deck JOIN decks ON decks.id = per_deck.deck_id ORDER BY decks.name"""
        rows = self.conn.execute(sql, {"today": today.isoformat(),
                                       "seen": json.dumps(sorted(seen_notes))})
        return [DeckCounts(deck, due, new, iso_date(next_due))
                for deck, due, new, next_due in rows]

    def deck_exists(self, deck: str) -> bool:
        """True if the deck or a subdeck of it exists."""
        where, params = deck_filter(deck)
        return self.conn.execute(f"SELECT 1 FROM decks WHERE {where} LIMIT 1",
                                 params).fetchone() is not None

    def require_deck(self, deck: str) -> None:
        """FlashcardsError, for the user, unless the deck or a subdeck of it exists."""
        if not self.deck_exists(deck):
            raise FlashcardsError(f"no deck named {deck!r}; `flashcards status` lists the decks")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


UPDATE_SCHEDULE = (
    "UPDATE cards SET repetitions = ?, easiness = ?, interval = ?, due = ?, lapses = ?, "
    "fsrs_phase = ?, fsrs_step = ?, stability = ?, difficulty = ?, last_review = ?, "
    "due_at = ? WHERE id = ?")


def schedule_values(card_id: int, schedule: CardSchedule, lapses: int) -> list:
    """The parameters of ``UPDATE_SCHEDULE`` for one card."""
    return [schedule.repetitions, schedule.easiness, schedule.interval, _iso(schedule.due),
            lapses, *fsrs_values(schedule), card_id]
