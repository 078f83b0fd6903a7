"""Anki packages made byte by byte: the legacy layout (schema 11) with exactly the
rows a test needs, for the hostile-package tests (which the real Anki would never
write) and for fast tests that need no Anki at all."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

BASIC_ID, CLOZE_ID, OTHER_ID = 1001, 1002, 1003
MODELS = {
    str(BASIC_ID): {"id": BASIC_ID, "name": "Basic", "type": 0,
                    "flds": [{"name": "Front", "ord": 0}, {"name": "Back", "ord": 1}],
                    "tmpls": [{"name": "Card 1", "ord": 0, "qfmt": "{{Front}}",
                               "afmt": "{{Back}}"}]},
    str(CLOZE_ID): {"id": CLOZE_ID, "name": "Cloze", "type": 1,
                    "flds": [{"name": "Text", "ord": 0}, {"name": "Back Extra", "ord": 1}],
                    "tmpls": [{"name": "Cloze", "ord": 0, "qfmt": "{{cloze:Text}}",
                               "afmt": "{{cloze:Text}}"}]},
    str(OTHER_ID): {"id": OTHER_ID, "name": "Vocab (3 fields)", "type": 0,
                    "flds": [{"name": "Word", "ord": 0}, {"name": "Meaning", "ord": 1},
                             {"name": "Example", "ord": 2}],
                    "tmpls": [{"name": "Card 1", "ord": 0, "qfmt": "{{Word}}",
                               "afmt": "{{Meaning}}"}]},
}
CREATED = 1_767_585_600  # 2026-01-05 04:00 UTC


def collection(path: Path, notes: list[tuple], *, version: int = 11,
               revlog: list[tuple] = (), cards: list[tuple] | None = None) -> Path:
    """A legacy collection: ``notes`` as (id, guid, model id, fields, tags); one card
    each (ord 0, or one per cloze number given as a field count) unless ``cards``."""
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE col (id integer primary key, crt integer, mod integer, scm integer,
            ver integer, dty integer, usn integer, ls integer, conf text, models text,
            decks text, dconf text, tags text);
        CREATE TABLE notes (id integer primary key, guid text, mid integer, mod integer,
            usn integer, tags text, flds text, sfld integer, csum integer, flags integer,
            data text);
        CREATE TABLE cards (id integer primary key, nid integer, did integer, ord integer,
            mod integer, usn integer, type integer, queue integer, due integer, ivl integer,
            factor integer, reps integer, lapses integer, left integer, odue integer,
            odid integer, flags integer, data text);
        CREATE TABLE revlog (id integer primary key, cid integer, usn integer, ease integer,
            ivl integer, lastIvl integer, factor integer, time integer, type integer);
    """)
    decks = {"1": {"id": 1, "name": "Default"}, "2": {"id": 2, "name": "Forged::Deck"}}
    conn.execute("INSERT INTO col VALUES (1, ?, 0, 0, ?, 0, 0, 0, ?, ?, ?, '{}', '{}')",
                 [CREATED, version, json.dumps({"schedVer": 2, "rollover": 4}),
                  json.dumps(MODELS), json.dumps(decks)])
    for nid, guid, mid, fields, tags in notes:
        conn.execute("INSERT INTO notes VALUES (?, ?, ?, 0, 0, ?, ?, '', 0, 0, '')",
                     [nid, guid, mid, f" {tags} " if tags else "", "\x1f".join(fields)])
    for card in cards if cards is not None else [(nid, nid, 0) for nid, *_ in notes]:
        cid, nid, ord_ = card[:3]
        state = card[3:] or (0, 0, 0, 0, 0)  # type, queue, due, ivl, factor
        conn.execute("INSERT INTO cards VALUES (?, ?, 2, ?, 0, 0, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0,"
                     " 0, '')", [cid, nid, ord_, *state])
    conn.executemany("INSERT INTO revlog VALUES (?, ?, 0, ?, 1, 0, 2500, 5000, 1)", revlog)
    conn.commit()
    conn.close()
    return path


def package(path: Path, collection_file: Path | None, media: dict[str, bytes] = (),
            *, member: str = "collection.anki21", extra: dict[str, bytes] = ()) -> Path:
    """A legacy .apkg: the collection, media files numbered from 0, the JSON map."""
    media = dict(media)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if collection_file is not None:
            archive.write(collection_file, member)
        for number, data in enumerate(media.values()):
            archive.writestr(str(number), data)
        archive.writestr("media", json.dumps({str(i): name for i, name in enumerate(media)}))
        for name, data in dict(extra).items():
            archive.writestr(name, data)
    return path
