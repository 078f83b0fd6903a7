"""A store from before the journal: its review log, suspensions and note identities
written to the journal once, the first time it is synced after the migration to
schema 4 (which took a backup first). docs/journal.md, "How the store follows the
journal"."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flashcards import journal
from flashcards.clock import utc_offset_minutes
from flashcards.history import History
from flashcards.journal import SUSPEND, Event
from flashcards.journal_records import NoteIdentity, event_of


def export_store(history: History, now: datetime) -> int:
    """Write a pre-journal store's log, suspensions and note identities to the journal;
    how many answers.

    Its old answers keep their ids (``before-journal-<n>``); their UTC offset and
    day-start hour, never recorded, are taken as today's zone and setting.
    """
    store = history.store
    if not store.export_pending():
        return 0
    from flashcards.settings import load_settings  # here: done once per store

    hour, zone = load_settings(store).day_start_hour, now.tzinfo
    written = 0
    with store.transaction():
        by_folder: dict[Path, list[Event]] = {}
        for review in list(store.all_reviews()):
            card = store.card(review.card_id)
            if card is None:
                continue
            if review.utc_offset_minutes is None:
                review = review._replace(
                    utc_offset_minutes=utc_offset_minutes(review.reviewed_at.astimezone(zone)),
                    day_start_hour=review.day_start_hour or hour)
                store.set_review_zone(review.id, review.utc_offset_minutes,
                                      review.day_start_hour)
            by_folder.setdefault(history.folder_for(card.path), []).append(
                event_of(review, card))
            written += 1
        for card in store.suspended_cards():
            event = history.next_event(SUSPEND, now, guid=card.note_guid, ord=card.ord)
            by_folder.setdefault(history.folder_for(card.path), []).append(event)
        for folder, events in by_folder.items():
            _append_as_written(folder, events)
        history.record_identities((NoteIdentity.of(n) for n in store.notes() if not n.orphaned),
                                  now)
        store.clear_export_pending()
    return written


def _append_as_written(folder: Path, events: list[Event]) -> None:
    """Events of several devices (old answers are ``before-journal``'s), each to its file."""
    by_device: dict[str, list[Event]] = {}
    for event in events:
        by_device.setdefault(event.device, []).append(event)
    for device, own in by_device.items():
        journal.Appender(folder, device).append(own)
