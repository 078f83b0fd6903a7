"""Store -> one Anki package (.apkg). The only genanki owner.

docs/anki.md is the contract: note type ids, names, fields and templates, deck ids,
tags, media names, and why a re-import updates exactly the notes that changed.

genanki gives the package format, the note types and the decks. Notes carry
their own modification time (the store's ``notes.modified``) instead of the
package's write time, and exactly the cards that are active in the store: Anki
updates a note on import only when the incoming ``mod`` is newer.

Two writers give the same package, row for row (tests/test_export.py):

- `_Package`, the fast one, writes genanki's rows a batch at a time
  (`_write_notes`) as the notes stream from the store, and the deck and note
  type JSON once for the whole package (genanki's ``Deck.write_to_db`` re-reads
  and re-writes both for every deck, which grows with the square of the number
  of decks). It copies genanki's internals (its schema and collection row,
  ``genanki.apkg_schema`` and ``genanki.apkg_col``, and the rows of
  ``Note.write_to_db``), so it runs only where `_genanki_tables` finds the
  genanki it was checked against: a known release, whose notes and cards
  tables have the columns it fills.
- `_PublicPackage`, anywhere else: genanki's public ``Note``, ``Card``,
  ``Deck`` and ``Package``, which hold every note until the package is written
  and write a statement per row (10k notes in 100 decks, whole process: 1.27
  times the fast writer's time, 51 MB peak instead of 47 MB).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from html import escape as html_escape
from importlib.resources import files
from pathlib import Path
from typing import NamedTuple

import genanki

from flashcards import anki_progress, htmlcache
from flashcards.anki_progress import MemoryState, Progress
from flashcards.images import locate
from flashcards.model import FlashcardsError, NoteKind, Problem, ProblemsError, Severity
from flashcards.paths import deck_folder, display_path
from flashcards.scheduler import DAY_START_HOUR
from flashcards.settings import Settings
from flashcards.store import ExportAnswer, ExportCard, ExportNote, Store

# -- the note types: never change ids, names, fields, field order or template
# names without a migration documented in docs/anki.md. Anki matches note types
# by id; a changed one is imported as a second type ("Name+") and every existing
# note is reported as conflicting and no longer updated.

BASIC_MODEL_ID = 1836189779
REVERSED_MODEL_ID = 1108444273
CLOZE_MODEL_ID = 1158026485
BASIC_MODEL_NAME = "flashcards Basic"
REVERSED_MODEL_NAME = "flashcards Basic+Reverse"
CLOZE_MODEL_NAME = "flashcards Cloze"
BASIC_FIELDS = ("Front", "Back", "Source")
REVERSED_FIELDS = ("Front", "Back", "Source")
CLOZE_FIELDS = ("Text", "Back Extra", "Source")

_SOURCE = '\n<div class="flashcards-source">{{Source}}</div>'
_BASIC_TEMPLATES = (
    ("Card 1", "{{Front}}", "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}" + _SOURCE),
)
_REVERSED_TEMPLATES = (
    *_BASIC_TEMPLATES,
    ("Card 2", "{{Back}}", "{{FrontSide}}\n\n<hr id=answer>\n\n{{Front}}" + _SOURCE),
)
_CLOZE_TEMPLATES = (
    ("Cloze", "{{cloze:Text}}", "{{cloze:Text}}\n<br>\n{{Back Extra}}" + _SOURCE),
)
_EXTRA_CSS = ".flashcards-source { margin-top: 1.5em; font-size: 0.6em; opacity: 0.6; }\n"

# Deck ids are derived from the deck name (Anki itself matches decks by name on
# import): 48 bits of a hash, kept above Anki's reserved "Default" deck (id 1)
# and below 2**53 so JavaScript in Anki reads them exactly.
_DECK_ID_BASE = 1 << 50
# Below this many card sides to render, a process pool costs more than it saves.
PARALLEL_RENDER = 200
# Notes (and card sides) handled at a time: memory stays flat at any size.
_BATCH = 2000
# Characters Anki cannot keep in a tag (spaces separate tags; it drops control
# characters) or that make a tag awkward to search for (a double quote).
_TAG_UNSAFE = re.compile(r'[\s"\x00-\x1f\x7f]+')
# Media names: Anki needs flat names; keep them portable on every file system.
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


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
    with _Renderer() as renderer:
        notes = _PackageNotes(store, selection, renderer, media, problems, scheduling)
        _write(_package(notes), media, problems, out_path, now)
    if not selection.decks and not selection.paths:
        store.prune_html(notes.keys, cached=notes.cached)
    return ExportReport(out_path, len(notes.decks), notes.notes, notes.cards, len(media.files),
                        out_path.stat().st_size, with_scheduling,
                        scheduling.reviews if scheduling else 0)


@dataclass(frozen=True)
class _Selection:
    decks: list[str]
    paths: list[str]
    suspended: bool = False  # suspended cards too (an export with scheduling)

    def notes(self, store: Store) -> Iterator[ExportNote]:
        return store.export_notes(decks=self.decks, paths=self.paths, suspended=self.suspended)


# -- ids, tags and fields --------------------------------------------------------


@lru_cache(maxsize=4096)  # asked once per exported note
def deck_id(name: str) -> int:
    """A stable Anki deck id for a deck name (``A::B``), the same on every machine."""
    digest = hashlib.sha256(f"flashcards deck\x00{name}".encode()).digest()
    return _DECK_ID_BASE + int.from_bytes(digest[:6], "big")


@lru_cache(maxsize=4096)
def anki_tag(tag: str) -> str:
    """A tag Anki stores unchanged: unsafe runs become ``_``, empty ``::`` parts go."""
    parts = (_TAG_UNSAFE.sub("_", part) for part in tag.split("::"))
    return "::".join(part for part in parts if part)


def anki_tags(tags: Iterable[str]) -> list[str]:
    """Anki tags in order; Anki compares tags without case, so keep the first spelling."""
    seen: set[str] = set()
    result = []
    for tag in map(anki_tag, tags):
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            result.append(tag)
    return result


class AnkiNote(NamedTuple):
    """One note as the package stores it, with exactly the store's active cards."""

    guid: str
    model: genanki.Model
    fields: list[str]
    tags: list[str]
    modified: int  # the note's own content time: Anki updates only newer notes
    ords: tuple[int, ...]  # Anki's card ordinals, from 0
    progress: tuple[Progress, ...] | None = None  # each card's, with scheduling


