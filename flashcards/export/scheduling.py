"""`--with-scheduling`: each exported card's progress and review log rows (anki_progress.py)."""

from __future__ import annotations

import json
from collections.abc import Callable

from flashcards import anki_progress
from flashcards.anki_progress import MemoryState, Progress
from flashcards.settings import Settings
from flashcards.store import ExportAnswer, ExportCard, ExportNote, Store


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
        self._revlog_ids: set[int] = set()
        self._indexes: list[tuple[str, str]] = []

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

    def revlog(self, card_id: int, progress: Progress) -> list[tuple]:
        """The card's review log rows; an id (a time in ms) already taken moves on by 1 ms."""
        taken = self._revlog_ids
        ids = [row[0] for row in progress.revlog]
        if not taken.isdisjoint(ids) or len(set(ids)) < len(ids):  # rare: same ms twice
            for index, id_ms in enumerate(ids):
                while id_ms in taken:
                    id_ms += 1
                taken.add(id_ms)
                ids[index] = id_ms
        else:
            taken.update(ids)
        self.reviews += len(ids)
        return [(id_ms, card_id, -1, ease, ivl, last_ivl, factor, time_ms, kind)
                for id_ms, (_, ease, ivl, last_ivl, factor, time_ms, kind)
                in zip(ids, progress.revlog, strict=True)]

    def start(self, cursor) -> None:
        """Drop the review log's indexes while it fills (the fast writer): built once at
        the end, they cost about half of what 100k inserts into them take."""
        self._indexes = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'revlog'"
            " AND sql IS NOT NULL").fetchall()
        for name, _sql in self._indexes:
            cursor.execute(f'DROP INDEX "{name}"')

    def finish(self, cursor) -> None:
        """The review log's indexes back; the collection's day count and rollover,
        which place every due day."""
        for _name, sql in self._indexes:
            cursor.execute(sql)
        (conf,) = cursor.execute("SELECT conf FROM col").fetchone()
        conf = anki_progress.collection_conf(json.loads(conf), self.day_start_hour)
        cursor.execute("UPDATE col SET crt = ?, conf = ?",
                       (anki_progress.COLLECTION_CREATED, json.dumps(conf)))
