"""An Anki package -> Markdown deck files, media and journal lines in one folder.

`import_package` reads the package (`anki_package`), its collection
(`anki_collection`), converts each note of the stock note types to the card
format (`html_markdown` for the HTML), writes one file per Anki deck, copies
the media, and writes the review history as journal lines (docs/journal.md):

- every answer of the Anki review log is an ``answer`` line of the device
  ``anki``, whose sequence number is the review log id (the answer's time in
  milliseconds, unique in Anki's own imports), so importing the same package
  twice writes no line twice;
- every card Anki has scheduled gets a ``schedule`` line (device
  ``anki-schedule``) with Anki's ease, interval, lapses and due day, after its
  answers, so the schedule goes on from where Anki left it rather than from a
  replay of the answers by SM-2;
- every suspended card gets a ``suspend`` line (device ``anki-suspend``).

The store gets all of it through a normal sync of the folder (the CLI runs it).
Each note keeps its Anki GUID as its explicit id (``<!-- id: anki:GUID -->``,
docs/format.md), so an export back to Anki updates the same notes.
docs/anki.md, "Import from Anki", is the user's side of this.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

from flashcards import journal
from flashcards.anki_collection import AnkiCard, AnkiNote, Collection, NoteType, read_collection
from flashcards.anki_package import Limits, Package, PackageError, open_package
from flashcards.cards import Cloze, cloze_numbers, replace_clozes
from flashcards.clock import utc_offset_minutes
from flashcards.html_markdown import to_markdown
from flashcards.journal import ANSWER, SCHEDULE, SUSPEND, UNSUSPEND, Event
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
from flashcards.scheduler import (
    BUTTON_GRADES,
    DAY_START_HOUR,
    INITIAL_EASINESS,
    MIN_EASINESS,
    PASSING_GRADE,
    study_day,
)

ANSWERS_DEVICE, SCHEDULE_DEVICE, SUSPEND_DEVICE = "anki", "anki-schedule", "anki-suspend"
MEDIA_FOLDER = "media"
# Anki's stock note types by name (a copy Anki renamed on a clash ends in `-xxxxx`).
STOCK = {"Basic": "basic", "Basic (type in the answer)": "basic",
         "Basic (and reversed card)": "reversed", "Basic (optional reversed card)": "optional",
         "Cloze": "cloze"}
_CLASH_SUFFIX = re.compile(r"(?:-[0-9a-f]{5}|\+)$")
# A deck file stays well below the loader's limits on size, lines and what a file
# may cost to parse (loader.MAX_COSTLY): a deck that would pass one goes on in
# another file.
MAX_FILE_CHARS = MAX_FILE_BYTES // 2
MAX_FILE_LINES = MAX_LINES * 4 // 5
_SKIPPED = frozenset({"readme", "changelog", "license", "contributing"})
_UNSAFE_TAG = re.compile(r"[;,>]")
_BLOCK_START = re.compile(r"^(?:```|~~~|\||[-*+>] |\d+[.)] |\$\$|<|#|    )")
_SEQ_BITS = 64
# From this many notes the HTML is converted in a process pool, this many at a time.
# Below it the pool costs more than it saves: 10,000 notes of editor HTML take
# 0.8 s in one process (the short way of html_markdown), and the pool added 0.3 s
# of CPU for no gain in wall time on 2 cores (docs/benchmarks.md, issue 16).
PARALLEL_NOTES = 20_000
_BATCH_NOTES = 1000
_MAX_MS = 253_402_300_799_000  # 9999-12-31, the last moment a datetime holds


@dataclass
class ImportReport:
    folder: Path
    files: list[Path] = field(default_factory=list)
    decks: int = 0
    notes: int = 0
    cards: int = 0
    reviews: int = 0
    scheduled: int = 0
    suspended: int = 0
    media: int = 0
    journal_lines: int = 0
    warnings: list[str] = field(default_factory=list)
    # The written files as the check parsed them (`loader.load_file`), for the
    # sync that follows (`sync(..., parsed=...)`) not to parse them again.
    parsed: list[LoadedFile] = field(default_factory=list, repr=False)

    def hand_over(self) -> list[LoadedFile]:
        """The parsed files, given up here: the sync that takes them lets them go
        before its journal replay, which needs the memory more."""
        parsed, self.parsed = self.parsed, []
        return parsed

    def summary(self) -> str:
        return (f"Imported into {display_path(self.folder)}: {self.decks} decks "
                f"({len(self.files)} files), {self.notes} notes, {self.cards} cards, "
                f"{self.reviews} reviews, {self.scheduled} schedules, "
                f"{self.suspended} suspended, {self.media} media files; "
                f"{self.journal_lines} new journal lines")


@dataclass
class _Note:
    """One Anki note as the card format writes it."""

    guid: str
    deck: str
    question: str
    answer: str
    tags: tuple[str, ...]
    reverse: bool
    ords: dict[int, int]  # Anki card ord -> the card's ordinal here
    cloze: bool = False
    note_id: int = 0  # Anki's

    def text(self) -> str:
        settings = [f"id: {anki_id(self.guid)}"]
        if self.tags:
            settings.append("tags: " + ", ".join(self.tags))
        if self.reverse:
            settings.append("reverse")
        body = f"\n\n{self.answer}" if self.answer else ""
        return f"## {self.question}\n<!-- {'; '.join(settings)} -->{body}\n"


class _Warnings:
    """Warnings counted by kind, each printed once with its count and examples."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = defaultdict(list)

    def add(self, kind: str, example: str = "") -> None:
        self.counts[kind] += 1
        if example and len(self.examples[kind]) < 3:
            self.examples[kind].append(example)

    def lines(self) -> list[str]:
        out = []
        for kind, count in self.counts.items():
            shown = f" (e.g. {', '.join(self.examples[kind])})" if self.examples[kind] else ""
            out.append(f"{kind}: {count}{shown}")
        return out


