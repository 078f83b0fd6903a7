"""An Anki collection (SQLite) read into plain records: note types, decks, notes,
cards, review log and the scheduling settings.

Two schemas: the current one (version 18: tables ``notetypes``, ``fields``,
``templates``, ``decks``, ``config``; deck levels separated by ``\\x1f``) and
the legacy one (version 11: the note types, decks and settings as JSON in the
``col`` row). The file is untrusted: every value is checked for its type, and a
collection this reader does not know stops with a message.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from flashcards.anki_package import PackageError, message_fields

# Collection schema versions this reader knows: 11 (legacy) to 18 (current).
OLDEST_SCHEMA, NEWEST_SCHEMA = 11, 18
FIELD_SEPARATOR = "\x1f"
CLOZE_KIND = 1


@dataclass(frozen=True)
class NoteType:
    id: int
    name: str
    cloze: bool
    fields: tuple[str, ...]
    templates: tuple[tuple[str, str], ...]  # (question format, answer format)


@dataclass(frozen=True)
class AnkiNote:
    id: int
    guid: str
    notetype_id: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class AnkiCard:
    """A card with its home deck and due (a card in a filtered deck is taken home)."""

    id: int
    note_id: int
    deck_id: int
    ord: int  # 0-based template or cloze index
    modified: int  # seconds
    type: int  # 0 new, 1 learning, 2 review, 3 relearning
    queue: int  # -3/-2 buried, -1 suspended, 0 new, 1/3 learning, 2 review, 4 preview
    due: int
    interval: int
    factor: int  # permille
    reps: int
    lapses: int


class RevlogEntry(NamedTuple):
    """A tuple rather than a dataclass: a collection may hold millions."""

    id: int  # milliseconds since the epoch: the time of the answer
    card_id: int
    ease: int  # the button, 1-4; 0 for a manual reschedule
    interval: int
    last_interval: int
    factor: int
    time_ms: int
    type: int  # 0 learn, 1 review, 2 relearn, 3 filtered, 4 manual, 5 rescheduled


@dataclass(frozen=True)
class Collection:
    schema: int
    created: int  # `crt`, seconds
    rollover: int  # the hour a new day starts
    scheduler: int  # 1 (oldest), 2 or 3
    creation_offset: int | None  # minutes west of UTC where it was created, if known
    notetypes: dict[int, NoteType]
    decks: dict[int, str]  # id -> name with `::` levels
    path: Path

    def notes(self) -> Iterator[AnkiNote]:
        with _connect(self.path) as conn:
            for nid, guid, mid, flds, tags in conn.execute(
                    "SELECT id, guid, mid, flds, tags FROM notes ORDER BY id"):
                yield AnkiNote(_int(nid), _text(guid), _int(mid),
                               tuple(_text(flds).split(FIELD_SEPARATOR)),
                               tuple(_text(tags).split()))

    def cards(self) -> Iterator[AnkiCard]:
        with _connect(self.path) as conn:
            for row in conn.execute(
                    "SELECT id, nid, did, ord, mod, type, queue, due, ivl, factor, reps, "
                    "lapses, odue, odid FROM cards ORDER BY id"):
                cid, nid, did, ord_, mod, kind, queue, due, ivl, factor, reps, lapses, odue, \
                    odid = (_int(value) for value in row)
                if odid:  # in a filtered deck: its home deck and its own due
                    did, due = odid, odue or due
                yield AnkiCard(cid, nid, did, ord_, mod, kind, queue, due, ivl, factor, reps,
                               lapses)

    def revlog(self) -> Iterator[RevlogEntry]:
        columns = "id, cid, ease, ivl, lastIvl, factor, time, type"
        with _connect(self.path) as conn:
            rows = conn.execute(f"SELECT {columns} FROM revlog ORDER BY id")
            if _all_integers(conn, "revlog", columns):  # as Anki writes it: as they are
                yield from map(RevlogEntry._make, rows)
            else:
                for row in rows:
                    yield RevlogEntry(*(_int(value) for value in row))


def read_collection(path: Path, name: str) -> Collection:
    """The collection's header, note types, decks and settings (notes stream later)."""
    try:
        with _connect(path) as conn:
            row = conn.execute("SELECT crt, ver, models, decks, conf FROM col").fetchone()
            if row is None:
                raise PackageError(f"{name}: the collection has no header row")
            created, schema = _int(row[0]), _int(row[1])
            if not 0 <= created < 253_402_300_800:  # the days of a datetime
                raise PackageError(f"{name}: the collection's creation time {created} is "
                                   "impossible")
            if not OLDEST_SCHEMA <= schema <= NEWEST_SCHEMA:
                raise PackageError(
                    f"{name}: collection schema version {schema} is unknown (this importer "
                    f"reads {OLDEST_SCHEMA} to {NEWEST_SCHEMA}; a newer Anki?)")
            if schema >= 15 and _has_table(conn, "notetypes"):
                config = _config_table(conn)
                notetypes, decks = _notetypes(conn), _decks(conn)
            else:
                config = _json(row[4], name, "conf")
                notetypes, decks = _legacy_notetypes(_json(row[2], name, "models")), \
                    _legacy_decks(_json(row[3], name, "decks"))
    except sqlite3.DatabaseError as exc:
        raise PackageError(f"{name}: the collection is not a readable Anki database: "
                           f"{exc}") from exc
    rollover = config.get("rollover", 4)
    scheduler = config.get("schedVer", 1)
    if config.get("sched2021"):
        scheduler = 3
    offset = config.get("creationOffset")
    return Collection(schema, created, rollover if isinstance(rollover, int) and
                      0 <= rollover < 24 else 4,
                      scheduler if isinstance(scheduler, int) else 2,
                      offset if isinstance(offset, int) and abs(offset) < 24 * 60 else None,
                      notetypes, decks, path)


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    # Anki's own collation, used by the name indexes of the current schema.
    conn.create_collation("unicase", lambda a, b: (a.casefold() > b.casefold())
                          - (a.casefold() < b.casefold()))
    conn.text_factory = lambda data: data.decode("utf-8", "replace")
    try:
        yield conn
    finally:
        conn.close()


