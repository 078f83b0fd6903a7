"""Markdown files -> parser -> store, keeping every card's review history.

A sync re-reads only files whose content hash changed, matches the notes it
finds against the notes those files held before (and against orphans), and
writes the result in one transaction. A file with errors is left out (the
store keeps its last good version, whose cards stay reviewable) and reported
in ``SyncReport.errors``; the other files are synced.

The identity rules that pair parsed notes with stored ones are in
``flashcards.matching`` (docs/format.md, "Card identity").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from pathlib import Path

from flashcards import journal
from flashcards.history import History, NoteIdentity
from flashcards.htmlcache import cache_key
from flashcards.journal_upgrade import export_store
from flashcards.loader import (
    LoadedFile,
    SourceFile,
    collection_problems,
    discover,
    file_hash,
    load_file,
    load_files,
    read_bytes,
)
from flashcards.matching import Placed, match
from flashcards.model import (
    ANKI_ID_PREFIX,
    FlashcardsError,
    Problem,
    ProblemsError,
    Severity,
    digest,
    guid_of_id,
)
from flashcards.paths import BUNDLED_ROOT, display_path
from flashcards.store import SourceRecord, Store, StoredNote

# New cards are written in batches of about this many, in file order.
_CARD_BATCH = 10_000

ProgressFn = Callable[[int, int], None]


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    moved: int = 0
    orphaned: int = 0
    revived: int = 0
    files_read: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    warnings: list[Problem] = field(default_factory=list)
    from_journal: str = ""  # answers read from other devices' journal lines
    # The errors of the files left out, which keep their last synced version.
    errors: list[Problem] = field(default_factory=list)

    @property
    def files_with_errors(self) -> int:
        return len({p.path for p in self.errors})

    @property
    def changed(self) -> bool:
        return any((self.added, self.updated, self.moved, self.orphaned, self.revived,
                    self.files_read, self.files_removed))

    def summary(self) -> str:
        counts = (f"{self.added} added, {self.updated} updated, {self.moved} moved, "
                  f"{self.orphaned} orphaned, {self.revived} revived")
        bad = self.files_with_errors
        kept = f"; {bad} with errors, kept as last synced" if bad else ""
        summary = (f"{counts} ({self.files_read} files read, {self.files_unchanged} unchanged, "
                   f"{self.files_removed} removed{kept})")
        return f"{summary}; {self.from_journal}" if self.from_journal else summary



@cache  # one installation per process; asked once per file synced
def bundled_decks() -> Path:
    """The decks installed with the package."""
    # Their package's folder, as importlib.resources.files() gives it for a package on
    # disk, without importing importlib.resources (with tempfile and shutil: a tenth
    # of a no-change sync).
    import flashcards.decks

    return Path(flashcards.decks.__file__).parent


def sync(
    store: Store,
    paths: Iterable[Path] | None = None,
    *,
    now: datetime,
    progress: ProgressFn | None = None,
    render_html: bool = True,
    parsed: Iterable[LoadedFile] = (),
) -> SyncReport:
    """Sync the given files and folders, or every remembered one, into the store;
    then replay what the journals hold that the store does not (docs/journal.md).

    ``render_html`` renders the HTML of the sides it parses for the export's cache;
    a review needs none, and without it starts faster (the export renders what
    the cache lacks).

    ``parsed`` are files the caller has just loaded (``loader.load_file``, as an
    import does to check what it wrote): one whose bytes are still the same is
    taken as it is rather than parsed again (without HTML: only when
    ``render_html`` is off).
    """
    given = [Path(os.path.abspath(p)) for p in paths or ()]
    names = [_root_name(p) for p in given] or store.roots() or [BUNDLED_ROOT]
    history = History.of(store)
    export_store(history, now)
    reading = history.read_pending(names)
    roots = [_root_path(name) for name in names]
    sources = discover(r for r in roots if given or r.exists())
    known = store.sources()
    report = SyncReport()
    changed, removed = _changed_files(store, sources, names, roots, known, report, progress,
                                      render_html, () if render_html else parsed)
    if not changed and not removed:
        # Nothing to match or check: skip reading every note of the store.
        with store.transaction():
            store.add_roots(names)
        _catch_up(history, reading, report)
        return report
    changed, placed, touched = _leave_out_bad_files(store, changed, removed, report)
    if not changed and not removed:
        # Every file read has errors: no note, card or source changes. The roots
        # are configuration, not data: a folder named now is remembered, so a bare
        # `sync` reads it again (and shows its errors) instead of the bundled decks.
        with store.transaction():
            store.add_roots(names)
        return report
    # Identities read by an earlier sync, whose notes had not arrived then, and new ones.
    identities = {**store.remembered_identities(), **journal.identities(reading.events)}
    ghosts = _ghosts(store, identities)
    with store.transaction():
        store.add_roots(names)
        store.set_sources(SourceRecord(str(i.source.path), _root_name(i.source.root), i.hash)
                          for i in changed)
        store.delete_sources(removed)
        written = _apply(store, placed, touched, changed, now, report, ghosts)
        # The store knows its own identity lines: the journal's next read skips them.
        reading.add_own(history.record_identities(written, now, known=identities))
    # The parsed notes are written: let them go before the journal's replay (a
    # rebuild's), which needs the memory more (100k notes weigh about 60 MB).
    del changed, placed, touched, ghosts, written, parsed
    _catch_up(history, reading, report)
    history.replay_arrivals()
    return report


def _root_name(root: Path) -> str:
    """How the store remembers a root: the bundled decks by name, others by path."""
    return BUNDLED_ROOT if root == bundled_decks() or _is_old_bundled(str(root)) \
        else str(root)


def _root_path(name: str) -> Path:
    return bundled_decks() if name == BUNDLED_ROOT or _is_old_bundled(name) else Path(name)


def _is_old_bundled(path: str) -> bool:
    """A root remembered by an older version: the decks folder of some installation."""
    parts = Path(path).parts
    return parts[-2:] == ("flashcards", "decks") and "site-packages" in parts


def _catch_up(history: History, reading, report: SyncReport) -> None:
    caught = history.apply(reading)
    report.from_journal = caught.summary()
    report.warnings += caught.problems + [
        Problem("journal", 1, 1, Severity.WARNING, message) for message in history.warnings]


def _ghosts(store: Store, known: dict[str, dict]) -> list[StoredNote]:
    """Notes the journal knows (``known``: GUID -> identity) and the store does not: a
    rebuilt store, another machine.

    They take part in matching as orphans would, so a parsed note that matches
    one is born again with its GUID, and then its history.
    """
    ghosts = []
    for guid, identity in known.items():
        if store.guid_exists(guid):
            continue
        ghosts.append(StoredNote(
            guid=guid, kind=identity.get("kind", "basic"), deck_id=0, path=None, line=None,
            question="", answer="?" if identity.get("a") else "",
            explicit_id=identity.get("xid"), question_hash=identity.get("q"),
            answer_hash=identity.get("a"), content_hash=identity.get("c"),
            orphaned=True, id=-1 - len(ghosts), deck=identity.get("deck")))
    return ghosts


def forget(store: Store, path: Path) -> int:
    """`flashcards sync --forget PATH`: stop syncing a root and orphan its cards.

    Orphaned, never deleted: the cards keep their history and come back with it
    if the root is synced again. Returns how many notes were orphaned.
    """
    root = _root_name(Path(os.path.abspath(path)))
    if root not in store.roots():
        raise FlashcardsError(f"{display_path(root)} is not synced; the synced paths are: "
                              + (", ".join(map(display_path, store.roots())) or "none"))
    paths = [p for p, record in store.sources().items() if record.root == root]
    with store.transaction():
        notes = store.notes_in_paths(paths)
        store.orphan_notes(note.id for note in notes)
        store.delete_sources(paths)
        store.remove_root(root)
    return len(notes)


def _leave_out_bad_files(
    store: Store, changed: list[LoadedFile], removed: list[str], report: SyncReport,
) -> tuple[list[LoadedFile], list[Placed], set[str]]:
    """The files to write, their notes and the paths they touch, without the files
    that have errors (their problems go to ``report.errors``).

    Leaving a file out can clear a duplicate it caused elsewhere, so the check runs
    again until it passes. An error that names no file read now (which leaving
    files out cannot fix) stops the sync: ProblemsError, nothing written.
    """
    while True:
        placed = [Placed(n, str(item.source.path)) for item in changed for n in item.deck.notes]
        touched = {str(item.source.path) for item in changed} | set(removed)
        problems = [p for item in changed for p in item.deck.problems]
        problems += collection_problems(p.note for p in placed)
        problems += _conflicts(store, placed, touched)
        errors = {p.path for p in problems if p.severity is Severity.ERROR}
        if not errors:
            report.warnings = sorted(problems)
            report.errors.sort()
            return changed, placed, touched
        bad = [item for item in changed if _names(item) & errors]
        if not bad:
            raise ProblemsError(sorted(problems))
        bad_names = set().union(*(_names(item) for item in bad))
        report.errors += [p for p in problems
                          if p.severity is Severity.ERROR and p.path in bad_names]
        changed = [item for item in changed if not _names(item) & errors]


def _names(item: LoadedFile) -> set[str]:
    """Every way a problem may name this file (as found, as shown, as parsed)."""
    path = item.source.path
    return ({str(path), display_path(path)} | {n.path for n in item.deck.notes}
            | {p.path for p in item.deck.problems})


def _changed_files(
    store: Store,
    sources: list[SourceFile],
    names: list[str],
    roots: list[Path],
    known: dict[str, SourceRecord],
    report: SyncReport,
    progress: ProgressFn | None,
    render_html: bool = True,
    parsed: Iterable[LoadedFile] = (),
) -> tuple[list[LoadedFile], list[str]]:
    """Files whose bytes (or root) changed since the last sync, parsed; and removed files."""
    pending: list[SourceFile] = []
    for source in sources:
        before = known.get(str(source.path))
        if before and before.hash == file_hash(read_bytes(source)) \
                and before.root == _root_name(source.root):
            report.files_unchanged += 1
        else:
            # Not the bytes: the parser reads the file again (from the page cache)
            # rather than this process holding a whole collection's text.
            pending.append(source)
    loaded = _load_all(store, pending, progress, render_html, parsed)
    report.files_read = len(loaded)
    seen = {str(s.path) for s in sources}
    root_names = set(names) | {str(r) for r in roots}
    removed = [path for path, record in known.items()
               if record.root in root_names and path not in seen]
    report.files_removed = len(removed)
    return loaded, removed


def _load_all(store: Store, pending: list[SourceFile], progress: ProgressFn | None,
              render_html: bool = True, parsed: Iterable[LoadedFile] = ()) -> list:
    """Parse (and render) the files, keeping their HTML in the store as it comes.

    The HTML goes to the store's cache at once rather than being held until the
    end: the cache is keyed by content, so an entry of a sync that then fails is
    harmless (the next full export prunes it).
    """
    ready = _still_current(pending, parsed)
    cache = _HtmlBatches(store)
    results = []
    load = _load_and_render if render_html else load_file
    loading = load_files([s for s in pending if s not in ready], load=load)
    for done, source in enumerate(pending, 1):
        item = ready[source] if source in ready else next(loading)
        results.append(cache.take(item))
        if progress:
            progress(done, len(pending))
    for _ in loading:  # nothing is left: this ends the generator (and shuts its pool)
        pass
    cache.flush()
    return results


def _still_current(pending: list[SourceFile], parsed: Iterable[LoadedFile]
                   ) -> dict[SourceFile, LoadedFile]:
    """The files loaded by the caller whose bytes have not changed since."""
    wanted = set(pending)
    return {item.source: item for item in parsed
            if item.source in wanted and item.hash == file_hash(read_bytes(item.source))}


class _HtmlBatches:
    """Writes rendered HTML to the store's cache in batches, each its own transaction."""

    SIZE = 5000

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending: dict[str, str] = {}

    def take(self, item: LoadedFile) -> LoadedFile:
        self.pending.update(item.html)
        if len(self.pending) >= self.SIZE:
            self.flush()
        return replace(item, html={}) if item.html else item

    def flush(self) -> None:
        if self.pending:
            self.store.cache_html(self.pending)
            self.pending = {}


