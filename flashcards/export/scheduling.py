"""`--with-scheduling`: each exported card's progress and review log rows (anki_progress.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from flashcards import anki_progress
from flashcards.anki_progress import MemoryState, Progress
from flashcards.store import ExportAnswer, ExportCard, ExportNote, Store

if TYPE_CHECKING:  # the settings module loads for an export with scheduling alone
    from flashcards.settings import Settings


def fsrs_memory(settings: Settings) -> Callable[[ExportCard], MemoryState | None] | None:
    """The ``memory`` hook of `export_apkg` when FSRS is the active scheduler: each
    card's stability and difficulty (and the desired retention) for Anki's ``data``."""
    if not settings.uses_fsrs:
        return None

    def memory(card: ExportCard) -> MemoryState | None:
        state = card.schedule.fsrs
        if state is None:
            return None
        return MemoryState(state.stability, state.difficulty, settings.desired_retention)

    return memory


class _Scheduling:
    """The progress of the exported cards, a batch of notes at a time (anki_progress.py)."""

    def __init__(self, day_start_hour: int,
                 memory: Callable[[ExportCard], MemoryState | None] | None) -> None:
        self.day_start_hour, self.memory = day_start_hour, memory
        self.reviews = 0
        self.ids = ReviewLogIds()

    def of_notes(self, store: Store,
                 notes: list[ExportNote]) -> dict[int, tuple[Progress, ...]]:
        """Each note's cards' progress, in the order of its ``ords``."""
        cards, answers = store.export_cards([note.id for note in notes], suspended=True)
        by_card: dict[int, list[ExportAnswer]] = {}
        for answer in answers:
            by_card.setdefault(answer.card_id, []).append(answer)
        progress = {}
        for card in cards:
            memory = self.memory(card) if self.memory is not None else None
            progress[card.note_id, card.ord] = anki_progress.progress(
                card.schedule, by_card.get(card.id, ()), lapses=card.lapses,
                suspended=card.suspended, memory=memory)
        return {note.id: tuple(progress[note.id, ord_] for ord_ in note.ords) for note in notes}

    def revlog(self, cursor, cards: list[tuple[int, Progress]]) -> list[tuple]:
        """The cards' review log rows, ids made unique against the rows already in the
        package's review log (``cursor``'s database) and among themselves."""
        ids = self.ids.free(cursor, [row[0] for _, progress in cards for row in progress.revlog])
        self.reviews += len(ids)
        next_id = iter(ids).__next__
        return [(next_id(), card_id, -1, ease, ivl, last_ivl, factor, time_ms, kind)
                for card_id, progress in cards
                for _, ease, ivl, last_ivl, factor, time_ms, kind in progress.revlog]

    def finish(self, cursor) -> None:
        """The collection's day count and rollover, which place every due day."""
        (conf,) = cursor.execute("SELECT conf FROM col").fetchone()
        conf = anki_progress.collection_conf(json.loads(conf), self.day_start_hour)
        cursor.execute("UPDATE col SET crt = ?, conf = ?",
                       (anki_progress.COLLECTION_CREATED, json.dumps(conf)))


# A review log id is the answer's time in ms and the table's key: an answer whose
# ms is taken (two answers of one ms, from two devices) moves on by 1 ms, and the
# next, until one is free. The table itself says which ids are taken, rather than
# a set of every id written (about 60 MB at 1M answers).
_TAKEN = ("SELECT revlog.id FROM json_each(?) AS wanted"
          " JOIN revlog ON revlog.id = wanted.value")
_IS_TAKEN = "SELECT 1 FROM revlog WHERE id = ?"


class ReviewLogIds:
    """Free review log ids for the answers of each batch of cards, in their order."""

    def __init__(self) -> None:
        # A wanted id that was taken: the ms its next answer starts looking from (every
        # ms before it is taken). It keeps many answers of one ms from walking the same
        # taken ids again.
        self.moved: dict[int, int] = {}

    def free(self, cursor, wanted: list[int]) -> list[int]:
        """``wanted``, each id that the review log or an earlier one of ``wanted``
        holds moved on to the next free ms."""
        in_table = {id_ms for (id_ms,) in cursor.execute(_TAKEN, (json.dumps(wanted),))}
        if not in_table and len(set(wanted)) == len(wanted):
            return wanted  # the common case: every id is free
        given: set[int] = set()
        free = []
        for id_ms in wanted:
            if id_ms in in_table or id_ms in given:
                id_ms = self._next_free(cursor, id_ms, given)
            given.add(id_ms)
            free.append(id_ms)
        return free

    def _next_free(self, cursor, taken: int, given: set[int]) -> int:
        id_ms = self.moved.get(taken, taken + 1)
        while id_ms in given or cursor.execute(_IS_TAKEN, (id_ms,)).fetchone():
            id_ms += 1
        self.moved[taken] = id_ms + 1
        return id_ms