def import_package(
    package: Path | str,
    folder: Path | str,
    *,
    now: datetime,
    day_start_hour: int = DAY_START_HOUR,
    force: bool = False,
    limits: Limits | None = None,
) -> ImportReport:
    """Write ``package``'s decks as Markdown into ``folder``, with media and history.

    ``now`` gives the zone whose UTC offset every imported answer records, and the
    days Anki's due numbers count from. Raises FlashcardsError (nothing written)
    for a package that cannot be read, or if a deck file exists and ``force`` is
    not given.
    """
    package, folder = Path(package), Path(os.path.abspath(folder))
    if folder.exists() and not folder.is_dir():
        raise FlashcardsError(f"{display_path(folder)} is not a folder")
    try:
        return _import(package, folder, now, day_start_hour, force, limits)
    except sqlite3.DatabaseError as exc:  # a collection damaged past its header
        raise PackageError(f"{package.name}: the collection is not a readable Anki "
                           f"database: {exc}") from exc


def _import(package: Path, folder: Path, now: datetime, day_start_hour: int, force: bool,
            limits: Limits | None) -> ImportReport:
    report = ImportReport(folder)
    warnings = _Warnings()
    with open_package(package, limits) as pkg:
        col = read_collection(pkg.collection_file(), package.name)
        cards = _cards_by_note(col)
        notes = _convert(col, cards, warnings)
        notes = _without_duplicates(notes, warnings)
        files = _deck_files(notes, folder)
        existing = [path for path in files if path.exists()]
        if existing and not force:
            raise FlashcardsError(
                f"{display_path(existing[0])} exists"
                + (f" (and {len(existing) - 1} more deck files)" if len(existing) > 1 else "")
                + "; nothing written. Import into another folder, or pass --force to "
                "overwrite them")
        folder.mkdir(parents=True, exist_ok=True)
        media = _copy_media(pkg, folder, force, warnings)
        notes = [_with_media(note, media, warnings) for note in notes]
        files = _checked(_deck_files(notes, folder), folder, warnings)
        for path, checked in files.items():
            _write_file(path, checked.text)
        report.files = sorted(files)
        report.parsed = [checked.loaded for checked in files.values()]
        kept = [note for checked in files.values() for note in checked.notes]
        report.decks = len({note.deck for note in kept})
        report.notes = len(kept)
        report.cards = sum(len(n.ords) for n in kept)
        report.media = len(media.copied)
        folder_journal = journal.folder_of_root(folder)
        suspended_before = _suspended_before(folder_journal)
        out = _NewLines(folder_journal)
        _history(col, cards, kept, now, day_start_hour, report, warnings, suspended_before, out)
        report.journal_lines = out.written
    report.warnings = warnings.lines()
    return report


