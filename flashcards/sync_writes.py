"""A sync's writes: the parsed notes that passed the checks, paired with the stored
ones (``flashcards.matching``) and written into the store: new notes and their
cards in file order, updates, orphans; and the identities the journal needs of
the notes born or changed.

The caller (``flashcards.sync``) opens the transaction and writes the journal's
identity lines (``History.record_identities``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flashcards.journal_records import NoteIdentity
from flashcards.model import ANKI_ID_PREFIX, digest, guid_of_id
from flashcards.store import Store, StoredNote

if TYPE_CHECKING:
    # The identity rules load when there is something to match: a sync that finds
    # every file unchanged imports this module for NoteCounts alone.
    from flashcards.matching import Placed

# New cards are written in batches of about this many, in file order.
_CARD_BATCH = 10_000


@dataclass
class NoteCounts:
    """What a sync's writes did to the notes (the counts of its report, SyncReport)."""

    added: int = 0
    updated: int = 0
    moved: int = 0
    orphaned: int = 0
    revived: int = 0


def write_notes(
    store: Store,
    placed: list[Placed | None],
    touched: set[str],
    descriptions: dict[str, str],
    now: datetime,
    ghosts: list[StoredNote],
    counts: NoteCounts,
) -> list[NoteIdentity]:
    """Write the parsed notes (``placed``, in file order) of the files ``touched``
    (``descriptions``: each of their decks' description), adding what they did to
    ``counts``; return the identities of the notes born or changed (the journal's
    NOTE lines).

    ``placed`` is used up: a new note's entry is let go (set to None) as soon as its
    row is written, so a first sync does not hold every parsed note (90 MB at 100k)
    while it writes the store and the journal. The caller must hold no other
    reference to the parsed notes (their ``LoadedFile``s) for that to free them.
    """
    from flashcards.matching import match

    old = store.notes_in_paths(touched) + store.orphaned_notes()
    pairs = match(placed, old + ghosts)
    reborn = {index: pairs.pop(index).guid for index in list(pairs) if pairs[index].id < 0}
    stamp = int(now.timestamp())
    deck_ids = {name: store.deck_id(name, descriptions[name]) for name in descriptions}
    # New notes go in with one statement (a cold sync is all new notes); the ids
    # and the order of card ids stay those of one insert per note in file order.
    # Rows are made as the statement consumes them: 100k at once weigh 100 MB.
    guids: set[str] = set()
    # A store with no notes yet has no GUID to collide with: no lookup per new note.
    in_store = store.guid_exists if store.has_notes() else lambda guid: False
    identities: list[NoteIdentity] = []
    # Each new note's card ordinals, in file order: all that the cards need of it.
    born_ordinals: list[tuple[int, ...]] = []

    def remember(note: StoredNote, deck: str) -> None:
        # A note with an explicit id and the GUID that id always gives is found again
        # by its id alone: the journal needs no identity line for it (the bundled decks).
        if not (note.explicit_id and note.guid == guid_of_id(note.explicit_id)):
            # The tuple's own _replace: dataclasses.replace of the whole note cost a
            # cold sync of 10k notes 0.1 s.
            identities.append(NoteIdentity.of(note)._replace(deck=deck))

    def born_notes() -> Iterator[StoredNote]:
        for index, item in enumerate(placed):
            if index not in pairs:
                guid = reborn.get(index) or _new_guid(item, guids, in_store)
                guids.add(guid)
                note = _stored(item, deck_ids[item.note.deck], guid=guid, modified=stamp)
                remember(note, item.note.deck)
                born_ordinals.append(item.note.ordinals)
                placed[index] = None  # written: the parsed note may go
                yield note

    born = len(placed) - len(pairs)
    new_ids = iter(store.insert_notes(born_notes(), born))
    ordinals = iter(born_ordinals)
    counts.added += born
    new_cards: list[tuple[int, int]] = []
    for index, item in enumerate(placed):
        if index not in pairs:  # born, in the order of new_ids
            note_id = next(new_ids)
            new_cards += [(note_id, ord_) for ord_ in sorted(set(next(ordinals)))]
            if len(new_cards) < _CARD_BATCH:
                continue
        # Card ids follow file order: new cards are written before any later change.
        store.insert_cards(new_cards)
        new_cards = []
        if index in pairs:
            note = _update(store, item, pairs[index], deck_ids[item.note.deck], stamp, counts)
            if _identity_changed(pairs[index], note):
                remember(note, item.note.deck)
    store.insert_cards(new_cards)
    matched = {stored.id for stored in pairs.values()}
    gone = [stored.id for stored in old if stored.id not in matched and not stored.orphaned]
    store.orphan_notes(gone)
    counts.orphaned += len(gone)
    return identities


