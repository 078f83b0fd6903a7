"""The store kept equal to the review journal.

Every answer, undo, suspension and note identity is written to the journal
(`flashcards.journal`) as it happens, in the same step as the store. Lines
written elsewhere (another machine, after a `git pull`; a crash between the
journal and the store) are read by the next sync or review and replayed into
the store, card by card. docs/journal.md has the model.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flashcards import journal
from flashcards.gcpause import no_collections
from flashcards.journal import ANSWER, CONFIG, NOTE, RESET, SUSPEND, UNSUSPEND, Event
from flashcards.journal_records import (
    NoteIdentity,
    event_of,
    resume_after,
    unchanged_prefix,
)
from flashcards.model import Problem, plural
from flashcards.paths import BUNDLED_ROOT, display_path
from flashcards.store import (
    NEW_CARD,
    CardSchedule,
    ReviewRecord,
    Store,
    StoredCard,
)

if TYPE_CHECKING:
    # The rebuild's replay (and pickle) load only when cards are replayed, the settings
    # and the FSRS rules when a card is scheduled, and the journal's note lines when
    # one is written: a sync that finds nothing new never needs them.
    from flashcards.history_rebuild import ReplayedBatch
    from flashcards.settings import Settings

SEQ_KEY = "journal.seq"
# The journal folders known to hold every setting of the store, a JSON list
# (``journal_settings``).
SETTINGS_FOLDERS_KEY = "journal.settings_folders"
# Set once a schedule event (an Anki import) or a reset was applied: only then does
# a card's replay read those events (journal.JOURNAL_ONLY) back from the journal.
HAS_SCHEDULES_KEY = "journal.has_schedules"
# Replayed answers are written in statements of about this many rows: a rebuild
# never holds more of them than that.
_WRITE_BATCH = 20_000
# Identity lines made and appended at a time (a first sync of 100k notes: 20 MB).
_LINES_PER_WRITE = 5_000


@dataclass
class CatchUp:
    """What reading the journals brought in."""

    answers_from: Counter[str] = field(default_factory=Counter)  # device -> new answers
    cards: int = 0
    problems: list[Problem] = field(default_factory=list)
    identities: dict[str, dict] = field(default_factory=dict)  # GUID -> latest identity

    def summary(self) -> str:
        parts = [f"{plural(n, 'answer')} from {device}"
                 for device, n in sorted(self.answers_from.items())]
        return "; ".join(parts)


class History:
    """One store's journals: where they are, this device's file in each, and replay."""

    def __init__(self, store: Store, *, data_dir: Path, device: str):
        self.store = store
        self.data_dir = data_dir
        self.device = device
        self.warnings: list[str] = []
        self._settings: Settings | None = None
        self._rules: dict[str | None, journal.Rules] = {}
        self._schedules: dict[tuple[str, int], list[Event]] | None = None
        self._root_folders: dict[str, Path] = {}

    @classmethod
    def of(cls, store: Store) -> History:
        """The journals of a store: its data folder is the store's own folder."""
        return cls(store, data_dir=store.path.parent, device=journal.device_id(store.path))

    # -- where -------------------------------------------------------------------------

    @property
    def own_folder(self) -> Path:
        """The data folder's journal: the bundled decks', and the fallback of every folder."""
        return self.data_dir / journal.JOURNAL_DIR

    def folders(self, roots: Iterable[str] = ()) -> list[Path]:
        """The journal folders of the store's roots (and of ``roots``, about to be synced)."""
        found = [self.own_folder]
        for root in [*self.store.roots(), *roots]:
            if root != BUNDLED_ROOT:
                folder = journal.folder_of_root(Path(root))
                if folder not in found:
                    found.append(folder)
        return found

    def folder_for(self, deck_file: str | None) -> Path:
        """The journal folder of a deck file: its synced folder's, if that can be written."""
        root = self.store.root_of(deck_file) if deck_file else None
        if root is None or root == BUNDLED_ROOT or not os.path.exists(root):
            return self.own_folder
        # Worked out once per root (a root that is a folder stays one); whether it
        # exists and can be written is asked at every write, by plain system calls.
        folder = self._root_folders.get(root)
        if folder is None:
            folder = self._root_folders[root] = journal.folder_of_root(Path(root))
        if _writable(str(folder)):
            return folder
        message = (f"{display_path(folder)} cannot be written: its history goes to "
                   f"{display_path(self.own_folder)}")
        if message not in self.warnings:
            self.warnings.append(message)
        return self.own_folder

    # -- the active scheduler ------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The store's settings, read once (a session passes the ones it read)."""
        if self._settings is None:
            from flashcards.settings import load_settings

            self._settings = load_settings(self.store)
        return self._settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self._settings = settings
        self._rules.clear()

    def settings_to_apply(self, reading: journal.Reading) -> bool:
        """Whether the journal's settings need ``journal_settings.apply`` after
        ``reading``: it holds `config` lines, or a journal folder of the store is not
        known yet to hold every setting."""
        if any(event.type == CONFIG for event in reading.events):
            return True
        known = self.settings_folders()
        return any(str(folder) not in known for folder in self.folders())

    def settings_folders(self) -> list[str]:
        """The journal folders known to hold every setting of the store, sorted."""
        return json.loads(self.store.get_meta(SETTINGS_FOLDERS_KEY) or "[]")

    def set_settings_folders(self, folders: Iterable[str]) -> None:
        self.store.set_meta(SETTINGS_FOLDERS_KEY, json.dumps(sorted(folders)))

    def rules_for(self, deck: str | None) -> journal.Rules:
        """The active scheduler's rules for a card of ``deck``: SM-2's, or FSRS's with the
        parameters fitted for the deck (or a deck above it), else the collection's."""
        if not self.settings.uses_fsrs:
            return journal.SM2
        if deck not in self._rules:
            from flashcards.fsrs_rules import FSRSRules
            from flashcards.settings import parameters_for

            config = self.settings.fsrs_config(parameters_for(self.store, deck))
            self._rules[deck] = FSRSRules(config)
        return self._rules[deck]

    def replay_all(self) -> int:
        """Every answered card replayed from its stored answers under the active rules, in
        one transaction (after a change of scheduler or of its settings); how many.

        The answers stay (a change of rules changes no answer): their rows are
        rewritten in place, in batches (``rescheduling``: on two cores if large).
        """
        from flashcards import rescheduling  # with its second process: only for a replay

        cards = 0
        with self.store.transaction(), self.store.rewriting_reviews(), no_collections():
            rules = {deck: self.rules_for(deck) for deck in self.store.answer_decks()}
            # An Anki import's states (SM-2 only), read from the journal.
            schedules = self.schedule_events() if self._journal_has_schedules() else None
            for batch in rescheduling.replay_all(self.store, rules, schedules):
                self.store.set_replayed(batch.answers, batch.schedules)
                cards += len(batch.schedules)
        return cards

    # -- writing -----------------------------------------------------------------------

    def next_event(self, kind: str, moment: datetime, **fields) -> Event:
        """A new event of this device; call inside the store transaction that applies it,
        so two terminals on one store never take the same sequence number."""
        return Event(kind, self.device, self._take_seqs(1), moment, **fields)

    def _take_seqs(self, count: int) -> int:
        """The first of ``count`` new sequence numbers of this device."""
        return self.store.add_to_counter(SEQ_KEY, count) - count + 1

    def write(self, deck_file: str | None, events: Iterable[Event]) -> None:
        journal.Appender(self.folder_for(deck_file), self.device).append(events)

    def answer_event(self, card: StoredCard, record: ReviewRecord) -> Event:
        return self.next_event(
            ANSWER, record.reviewed_at, guid=card.note_guid, ord=card.ord, button=record.button,
            grade=record.grade, duration_ms=record.duration_ms,
            utc_offset_minutes=record.utc_offset_minutes, day_start_hour=record.day_start_hour)

    def record_identities(self, notes: Iterable[NoteIdentity], moment: datetime, *,
                          known: dict[str, dict] | None = None) -> dict[Path, tuple[int, int]]:
        """NOTE lines: what a later sync needs to give these notes back their GUIDs; for
        each journal file written, its size before and after them (``Reading.add_own``).

        A note whose identity the journal already says (``known``: GUID -> its latest
        identity there) gets no line: a rebuilt store adds nothing to the journal.
        Written a few thousand lines at a time (a first sync of 100k notes writes 20 MB).
        Call inside the transaction that writes the notes.
        """
        from flashcards.journal.note_lines import note_lines

        known = known or {}
        notes = [note for note in notes if known.get(note.guid) != note.identity()]
        if not notes:
            return {}
        seq = self._take_seqs(len(notes))
        by_folder: dict[Path, list[tuple[int, NoteIdentity]]] = {}
        folders: dict[str | None, Path] = {}
        for offset, note in enumerate(notes):
            if note.path not in folders:
                folders[note.path] = self.folder_for(note.path)
            by_folder.setdefault(folders[note.path], []).append((seq + offset, note))
        written: dict[Path, tuple[int, int]] = {}
        for folder, numbered in by_folder.items():
            appender = journal.Appender(folder, self.device)
            for start in range(0, len(numbered), _LINES_PER_WRITE):
                chunk = numbered[start:start + _LINES_PER_WRITE]
                before, after = appender.append_lines(note_lines(
                    self.device, moment, ((n, note.guid, note.identity()) for n, note in chunk)))
                written[appender.path] = (written.get(appender.path, (before,))[0], after)
        return written

    # -- reading -----------------------------------------------------------------------

    def catch_up(self) -> CatchUp:
        """Read the journal lines not yet applied and replay the cards they touch."""
        return self.apply(self.read_pending())

    def read_pending(self, roots: Iterable[str] = ()) -> journal.Reading:
        """The journal lines this store has not applied yet (all of them, for a new store).

        A large read (a rebuild) has its card events sorted into bucket files on disk
        (``journal_buckets``), so memory stays bounded whatever the journal's size.
        """
        folders, offsets = self.folders(roots), self.store.journal_offsets()
        size = journal.new_bytes(folders, offsets)
        if size:  # else nothing is new: the buckets' module need not load to say so
            from flashcards import journal_buckets

            if size > journal_buckets.BUCKETED_OVER:
                return journal_buckets.read_new_by_card(folders, offsets, size)
        return journal.read_new(folders, offsets)

    def apply(self, reading: journal.Reading) -> CatchUp:
        """Replay into the store every card that ``reading``'s events touch."""
        result = CatchUp(problems=reading.problems,
                         # No line read: the replay's module need not load to say so.
                         identities=journal.identities(reading.events) if reading.events else {})
        if not reading.offsets or (not reading.events and self._read_before(reading.offsets)):
            return result  # nothing new: no write, no lock (a no-change sync stays cheap)
        with self.store.transaction():
            self._bump_seq(reading.max_seq(self.device))
            waiting: set[str] = set()
            # A rebuild (nothing read before, no answer stored) replays every card from
            # nothing; any other read, from the store's answers and journal-only events.
            rebuild = not self.store.has_reviews() and not self.store.journal_offsets()
            with self.store.reviews_in_bulk(), no_collections():
                if not rebuild:
                    for events in reading.batches():
                        waiting |= self._apply_batch(events, result)
                else:
                    for batch in self._replay_from_nothing(reading):
                        waiting |= self._write_batch(batch, result)
            self._remember_for_later(result.identities, waiting)
            self.store.set_journal_offsets(reading.offsets)
        return result

    def _read_before(self, offsets: dict[str, int]) -> bool:
        """Whether the store has read every file of ``offsets`` up to there. A file it
        read once and that is gone (deleted, or a moved store's old folder) keeps its
        offset, should it come back, and is no change."""
        known = self.store.journal_offsets()
        return all(known.get(path) == end for path, end in offsets.items())

    def _remember_for_later(self, identities: dict[str, dict], waiting: set[str]) -> None:
        """Identities and answers of notes this store lacks: their file may come later
        (``replay_arrivals``)."""
        if identities:
            absent = self.store.guids_absent(identities)
            self.store.remember_identities({g: identities[g] for g in absent})
        if waiting:
            self.store.remember_waiting(self.store.guids_absent(waiting))

    def replay_arrivals(self) -> int:
        """Replay the answers of notes that arrived after their journal lines were read
        (their file came later than the journal); how many cards were replayed."""
        remembered = self.store.remembered_guids()
        arrived = remembered - self.store.guids_absent(remembered) if remembered else set()
        if not arrived:
            return 0
        from flashcards import journal_buckets

        events = journal_buckets.read_about(self.folders(), arrived)
        replayed = 0
        with self.store.transaction():
            touched = journal.by_card(e for e in events if e.type != NOTE)
            for card in self.store.cards_of_guids(arrived):
                if (card.note_guid, card.ord) in touched:
                    self.replay_card(card, touched[(card.note_guid, card.ord)])
                    replayed += 1
            self.store.forget_remembered(arrived)
        return replayed

    def _replay_from_nothing(self, reading: journal.Reading) -> Iterator[ReplayedBatch]:
        """A store without answers: each batch of cards replayed from its events alone
        (``history_rebuild``)."""
        from flashcards import history_rebuild, journal_buckets

        if isinstance(reading, journal_buckets.BucketedReading):
            # A large read (a rebuild): every card read once, light; on two cores.
            every_card = {(c.note_guid, c.ord): c for c in self.store.replay_cards()}
            yield from history_rebuild.replay_buckets(reading, every_card, self.rules_for,
                                                      self.device, rows=_WRITE_BATCH)
            return
        for events in reading.batches():  # a small one: its own cards
            cards = self._cards_of({e.guid for e in events
                                    if e.type != NOTE and e.guid is not None})
            yield from history_rebuild.replay_batch(events, cards, self.rules_for, self.device,
                                                    rows=_WRITE_BATCH)

    def _cards_of(self, guids: set[str]) -> dict[tuple[str, int], StoredCard]:
        """The cards of these notes, by (note GUID, ordinal), in one query."""
        return {(c.note_guid, c.ord): c for c in self.store.cards_of_guids(guids)}

    def _write_batch(self, batch: ReplayedBatch, result: CatchUp) -> set[str]:
        """A replayed batch into the store; the GUIDs of the notes it lacks."""
        if batch.has_schedules:
            self.store.set_meta(HAS_SCHEDULES_KEY, "1")
        self.store.add_review_values(batch.reviews)
        self.store.set_schedule_values(batch.schedules)
        for card_id, suspended in batch.suspensions:
            self.store.set_suspended(card_id, suspended)
        result.cards += batch.cards
        result.answers_from += batch.answers_from
        return batch.missing

    def _apply_batch(self, events: list[Event], result: CatchUp) -> set[str]:
        """Replay the cards of one batch (every event of each of its cards) after their
        stored answers, writing the answers and schedules of all of them at once; the
        GUIDs of cards not found."""
        known = self.store.known_event_ids(e.id for e in events if e.type == ANSWER)
        events = [e for e in events if e.type != ANSWER or e.id not in known]
        touched = journal.by_card(e for e in events if e.type != NOTE)
        if any(e.type in journal.JOURNAL_ONLY for e in events):
            self.store.set_meta(HAS_SCHEDULES_KEY, "1")
        # One query for every card touched, and one for their stored answers.
        cards = self._cards_of({guid for guid, _ in touched})
        starts, stored = self._starts(cards, touched) if cards else ({}, {})
        writes, missing = _Writes(), set()
        for key, card_events in touched.items():
            card = cards.get(key)
            if card is None:
                missing.add(key[0])  # a note this store does not hold (yet)
                continue
            self._replay(card, card_events, stored.get(card.id, []), writes,
                         start=starts.get(card.id))
            if len(writes.reviews) >= _WRITE_BATCH:
                writes.flush(self.store)
            result.cards += 1
            for event in card_events:
                if event.type == ANSWER and event.device != self.device:
                    result.answers_from[event.device] += 1
        writes.flush(self.store)
        return missing

    def replay_card(self, card: StoredCard, new_events: list[Event]) -> None:
        """Rewrite one card (answers, schedule, lapses, suspension) as its events say."""
        writes = _Writes()
        self._replay(card, new_events, self.store.reviews_of_card(card.id), writes)
        writes.flush(self.store)

    def _starts(self, cards: dict[tuple[str, int], StoredCard],
                touched: dict[tuple[str, int], list[Event]],
                ) -> tuple[dict[int, journal.Resume], dict[int, list[ReviewRecord]]]:
        """Where each card's replay can resume (``resume_after``), and the stored
        answers of the cards to replay whole."""
        marks = self.store.answer_marks(c.id for c in cards.values())
        # A card with a reset or a schedule of its own is replayed whole: its stored
        # schedule may already hold one that a newly read answer comes before.
        set_outside = self.schedule_events() if self._journal_has_schedules() else {}
        starts = {}
        for key, card in cards.items():
            if key in set_outside:
                continue
            start = resume_after(card, marks.get(card.id, []), touched.get(key, []))
            if start is not None:
                starts[card.id] = start
        whole = [card.id for card in cards.values()
                 if card.id in marks and card.id not in starts]
        return starts, self.store.reviews_of_cards(whole) if whole else {}

    def _replay(self, card: StoredCard, new_events: list[Event],
                stored: list[ReviewRecord], writes: _Writes, *,
                start: journal.Resume | None = None) -> None:
        from flashcards.history_rebuild import record_of

        rules = self.rules_for(card.deck)
        if start is not None:  # later answers only: replayed from where the card stands
            history = journal.replay(new_events, rules, start=start)
            writes.reviews += [record_of(a, card) for a in history.answers]
            writes.schedules.append((card.id, history.schedule, history.lapses))
            return
        events = list(new_events)
        events += [event_of(r, card) for r in stored]
        if self._journal_has_schedules():
            # The store keeps answers only: a card's schedule events come from the journal.
            events += self.schedule_events().get((card.note_guid, card.ord), [])
        history = journal.replay(events, rules)
        suspended = history.suspended if any(
            e.type in (SUSPEND, UNSUSPEND) for e in events) else card.suspended
        kept = unchanged_prefix(stored, history.answers)
        if kept < len(stored):  # an answer moved, or was undone: the card's rows anew
            self.store.delete_reviews_of_card(card.id)
            kept = 0
        # The common case: new answers after the stored ones, added as they are.
        writes.reviews += [record_of(a, card) for a in history.answers[kept:]]
        writes.schedules.append((card.id, history.schedule, history.lapses))
        if suspended != card.suspended:
            self.store.set_suspended(card.id, suspended)

    def _journal_has_schedules(self) -> bool:
        """Whether a schedule event was ever applied to this store (an Anki import)."""
        return self.store.get_meta(HAS_SCHEDULES_KEY) is not None

    def schedule_events(self) -> dict[tuple[str, int], list[Event]]:
        """Every schedule and reset event of the journals (``journal.JOURNAL_ONLY``), by
        card; read once per History.

        Only lines naming those types are parsed, so a journal of answers costs one
        pass over its bytes.
        """
        if self._schedules is None:
            found = journal.read_matching(
                self.folders(), *(f'"type":"{kind}"'.encode() for kind in journal.JOURNAL_ONLY))
            self._schedules = journal.by_card(found)
        return self._schedules

    def forget_read_events(self) -> None:
        """Read the journal's schedule and reset events again at the next need: a
        long-lived History (a review session's) may have read them before another
        terminal or machine wrote more."""
        self._schedules = None

    def reset(self, cards: list[StoredCard], moment: datetime) -> None:
        """Cards new again: a reset line each in the journal, and a new schedule in the
        store (no lapses); their answers stay. Call inside the store's transaction."""
        for card in cards:
            self.write(card.path, [self.next_event(RESET, moment, guid=card.note_guid,
                                                   ord=card.ord)])
        self.store.set_meta(HAS_SCHEDULES_KEY, "1")  # replays now read resets back
        self.forget_read_events()
        self.store.set_card_schedules((card.id, NEW_CARD, 0) for card in cards)

    def _bump_seq(self, own: int) -> None:
        """Never reuse a sequence number this device wrote (a rebuilt store starts at 0)."""
        current = int(self.store.meta_items(SEQ_KEY).get(SEQ_KEY, "0"))
        if own > current:
            self.store.set_meta(SEQ_KEY, str(own))


@dataclass
class _Writes:
    """Answers and schedules of replayed cards, written together (one statement each)."""

    reviews: list[ReviewRecord] = field(default_factory=list)
    schedules: list[tuple[int, CardSchedule, int]] = field(default_factory=list)

    def flush(self, store: Store) -> None:
        store.add_reviews(self.reviews)
        store.set_card_schedules(self.schedules)
        self.reviews, self.schedules = [], []


def _writable(folder: str) -> bool:
    probe = folder
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    return os.access(probe, os.W_OK)