# -- notes ----------------------------------------------------------------------------


def _cards_by_note(col: Collection) -> dict[int, list[AnkiCard]]:
    cards: dict[int, list[AnkiCard]] = defaultdict(list)
    for card in col.cards():
        cards[card.note_id].append(card)
    return cards


def _kind(notetype: NoteType | None) -> str | None:
    """basic, reversed, optional, cloze; None for a note type that is not stock."""
    if notetype is None:
        return None
    name = _CLASH_SUFFIX.sub("", notetype.name)
    kind = STOCK.get(name)
    if kind == "cloze" or notetype.cloze:
        return "cloze" if notetype.fields else None
    if kind and len(notetype.fields) >= 2:
        return kind
    return None


def _convert(col: Collection, cards: dict[int, list[AnkiCard]],
             warnings: _Warnings) -> list[_Note]:
    items = []
    others: Counter[str] = Counter()
    for anki in col.notes():
        own = sorted(cards.get(anki.id, []), key=lambda c: c.ord)
        if not own:
            warnings.add("notes without cards, skipped", anki.guid)
            continue
        notetype = col.notetypes.get(anki.notetype_id)
        kind = _kind(notetype)
        if kind is None:
            others[notetype.name if notetype else f"unknown note type {anki.notetype_id}"] += 1
        if len({c.deck_id for c in own}) > 1:
            warnings.add("notes whose cards are in several decks, put in the deck of their "
                         "first card", anki.guid)
        items.append((anki, kind or "basic", _deck_name(col.decks.get(own[0].deck_id)), own))
    for name, count in sorted(others.items()):
        warnings.add(f"note type {name!r} is not a stock type: {count} notes imported from "
                     "their first two fields as Basic")
    notes = []
    for converted, found in _converted_batches(items):
        notes += converted
        for kind, example in found:
            warnings.add(kind, example)
    return notes


def _converted_batches(items: list) -> Iterable[tuple[list[_Note], list[tuple[str, str]]]]:
    """The HTML conversion is most of an import's work: in a process pool when large."""
    workers = min(os.cpu_count() or 1, 4)
    if len(items) < PARALLEL_NOTES or workers < 2:
        return [_convert_batch(items)]
    from concurrent.futures import ProcessPoolExecutor  # only for large packages

    batches = [items[i:i + _BATCH_NOTES] for i in range(0, len(items), _BATCH_NOTES)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_convert_batch, batches))


class _Found(list):
    """Warnings found in a worker, sent back as (kind, example) pairs."""

    def add(self, kind: str, example: str = "") -> None:
        self.append((kind, example))


def _convert_batch(items: list) -> tuple[list[_Note], list[tuple[str, str]]]:
    found = _Found()
    notes = []
    for anki, kind, deck, own in items:
        note = _cloze(anki, deck, own, found) if kind == "cloze" else \
            _basic(anki, deck, own, kind, found)
        if note is not None:
            notes.append(note)
    return notes, list(found)


def _deck_name(name: str | None) -> str:
    """Anki's deck name as the card format takes it: no control characters, no empty
    level (Anki allows neither, a forged collection may hold both)."""
    clean = "".join(ch for ch in name or "" if ch.isprintable())
    parts = [part.strip() for part in clean.split("::") if part.strip()]
    return "::".join(parts) or "Default"