def _load_and_render(source: SourceFile) -> LoadedFile:
    """Parse a file and render its sides' HTML from the same tokens.

    Rendering here, in the parser's processes, means a first export renders
    nothing and no text is parsed twice (docs/benchmarks.md).
    """
    from flashcards.render import cacheable_html  # only when parsing

    loaded = load_file(source, with_sides=True)
    if loaded.deck.has_errors:  # the sync stops; nothing to render
        return replace(loaded, sides=())
    html = {}
    for note, sides in zip(loaded.deck.notes, loaded.sides, strict=True):
        for text, tokens in ((note.question, sides.question), (note.answer, sides.answer)):
            rendered = cacheable_html(text, tokens) if text else None
            if rendered is not None:
                html[cache_key(text)] = rendered
    # Tokens stay in this process: only the HTML travels back from a worker.
    return replace(loaded, sides=(), html=html)


def _conflicts(store: Store, placed: list[Placed], touched: set[str]) -> list[Problem]:
    """Duplicate ids or cards between the files read now and the files left unchanged."""
    ids, contents = store.taken_keys(touched)
    problems = []
    for item in placed:
        note = item.note
        if note.explicit_id in ids:
            path, line = ids[note.explicit_id]
            problems.append(Problem(note.path, note.line, 1, Severity.ERROR,
                                    f"duplicate id {note.explicit_id!r} "
                                    f"(also at {display_path(path)}:{line})"))
        if (note.deck, note.content_hash) in contents:
            path, line = contents[(note.deck, note.content_hash)]
            problems.append(Problem(note.path, note.line, 1, Severity.ERROR,
                                    f"duplicate card in one deck "
                                    f"(also at {display_path(path)}:{line})"))
    return problems


