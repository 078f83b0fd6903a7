"""The deck files: notes grouped by deck into files under the loader's limits, checked as
sync will load them, and written whole."""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flashcards.anki_import.notes import _Note
from flashcards.anki_import.report import _Warnings
from flashcards.loader import (
    MAX_COSTLY,
    MAX_FILE_BYTES,
    MAX_LINES,
    LoadedFile,
    SourceFile,
    load_file,
)
from flashcards.model import DeckFile, FlashcardsError, Severity, anki_id
from flashcards.paths import display_path

# A deck file stays well below the loader's limits on size, lines and what a file
# may cost to parse (loader.MAX_COSTLY): a deck that would pass one goes on in
# another file.
MAX_FILE_CHARS = MAX_FILE_BYTES // 2
MAX_FILE_LINES = MAX_LINES * 4 // 5
_SKIPPED = frozenset({"readme", "changelog", "license", "contributing"})


def _slug(deck: str) -> str:
    parts = [re.sub(r"[^\w-]+", "-", part, flags=re.UNICODE).strip("-_") for part in
             deck.split("::")]
    slug = "--".join(p for p in parts if p)[:100].strip("-") or "deck"
    return f"{slug}-deck" if slug.lower() in _SKIPPED else slug


def _deck_files(notes: list[_Note], folder: Path) -> dict[Path, list[_Note]]:
    """One file per deck (more for a deck too big for one file), named by the deck."""
    by_deck: dict[str, list[_Note]] = defaultdict(list)
    for note in notes:
        by_deck[note.deck].append(note)
    files: dict[Path, list[_Note]] = {}
    taken: set[str] = set()
    for deck in sorted(by_deck):
        base = _slug(deck)
        name, counter = base, 1
        while name.lower() in taken:
            counter += 1
            name = f"{base}-{counter}"
        taken.add(name.lower())
        for part, chunk in enumerate(_chunks(by_deck[deck])):
            stem = name if part == 0 else f"{name}-part{part + 1}"
            taken.add(stem.lower())
            files[folder / f"{stem}.md"] = chunk
    return files


def _chunks(notes: list[_Note]) -> Iterable[list[_Note]]:
    caps = [MAX_FILE_CHARS, MAX_FILE_LINES] + [cap * 4 // 5 for _, cap, _ in MAX_COSTLY]
    chunk: list[_Note] = []
    used = [0] * len(caps)
    for note in notes:
        text = note.text()
        cost = [len(text) + 1, text.count("\n") + 1] + [
            sum(map(text.count, characters)) for characters, _, _ in MAX_COSTLY]
        if chunk and any(u + c > cap for u, c, cap in zip(used, cost, caps, strict=True)):
            yield chunk
            chunk, used = [], [0] * len(caps)
        chunk.append(note)
        used = [u + c for u, c in zip(used, cost, strict=True)]
    if chunk:
        yield chunk


def _file_text(deck: str, notes: list[_Note]) -> str:
    front = f"---\ndeck: {json.dumps(deck, ensure_ascii=False)}\n---\n\n"
    return front + "\n".join(note.text() for note in notes)


@dataclass
class _Checked:
    """A deck file to write: its notes, its text, and the text as sync loads it."""

    notes: list[_Note]
    text: str
    loaded: LoadedFile


def _checked(files: dict[Path, list[_Note]], folder: Path,
             warnings: _Warnings) -> dict[Path, _Checked]:
    """Each file loaded as sync will load it: a note that does not come out as
    written (an error, a different kind or card count) is left out, said so."""
    checked = {}
    for path, notes in files.items():
        for _ in range(5):
            text = _file_text(notes[0].deck, notes)
            loaded = load_file(SourceFile(path, folder), text.encode("utf-8"))
            bad = _bad_notes(text, loaded.deck, notes)
            if not bad:
                break
            for guid, reason in bad.items():
                warnings.add("notes the card format cannot hold as written, skipped",
                             f"{guid}: {reason}")
            notes = [note for note in notes if note.guid not in bad]
            if not notes:
                break
        else:
            raise FlashcardsError(f"{display_path(path)}: the converted deck does not parse")
        if notes:
            checked[path] = _Checked(notes, text, loaded)
    return checked


def _bad_notes(text: str, deck: DeckFile, notes: list[_Note]) -> dict[str, str]:
    starts = []  # (first line, guid) of each note in the text
    line = text[:text.index("\n---\n") + 5].count("\n") + 2
    for note in notes:
        starts.append((line, note.guid))
        line += note.text().count("\n") + 1
    bad: dict[str, str] = {}

    def owner(at: int) -> str:
        return max((s for s in starts if s[0] <= at), default=starts[0])[1]
    for problem in deck.problems:
        if problem.severity is Severity.ERROR:
            bad.setdefault(owner(problem.line), problem.message)
    parsed = {n.explicit_id: n for n in deck.notes}
    for note in notes:
        got = parsed.get(anki_id(note.guid))
        wanted = tuple(sorted(set(note.ords.values()) | ({1, 2} if note.reverse else {1})))
        if got is None:
            bad.setdefault(note.guid, "not read back as one note")
        elif note.cloze and set(note.ords.values()) - set(got.ordinals):
            bad.setdefault(note.guid, "its cloze numbers are not read back")
        elif not note.cloze and got.ordinals != wanted:
            bad.setdefault(note.guid, "read back as another kind of card")
    return bad


def _write_file(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    """Whole or not at all: a temporary file beside the target, renamed over it."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