def _tags(anki: AnkiNote, warnings: _Warnings) -> tuple[str, ...]:
    tags = []
    for tag in anki.tags:
        safe = _UNSAFE_TAG.sub("_", tag)
        if safe != tag:
            warnings.add("tags with `;`, `,` or `>` written with `_`", tag)
        if safe and safe not in tags:
            tags.append(safe)
    return tuple(tags)


def _field(anki: AnkiNote, index: int) -> str:
    return to_markdown(anki.fields[index]) if index < len(anki.fields) else ""


def _basic(anki: AnkiNote, deck: str, cards: list[AnkiCard], kind: str,
           warnings: _Warnings) -> _Note | None:
    question, answer = _one_line(_field(anki, 0), anki, warnings), _field(anki, 1)
    if not question:
        warnings.add("notes with an empty first field, skipped", anki.guid)
        return None
    if cloze_numbers(question + "\n" + answer):
        warnings.add("Basic notes whose text looks like a cloze (`{{c1::`), skipped", anki.guid)
        return None
    if not answer:
        answer = "*(empty in Anki)*"
        warnings.add("notes with an empty answer, written as *(empty in Anki)*", anki.guid)
    present = {card.ord for card in cards}
    reverse = kind == "reversed" or (kind == "optional" and 1 in present)
    ords = {0: 1, 1: 2} if reverse else {0: 1}
    return _Note(anki.guid, deck, question, answer, _tags(anki, warnings), reverse,
                 {o: ours for o, ours in ords.items() if o in present}, note_id=anki.id)