# -- writing ------------------------------------------------------------------


def _apply(
    store: Store,
    placed: list[Placed],
    touched: set[str],
    changed: list[LoadedFile],
    now: datetime,
    report: SyncReport,
    ghosts: list[StoredNote],
) -> list[NoteIdentity]:
    """Write the parsed notes; the identities of the notes born or changed, for the
    journal."""
    old = store.notes_in_paths(touched) + store.orphaned_notes()
    pairs = match(placed, old + ghosts)
    reborn = {index: pairs.pop(index).guid for index in list(pairs) if pairs[index].id < 0}
    stamp = int(now.timestamp())
    descriptions = {item.deck.deck: item.deck.description for item in changed}
    deck_ids = {name: store.deck_id(name, descriptions[name]) for name in descriptions}
    # New notes go in with one statement (a cold sync is all new notes); the ids
    # and the order of card ids stay those of one insert per note in file order.
    # Rows are made as the statement consumes them: 100k at once weigh 100 MB.
    guids: set[str] = set()
    # A store with no notes yet has no GUID to collide with: no lookup per new note.
    in_store = store.guid_exists if store.has_notes() else lambda guid: False

    written: list[NoteIdentity] = []  # notes born or changed: the journal's identity lines

    def remember(note: StoredNote, deck: str) -> None:
        # A note with an explicit id and the GUID that id always gives is found again
        # by its id alone: the journal needs no identity line for it (the bundled decks).
        if not (note.explicit_id and note.guid == guid_of_id(note.explicit_id)):
            # The tuple's own _replace: dataclasses.replace of the whole note cost a
            # cold sync of 10k notes 0.1 s.
            written.append(NoteIdentity.of(note)._replace(deck=deck))

    def born_notes() -> Iterator[StoredNote]:
        for index, item in enumerate(placed):
            if index not in pairs:
                guid = reborn.get(index) or _new_guid(item, guids, in_store)
                guids.add(guid)
                note = _stored(item, deck_ids[item.note.deck], guid=guid, modified=stamp)
                remember(note, item.note.deck)
                yield note

    born = len(placed) - len(pairs)
    new_ids = iter(store.insert_notes(born_notes(), born))
    report.added += born
    new_cards: list[tuple[int, int]] = []
    for index, item in enumerate(placed):
        if index not in pairs:  # born, in the order of new_ids
            note_id = next(new_ids)
            new_cards += [(note_id, ord_) for ord_ in sorted(set(item.note.ordinals))]
            if len(new_cards) < _CARD_BATCH:
                continue
        # Card ids follow file order: new cards are written before any later change.
        store.insert_cards(new_cards)
        new_cards = []
        if index in pairs:
            note = _update(store, item, pairs[index], deck_ids[item.note.deck], stamp, report)
            if _identity_changed(pairs[index], note):
                remember(note, item.note.deck)
    store.insert_cards(new_cards)
    matched = {stored.id for stored in pairs.values()}
    gone = [stored.id for stored in old if stored.id not in matched and not stored.orphaned]
    store.orphan_notes(gone)
    report.orphaned = len(gone)
    return written


