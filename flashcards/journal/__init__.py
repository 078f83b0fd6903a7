"""The review journal: every event that changes a schedule, as plain-text lines.

The store is a cache; the journal is the record. Each device appends JSON Lines
to files of its own (``<device>.jsonl``), so two machines sharing a notes
folder through git never write the same file and never conflict. A card's
schedule is a pure function of its events (``replay``), taken in one
deterministic order: docs/journal.md has the format and the rules.

This module knows the format, where journals live and how to replay them; it
does no scheduling of its own: the replay asks a scheduler's ``Rules`` for
each answer (SM-2's here; FSRS's in ``flashcards.fsrs_rules``).

The package: ``events`` (the lines and their format), ``files`` (where journals
live, appending and reading), ``card_replay`` (the rules that turn a card's events
into its schedule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flashcards.journal.events import (
    ANSWER,
    CONFIG,
    CONFIG_VERSION,
    FOLDER_NAME,
    FORMAT_VERSION,
    JOURNAL_DIR,
    JOURNAL_ONLY,
    KINDS,
    NEWEST_VERSION,
    NOTE,
    RESET,
    RESET_VERSION,
    SCHEDULE,
    SCHEDULE_VERSION,
    SUFFIX,
    SUSPEND,
    UNDO,
    UNSUSPEND,
    Event,
    NewerJournal,
    parse_line,
    scheduled_state,
)
from flashcards.journal.files import (
    Appender,
    Reading,
    device_id,
    folder_of_root,
    journal_files,
    line_number,
    new_bytes,
    read_matching,
    read_new,
    start_in,
    whole_lines,
)

if TYPE_CHECKING:
    from flashcards.journal.card_replay import (
        SM2,
        CardHistory,
        ReplayedAnswer,
        Resume,
        Rules,
        SM2Rules,
        by_card,
        identities,
        in_order,
        replay,
    )

# The replay (with SM-2 and the store's records) loads at the first use of one of its
# names: a sync or a review start that finds no new line never replays a card.
_REPLAY_NAMES = frozenset({
    "SM2",
    "CardHistory",
    "ReplayedAnswer",
    "Resume",
    "Rules",
    "SM2Rules",
    "by_card",
    "identities",
    "in_order",
    "replay",
})

__all__ = [
    "ANSWER",
    "CONFIG",
    "CONFIG_VERSION",
    "NOTE",
    "SUSPEND",
    "UNDO",
    "UNSUSPEND",
    "Appender",
    "CardHistory",
    "Event",
    "FOLDER_NAME",
    "FORMAT_VERSION",
    "JOURNAL_DIR",
    "JOURNAL_ONLY",
    "KINDS",
    "NEWEST_VERSION",
    "NewerJournal",
    "RESET",
    "RESET_VERSION",
    "Reading",
    "ReplayedAnswer",
    "Resume",
    "Rules",
    "SCHEDULE",
    "SCHEDULE_VERSION",
    "SM2",
    "SM2Rules",
    "SUFFIX",
    "by_card",
    "device_id",
    "folder_of_root",
    "identities",
    "in_order",
    "journal_files",
    "line_number",
    "new_bytes",
    "parse_line",
    "read_matching",
    "read_new",
    "replay",
    "scheduled_state",
    "start_in",
    "whole_lines",
]


def __getattr__(name: str) -> object:
    if name not in _REPLAY_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    module = import_module("flashcards.journal.card_replay")
    globals().update({each: getattr(module, each) for each in _REPLAY_NAMES})  # once
    return globals()[name]