@dataclass(frozen=True)
class _Placed:
    """A stored note on its way into the package: its sides' cache keys, its deck folder."""

    note: ExportNote
    keys: tuple[str | None, str | None]
    folder: str


def _anki_note(item: _Placed, html: dict[str, str], media: _Media,
               problems: list[Problem], progress: tuple[Progress, ...] | None) -> AnkiNote:
    """A package note from a stored note; ``html`` holds cached sides by cache key."""
    note = item.note

    def side(text: str, key: str | None) -> str:
        cached = html.get(key) if key else None
        if cached is not None:
            return cached
        from flashcards import render  # here: a side in the cache needs no renderer

        return render.to_html(text, image_src=lambda written: media.add(written, item, problems))

    question_key, answer_key = item.keys
    question = side(note.question, question_key)
    answer = side(note.answer, answer_key) if note.answer else ""
    source = html_escape(f"{_source_name(item.folder, note.path)}:{note.line}")
    kind = NoteKind(note.kind)
    if kind is NoteKind.CLOZE:
        # Anki hides clozes only in Text, so the whole note goes there.
        fields = [question + answer, "", source]
    else:
        fields = [question, answer, source]
    return AnkiNote(note.guid, _models()[kind], fields, anki_tags(note.tags),
                    note.modified, _anki_ords(note.ords), progress)


def _anki_ords(ords: tuple[int, ...]) -> tuple[int, ...]:
    # The store counts cards from 1 (cloze cN is ord N); Anki from 0 (cN is ord N-1).
    return tuple([ord_ - 1 for ord_ in ords])


@lru_cache(maxsize=4096)  # asked once per note, the same for a file's notes
def _source_name(folder: str, path: str) -> str:
    """The note's file relative to its deck folder: no home folders leak into Anki."""
    prefix = os.path.join(folder, "")
    if path.startswith(prefix):
        return path[len(prefix):].replace(os.sep, "/")
    return os.path.basename(path)


def _deck_folder(note: ExportNote, known: dict[tuple, str]) -> str:
    """The folder a note's images must stay in: the folder that was synced."""
    key = (note.root, note.path)  # worked out once per file
    if key not in known:
        known[key] = str(deck_folder(note.root or os.path.dirname(note.path)))
    return known[key]