def _identity_changed(previous: StoredNote, note: StoredNote) -> bool:
    return (previous.content_hash, previous.explicit_id, previous.deck_id, previous.kind) != \
        (note.content_hash, note.explicit_id, note.deck_id, note.kind)


def _update(store: Store, item: Placed, previous: StoredNote, deck_id: int, stamp: int,
            report: SyncReport) -> StoredNote:
    """Write a matched note's new text and place; its cards follow its ordinals."""
    note = _stored(item, deck_id, guid=previous.guid, modified=previous.modified,
                   note_id=previous.id)
    note = replace(note, modified=_modified(previous, note, stamp))
    store.update_note(note)
    _count_change(previous, note, report)
    store.set_card_ordinals(previous.id, item.note.ordinals)
    return note


def _stored(item: Placed, deck_id: int, *, guid: str, modified: int,
            note_id: int | None = None) -> StoredNote:
    """A parsed note as the store keeps it, in its file and deck, active."""
    note = item.note
    return StoredNote(
        guid=guid, kind=str(note.kind), deck_id=deck_id, path=item.path, line=note.line,
        question=note.question, answer=note.answer, tags=note.tags,
        explicit_id=note.explicit_id, question_hash=note.question_hash,
        answer_hash=note.answer_hash, content_hash=note.content_hash, modified=modified,
        orphaned=False, id=note_id)


