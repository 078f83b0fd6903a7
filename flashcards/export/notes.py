"""The store's notes as the package's notes, a batch at a time: ids, tags, fields and HTML."""

from __future__ import annotations

import gc
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from html import escape as html_escape
from typing import NamedTuple

import genanki

from flashcards import htmlcache
from flashcards.anki_progress import Progress
from flashcards.export.media import _Media
from flashcards.export.note_types import _models
from flashcards.export.scheduling import _Scheduling
from flashcards.model import FlashcardsError, NoteKind, Problem
from flashcards.paths import deck_folder
from flashcards.store import ExportNote, Store

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
    if not tags:  # most notes: nothing to do, per note of an export
        return []
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


class _Placed(NamedTuple):
    """A stored note on its way into the package: its sides' cache keys, its deck folder.

    A NamedTuple: one per exported note (a frozen dataclass costs three times as much
    to make)."""

    note: ExportNote
    keys: tuple[str | None, str | None]
    folder: str


def _anki_note(item: _Placed, html: dict[str, str], media: _Media,
               problems: list[Problem], progress: tuple[Progress, ...] | None) -> AnkiNote:
    """A package note from a stored note; ``html`` holds cached sides by cache key."""
    note = item.note
    question_key, answer_key = item.keys
    question = _side(note.question, question_key, item, html, media, problems)
    answer = _side(note.answer, answer_key, item, html, media, problems) if note.answer else ""
    source = f"{_shown_source(item.folder, note.path)}:{note.line}"  # `:` and digits need no escape
    kind = _note_kind(note.kind)
    if kind is NoteKind.CLOZE:
        # Anki hides clozes only in Text, so the whole note goes there.
        fields = [question + answer, "", source]
    else:
        fields = [question, answer, source]
    return AnkiNote(note.guid, _models()[kind], fields, anki_tags(note.tags),
                    note.modified, _anki_ords(note.ords), progress)


def _side(text: str, key: str | None, item: _Placed, html: dict[str, str], media: _Media,
          problems: list[Problem]) -> str:
    """A side's HTML: from the cache, or rendered now if the cache lacks it (or it has a
    local image, and so no key)."""
    cached = html.get(key) if key else None
    if cached is not None:
        return cached
    from flashcards import render  # here: a side in the cache needs no renderer

    return render.to_html(text, image_src=lambda written: media.add(written, item, problems))


# The kinds by their stored names: a dict look-up, not an enum call, per note.
_KINDS = {kind.value: kind for kind in NoteKind}


def _note_kind(name: str) -> NoteKind:
    kind = _KINDS.get(name)
    return NoteKind(name) if kind is None else kind  # a name of no kind raises, as before


def _anki_ords(ords: tuple[int, ...]) -> tuple[int, ...]:
    # The store counts cards from 1 (cloze cN is ord N); Anki from 0 (cN is ord N-1).
    if len(ords) == 1:  # most notes: one card
        return (ords[0] - 1,)
    return tuple([ord_ - 1 for ord_ in ords])


@lru_cache(maxsize=4096)  # asked once per note, the same for a file's notes
def _shown_source(folder: str, path: str) -> str:
    """The note's file as its Source field shows it: `_source_name`, HTML-escaped."""
    return html_escape(_source_name(folder, path))


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

            # The export pauses the collector (gcpause) and a forked worker would inherit
            # the pause: rendering makes cyclic garbage, so the workers collect.
            self.pool = ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1),
                                            initializer=gc.enable)
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
        self.kinds.add(_note_kind(note.kind))
        self.notes += 1
        self.cards += len(note.ords)


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
