"""The store's queries for `flashcards stats` (stats.py) and `flashcards list`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from flashcards.store.connection import Connection, deck_filter
from flashcards.store.records import ListedCard, StatsCard, StatsReview


class StatsQueries(Connection):
    def stats_reviews(
        self, *, deck: str | None = None, since: str | None = None
    ) -> Iterator[StatsReview]:
        """The review log of a deck (and subdecks), one at a time and in no particular
        order. ``since``: only from that UTC ISO time on."""
        where, params = deck_filter(deck)
        # The deck's cards, as a list SQLite builds once (a join would look every
        # review's card, note and deck up: 2.7 s for 1M reviews against 0.8 s).
        cards = ("SELECT cards.id FROM cards JOIN notes ON notes.id = cards.note_id "
                 f"JOIN decks ON decks.id = notes.deck_id WHERE {where}")
        # A deck of a few cards reads their reviews through the card_id index; past
        # a third of the cards one scan of the table is faster (the "+" keeps
        # SQLite off the index: 0.8 s for 1M reviews against 1.9 s).
        by_card = deck is not None and 3 * self._count(cards, params) < self._count(
            "SELECT id FROM cards", [])
        sql = (f"SELECT {', '.join(StatsReview._fields)} "
               f"FROM reviews WHERE {'' if by_card else '+'}card_id IN ({cards})")
        if since:
            sql += " AND reviewed_at >= ?"
            params.append(since)
        return self._records(StatsReview._make, sql, params)

    def stats_cards(self, *, deck: str | None = None) -> Iterator[StatsCard]:
        """Every card of a deck (and subdecks), one at a time."""
        where, params = deck_filter(deck)
        return self._records(StatsCard._make, f"""
            SELECT cards.id, decks.name, notes.question, notes.path, notes.line,
                   cards.suspended, cards.orphaned, cards.repetitions, cards.easiness,
                   cards.interval, cards.due, cards.lapses, cards.fsrs_phase
            FROM cards JOIN notes ON notes.id = cards.note_id
            JOIN decks ON decks.id = notes.deck_id WHERE {where}""", params)

    def listed_cards(self, *, deck: str | None = None, orphans: bool = False,
                     flagged: bool = False, suspended: bool = False,
                     due_by: date | None = None, search: str | None = None,
                     states: tuple[int, int] = (2, 21)) -> Iterator[ListedCard]:
        """One record per card for `flashcards list`, ordered by deck, file and line.

        One at a time: `list` held all 100k as dicts (136 MB peak). ``states``:
        the repetitions a card leaves "learning" at and the interval it is
        "mature" from, so the status names are those of `flashcards stats`.
        """
        clause, params = deck_filter(deck)
        where = f"{'cards.orphaned = 1' if orphans else '1 = 1'} AND {clause}"
        if flagged:
            where += " AND cards.flagged = 1"
        if suspended:
            where += " AND cards.suspended = 1 AND cards.orphaned = 0"
        if due_by is not None:
            where += (" AND cards.due <= ? AND cards.suspended = 0 AND cards.orphaned = 0"
                      " AND notes.orphaned = 0")
            params.append(due_by.isoformat())
        if search:
            where += " AND (instr(lower(notes.question), ?) OR instr(lower(notes.answer), ?))"
            params += [search.lower()] * 2
        return self._records(ListedCard._make, f"""
            SELECT cards.id, decks.name, notes.question, notes.path, notes.line,
                   CASE WHEN cards.orphaned THEN 'orphaned'
                        WHEN cards.suspended THEN 'suspended'
                        WHEN cards.due IS NULL THEN 'new'
                        WHEN cards.fsrs_phase IN (1, 3) THEN 'learning'
                        WHEN cards.fsrs_phase IS NULL
                             AND cards.repetitions < {int(states[0])} THEN 'learning'
                        WHEN cards.interval >= {int(states[1])} THEN 'mature'
                        ELSE 'young' END,
                   (SELECT count(*) FROM reviews WHERE reviews.card_id = cards.id),
                   cards.due, cards.repetitions, cards.easiness, cards.interval,
                   notes.kind, cards.ord, cards.stability, cards.difficulty,
                   cards.last_review
            FROM cards JOIN notes ON notes.id = cards.note_id
            JOIN decks ON decks.id = notes.deck_id
            WHERE {where}
            ORDER BY decks.name, notes.path, notes.line, cards.ord""", params)

    def _count(self, sql: str, params: list) -> int:
        return self.conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
