"""Deck files on disk -> parsed deck files, and the checks that span files.

The parser sees one file's text; this module finds the files, reads them
safely (UTF-8, size), names decks after their path, and checks what only a
whole collection shows: duplicate ids or cards, and images on disk.
"""

from __future__ import annotations

import gc
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from flashcards.images import is_local, locate
from flashcards.model import (
    INVISIBLE,
    DeckFile,
    FlashcardsError,
    Note,
    Problem,
    Severity,
    show_invisible,
)
from flashcards.paths import deck_folder, display_path

# A deck file this large is almost surely a mistake (or hostile); refuse it
# rather than hold it in memory and in the store.
MAX_FILE_BYTES = 8 * 1024 * 1024
# What one file may cost markdown-it-py, counted before it parses: its work per
# `[` (a link label is sought from each), per table cell and per inline markup
# character is large (docs/security.md, "What one file may cost", has the
# figures), so 8 MiB of `[` would stall a sync for minutes. Real decks stay far
# below; a file over a cap is an error naming the cap.
MAX_LINES = 50_000
MAX_COSTLY = (
    ("[", 10_000, "`[` (link and image openings)"),
    ("|", 20_000, "`|` (table cells)"),
    ("*_`$&<~", 50_000, "inline markup characters (`*_`$&<~`)"),
)
# Parsing is most of a sync's or a check's work and each file is independent;
# below this many files a process pool costs more than it saves.
PARALLEL_FILES = 64
SKIPPED_NAMES = frozenset({"readme.md", "changelog.md", "license.md", "contributing.md"})


class SourceFile(NamedTuple):
    """A deck file found under a root (the file or folder the user named)."""

    path: Path
    root: Path

    @property
    def deck_folder(self) -> Path:
        return deck_folder(self.root)

    @property
    def default_deck(self) -> str:
        parts = self.path.relative_to(self.deck_folder).with_suffix("").parts
        return "::".join(parts) or self.path.stem


class LoadedFile(NamedTuple):
    """One file read and parsed (NamedTuples, as model.py says why)."""

    source: SourceFile
    hash: str
    deck: DeckFile
    # Each note's sides as the parser's tokens (`parser.SideTokens`), when asked for.
    sides: tuple = ()
    # (`htmlcache.cache_key`, HTML) of the sides, when a sync has rendered them.
    html: tuple[tuple[str, str], ...] = ()


def discover(roots: Iterable[Path]) -> list[SourceFile]:
    """Every Markdown deck file under the roots, in a stable order, without duplicates."""
    found: dict[Path, SourceFile] = {}
    for root in roots:
        root = Path(os.path.abspath(root))
        if root.is_dir():
            for path in _walk(root):
                found.setdefault(path, SourceFile(path, root))
        elif os.path.lexists(root):  # a file, or a FIFO or device that read_file refuses
            found.setdefault(root, SourceFile(root, root))
        else:
            raise FlashcardsError(f"{display_path(root)}: no such file or folder")
    return sorted(found.values(), key=lambda s: str(s.path))


def _walk(root: Path) -> Iterator[Path]:
    # os.walk does not follow symlinked folders, so a symlink loop cannot trap us.
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".md") and name.lower() not in SKIPPED_NAMES:
                yield Path(folder) / name


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(source: SourceFile) -> bytes:
    """The file's bytes; empty for a file ``read_file`` refuses."""
    return read_file(source)[0]


