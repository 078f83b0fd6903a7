"""Markdown files -> parser -> store, keeping every card's review history.

A sync re-reads only files whose content hash changed, matches the notes it
finds against the notes those files held before (and against orphans), and
writes the result in one transaction. A file with errors is left out (the
store keeps its last good version, whose cards stay reviewable) and reported
in ``SyncReport.errors``; the other files are synced.

The identity rules that pair parsed notes with stored ones are in
``flashcards.matching`` (docs/format.md, "Card identity"); the writes that
follow, in ``flashcards.sync_writes``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from flashcards import journal
from flashcards.history import History
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
from flashcards.model import FlashcardsError, Problem, ProblemsError, Severity, plural
from flashcards.paths import BUNDLED_ROOT, display_path
from flashcards.store import SourceRecord, Store, StoredNote
from flashcards.sync_writes import NoteCounts, write_notes

if TYPE_CHECKING:
    from flashcards.matching import Placed

ProgressFn = Callable[[int, int], None]


@dataclass
class SyncReport(NoteCounts):
    """What a sync did: the notes' counts (added, updated, moved, orphaned, revived),
    the files', the problems found and the answers read from other devices."""

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
        summary = (f"{counts} ({plural(self.files_read, 'file')} read, "
                   f"{self.files_unchanged} unchanged, {self.files_removed} removed{kept})")
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
        _remember_roots(store, names)
        _catch_up(history, reading, report, now)
        return report
    changed, placed, touched = _leave_out_bad_files(store, changed, removed, report)
    if not changed and not removed:
        # Every file read has errors: no note, card or source changes. The roots
        # are configuration, not data: a folder named now is remembered, so a bare
        # `sync` reads it again (and shows its errors) instead of the bundled decks.
        _remember_roots(store, names)
        return report
    # Identities read by an earlier sync, whose notes had not arrived then, and new ones.
    identities = {**store.remembered_identities(), **journal.identities(reading.events)}
    ghosts = _ghosts(store, identities)
    with store.transaction():
        store.add_roots(names)
        store.set_sources(SourceRecord(str(i.source.path), _root_name(i.source.root), i.hash)
                          for i in changed)
        store.delete_sources(removed)
        descriptions = {item.deck.deck: item.deck.description for item in changed}
        # From here the parsed notes are in `placed` alone, which the writes use up:
        # each new note is let go once written (100k notes weigh about 90 MB), before
        # the journal's lines and replay (a rebuild's) need the memory.
        del changed
        born = write_notes(store, placed, touched, descriptions, now, ghosts, report)
        # The store knows its own identity lines: the journal's next read skips them.
        reading.add_own(history.record_identities(born, now, known=identities))
    del placed, touched, ghosts, born, parsed
    _catch_up(history, reading, report, now)
    history.replay_arrivals()
    return report


def _remember_roots(store: Store, names: list[str]) -> None:
    """The roots synced now, for the next bare `sync`. Only a new one takes the write
    lock: a no-change sync reads alone, beside another terminal's long write."""
    if not set(names) <= set(store.roots()):
        with store.transaction():
            store.add_roots(names)


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


def _catch_up(history: History, reading, report: SyncReport, now: datetime) -> None:
    # The settings first: a rebuild replays its answers with the journal's scheduler.
    settings: list[str] = []
    if history.settings_to_apply(reading):
        from flashcards import journal_settings  # here: with the settings and FSRS's rules

        settings = journal_settings.apply(history, reading, now)
    caught = history.apply(reading)
    report.from_journal = "; ".join(filter(None, [caught.summary(), *settings]))
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
) -> tuple[list[LoadedFile], list[Placed | None], set[str]]:
    """The files to write, their notes and the paths they touch, without the files
    that have errors (their problems go to ``report.errors``).

    Leaving a file out can clear a duplicate it caused elsewhere, so the check runs
    again until it passes. An error that names no file read now (which leaving
    files out cannot fix) stops the sync: ProblemsError, nothing written.
    """
    while True:
        placed = _placed(changed)
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


def _placed(changed: list[LoadedFile]) -> list[Placed | None]:
    """Every parsed note with its file's path, one string per file (not per note:
    100k copies would weigh 9 MB)."""
    from flashcards.matching import Placed  # here: a sync with no file read matches nothing

    placed: list[Placed | None] = []
    for item in changed:
        path = str(item.source.path)
        placed += [Placed(note, path) for note in item.deck.notes]
    return placed


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
    root_names: dict[Path, str] = {}  # a root's name, worked out once, not per file
    for source in sources:
        before = known.get(str(source.path))
        if source.root not in root_names:
            root_names[source.root] = _root_name(source.root)
        if before and before.hash == file_hash(read_bytes(source)) \
                and before.root == root_names[source.root]:
            report.files_unchanged += 1
        else:
            # Not the bytes: the parser reads the file again (from the page cache)
            # rather than this process holding a whole collection's text.
            pending.append(source)
    loaded = _load_all(store, pending, progress, render_html, parsed)
    report.files_read = len(loaded)
    seen = {str(s.path) for s in sources}
    synced = set(names) | {str(r) for r in roots}
    removed = [path for path, record in known.items()
               if record.root in synced and path not in seen]
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
        return item._replace(html=()) if item.html else item

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
        return loaded._replace(sides=())
    html = {}
    for note, sides in zip(loaded.deck.notes, loaded.sides, strict=True):
        for text, tokens in ((note.question, sides.question), (note.answer, sides.answer)):
            rendered = cacheable_html(text, tokens) if text else None
            if rendered is not None:
                html[cache_key(text)] = rendered
    # Tokens stay in this process: only the HTML travels back from a worker.
    return loaded._replace(sides=(), html=tuple(html.items()))


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
