"""The store's queries for fitting FSRS to the review log (fitting_report.py)."""

from __future__ import annotations

from collections.abc import Iterator

from flashcards.store.connection import Connection, deck_filter
from flashcards.store.records import FitAnswer

_DECK_CARDS = ("SELECT cards.id FROM cards JOIN notes ON notes.id = cards.note_id "
               "JOIN decks ON decks.id = notes.deck_id WHERE {where}")


class FittingQueries(Connection):
    def fit_answers(self, *, deck: str | None = None, utc_offset_minutes: int = 0,
                    day_start_hour: int = 4) -> Iterator[FitAnswer]:
        """Every answer of a deck's cards (all cards: None), one at a time, grouped
        by card and in time order within a card.

        The study day is worked out here, in SQLite's C date code (a Julian day
        number of the local time less the day-start hour), from the offset and
        hour stored with each answer; answers without them take the ones given.
        """
        where, params = deck_filter(deck)
        # All reviews: one scan and one sort (3.3 s of CPU for 1M reviews); the
        # card_id index would read the rows in card order, scattered over the
        # file (8.5 s). A deck's reviews are found through that index.
        source = ("reviews NOT INDEXED" if deck is None else
                  f"reviews WHERE card_id IN ({_DECK_CARDS.format(where=where)})")
        sql = f"""
            SELECT card_id,
                   CAST(julianday(reviewed_at, printf('%+d minutes',
                        coalesce(utc_offset_minutes, ?) - 60 * coalesce(day_start_hour, ?)))
                        + 0.5 AS INTEGER),
                   button, grade
            FROM {source}
            ORDER BY card_id, reviewed_at, id"""
        return self._records(FitAnswer._make, sql,
                             [utc_offset_minutes, day_start_hour, *(params if deck else [])])

    def fit_card_guids(self, *, deck: str | None = None) -> Iterator[tuple[int, str, int]]:
        """Each card of a deck (all cards: None) as (card id, its note's GUID, its
        ordinal), by card id as ``fit_answers`` groups them: what a fit's sample of
        cards is drawn by (fsrs/sample.py), the same in every store of a journal."""
        where, params = deck_filter(deck)
        sql = ("SELECT cards.id, notes.guid, cards.ord FROM cards "
               "JOIN notes ON notes.id = cards.note_id JOIN decks ON decks.id = notes.deck_id "
               f"WHERE {where} ORDER BY cards.id")
        return self._stream(sql, params)

    def active_card_count(self, *, deck: str | None = None) -> int:
        """Cards in play (neither suspended nor orphaned, nor their note) in a deck."""
        where, params = deck_filter(deck)
        sql = (f"SELECT count(*) FROM cards JOIN notes ON notes.id = cards.note_id "
               f"JOIN decks ON decks.id = notes.deck_id WHERE {where} AND cards.suspended = 0 "
               "AND cards.orphaned = 0 AND notes.orphaned = 0")
        return self.conn.execute(sql, params).fetchone()[0]
