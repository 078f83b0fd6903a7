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

The package's files, one job each:

- ``notes``: Anki's notes as card-format notes (stock note types, Markdown
  fields, clozes renumbered, tags);
- ``media``: the package's media copied, the notes' images pointed at it;
- ``files``: the deck files, under the loader's limits, checked as sync will
  load them, written whole;
- ``journal_lines``: the review history as journal lines, none written twice;
- ``report``: the counts and warnings `import_package` returns.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from flashcards import journal
from flashcards.anki_collection import read_collection
from flashcards.anki_import.files import (
    MAX_FILE_CHARS,
    MAX_FILE_LINES,
    _checked,
    _deck_files,
    _write_file,
)
from flashcards.anki_import.journal_lines import (
    ANSWERS_DEVICE,
    SCHEDULE_DEVICE,
    SUSPEND_DEVICE,
    _history,
    _NewLines,
    _suspended_before,
)
from flashcards.anki_import.media import MEDIA_FOLDER, _copy_media, _with_media
from flashcards.anki_import.notes import (
    PARALLEL_NOTES,
    STOCK,
    _cards_by_note,
    _convert,
    _without_duplicates,
)
from flashcards.anki_import.report import ImportReport, _Warnings
from flashcards.anki_package import Limits, PackageError, open_package
from flashcards.model import FlashcardsError
from flashcards.paths import display_path
from flashcards.scheduler import DAY_START_HOUR

# The names other modules and the tests import from `flashcards.anki_import`.
__all__ = [
    "ANSWERS_DEVICE", "MAX_FILE_CHARS", "MAX_FILE_LINES", "MEDIA_FOLDER", "PARALLEL_NOTES",
    "SCHEDULE_DEVICE", "STOCK", "SUSPEND_DEVICE", "ImportReport", "import_package",
]


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
