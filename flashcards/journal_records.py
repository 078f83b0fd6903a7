"""The store's records as the journal has them: a stored answer as the line it came
from, what the journal records of a note (its identity, not its text), and where a
card's stored answers leave its replay."""

from __future__ import annotations

from typing import NamedTuple

from flashcards import journal
from flashcards.journal import ANSWER, Event
from flashcards.store import AnswerMark, ReviewRecord, StoredCard, StoredNote
from flashcards.store.migrations import LEGACY_DEVICE


class NoteIdentity(NamedTuple):
    """What the journal records of a note: its GUID, its file (whose folder keeps the
    journal) and what identifies it to a sync; not its text. A first sync keeps one
    per note until it writes their lines: 100k dicts would weigh 60 MB."""

    guid: str
    path: str | None
    deck: str | None
    kind: str
    question_hash: str | None
    answer_hash: str | None
    content_hash: str | None
    explicit_id: str | None

    @classmethod
    def of(cls, note: StoredNote) -> NoteIdentity:
        return cls(note.guid, note.path, note.deck, note.kind, note.question_hash,
                   note.answer_hash, note.content_hash, note.explicit_id)

    def identity(self) -> dict:
        return identity_of(self)


def identity_of(note: StoredNote | NoteIdentity) -> dict:
    """What identifies a note to sync (docs/format.md, "Card identity")."""
    identity = {"deck": note.deck, "kind": note.kind, "q": note.question_hash,
                "a": note.answer_hash, "c": note.content_hash}
    if note.explicit_id:
        identity["xid"] = note.explicit_id
    return identity


def event_of(review: ReviewRecord, card: StoredCard) -> Event:
    """A stored answer as the journal line it came from."""
    device, _, seq = (review.event_id or f"{LEGACY_DEVICE}-{review.id}").rpartition("-")
    return Event(ANSWER, device, int(seq), review.reviewed_at, guid=card.note_guid,
                 ord=card.ord, button=review.button, grade=review.grade,
                 duration_ms=review.duration_ms, utc_offset_minutes=review.utc_offset_minutes,
                 day_start_hour=review.day_start_hour)


def event_of_row(row: tuple) -> Event:
    """An answer of ``Store.answers_by_card`` as the journal line it came from."""
    (_, guid, ordinal, _, review_id, moment, grade, button, duration_ms, offset, hour,
     event_id) = row
    device, _, seq = (event_id or f"{LEGACY_DEVICE}-{review_id}").rpartition("-")
    return Event(ANSWER, device, int(seq), moment, guid=guid, ord=ordinal, button=button,
                 grade=grade, duration_ms=duration_ms, utc_offset_minutes=offset,
                 day_start_hour=hour)


def resume_after(card: StoredCard, marks: list[AnswerMark],
                 new_events: list[Event]) -> journal.Resume | None:
    """Where the card stands after its stored answers, if the new events are answers
    that all come after them in replay order (the common catch-up: another machine's
    answers of today); None otherwise (the card is replayed whole)."""
    if not marks or not new_events or any(e.type != ANSWER for e in new_events):
        return None
    latest = max(mark.reviewed_at for mark in marks)
    last_seq: dict[str, int] = {}
    for mark in marks:
        device, _, seq = mark.event_id.rpartition("-")
        last_seq[device] = max(int(seq), last_seq.get(device, 0))
    if not all(e.time > latest and e.seq > last_seq.get(e.device, 0) for e in new_events):
        return None
    days = frozenset(
        Event(ANSWER, "", 0, mark.reviewed_at, utc_offset_minutes=mark.utc_offset_minutes,
              day_start_hour=mark.day_start_hour).study_day()
        for mark in marks if mark.scheduled)
    return journal.Resume(card.schedule, card.lapses, card.suspended, days)


def unchanged_prefix(stored: list[ReviewRecord], replayed: tuple) -> int:
    """How many of the stored answers the replay keeps as they are, in the same place."""
    for index, (record, answer) in enumerate(zip(stored, replayed, strict=False)):
        if record.event_id != answer.event.id or record.scheduled != answer.scheduled:
            return index
    return min(len(stored), len(replayed))
