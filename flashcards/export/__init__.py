"""Store -> one Anki package (.apkg). The only genanki owner.

docs/anki.md is the contract: note type ids, names, fields and templates, deck ids,
tags, media names, and why a re-import updates exactly the notes that changed.

genanki gives the package format, the note types and the decks. Notes carry
their own modification time (the store's ``notes.modified``) instead of the
package's write time, and exactly the cards that are active in the store: Anki
updates a note on import only when the incoming ``mod`` is newer.

The package's files, one job each:

- ``note_types``: the three note types (ids, names, fields, templates, CSS);
- ``notes``: the store's notes as the package's notes, a batch at a time, with
  their HTML (from the cache, or rendered);
- ``media``: the notes' local images under flat, collision-free names;
- ``scheduling``: each card's progress and review log (``--with-scheduling``);
- ``writers``: the package written, by the fast writer or genanki's own, and
  put in place whole.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flashcards.anki_progress import MemoryState
from flashcards.export.media import _Media
from flashcards.export.note_types import (
    BASIC_FIELDS,
    BASIC_MODEL_ID,
    BASIC_MODEL_NAME,
    CLOZE_FIELDS,
    CLOZE_MODEL_ID,
    CLOZE_MODEL_NAME,
    REVERSED_FIELDS,
    REVERSED_MODEL_ID,
    REVERSED_MODEL_NAME,
)
from flashcards.export.notes import (
    PARALLEL_RENDER,
    AnkiNote,
    _PackageNotes,
    _Renderer,
    _Selection,
    anki_tag,
    anki_tags,
    deck_id,
)
from flashcards.export.scheduling import _Scheduling, fsrs_memory
from flashcards.export.writers import _package, _write
from flashcards.gcpause import no_collections
from flashcards.model import FlashcardsError, Problem
from flashcards.paths import display_path
from flashcards.scheduler import DAY_START_HOUR
from flashcards.store import ExportCard, Store

# The names other modules and the tests import from `flashcards.export`.
__all__ = [
    "BASIC_FIELDS", "BASIC_MODEL_ID", "BASIC_MODEL_NAME", "CLOZE_FIELDS", "CLOZE_MODEL_ID",
    "CLOZE_MODEL_NAME", "EXISTING_CARDS_NOTICE", "PARALLEL_RENDER", "REVERSED_FIELDS",
    "REVERSED_MODEL_ID", "REVERSED_MODEL_NAME", "AnkiNote", "ExportReport", "anki_tag",
    "anki_tags", "deck_id", "export_apkg", "fsrs_memory",
]

# The page cache of an export with scheduling, at most (SQLite's default: 2 MiB). At
# 100k cards and 1M reviews, 32 MiB took the peak to 174 MB (goal 150 MB), 12 MiB
# takes it to 137 MB; at 10k cards, 12 MiB is as fast as 32 (docs/benchmarks.md).
_SCHEDULING_CACHE_MIB = 12


@dataclass(frozen=True)
class ExportReport:
    path: Path
    decks: int
    notes: int
    cards: int
    media: int
    size: int
    with_scheduling: bool = False
    reviews: int = 0  # review log rows, with scheduling

    def summary(self) -> str:
        if not self.with_scheduling:
            return (f"Wrote {display_path(self.path)}: {self.decks} decks, {self.notes} notes, "
                    f"{self.cards} cards, {self.media} media files, {_size(self.size)}")
        return (f"Wrote {display_path(self.path)}: {self.decks} decks, {self.notes} notes, "
                f"{self.cards} cards with their schedule, {self.reviews} reviews, "
                f"{self.media} media files, {_size(self.size)}\n{EXISTING_CARDS_NOTICE}")


# Anki's importer adds the progress of a card only with the card (rslib,
# import/cards.rs): a card the collection has keeps its schedule and its log.
EXISTING_CARDS_NOTICE = (
    "Anki applies this progress only to cards it does not have yet: cards already in the "
    "collection keep their Anki schedule and review history (docs/anki.md). Import with "
    "\"Import any learning progress\" checked.")


def export_apkg(
    store: Store,
    out_path: Path | str,
    *,
    now: datetime,
    decks: Iterable[str] = (),
    paths: Iterable[Path | str] = (),
    with_scheduling: bool = False,
    day_start_hour: int = DAY_START_HOUR,
    memory: Callable[[ExportCard], MemoryState | None] | None = None,
) -> ExportReport:
    """Write the active notes (of ``decks``, under ``paths``, or all) to one .apkg.

    ``with_scheduling`` adds each card's progress as Anki stores it (its state,
    due day, interval, ease, counts, and a review log row per answer;
    anki_progress.py) and takes suspended cards along, suspended; the package's
    day starts at ``day_start_hour``. ``memory`` gives a card's FSRS memory state
    for Anki's ``data`` column (the hook for FSRS; None: SM-2's columns only).

    ``now`` stamps the package itself (note type times, ids of new notes); each
    note carries the time its content last changed. Raises FlashcardsError if
    nothing matches, ProblemsError (file:line) for missing or misplaced images.

    One pass over the store's notes, a batch at a time, never holding them all:
    each batch takes its HTML from the cache, renders what the cache lacks, and
    goes into the package; the decks and note types, known once every note is
    in, are written last.
    """
    out_path = Path(out_path)
    selection = _Selection(list(decks), [os.path.abspath(p) for p in paths], with_scheduling)
    if not store.has_export_notes(decks=selection.decks, paths=selection.paths,
                                  suspended=with_scheduling):
        raise FlashcardsError("nothing to export: no active cards match"
                              " (run `flashcards sync` first, or check --deck)")
    media = _Media()
    problems: list[Problem] = []
    scheduling = _Scheduling(day_start_hour, memory) if with_scheduling else None
    # The notes stream in batches of tuples and rows, none of them cyclic: collections
    # would walk them for nothing.
    # The review log is read a batch of cards at a time, its rows spread over the
    # table: a page cache that holds it reads each page once (10k cards, 100k
    # reviews: docs/benchmarks.md).
    cache = store.page_cache(_SCHEDULING_CACHE_MIB) if with_scheduling else nullcontext()
    with _Renderer() as renderer, no_collections(), cache:
        notes = _PackageNotes(store, selection, renderer, media, problems, scheduling)
        _write(_package(notes), media, problems, out_path, now)
    if not selection.decks and not selection.paths:
        store.prune_html(notes.keys, cached=notes.cached)
    return ExportReport(out_path, len(notes.decks), notes.notes, notes.cards, len(media.files),
                        out_path.stat().st_size, with_scheduling,
                        scheduling.reviews if scheduling else 0)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 ** 2:.1f} MiB"
