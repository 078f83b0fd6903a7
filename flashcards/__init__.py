"""Spaced-repetition flashcards written in Markdown: the library API.

In the order data flows (docs/api.md has a runnable example)::

    import flashcards

    deck = flashcards.parse(text, "cards.md")             # Markdown -> notes
    problems = flashcards.check([Path("notes")])          # file:line:col findings
    store = flashcards.Store.open("flashcards.db")        # the SQLite store
    now = flashcards.current_time()                       # the clock, read once
    flashcards.sync(store, [Path("notes")], now=now)      # files -> store
    session = flashcards.start_review(store, now, clock=flashcards.current_time)
    session.press(3)                                      # Good
    flashcards.status(store, now)                         # per deck: due, new
    flashcards.collect_stats(store, now=now)              # every figure of `stats`
    flashcards.export_apkg(store, "notes.apkg", now=now)  # store -> Anki

Names load their module on first use: ``import flashcards`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module

from flashcards.model import (
    DeckFile,
    FlashcardsError,
    Note,
    NoteKind,
    Problem,
    ProblemsError,
    Severity,
)

# name -> (module, attribute)
_LAZY = {
    "parse": ("flashcards.parser", "parse"),
    "check": ("flashcards.loader", "check"),
    "Store": ("flashcards.store", "Store"),
    "ReviewRecord": ("flashcards.store", "ReviewRecord"),
    "CardSchedule": ("flashcards.store", "CardSchedule"),
    "current_time": ("flashcards.clock", "current_time"),
    "sync": ("flashcards.sync", "sync"),
    "start_review": ("flashcards.session", "start"),
    "ReviewSession": ("flashcards.session", "ReviewSession"),
    "status": ("flashcards.status", "status"),
    "collect_stats": ("flashcards.stats", "collect"),
    "export_apkg": ("flashcards.export", "export_apkg"),
    "Settings": ("flashcards.settings", "Settings"),
    "load_settings": ("flashcards.settings", "load_settings"),
    "save_setting": ("flashcards.settings", "save_setting"),
}

__all__ = [
    "CardSchedule",
    "DeckFile",
    "FlashcardsError",
    "Note",
    "NoteKind",
    "Problem",
    "ProblemsError",
    "ReviewRecord",
    "ReviewSession",
    "Settings",
    "Severity",
    "Store",
    "check",
    "collect_stats",
    "current_time",
    "export_apkg",
    "load_settings",
    "parse",
    "save_setting",
    "start_review",
    "status",
    "sync",
]


def __getattr__(name: str):
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(import_module(module), attribute)
    raise AttributeError(f"module 'flashcards' has no attribute {name!r}")