def _all_integers(conn: sqlite3.Connection, table: str, columns: str) -> bool:
    """Whether every value of these columns is an integer (one scan, in SQLite)."""
    other = " OR ".join(f"typeof({column}) != 'integer'" for column in columns.split(", "))
    return conn.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table} WHERE {other})"
                        ).fetchone()[0] == 1


def _has_table(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        [table]).fetchone() is not None


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            return int(str(value))
        except ValueError:
            return 0
    return int(value)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _json(value: object, name: str, what: str) -> dict:
    try:
        data = json.loads(_text(value) or "{}")
    except ValueError as exc:
        raise PackageError(f"{name}: the collection's {what} are not valid JSON") from exc
    if not isinstance(data, dict):
        raise PackageError(f"{name}: the collection's {what} are not a JSON object")
    return data


def _config_table(conn: sqlite3.Connection) -> dict:
    config = {}
    for key, value in conn.execute("SELECT KEY, val FROM config"):
        try:
            config[_text(key)] = json.loads(_text(value))
        except ValueError:
            continue
    return config


def _notetypes(conn: sqlite3.Connection) -> dict[int, NoteType]:
    fields: dict[int, list[tuple[int, str]]] = {}
    for ntid, ord_, name in conn.execute("SELECT ntid, ord, name FROM fields"):
        fields.setdefault(_int(ntid), []).append((_int(ord_), _text(name)))
    templates: dict[int, list[tuple[int, str, str]]] = {}
    for ntid, ord_, config in conn.execute("SELECT ntid, ord, config FROM templates"):
        formats = {number: value for number, value in _blob_fields(config)}
        templates.setdefault(_int(ntid), []).append(
            (_int(ord_), _text(formats.get(1, b"")), _text(formats.get(2, b""))))
    types = {}
    for ntid, name, config in conn.execute("SELECT id, name, config FROM notetypes"):
        kind = next((value for number, value in _blob_fields(config) if number == 1), 0)
        ntid = _int(ntid)
        types[ntid] = NoteType(
            ntid, _text(name), kind == CLOZE_KIND,
            tuple(name for _, name in sorted(fields.get(ntid, []))),
            tuple((q, a) for _, q, a in sorted(templates.get(ntid, []))))
    return types


def _blob_fields(blob: object) -> list[tuple[int, int | bytes]]:
    return message_fields(blob) if isinstance(blob, bytes) else []


def _decks(conn: sqlite3.Connection) -> dict[int, str]:
    return {_int(did): _text(name).replace("\x1f", "::")
            for did, name in conn.execute("SELECT id, name FROM decks")}


def _legacy_notetypes(models: dict) -> dict[int, NoteType]:
    types = {}
    for key, model in models.items():
        if not isinstance(model, dict):
            continue
        fields = [f for f in model.get("flds", []) if isinstance(f, dict)]
        templates = [t for t in model.get("tmpls", []) if isinstance(t, dict)]
        ntid = _int(model.get("id", key))
        types[ntid] = NoteType(
            ntid, _text(model.get("name", "")), model.get("type") == CLOZE_KIND,
            tuple(_text(f.get("name", "")) for f in sorted(fields, key=lambda f: _int(
                f.get("ord", 0)))),
            tuple((_text(t.get("qfmt", "")), _text(t.get("afmt", ""))) for t in sorted(
                templates, key=lambda t: _int(t.get("ord", 0)))))
    return types


def _legacy_decks(decks: dict) -> dict[int, str]:
    return {_int(deck.get("id", key)): _text(deck.get("name", ""))
            for key, deck in decks.items() if isinstance(deck, dict)}