def _content_changed(previous: StoredNote, note: StoredNote) -> bool:
    return (previous.question, previous.answer, previous.kind, previous.tags) != \
        (note.question, note.answer, note.kind, note.tags)


def _modified(previous: StoredNote, note: StoredNote, stamp: int) -> int:
    """Seconds of the last content change, strictly increasing so Anki sees every edit."""
    if not _content_changed(previous, note) and previous.deck_id == note.deck_id:
        return previous.modified
    return max(stamp, previous.modified + 1)


def _count_change(previous: StoredNote, note: StoredNote, report: SyncReport) -> None:
    if previous.orphaned:
        report.revived += 1
    elif previous.path != note.path or previous.deck_id != note.deck_id:
        report.moved += 1
    elif _content_changed(previous, note):
        report.updated += 1


def _new_guid(item: Placed, taken: set[str], in_store: Callable[[str], bool]) -> str:
    """A GUID from the note's identity at birth, stable for the note's whole life.

    An explicit id gives the same GUID in every store, so the bundled decks keep
    their Anki notes across machines; otherwise the deck and first content do.
    """
    note = item.note
    if note.explicit_id and note.explicit_id.startswith(ANKI_ID_PREFIX):
        # An Anki GUID kept as it is: taken twice, it is the error of a duplicate id.
        guid = guid_of_id(note.explicit_id)
        if guid not in taken and not in_store(guid):
            taken.add(guid)
            return guid
    seed = ("id", note.explicit_id) if note.explicit_id else ("note", note.deck, note.question,
                                                               note.answer)
    guid = "fc" + digest(*seed)[:16]
    counter = 1
    while guid in taken or in_store(guid):
        guid = "fc" + digest(*seed, str(counter))[:16]
        counter += 1
    taken.add(guid)
    return guid