def _description(text: str | None) -> str:
    if not text:
        return ""
    from flashcards import render  # here, as in _note: most decks have no description

    return render.to_html(text)


# -- rendering -------------------------------------------------------------------


class _Renderer:
    """Renders card sides for the cache; in a process pool when there are many."""

    def __init__(self) -> None:
        self.pool = None

    def __enter__(self) -> _Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def map(self, texts: list[str]) -> list[str | None]:
        if not texts:
            return []
        from flashcards import render  # here: when the cache has every side, never loaded

        if len(texts) < PARALLEL_RENDER or (os.cpu_count() or 1) < 2:
            return [render.cacheable_html(text) for text in texts]
        if self.pool is None:
            # Imported here: the pool's machinery costs a small export a fifth of its time.
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1))
        # Results come back in order, so the package is the same either way.
        return list(self.pool.map(render.cacheable_html, texts,
                                  chunksize=max(1, len(texts) // 32)))


class _PackageNotes:
    """The notes to package, a batch of (deck id, note) at a time, with their HTML.

    Iterating it (once) also tallies what the package needs besides the notes
    (decks, note types, counts) and what the cache holds: `keys`, the cache key
    of every side, and `cached`, how many of those are in the cache now.
    """

    def __init__(self, store: Store, selection: _Selection, renderer: _Renderer,
                 media: _Media, problems: list[Problem],
                 scheduling: _Scheduling | None = None) -> None:
        self.store, self.selection, self.renderer = store, selection, renderer
        self.media, self.problems, self.scheduling = media, problems, scheduling
        self.decks: dict[str, str | None] = {}  # name: description, in order
        self.kinds: set[NoteKind] = set()
        self.notes = self.cards = self.cached = 0
        self.keys: set[str] = set()
        self.guids: set[str] = set()
        self.repeated: set[str] = set()

    def __iter__(self) -> Iterator[list[tuple[int, AnkiNote]]]:
        folders: dict[tuple, str] = {}
        for notes in _batches(self.selection.notes(self.store), _BATCH):
            placed = [_Placed(note, _cache_keys(note), _deck_folder(note, folders))
                      for note in notes]
            html = self._html(placed)
            progress = (self.scheduling.of_notes(self.store, notes)
                        if self.scheduling is not None else {})
            batch = []
            for item in placed:
                self._tally(item.note)
                batch.append((deck_id(item.note.deck),
                              _anki_note(item, html, self.media, self.problems,
                                         progress.get(item.note.id))))
            yield batch
        if self.repeated:
            # Anki accepts duplicate GUIDs in a package silently, then updates the wrong note.
            raise FlashcardsError(f"the store holds {len(self.repeated)} GUID(s) on several "
                                  f"notes (first: {min(self.repeated)}); run `flashcards doctor`")

    def _html(self, placed: list[_Placed]) -> dict[str, str]:
        """The batch's HTML by cache key, rendering (and caching) what the cache lacks.

        A side with a local image is never cached: its media name depends on the
        image's bytes, and exporting it checks that the image is there.
        """
        texts: dict[str, str] = {}
        for item in placed:
            for text, key in zip((item.note.question, item.note.answer), item.keys,
                                 strict=True):
                if key:
                    texts[key] = text
        html = self.store.cached_html(texts)
        missing = [key for key in texts if key not in html]
        rendered = zip(missing, self.renderer.map([texts[key] for key in missing]), strict=True)
        fresh = {key: side for key, side in rendered if side is not None}
        self.store.cache_html_while_reading(fresh)  # the notes' read is still open
        html |= fresh
        new_keys = texts.keys() - self.keys
        self.cached += len(new_keys & html.keys())
        self.keys |= new_keys
        return html

    def _tally(self, note: ExportNote) -> None:
        (self.repeated if note.guid in self.guids else self.guids).add(note.guid)
        self.decks.setdefault(note.deck, note.deck_description)
        self.kinds.add(NoteKind(note.kind))
        self.notes += 1
        self.cards += len(note.ords)


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


def _insert_revlog(cursor, rows: list[tuple]) -> None:
    if rows:
        cursor.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _card_columns(note: AnkiNote, index: int) -> tuple:
    """type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data."""
    if note.progress is None:
        return (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "")
    card = note.progress[index].card
    return (*card[:8], 0, 0, 0, card.data)


def _cache_keys(note: ExportNote) -> tuple[str | None, str | None]:
    return (htmlcache.cache_key(note.question) if note.question else None,
            htmlcache.cache_key(note.answer) if note.answer else None)


def _batches(notes: Iterator[ExportNote], size: int) -> Iterator[list[ExportNote]]:
    batch: list[ExportNote] = []
    for note in notes:
        batch.append(note)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- media -----------------------------------------------------------------------


class _Media:
    """The local images of the exported notes, under flat, collision-free names.

    A name is the file's sanitized stem, a hash of its bytes and its suffix: two
    different files never share a name, and the same file gets one name however
    many cards show it.
    """

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}
        self._names: dict[Path, str] = {}
        self.staging: Path | None = None  # where each file is staged under its name
        self.staged: list[str] = []


    def add(self, written: str, item: _Placed, problems: list[Problem]) -> str:
        target, message = locate(written, item.note.path, item.folder)
        if message:
            problems.append(Problem(display_path(item.note.path), _image_line(written, item.note),
                                    1, Severity.ERROR, f"image {written!r} {message}"))
            return written
        name = self._names.get(target)
        if name is None:
            digest = hashlib.sha256(target.read_bytes()).hexdigest()[:12]
            stem = _NAME_UNSAFE.sub("_", target.stem).strip("._") or "image"
            suffix = _NAME_UNSAFE.sub("_", target.suffix)
            name = self._names[target] = f"{stem}-{digest}{suffix}"
            self.files[name] = target
            if self.staging is not None:
                self.staged.append(_stage(target, self.staging / name))
        return name


def _image_line(written: str, note: ExportNote) -> int:
    """The line of the image in its file: the store keeps only the note's first line."""
    try:
        lines = Path(note.path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return note.line
    for number in range(note.line, len(lines) + 1):
        if written in lines[number - 1]:
            return number
    return note.line


# -- genanki ---------------------------------------------------------------------


# The genanki releases whose package rows the fast writer copies, and the
# columns of their notes and cards tables that `_write_notes` fills in order.
_FAST_GENANKI = ((0, 13), (0, 14))  # from, up to (not included)
_NOTE_COLUMNS = ("id", "guid", "mid", "mod", "usn", "tags", "flds", "sfld", "csum", "flags",
                 "data")
_CARD_COLUMNS = ("id", "nid", "did", "ord", "mod", "usn", "type", "queue", "due", "ivl",
                 "factor", "reps", "lapses", "left", "odue", "odid", "flags", "data")


def _package(notes: _PackageNotes) -> genanki.Package:
    """The fast writer where it knows the installed genanki, else genanki's own."""
    tables = _genanki_tables()
    return _PublicPackage(notes) if tables is None else _Package(notes, *tables)


@cache
def _genanki_tables() -> tuple[str, str] | None:
    """genanki's package schema and collection row, if the fast writer may use them."""
    try:
        from genanki.apkg_col import APKG_COL
        from genanki.apkg_schema import APKG_SCHEMA
    except ImportError:
        return None
    if not _fast_writer_fits(getattr(genanki, "__version__", ""), APKG_SCHEMA):
        return None
    return APKG_SCHEMA, APKG_COL


def _fast_writer_fits(version: str, schema: str) -> bool:
    """Whether `_write_notes` writes the rows of this genanki release and schema."""
    try:
        release = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    if not _FAST_GENANKI[0] <= release < _FAST_GENANKI[1]:
        return False
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(schema)
        columns = [tuple(row[1] for row in db.execute(f"PRAGMA table_info({table})"))
                   for table in ("notes", "cards")]
    except sqlite3.Error:
        return False
    finally:
        db.close()
    return columns == [_NOTE_COLUMNS, _CARD_COLUMNS]


class _Package(genanki.Package):
    """A package whose notes are written as they come, not held in their decks."""

    def __init__(self, notes: _PackageNotes, schema: str, collection: str) -> None:
        super().__init__([])
        self.notes, self.schema, self.collection = notes, schema, collection
        self.scheduling = notes.scheduling

    def write_to_db(self, cursor, timestamp: float, id_gen) -> None:
        # A scratch file, renamed into place only when complete: no need to sync to disk.
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA journal_mode = MEMORY")
        cursor.executescript(self.schema)
        cursor.executescript(self.collection)
        if self.scheduling is not None:
            self.scheduling.start(cursor)
        models_in: dict[int, dict[int, genanki.Model]] = {}  # deck id: its notes' note types
        for batch in self.notes:
            _write_notes(cursor, batch, id_gen, self.scheduling)
            for deck, note in batch:
                models_in.setdefault(deck, {})[note.model.model_id] = note.model
        # Known only now that every note is in (the order of rows does not matter).
        (decks_json,) = cursor.execute("SELECT decks FROM col").fetchone()
        decks = json.loads(decks_json)
        self.decks = [genanki.Deck(deck_id(name), name, _description(description))
                      for name, description in self.notes.decks.items()]
        decks.update({str(deck.deck_id): deck.to_json() for deck in self.decks})
        # As genanki's Deck.write_to_db leaves them: each note type with the last
        # deck that holds one of its notes.
        models = {str(model.model_id): model.to_json(timestamp, deck.deck_id)
                  for deck in self.decks for model in models_in[deck.deck_id].values()}
        cursor.execute("UPDATE col SET decks = ?, models = ?",
                       (json.dumps(decks), json.dumps(models)))
        if self.scheduling is not None:
            self.scheduling.finish(cursor)


def _write_notes(cursor, notes: list[tuple[int, AnkiNote]], id_gen: Iterator[int],
                 scheduling: _Scheduling | None = None) -> None:
    """The rows genanki's Note.write_to_db writes, a batch per statement.

    Ids are drawn from ``id_gen`` in genanki's order (a note, then its cards), and
    note and cards carry the note's own modification time, not the package's.
    With ``scheduling``, cards carry their progress and their answers go to the
    review log.
    """
    note_rows, card_rows, revlog_rows = [], [], []
    for deck, note in notes:
        note_id = next(id_gen)
        note_rows.append((note_id, note.guid, note.model.model_id, note.modified, -1,
                          " " + " ".join(note.tags) + " ", "\x1f".join(note.fields),
                          note.fields[note.model.sort_field_index], 0, 0, ""))
        for index, ord_ in enumerate(note.ords):
            card_id = next(id_gen)
            card_rows.append((card_id, note_id, deck, ord_, note.modified, -1,
                              *_card_columns(note, index)))
            if scheduling is not None and note.progress is not None:
                revlog_rows += scheduling.revlog(card_id, note.progress[index])
    cursor.executemany(f"INSERT INTO notes VALUES ({', '.join('?' * len(_NOTE_COLUMNS))})",
                       note_rows)
    cursor.executemany(f"INSERT INTO cards VALUES ({', '.join('?' * len(_CARD_COLUMNS))})",
                       card_rows)
    _insert_revlog(cursor, revlog_rows)


class _PublicPackage(genanki.Package):
    """The package through genanki's public API, every note held until it is written."""

    def __init__(self, notes: _PackageNotes) -> None:
        super().__init__([])
        self.notes = notes

    def write_to_file(self, file, timestamp: float | None = None) -> None:
        held: dict[int, list[_GenankiNote]] = {}
        for batch in self.notes:
            for deck, note in batch:
                held.setdefault(deck, []).append(_GenankiNote(note, self.notes.scheduling))
        self.decks = []
        for name, description in self.notes.decks.items():
            deck = genanki.Deck(deck_id(name), name, _description(description))
            for note in held[deck.deck_id]:
                deck.add_note(note)
            self.decks.append(deck)
        super().write_to_file(file, timestamp=timestamp)

    def write_to_db(self, cursor, timestamp: float, id_gen) -> None:
        super().write_to_db(cursor, timestamp, id_gen)
        if self.notes.scheduling is not None:
            self.notes.scheduling.finish(cursor)


class _GenankiNote(genanki.Note):
    """A genanki note with the store's active cards and modification time."""

    def __init__(self, note: AnkiNote, scheduling: _Scheduling | None = None) -> None:
        super().__init__(note.model, list(note.fields), tags=note.tags, guid=note.guid)
        self.modified = note.modified
        if note.progress is None or scheduling is None:
            self.active = [genanki.Card(ord_) for ord_ in note.ords]
        else:
            self.active = [_ScheduledCard(ord_, note, index, scheduling)
                           for index, ord_ in enumerate(note.ords)]

    @property
    def cards(self) -> list[genanki.Card]:
        # Not the cards genanki would make from the fields: the store says which are active.
        return self.active

    def write_to_db(self, cursor, timestamp: float, deck_id: int, id_gen) -> None:
        # genanki stamps a note and its cards with the package's time.
        super().write_to_db(cursor, self.modified, deck_id, id_gen)


class _ScheduledCard(genanki.Card):
    """A genanki card with its progress, and its answers in the review log."""

    def __init__(self, ord_: int, note: AnkiNote, index: int, scheduling: _Scheduling) -> None:
        super().__init__(ord_)
        self.note, self.index, self.scheduling = note, index, scheduling

    def write_to_db(self, cursor, timestamp: float, deck_id, note_id, id_gen, due=0) -> None:
        card_id = next(id_gen)
        cursor.execute(f"INSERT INTO cards VALUES ({', '.join('?' * len(_CARD_COLUMNS))})",
                       (card_id, note_id, deck_id, self.ord, int(timestamp), -1,
                        *_card_columns(self.note, self.index)))
        _insert_revlog(cursor, self.scheduling.revlog(card_id, self.note.progress[self.index]))


def _write(package: genanki.Package, media: _Media, problems: list[Problem], out_path: Path,
           now: datetime) -> None:
    """Write next to the target and rename: a crash never leaves a truncated package.

    Images are found while the notes are written; a package with a missing or
    misplaced image is thrown away before it replaces anything.
    """
    if out_path.is_dir():
        raise FlashcardsError(f"{out_path} is a folder: give the package's file name")
    temp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(out_path)
        # Not mkstemp: its file is private (0600); a package gets the usual permissions.
        with tempfile.TemporaryDirectory(prefix="flashcards-media-") as staging:
            # genanki names each media file after its basename: stage them flat,
            # as the notes find them (it reads media_files once the notes are in).
            media.staging = Path(staging)
            package.media_files = media.staged
            package.write_to_file(temp, timestamp=now.timestamp())
        if problems:
            raise ProblemsError(sorted(problems))
        os.replace(temp, out_path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        if isinstance(exc, OSError | sqlite3.Error):  # a folder that cannot be written, a full disk
            raise FlashcardsError(f"{out_path}: cannot write the package: "
                                  f"{getattr(exc, 'strerror', None) or exc}") from exc
        raise


def _remove_stale_temps(out_path: Path) -> None:
    """Delete temp files that killed exports left behind (their process is gone)."""
    for temp in out_path.parent.glob(f".{glob.escape(out_path.name)}.*.tmp"):
        pid = temp.name.removeprefix(f".{out_path.name}.").removesuffix(".tmp")
        if pid.isdigit() and not _process_alive(int(pid)):
            temp.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def _stage(source: Path, target: Path) -> str:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return str(target)


def _shipped_note_css() -> str:
    """`render.note_css()` as shipped in flashcards/note.css, read without Pygments.

    Written by scripts/gen_note_css.py; tests/test_render.py checks it is current.
    """
    return (files("flashcards") / "note.css").read_text(encoding="utf-8")


@cache
def _models() -> dict[NoteKind, genanki.Model]:
    css = _shipped_note_css() + _EXTRA_CSS
    return {
        NoteKind.BASIC: _model(BASIC_MODEL_ID, BASIC_MODEL_NAME, BASIC_FIELDS,
                               _BASIC_TEMPLATES, css),
        NoteKind.REVERSED: _model(REVERSED_MODEL_ID, REVERSED_MODEL_NAME, REVERSED_FIELDS,
                                  _REVERSED_TEMPLATES, css),
        NoteKind.CLOZE: _model(CLOZE_MODEL_ID, CLOZE_MODEL_NAME, CLOZE_FIELDS,
                               _CLOZE_TEMPLATES, css, genanki.Model.CLOZE),
    }


def _model(model_id: int, name: str, fields: tuple[str, ...], templates: tuple, css: str,
           model_type: int = genanki.Model.FRONT_BACK) -> genanki.Model:
    return genanki.Model(
        model_id, name, fields=[{"name": field} for field in fields],
        templates=[{"name": t, "qfmt": q, "afmt": a} for t, q, a in templates],
        css=css, model_type=model_type)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 ** 2:.1f} MiB"