def _identity_changed(previous: StoredNote, note: StoredNote) -> bool:
    return (previous.content_hash, previous.explicit_id, previous.deck_id, previous.kind) != \
        (note.content_hash, note.explicit_id, note.deck_id, note.kind)


def _update(store: Store, item: Placed, previous: StoredNote, deck_id: int, stamp: int,
            counts: NoteCounts) -> StoredNote:
    """Write a matched note's new text and place; its cards follow its ordinals."""
    note = _stored(item, deck_id, guid=previous.guid, modified=previous.modified,
                   note_id=previous.id)
    note = note._replace(modified=_modified(previous, note, stamp))
    store.update_note(note)
    _count_change(previous, note, counts)
    store.set_card_ordinals(previous.id, item.note.ordinals)
    return note


def _stored(item: Placed, deck_id: int, *, guid: str, modified: int,
            note_id: int | None = None) -> StoredNote:
    """A parsed note as the store keeps it, in its file and deck, active."""
    note = item.note
    # The kind's own str (``.value``), not str() of it: a new string per note, which
    # the journal's identity keeps until it is written (5 MB at 100k notes).
    return StoredNote(
        guid=guid, kind=note.kind.value, deck_id=deck_id, path=item.path, line=note.line,
        question=note.question, answer=note.answer, tags=note.tags,
        explicit_id=note.explicit_id, question_hash=note.question_hash,
        answer_hash=note.answer_hash, content_hash=note.content_hash, modified=modified,
        orphaned=False, id=note_id)


def _content_changed(previous: StoredNote, note: StoredNote) -> bool:
    return (previous.question, previous.answer, previous.kind, previous.tags) != \
        (note.question, note.answer, note.kind, note.tags)


def _modified(previous: StoredNote, note: StoredNote, stamp: int) -> int:
    """Seconds of the last content change, strictly increasing so Anki sees every edit."""
    if not _content_changed(previous, note) and previous.deck_id == note.deck_id:
        return previous.modified
    return max(stamp, previous.modified + 1)


def _count_change(previous: StoredNote, note: StoredNote, counts: NoteCounts) -> None:
    if previous.orphaned:
        counts.revived += 1
    elif previous.path != note.path or previous.deck_id != note.deck_id:
        counts.moved += 1
    elif _content_changed(previous, note):
        counts.updated += 1


def _new_guid(item: Placed, taken: set[str], in_store: Callable[[str], bool]) -> str:
    """A GUID from the note's identity at birth, stable for the note's whole life.

    An explicit id gives the same GUID in every store, so the bundled decks keep
    their Anki notes across machines; otherwise the deck and first content do.
    """
    note = item.note
    if note.explicit_id and note.explicit_id.startswith(ANKI_ID_PREFIX):
        # An Anki GUID kept as it is: taken twice, it is the error of a duplicate id.
        guid = guid_of_id(note.explicit_id)
        if guid not in taken and not in_store(guid):
            taken.add(guid)
            return guid
    seed = ("id", note.explicit_id) if note.explicit_id else ("note", note.deck, note.question,
                                                               note.answer)
    guid = "fc" + digest(*seed)[:16]
    counter = 1
    while guid in taken or in_store(guid):
        guid = "fc" + digest(*seed, str(counter))[:16]
        counter += 1
    taken.add(guid)
    return guid
