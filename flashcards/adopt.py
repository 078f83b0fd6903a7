"""Taking the bundled decks over: copy them to a folder of the user's and sync them
from there, every card keeping its GUID and history, so they can be edited.

The bundled decks live inside the installed package, which a reinstall replaces:
an edit there would be lost. They are synced as one root, so they move as one:
a single deck copied out would hold the same card ids as its original, still
synced (a duplicate-id error). The move is ``sync.forget`` of the bundled root
(its notes orphaned, never deleted) and a sync of the copy, which finds each
orphan again by its explicit id (the GUID that id always gives), cards, schedules
and reviews included. The answers already given stay in the journal beside the
store (docs/journal.md), which every sync reads.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from flashcards.model import FlashcardsError
from flashcards.paths import BUNDLED_ROOT, display_path
from flashcards.store import Store
from flashcards.sync import SyncReport, bundled_decks, forget, sync

# What the installed folder holds that is not a deck: the package marker.
_NOT_DECKS = shutil.ignore_patterns("__init__.py", "__pycache__", "*.pyc", ".flashcards")


def default_folder() -> Path:
    """Where the copy goes unless the user says otherwise."""
    return Path.home() / "flashcards" / "bundled-decks"


def copy_bundled_decks(store: Store, target: Path, *, now: datetime) -> SyncReport:
    """Copy the bundled decks to ``target`` (new or empty) and sync them from there.

    Raises FlashcardsError, having changed nothing, when the bundled decks are not
    synced into this store or ``target`` holds anything: a user's files are never
    overwritten.
    """
    target = Path(os.path.abspath(os.path.expanduser(target)))
    if BUNDLED_ROOT not in store.roots():
        raise FlashcardsError("the bundled decks are not synced into this store")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FlashcardsError(f"{display_path(target)} is not an empty folder: choose a new "
                              "or empty one (nothing there is overwritten)")
    source = bundled_decks()
    if target.is_relative_to(source):
        raise FlashcardsError(f"{display_path(target)} is inside the installed package")
    try:
        shutil.copytree(source, target, ignore=_NOT_DECKS, dirs_exist_ok=True)
    except OSError as exc:
        raise FlashcardsError(f"cannot copy the bundled decks to {display_path(target)}: "
                              f"{exc.strerror or exc}") from exc
    forget(store, source)
    report = sync(store, [target], now=now, render_html=False)
    if report.errors:  # the copy of a deck that synced a moment ago: not expected
        raise FlashcardsError(f"the copy in {display_path(target)} has errors; "
                              "`flashcards check` lists them")
    return report

