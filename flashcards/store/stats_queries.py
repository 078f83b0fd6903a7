"""The store's queries for `flashcards stats` (stats.py) and `flashcards list`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from functools import cache

from flashcards.scheduler import LEARNED_REPETITIONS, MATURE_INTERVAL
from flashcards.store.connection import Connection, deck_filter
from flashcards.store.migrations import (
    REVIEW_HOUR_COLUMNS,
    REVIEW_HOURS_UPTO,
    hour_key,
    hour_values,
)
from flashcards.store.records import (
    CARD_STATES,
    CardCounts,
    HourTotals,
    ListedCard,
    StatsCard,
    StatsReview,
)

# A card's state (docs/stats.md, "Card states"), the one definition `list` and `stats`
# share: the first rule that applies wins. A card is out of play (orphaned, suspended,
# new) unless it meets each condition below, written so that
# idx_cards_orphaned_suspended_due finds the cards in play.
_IN_PLAY_UNLESS = (("orphaned", "cards.orphaned = 0"), ("suspended", "cards.suspended = 0"),
                   ("new", "cards.due IS NOT NULL"))
IN_PLAY = " AND ".join(condition for _, condition in _IN_PLAY_UNLESS)
# In play, a card is learning on FSRS's (re)learning steps or, under SM-2 (no phase),
# before its LEARNED_REPETITIONS-th repetition; else its interval makes it mature or young.
@cache
def card_state() -> str:
    """A card's state (``CARD_STATES``) as one SQL expression, which `list` and `stats`
    share. Made at first use: the FSRS scheduler, whose review phase it names, loads
    only with the commands that show card states."""
    from flashcards.fsrs.scheduler import REVIEW as FSRS_REVIEW

    learning = (f"cards.fsrs_phase <> {int(FSRS_REVIEW)} OR cards.fsrs_phase IS NULL "
                f"AND cards.repetitions < {int(LEARNED_REPETITIONS)}")
    return ("CASE " + " ".join(f"WHEN NOT ({condition}) THEN '{state}'"
                               for state, condition in _IN_PLAY_UNLESS)
            + f" WHEN {learning} THEN 'learning'"
            f" WHEN cards.interval >= {int(MATURE_INTERVAL)} THEN 'mature'"
            " ELSE 'young' END")


def _totals_since(columns: str) -> str:
    """The reviews with an id over ? totalled per hour key (migrations.hour_values)."""
    values = ", ".join(f"sum({v}) AS {c}"
                       for v, c in zip(hour_values(), REVIEW_HOUR_COLUMNS, strict=True))
    # "WHERE true": an upsert's SELECT needs a WHERE of its own (SQLite's parser).
    return (f"SELECT {columns} FROM (SELECT {hour_key()} AS hour, {values} FROM reviews "
            "WHERE id > ? GROUP BY hour) WHERE true")


_BY_CARD = """FROM cards JOIN notes ON notes.id = cards.note_id
            JOIN decks ON decks.id = notes.deck_id"""
# Decks in name order (idx_decks_name), their notes by idx_notes_deck_id: SQLite then
# sorts only within a deck ("temp b-tree for right part of order by").
_BY_DECK = """FROM decks CROSS JOIN notes ON notes.deck_id = decks.id
            CROSS JOIN cards ON cards.note_id = notes.id"""
_STATS_CARD = """
    SELECT cards.id, decks.name, notes.question, notes.path, notes.line,
           cards.suspended, cards.orphaned, cards.repetitions, cards.easiness,
           cards.interval, cards.due, cards.lapses, cards.fsrs_phase
    FROM cards JOIN notes ON notes.id = cards.note_id
    JOIN decks ON decks.id = notes.deck_id"""


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

    def review_hours(self) -> list[HourTotals]:
        """Every review totalled per UTC hour (a few thousand rows a year of answers):
        the whole store's review figures without reading a million reviews.

        ``review_hours`` holds the reviews up to the id in meta (its triggers take a
        deleted or changed one out and put it back); this adds the newer ones, which
        answers and replays append. A store that cannot be written gets the totals
        computed without keeping them.
        """
        read = f"SELECT hour, {', '.join(HourTotals._fields[1:])} FROM review_hours"
        try:
            with self.transaction():
                self._bring_review_hours_up_to_date()
                return [HourTotals._make(row) for row in self.conn.execute(read)]
        except sqlite3.OperationalError:  # read-only file or folder: total them now
            return [HourTotals._make(row) for row in self.conn.execute(
                _totals_since("hour, " + ", ".join(REVIEW_HOUR_COLUMNS)), [0])]

    def _bring_review_hours_up_to_date(self) -> None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?",
                                [REVIEW_HOURS_UPTO]).fetchone()
        (last,) = self.conn.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()
        upto = int(row[0]) if row else None
        if upto == last:
            return
        if upto is None or upto > last:
            self.conn.execute("DELETE FROM review_hours")
            upto = 0
        sums = ", ".join(f"{c} = {c} + excluded.{c}" for c in REVIEW_HOUR_COLUMNS)
        self.conn.execute(f"INSERT INTO review_hours {_totals_since('*')} "
                          f"ON CONFLICT (hour) DO UPDATE SET {sums}", [upto])
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                          "DO UPDATE SET value = excluded.value", [REVIEW_HOURS_UPTO, str(last)])

    def stats_reviews_of_hour(self, hour: str) -> Iterator[StatsReview]:
        """The reviews an ``HourTotals`` row of a UTC hour totals (by the reviewed_at
        index), for an hour in which a study day begins."""
        # ";" follows ":", so every time of the hour sorts before hour + ";".
        sql = (f"SELECT {', '.join(StatsReview._fields)} FROM reviews "
               f"WHERE reviewed_at >= ? AND reviewed_at < ? AND {hour_key()} = ?")
        return self._records(StatsReview._make, sql, [hour, hour + ";", hour])

    def stats_card_counts(self, *, deck: str | None = None) -> CardCounts:
        """The cards of a deck and its subdecks (None: every card) counted by SQLite:
        per state, and the cards in play per due date, interval and E-Factor.

        Four GROUP BYs over 100k cards take 0.14 s; reading each card into Python to
        count it took 0.34 s. Of every card, the due dates of those in play are the
        index on (orphaned, suspended, due)'s own, which answers them alone (0.01 s).
        """
        scan, of_deck, params = _cards_of(deck)

        def counts(sql: str) -> dict:
            return dict(self.conn.execute(sql, params).fetchall())

        states = dict.fromkeys(CARD_STATES, 0)
        states.update(counts(f"SELECT {card_state()} AS state, count(*) {scan} "
                             f"WHERE {of_deck} GROUP BY state"))
        in_play = f"{scan} WHERE {IN_PLAY} AND {of_deck}"
        by_due = f"FROM cards WHERE {IN_PLAY}" if deck is None else in_play
        return CardCounts(
            states=states,
            due=counts(f"SELECT cards.due, count(*) {by_due} GROUP BY cards.due"),
            intervals=counts(f"SELECT cards.interval, count(*) {in_play} GROUP BY cards.interval"),
            easiness=counts(f"SELECT cards.easiness, count(*) {in_play} GROUP BY cards.easiness"))

    def stats_leeches(self, *, lapses: int, deck: str | None = None) -> list[StatsCard]:
        """The cards with ``lapses`` or more lapses, not orphaned, of a deck and its
        subdecks (None: every card), with their deck, question and source."""
        where, params = deck_filter(deck)
        # "+": a scan, not the index on orphaned, which would look up nearly every card.
        return [StatsCard._make(row) for row in self.conn.execute(
            f"{_STATS_CARD} WHERE +cards.orphaned = 0 AND cards.lapses >= ? AND {where}",
            [lapses, *params])]

    def listed_cards(self, *, deck: str | None = None, orphans: bool = False,
                     flagged: bool = False, suspended: bool = False,
                     due_by: date | None = None, search: str | None = None,
                     states: tuple[int, int] = (2, 21),
                     first_rows_fast: bool = False) -> Iterator[ListedCard]:
        """One record per card for `flashcards list`, ordered by deck, file and line.

        One at a time: `list` held all 100k as dicts (136 MB peak). The status is
        ``card_state()``, as `flashcards stats` counts it.
        ``first_rows_fast`` (for a pager's first screen): walk the decks by name and
        sort each deck's cards alone, so the first rows come at once (100k cards:
        0.01 s against 0.8 s) for a slower whole (1.8 s against 1.4 s).
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
                   {card_state()},
                   (SELECT count(*) FROM reviews WHERE reviews.card_id = cards.id),
                   cards.due, cards.repetitions, cards.easiness, cards.interval,
                   notes.kind, cards.ord, cards.stability, cards.difficulty,
                   cards.last_review
            {_BY_DECK if first_rows_fast else _BY_CARD}
            WHERE {where}
            ORDER BY decks.name, notes.path, notes.line, cards.ord""", params)

    def _count(self, sql: str, params: list) -> int:
        return self.conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]


def _cards_of(deck: str | None) -> tuple[str, str, list]:
    """FROM, WHERE and parameters for the cards of a deck and its subdecks.

    Every card (None): one scan of the table; the index on (orphaned, suspended,
    due) would look each card in play up through it, three times slower. A deck's
    cards: deck by deck, through their notes ("INDEXED BY": left to itself, SQLite
    took that index again for each note, and a deck of 100 cards in 100k took 43 s).
    """
    if not deck:
        return "FROM cards NOT INDEXED", "1 = 1", []
    where, params = deck_filter(deck)
    return ("FROM decks CROSS JOIN notes ON notes.deck_id = decks.id CROSS JOIN cards "
            "INDEXED BY idx_cards_note_id_ord ON cards.note_id = notes.id", where, params)
