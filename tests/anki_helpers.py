"""The real Anki (the `anki` package, headless) for export tests: open, import, close.

Anki is imported when a test first uses it, not when test modules are collected:
the fast lane (`pytest -m "not slow"`) never imports into Anki.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anki.collection import Collection


@contextmanager
def collection(folder: Path) -> Iterator[Collection]:
    """A collection in `folder` (created if needed), always closed afterwards."""
    from anki.collection import Collection

    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / "collection.anki2"))
    try:
        yield col
    finally:
        col.close()


def import_package(col: Collection, package: Path, *, with_scheduling: bool = False):
    """Import like Anki's default (update notes if newer); return the import log."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    request = ImportAnkiPackageRequest(
        package_path=str(package),
        options=ImportAnkiPackageOptions(with_scheduling=with_scheduling),
    )
    return col.import_anki_package(request).log


def notes_by_guid(col: Collection) -> dict:
    return {note.guid: note for note in (col.get_note(nid) for nid in col.find_notes(""))}