def read_file(source: SourceFile) -> tuple[bytes, str | None]:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES``, or why it is refused.

    Opened without blocking and checked on the open descriptor (no race with a
    rename): a FIFO would block ``open`` and ``read`` forever, and a link to
    /dev/zero or /dev/random reads without end. The read itself is capped too,
    since a regular file can grow while it is read.
    """
    if _leaves_root(source):
        return b"", "is a link to a file outside the deck folder: not read"
    try:
        fd = os.open(source.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise FlashcardsError(f"{display_path(source.path)}: cannot read: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return b"", "not a regular file (a FIFO, a device or a socket): not read"
        # Asked for its size and one byte more, not the cap: a read of the cap sets
        # 8 MiB aside per file (100 files: 5 ms of a 0.1 s sync). One byte past the
        # size means the file grew (or says 0, as /proc's do): read on to the cap.
        want = min(info.st_size, MAX_FILE_BYTES) + 1
        data = file.read(want)
        if len(data) == want and want <= MAX_FILE_BYTES:
            data += file.read(MAX_FILE_BYTES + 1 - want)
    if len(data) > MAX_FILE_BYTES:
        return b"", f"file is larger than {MAX_FILE_BYTES // 2**20} MiB; split it"
    return data, None


def load_file(
    source: SourceFile, data: bytes | None = None, *, with_sides: bool = False
) -> LoadedFile:
    """Read and parse one file; unreadable text becomes a problem, not an exception.

    ``with_sides`` keeps each note's tokens, for rendering without parsing again.
    """
    data, refused = read_file(source) if data is None else (data, None)
    shown = display_path(source.path)
    problem = _unreadable(data, shown, refused)
    sides: tuple = ()
    if problem:
        deck = DeckFile(shown, source.default_deck, problems=(problem,))
    else:
        # Imported here: a sync that finds every file unchanged never loads markdown-it.
        from flashcards.parser import parse_with_sides

        text = data.decode("utf-8-sig")
        costly = _too_costly(text, shown)
        if costly:
            return LoadedFile(source, file_hash(data),
                              DeckFile(shown, source.default_deck, problems=(costly,)))
        deck, sides = parse_with_sides(text, shown, default_deck=source.default_deck)
        deck = _with_note_problems(deck, source)
    return LoadedFile(source, file_hash(data), deck, sides if with_sides else ())


def _leaves_root(source: SourceFile) -> bool:
    """Whether a file found in a folder is a link to a file outside that folder."""
    if source.path == source.root:  # a file the user named: theirs to name
        return False
    if _plainly_inside(source):
        return False
    real = Path(os.path.realpath(source.path))
    return not real.is_relative_to(os.path.realpath(source.root))


def _plainly_inside(source: SourceFile) -> bool:
    """Whether the path is the root, then names that are no links, '.' or '..'.

    Then its real path is the root's real path and those names, inside the root,
    without resolving both paths (two realpath calls: a third of a no-change
    sync's reading). Any doubt (a link, a name that cannot be stat'ed) says no,
    and the caller resolves both.
    """
    path, prefix = str(source.root), os.path.join(source.root, "")
    if not str(source.path).startswith(prefix):
        return False
    names = str(source.path)[len(prefix):].split(os.sep)
    if "" in names or "." in names or ".." in names:
        return False
    try:
        for name in names:
            path = os.path.join(path, name)
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return False
    except OSError:
        return False
    return True


def _unreadable(data: bytes, shown: str, refused: str | None) -> Problem | None:
    def error(line: int, column: int, message: str) -> Problem:
        return Problem(shown, line, column, Severity.ERROR, message)

    if refused:
        return error(1, 1, refused)
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line, column = _position(data, offset)
        return error(line, column, "file contains a NUL byte: is it a binary file?")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        return error(line, column, "file is not valid UTF-8: save it as UTF-8")
    return None


def _too_costly(text: str, shown: str) -> Problem | None:
    """An error if the text is over one of the caps on what a file may cost to parse."""
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        return Problem(shown, MAX_LINES + 1, 1, Severity.ERROR,
                       f"file has {lines:,} lines (over {MAX_LINES:,}): split it")
    for characters, cap, what in MAX_COSTLY:
        count = sum(map(text.count, characters))
        if count > cap:
            return Problem(shown, 1, 1, Severity.ERROR,
                           f"file has {count:,} {what} (over {cap:,}); markdown this dense "
                           "is slow to parse: split it")
    return None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _with_note_problems(deck: DeckFile, source: SourceFile) -> DeckFile:
    # Only notes with images: image_problems asks the disk for the deck folder each time.
    problems = [p for note in deck.notes if note.images for p in image_problems(note, source)]
    problems += [invisible_problem(note) for note in deck.notes if INVISIBLE.search(note.question)]
    if not problems:
        return deck
    return deck._replace(problems=tuple(sorted((*deck.problems, *problems))))


def invisible_problem(note: Note) -> Problem:
    """A question with invisible characters can pass for another card: show them."""
    return Problem(note.path, note.line, 1, Severity.WARNING,
                   f"question holds invisible characters: {show_invisible(note.question)!r}")


def image_problems(note: Note, source: SourceFile) -> Iterator[Problem]:
    folder = source.deck_folder
    for image in note.images:
        if is_local(image.src):
            _, message = locate(image.src, source.path, folder)
            if message:
                yield Problem(note.path, image.line, 1, Severity.ERROR,
                              f"image {image.src!r} {message}")


def collection_problems(notes: Iterable[Note]) -> list[Problem]:
    """Duplicate ids anywhere, and duplicate cards or questions within one deck."""
    problems: list[Problem] = []
    seen_ids: dict[str, Note] = {}
    seen_content = _PerDeck()
    seen_questions = _PerDeck()
    for note in notes:
        if note.explicit_id:
            first = seen_ids.setdefault(note.explicit_id, note)
            if first is not note:
                problems += _both(first, note, Severity.ERROR, f"duplicate id {note.explicit_id!r}")
        first = seen_content.first(note, note.content_hash)
        if first is not note:
            problems += _both(first, note, Severity.ERROR, "duplicate card in one deck")
            continue
        first = seen_questions.first(note, note.question_hash)
        if first is not note:
            problems += _both(first, note, Severity.WARNING, "same question twice in one deck")
    return problems


class _PerDeck:
    """The first note of each deck with a given hash.

    Keyed by the hash alone, with a second map only for hashes met in several
    decks: a (deck, hash) key for each of 100k notes costs a sync 10 MB.
    """

    def __init__(self) -> None:
        self.by_hash: dict[str, Note] = {}
        self.by_deck: dict[tuple[str, str], Note] = {}

    def first(self, note: Note, key: str) -> Note:
        first = self.by_hash.setdefault(key, note)
        if first.deck == note.deck:
            return first
        return self.by_deck.setdefault((note.deck, key), note)


def _both(first: Note, second: Note, severity: Severity, message: str) -> list[Problem]:
    return [
        Problem(first.path, first.line, 1, severity, f"{message} (also at {second.location})"),
        Problem(second.path, second.line, 1, severity, f"{message} (also at {first.location})"),
    ]


def load_files(
    sources: list[SourceFile], *, load: Callable[[SourceFile], LoadedFile] = load_file
) -> Iterator[LoadedFile]:
    """``load`` each file, in order; in a process pool when there are many.

    ``load`` must be a module-level function (it runs in the pool's processes).
    Results come in the order of ``sources`` whatever the pool does, so ids and
    order stay deterministic.
    """
    if len(sources) < PARALLEL_FILES or (os.cpu_count() or 1) < 2:
        yield from map(load, sources)
        return
    # Imported here: the pool's machinery costs a no-change sync a fifth of its time.
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1),
                             initializer=_fewer_collections) as pool:
        yield from pool.map(load, sources, chunksize=max(1, len(sources) // 32))


def _fewer_collections() -> None:
    """Garbage-collect a parser process less often: it makes tokens by the million.

    Parsing leaves little cyclic garbage, yet each collection walks every live
    object; the default threshold (700 allocations) cost 5% of a process's time.
    ``freeze`` leaves the modules loaded so far out of full collections.
    """
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def check(paths: Iterable[Path]) -> list[Problem]:
    """Every problem in the deck files under the paths, sorted; touches no store."""
    loaded = list(load_files(discover(paths)))
    problems = [p for item in loaded for p in item.deck.problems]
    problems += collection_problems(n for item in loaded for n in item.deck.notes)
    return sorted(problems)
