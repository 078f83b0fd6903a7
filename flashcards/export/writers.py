"""The package written: genanki's rows, then the file put in place whole.

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

Either writes its rows (``write_to_db``) into a collection in a folder of ours
that is removed after, zipped by `_write_package_file`, not genanki's
``write_to_file``, which leaves its collection in the system's temporary folder.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path

import genanki

from flashcards.export.media import _Media
from flashcards.export.notes import AnkiNote, _description, _PackageNotes, deck_id
from flashcards.export.scheduling import _Scheduling
from flashcards.model import FlashcardsError, Problem, ProblemsError
from flashcards.paths import process_alive

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
        indexes = _drop_indexes(cursor)
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
        for sql in indexes:
            cursor.execute(sql)
        if self.scheduling is not None:
            self.scheduling.finish(cursor)


def _drop_indexes(cursor) -> list[str]:
    """Drop the package's indexes while its tables fill, and return their SQL: built
    once at the end, they cost about half of what the inserts into them take (the
    review log's 100k rows with scheduling; 10k notes and cards: 0.16 -> 0.14 s)."""
    indexes = cursor.execute("SELECT name, sql FROM sqlite_master"
                             " WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    for name, _sql in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in indexes]


def _write_notes(cursor, notes: list[tuple[int, AnkiNote]], id_gen: Iterator[int],
                 scheduling: _Scheduling | None = None) -> None:
    """The rows genanki's Note.write_to_db writes, a batch per statement.

    Ids are drawn from ``id_gen`` in genanki's order (a note, then its cards), and
    note and cards carry the note's own modification time, not the package's.
    With ``scheduling``, cards carry their progress and their answers go to the
    review log.
    """
    note_rows, card_rows, scheduled = [], [], []
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
                scheduled.append((card_id, note.progress[index]))
    cursor.executemany(f"INSERT INTO notes VALUES ({', '.join('?' * len(_NOTE_COLUMNS))})",
                       note_rows)
    cursor.executemany(f"INSERT INTO cards VALUES ({', '.join('?' * len(_CARD_COLUMNS))})",
                       card_rows)
    if scheduled:
        _insert_revlog(cursor, scheduling.revlog(cursor, scheduled))


class _PublicPackage(genanki.Package):
    """The package through genanki's public API, every note held until it is written."""

    def __init__(self, notes: _PackageNotes) -> None:
        super().__init__([])
        self.notes = notes

    def write_to_db(self, cursor, timestamp: float, id_gen) -> None:
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
        progress = self.note.progress[self.index]
        _insert_revlog(cursor, self.scheduling.revlog(cursor, [(card_id, progress)]))


def _insert_revlog(cursor, rows: list[tuple]) -> None:
    if rows:
        cursor.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _card_columns(note: AnkiNote, index: int) -> tuple:
    """type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data."""
    if note.progress is None:
        return (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "")
    card = note.progress[index].card
    return (*card[:8], 0, 0, 0, card.data)


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
            _write_package_file(package, temp, Path(staging), now.timestamp())
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


def _write_package_file(package: genanki.Package, path: Path, staging: Path,
                        timestamp: float) -> None:
    """genanki's ``Package.write_to_file``, with its collection made in ``staging``:
    genanki's own makes it with mkstemp in the system's temporary folder and never
    deletes it (a file the size of the collection left there by every export)."""
    collection = staging / "collection.anki2"
    conn = sqlite3.connect(collection)
    try:
        package.write_to_db(conn.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
        conn.commit()
    finally:
        conn.close()
    with zipfile.ZipFile(path, "w") as out:
        out.write(collection, "collection.anki2")
        # Read only now: the notes found their images as they were written.
        media = dict(enumerate(package.media_files))
        out.writestr("media", json.dumps({index: os.path.basename(source)
                                          for index, source in media.items()}))
        for index, source in media.items():
            out.write(source, str(index))


def _remove_stale_temps(out_path: Path) -> None:
    """Delete temp files that killed exports left behind (their process is gone)."""
    for temp in out_path.parent.glob(f".{glob.escape(out_path.name)}.*.tmp"):
        pid = temp.name.removeprefix(f".{out_path.name}.").removesuffix(".tmp")
        if pid.isdigit() and not process_alive(int(pid)):
            temp.unlink(missing_ok=True)