def _one_line(text: str, anki: AnkiNote, warnings: _Warnings) -> str:
    """A question as a heading's one line: its lines joined (a line break is lost)."""
    lines = [line.rstrip("\\").strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        if any(_BLOCK_START.match(line) for line in lines):
            warnings.add("questions with blocks (code, lists, tables) a heading cannot hold, "
                         "joined into one line", anki.guid)
        return " ".join(lines)
    return lines[0] if lines else ""


def _cloze(anki: AnkiNote, deck: str, cards: list[AnkiCard],
           warnings: _Warnings) -> _Note | None:
    text, extra = _field(anki, 0), _field(anki, 1)
    numbers = sorted(cloze_numbers(text))
    if not numbers:
        warnings.add("Cloze notes without a cloze, skipped", anki.guid)
        return None
    # The card format numbers clozes from c1 without gaps; Anki allows gaps.
    renumber = {old: new for new, old in enumerate(numbers, 1)}
    if any(old != new for old, new in renumber.items()):
        text = replace_clozes(text, lambda c: _cloze_text(c, renumber[c.number]))
    ords = {card.ord: renumber[card.ord + 1] for card in cards if card.ord + 1 in renumber}
    if len(ords) < len(cards):
        warnings.add("cloze cards whose number is no longer in the text, skipped", anki.guid)
    lines = text.split("\n")
    if _BLOCK_START.match(lines[0]) or lines[0].endswith("\\"):
        question, body = "Cloze", text
    else:
        question, body = lines[0].strip(), "\n".join(lines[1:]).strip()
    if extra:
        body = f"{body}\n\n{extra}".strip()
    return _Note(anki.guid, deck, question, body, _tags(anki, warnings), False, ords, True,
                 anki.id)


def _cloze_text(cloze: Cloze, number: int) -> str:
    hint = f"::{cloze.hint}" if cloze.hint is not None else ""
    return f"{{{{c{number}::{cloze.answer}{hint}}}}}"


def _without_duplicates(notes: list[_Note], warnings: _Warnings) -> list[_Note]:
    """One note per GUID (Anki's own check repairs a collection that has two)."""
    seen: set[str] = set()
    kept = []
    for note in notes:
        if note.guid in seen:
            warnings.add("notes whose GUID another note already has, skipped", note.guid)
            continue
        seen.add(note.guid)
        kept.append(note)
    return kept


# -- media --------------------------------------------------------------------------


@dataclass
class _Media:
    folder: Path
    copied: dict[str, bool] = field(default_factory=dict)  # name -> is an accepted image


def _safe_media_name(name: str) -> bool:
    """A flat file name that stays inside the media folder on every system."""
    return (bool(name) and name not in (".", "..") and len(name.encode("utf-8")) <= 255
            and not any(ch in name for ch in "/\\:\x00")
            and not any(ord(ch) < 32 or ord(ch) == 127 for ch in name)
            and not name.startswith("."))


def _copy_media(pkg: Package, folder: Path, force: bool, warnings: _Warnings) -> _Media:
    media = _Media(folder / MEDIA_FOLDER)
    for entry in pkg.media:
        if not _safe_media_name(entry.name):
            warnings.add("media files with an unsafe name (`../`, a path, an absolute "
                         "path), not copied", repr(entry.name))
            continue
        data = pkg.media_bytes(entry)
        target = media.folder / entry.name
        media.folder.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or (target.exists() and not target.is_file()):
            warnings.add("media names taken by a link or folder, not copied", entry.name)
            continue
        if target.exists() and target.read_bytes() != data and not force:
            warnings.add("media files that exist with other content, kept (--force "
                         "overwrites)", entry.name)
        else:
            _write_bytes(target, data)
        media.copied[entry.name] = _is_image(data)
    return media


def _is_image(data: bytes) -> bool:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a"))


def _with_media(note: _Note, media: _Media, warnings: _Warnings) -> _Note:
    """The note with its images pointing into the media folder; media a card cannot
    show as an image becomes a link to the copied file; a missing one is said so."""
    def place(src: str) -> tuple[str, str] | None:
        if re.match(r"^(?:https?|data):", src):
            return "image", src
        name = src if src in media.copied else unquote(src)
        if name not in media.copied:
            warnings.add("images missing from the package or refused, left out", src)
            return None
        if not media.copied[name]:
            warnings.add("media that is not a PNG, JPEG, GIF or WebP image, linked "
                         "rather than shown", name)
            return "link", f"{MEDIA_FOLDER}/{name}"
        return "image", f"{MEDIA_FOLDER}/{name}"
    return replace(note, question=_images(note.question, place),
                   answer=_images(note.answer, place))


_IMAGE_MD = re.compile(r"!\[((?:[^\]\\]|\\.)*)\]\(([^)\s]*)\)")


def _images(text: str, place) -> str:
    """Rewrite the Markdown images markdownify wrote (src as Anki had it)."""
    from urllib.parse import quote

    def one(match: re.Match) -> str:
        src = unquote(match[2])
        placed = place(src)
        if placed is None:
            return f"*(image {_shown(src)} not in the package)*"
        kind, target = placed
        link = f"({quote(target, safe='/:#?=&%')})"
        return f"![{match[1]}]{link}" if kind == "image" else f"[{_shown(src)}]{link}"
    return _IMAGE_MD.sub(one, text) if "![" in text else text


def _shown(name: str) -> str:
    """A file name as Markdown text: every character that could make syntax escaped."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|$~])", r"\\\1", name)


# -- files --------------------------------------------------------------------------


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


# -- history ------------------------------------------------------------------------


def _suspended_before(folder: Path) -> set[tuple[str, int]]:
    """Cards an earlier import of this folder left suspended (its last line says so)."""
    events = journal.in_order(e for e in journal.read_matching([folder], b'"id":"anki-suspend')
                              if e.device == SUSPEND_DEVICE)
    state: dict[tuple[str, int], bool] = {}
    for event in events:
        state[(event.guid, event.ord)] = event.type == SUSPEND
    return {key for key, suspended in state.items() if suspended}


def _history(col: Collection, cards: dict[int, list[AnkiCard]], notes: list[_Note],
             now: datetime, day_start_hour: int, report: ImportReport,
             warnings: _Warnings, suspended_before: set[tuple[str, int]],
             out: _NewLines) -> None:
    """Answer, schedule and suspend lines for the cards of the written notes, to ``out``."""
    zone = now.tzinfo or UTC
    by_id = {note.note_id: note for note in notes}
    target: dict[int, tuple[str, int]] = {}  # Anki card id -> (GUID, ordinal)
    anki_cards: dict[int, AnkiCard] = {}
    for note_id, own in cards.items():
        note = by_id.get(note_id)
        if note is None:
            continue
        for card in own:
            if card.ord in note.ords:
                target[card.id] = (note.guid, note.ords[card.ord])
                anki_cards[card.id] = card
    answers: dict[int, list[int]] = defaultdict(list)  # card -> passing flags, in order
    last_ms: dict[int, int] = {}
    out.append(ANSWERS_DEVICE,
               _answer_lines(col, target, zone, day_start_hour, answers, last_ms, warnings))
    report.reviews = sum(map(len, answers.values()))
    events: list[Event] = []
    for card_id, card in anki_cards.items():
        guid, ord_ = target[card_id]
        moment_ms = max(min(max(card.modified, 0) * 1000, _MAX_MS), last_ms.get(card_id, -1) + 1)
        moment = datetime.fromtimestamp(moment_ms / 1000, UTC)
        seq = (moment_ms << _SEQ_BITS) | (card_id & ((1 << _SEQ_BITS) - 1))
        if card.type != 0 or card_id in answers:
            sm2 = _state(card, col, zone, day_start_hour, answers.get(card_id, []))
            events.append(Event(SCHEDULE, SCHEDULE_DEVICE, seq, moment, guid=guid, ord=ord_,
                                sm2=sm2))
            report.scheduled += 1
        if card.queue == -1:
            events.append(Event(SUSPEND, SUSPEND_DEVICE, seq, moment, guid=guid, ord=ord_))
            report.suspended += 1
        elif (guid, ord_) in suspended_before:  # unsuspended in Anki since the last import
            events.append(Event(UNSUSPEND, SUSPEND_DEVICE, seq, moment, guid=guid, ord=ord_))
    for device in (SCHEDULE_DEVICE, SUSPEND_DEVICE):
        out.append(device, ((e.seq, e.to_line()) for e in sorted(events, key=lambda e: e.seq)
                            if e.device == device))


def _answer_lines(col: Collection, target: dict[int, tuple[str, int]], zone,
                  day_start_hour: int, answers: dict[int, list[int]], last_ms: dict[int, int],
                  warnings: _Warnings) -> Iterator[tuple[int, str]]:
    """The review log's answers as journal lines, in the log's order (their ids), and
    each card's passing flags and last answer in ``answers`` and ``last_ms``.

    The lines are written here rather than through `journal.Event`: a large
    package has a hundred thousand, and the events cost more than the rest of
    the import's history (tests/test_anki_import_lines.py checks they are the
    lines `Event.to_line` writes)."""
    quoted: dict[str, str] = {}
    for entry in col.revlog():
        if entry.card_id not in target:
            continue
        if entry.ease not in (1, 2, 3, 4):
            continue  # a manual reschedule or a reset: no answer was given
        if not 0 <= entry.id <= _MAX_MS:
            warnings.add("review log entries with an impossible time, skipped", str(entry.id))
            continue
        button = _button(entry.ease, entry.type, col.scheduler)
        moment = datetime.fromtimestamp(entry.id / 1000, UTC)
        guid, ord_ = target[entry.card_id]
        if guid not in quoted:
            quoted[guid] = json.dumps(guid, ensure_ascii=False)
        answers[entry.card_id].append(BUTTON_GRADES[button] >= PASSING_GRADE)
        last_ms[entry.card_id] = entry.id
        yield entry.id, _answer_line(
            entry.id, moment, quoted[guid], ord_, button, max(0, entry.time_ms),
            utc_offset_minutes(moment.astimezone(zone)), day_start_hour)


def _answer_line(seq: int, moment: datetime, quoted_guid: str, ord_: int, button: int,
                 duration_ms: int, offset: int, day_start_hour: int) -> str:
    """`Event.to_line` of an imported answer (its grade is its button's)."""
    time = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    hour = "" if day_start_hour == DAY_START_HOUR else f',"dsh":{day_start_hour}'
    return (f'{{"v":{journal.FORMAT_VERSION},"id":"{ANSWERS_DEVICE}-{seq}","type":"{ANSWER}",'
            f'"t":"{time}","guid":{quoted_guid},"ord":{ord_},"button":{button},'
            f'"ms":{duration_ms},"off":{offset}{hour}}}\n')


def _button(ease: int, kind: int, scheduler: int) -> int:
    """Anki's oldest scheduler had three buttons in learning: 2 was Good, 3 Easy."""
    if scheduler == 1 and kind in (0, 2) and ease in (2, 3):
        return ease + 1
    return ease


def _state(card: AnkiCard, col: Collection, zone, day_start_hour: int,
           passed: list[bool]) -> dict:
    """The SM-2 state a schedule event sets for an Anki card (docs/anki.md says how)."""
    if card.type == 0:  # new again (reset in Anki), though it has answers
        return {"ef": INITIAL_EASINESS, "ivl": 0, "reps": 0, "lapses": max(card.lapses, 0),
                "due": None}
    easiness = max(MIN_EASINESS, round(card.factor / 1000, 2)) if card.factor > 0 \
        else INITIAL_EASINESS
    streak = 0
    for ok in reversed(passed):
        if not ok:
            break
        streak += 1
    if card.type == 2:  # review
        interval, reps = max(card.interval, 1), max(streak, 1)
    else:  # learning (1) or relearning (3): back to the first steps of SM-2
        interval, reps = (max(card.interval, 0) if card.type == 3 else 0), 0
    return {"ef": easiness, "ivl": interval, "reps": reps, "lapses": max(card.lapses, 0),
            "due": _due_day(card, col, zone, day_start_hour).isoformat()}


def _due_day(card: AnkiCard, col: Collection, zone, day_start_hour: int) -> date:
    """Anki's due as a study day: review cards count days from the collection's
    creation day; learning cards are due at a time (seconds)."""
    if card.type in (1, 3) and card.due > 1_000_000_000:
        moment = datetime.fromtimestamp(min(card.due, _MAX_MS // 1000), UTC).astimezone(zone)
        return study_day(moment, day_start_hour)
    created = datetime.fromtimestamp(col.created, UTC)
    if col.creation_offset is not None:
        created_day = (created - timedelta(minutes=col.creation_offset)).date()
    else:
        created_day = created.astimezone(zone).date()
    try:
        return created_day + timedelta(days=card.due)
    except OverflowError:
        return date.max


class _NewLines:
    """Appends the lines this folder's journal does not hold yet (by id), as they
    come, some thousands in each write: an import holds no whole history."""

    CHUNK = 5000

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written = 0
        self.known: dict[str, set[int]] = defaultdict(set)
        devices = {ANSWERS_DEVICE, SCHEDULE_DEVICE, SUSPEND_DEVICE}
        for event in journal.read_matching([folder], b'"id":"anki'):
            if event.device in devices:
                self.known[event.device].add(event.seq)

    def append(self, device: str, lines: Iterable[tuple[int, str]]) -> None:
        """``lines`` as (sequence number, line), in their order."""
        known, chunk = self.known[device], []
        for seq, line in lines:
            if seq not in known:
                chunk.append(line)
                if len(chunk) == self.CHUNK:
                    self._write(device, chunk)
                    chunk = []
        if chunk:
            self._write(device, chunk)

    def _write(self, device: str, lines: list[str]) -> None:
        journal.Appender(self.folder, device).append_lines(lines)
        self.written += len(lines)
