"""The store's queries for a sync (flashcards/sync.py): roots, files, decks, notes, cards."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flashcards.store.connection import Connection, tags_from_json, tags_json
from flashcards.store.records import SourceRecord, StoredNote

_NOTE_COLUMNS = ("guid", "explicit_id", "kind", "deck_id", "path", "line", "question", "answer",
                 "tags", "question_hash", "answer_hash", "content_hash", "modified", "orphaned")
NOTE_SELECT = ("SELECT notes.id, decks.name, " + ", ".join(f"notes.{c}" for c in _NOTE_COLUMNS)
                + " FROM notes LEFT JOIN decks ON decks.id = notes.deck_id")


def note_from_row(row: tuple) -> StoredNote:
    """A ``NOTE_SELECT`` row as a record."""
    (note_id, deck, guid, explicit_id, kind, deck_id, path, line, question, answer, tags,
     question_hash, answer_hash, content_hash, modified, orphaned) = row
    return StoredNote(guid=guid, kind=kind, deck_id=deck_id, path=path, line=line,
                      question=question, answer=answer, tags=tags_from_json(tags),
                      explicit_id=explicit_id, question_hash=question_hash,
                      answer_hash=answer_hash, content_hash=content_hash, modified=modified,
                      orphaned=bool(orphaned), id=note_id, deck=deck)


def _note_values(note: StoredNote) -> list:
    return [note.guid, note.explicit_id, note.kind, note.deck_id, note.path, note.line,
            note.question, note.answer, tags_json(note.tags), note.question_hash,
            note.answer_hash, note.content_hash, note.modified, int(note.orphaned)]


class SyncQueries(Connection):
    # -- roots and sources ----------------------------------------------------------

    def roots(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT path FROM roots ORDER BY path")]

    def add_roots(self, paths: Iterable[str]) -> None:
        self.conn.executemany("INSERT OR IGNORE INTO roots (path) VALUES (?)",
                              ((p,) for p in paths))

    def remove_root(self, path: str) -> None:
        self.conn.execute("DELETE FROM roots WHERE path = ?", [path])

    def sources(self) -> dict[str, SourceRecord]:
        return {path: SourceRecord(path, root, digest) for path, root, digest
                in self.conn.execute("SELECT path, root, hash FROM sources")}

    def set_sources(self, sources: Iterable[SourceRecord]) -> None:
        self.conn.executemany(
            "INSERT INTO sources (path, root, hash) VALUES (?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET root = excluded.root, hash = excluded.hash",
            ((s.path, s.root, s.hash) for s in sources))

    def delete_sources(self, paths: Iterable[str]) -> None:
        self.conn.executemany("DELETE FROM sources WHERE path = ?", ((path,) for path in paths))

    # -- decks ------------------------------------------------------------------------

    def deck_id(self, name: str, description: str | None = None) -> int:
        """The deck's id, creating it; a description given replaces the stored one."""
        row = self.conn.execute("SELECT id, description FROM decks WHERE name = ?",
                                [name]).fetchone()
        if row is None:
            return self.conn.execute("INSERT INTO decks (name, description) VALUES (?, ?)",
                                     [name, description or ""]).lastrowid
        if description is not None and description != row[1]:
            self.conn.execute("UPDATE decks SET description = ? WHERE id = ?",
                              [description, row[0]])
        return row[0]

    # -- notes ------------------------------------------------------------------------

    def notes(self) -> list[StoredNote]:
        """Every note, orphans too, in the order they were first synced."""
        return self._notes_where("1 = 1 ORDER BY notes.id")

    def notes_in_paths(self, paths: Iterable[str]) -> list[StoredNote]:
        """The active notes of these files."""
        paths = list(paths)
        if not paths:
            return []
        self._temp_values("wanted_paths", paths)
        return self._notes_where(
            "notes.orphaned = 0 AND notes.path IN (SELECT value FROM wanted_paths)")

    def orphaned_notes(self) -> list[StoredNote]:
        return self._notes_where("notes.orphaned = 1")

    def _notes_where(self, where: str, params: Iterable = ()) -> list[StoredNote]:
        return [note_from_row(row) for row in self._stream(f"{NOTE_SELECT} WHERE {where}",
                                                           params)]

    def taken_keys(
        self, excluded_paths: Iterable[str]
    ) -> tuple[dict[str, tuple[str, int]], dict[tuple[str, str], tuple[str, int]]]:
        """Explicit ids and (deck, content hash) of active notes outside the given files,
        each with the (path, line) that holds it."""
        excluded = set(excluded_paths)
        ids, contents = {}, {}
        sql = ("SELECT notes.path, line, explicit_id, content_hash, decks.name FROM notes "
               "JOIN decks ON decks.id = deck_id WHERE orphaned = 0")
        for path, line, explicit_id, content_hash, deck in self.conn.execute(sql).fetchall():
            if path in excluded:
                continue
            if explicit_id:
                ids[explicit_id] = (path, line)
            contents[(deck, content_hash)] = (path, line)
        return ids, contents

    def has_notes(self) -> bool:
        return self.conn.execute("SELECT 1 FROM notes LIMIT 1").fetchone() is not None

    def guid_exists(self, guid: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM notes WHERE guid = ?", [guid]).fetchone()
        return row is not None

    def update_note(self, note: StoredNote) -> None:
        """Write a stored note's new text, place and flags (``note.id`` says which)."""
        assignments = ", ".join(f"{column} = ?" for column in _NOTE_COLUMNS)
        self.conn.execute(f"UPDATE notes SET {assignments} WHERE id = ?",
                          [*_note_values(note), note.id])

    def orphan_notes(self, note_ids: Iterable[int]) -> None:
        params = [(note_id,) for note_id in note_ids]
        self.conn.executemany("UPDATE notes SET orphaned = 1 WHERE id = ?", params)
        self.conn.executemany("UPDATE cards SET orphaned = 1 WHERE note_id = ?", params)

    # -- bulk writes of a sync (one statement for many rows; scripts/bench.py) -------

    def insert_notes(self, notes: Iterable[StoredNote], count: int) -> range:
        """Insert ``count`` notes at once; their ids are those one insert per row would give.

        ``notes`` may be a generator: they are written as they come, never all held.
        """
        first = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM notes").fetchone()[0]
        ids = range(first, first + count)
        sql = (f"INSERT INTO notes (id, {', '.join(_NOTE_COLUMNS)}) "
               f"VALUES ({', '.join('?' * (len(_NOTE_COLUMNS) + 1))})")
        rows: Iterator[list] = ([note_id, *_note_values(note)]
                                for note_id, note in zip(ids, notes, strict=True))
        self.conn.executemany(sql, rows)
        return ids

    def insert_cards(self, cards: Iterable[tuple[int, int]]) -> None:
        """New cards, (note id, ordinal) each, with a new card's schedule."""
        self.conn.executemany("INSERT INTO cards (note_id, ord) VALUES (?, ?)", list(cards))

    def set_card_ordinals(self, note_id: int, ordinals: Iterable[int]) -> None:
        """Make the note's live cards exactly these ordinals; others become orphaned."""
        wanted = set(ordinals)
        existing = {row[0] for row in self.conn.execute(
            "SELECT ord FROM cards WHERE note_id = ?", [note_id])}
        self.insert_cards((note_id, ord_) for ord_ in sorted(wanted - existing))
        self.conn.executemany(
            "UPDATE cards SET orphaned = ? WHERE note_id = ? AND ord = ?",
            [(0 if ord_ in wanted else 1, note_id, ord_) for ord_ in existing])
