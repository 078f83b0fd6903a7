"""Keeping a store healthy: consistent backups and the doctor's checks and repairs.

The doctor trusts the review log over the cards table: every answer is logged
with its grade, so a card's scheduling state can always be rebuilt by replaying
its scheduled reviews through the scheduler. Repairs run only after a backup,
in one transaction, and then every check runs again: what it prints as
remaining is what a second look still finds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path

from flashcards import journal, journal_settings, scheduler
from flashcards.cards import ordinals
from flashcards.clock import zone_of
from flashcards.history import History
from flashcards.journal_records import event_of
from flashcards.paths import display_path
from flashcards.settings import load_settings
from flashcards.store import (
    CardSchedule,
    CardState,
    ReviewRecord,
    Store,
    StoredCard,
    StoredNote,
    backup_path,
)

# Notes whose deck row vanished are parked here until the next sync re-reads their file.
RECOVERED_DECK = "Default"
# Rounds of repairs one `doctor --fix` makes at most.
REPAIR_ROUNDS = 2
# Foreign keys that have a check of their own below, with a clearer message and a repair.
_COVERED_KEYS = frozenset({("cards", "notes"), ("reviews", "cards"), ("notes", "decks")})


def backup(store: Store, target: Path) -> Path:
    """Copy the store to `target` with SQLite's backup API; safe while others write."""
    store.backup_to(target)
    return target


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the store; `repair` fixes it inside a transaction, if it can."""

    message: str
    repair: Callable[[], None] | None = field(default=None, compare=False)


@dataclass
class DoctorReport:
    findings: list[Finding]
    remaining: list[Finding]
    backup: Path | None = None

    def lines(self) -> Iterator[str]:
        left = {f.message for f in self.remaining}
        for finding in self.findings:
            yield finding.message if finding.message in left else f"fixed: {finding.message}"
        for finding in self.remaining:
            if finding not in self.findings:
                yield finding.message
        if self.backup:
            yield f"backup before repairs: {self.backup}"
        if not self.findings:
            yield "no problems found"
        elif self.remaining:
            fixable = sum(f.repair is not None for f in self.remaining)
            hint = f" (`flashcards doctor --fix` repairs {fixable})" if fixable else ""
            yield f"{len(self.remaining)} problem(s) remain{hint}"


def doctor(store: Store, *, fix: bool = False, now: datetime) -> DoctorReport:
    """Check the store; with `fix`, back it up and repair what can be repaired.

    ``now`` (aware) names the backup, and its zone dates the few old reviews
    that were stored without their due date.
    """
    findings = list(check(store, zone=zone_of(now), now=now))
    repairs = [f.repair for f in findings if f.repair is not None]
    if not fix or not repairs:
        return DoctorReport(findings, findings)
    saved = backup(store, backup_path(store.path, "doctor", now))
    remaining = findings
    # A repair can bring out another (a recreated card's answers are in the journal):
    # a second round takes those, so one --fix leaves what no repair can reach.
    for _ in range(REPAIR_ROUNDS):
        repairs = [f.repair for f in remaining if f.repair is not None]
        if not repairs:
            break
        with store.transaction():
            for repair in repairs:
                repair()
        remaining = list(check(store, zone=zone_of(now), now=now))
    return DoctorReport(findings, remaining, saved)


def check(store: Store, *, zone: tzinfo, now: datetime | None = None) -> Iterator[Finding]:
    """Every finding; ``now`` dates the lines a repair writes (without it, a setting the
    journal lacks is reported with no repair)."""
    errors = store.integrity_errors()
    for error in errors:
        yield Finding(f"integrity check: {error} (restore a backup: `flashcards backup` "
                      "copies are plain SQLite files)")
    if errors:
        return  # the rows cannot be trusted; the checks below would only add noise
    yield from _foreign_keys(store)
    yield from _dangling_rows(store)
    yield from _missing_sources(store)
    yield from _settings_disagreements(store, now)
    flagged: set[int] = set()
    yield from _disagreeing_cards(store, zone, flagged)
    yield from _journal_disagreements(store, skip=flagged)


def _foreign_keys(store: Store) -> Iterator[Finding]:
    for table, rowid, parent in store.foreign_key_errors():
        if (table, parent) not in _COVERED_KEYS:
            yield Finding(f"{table} row {rowid} points at a missing {parent} row")


def _dangling_rows(store: Store) -> Iterator[Finding]:
    for card_id in store.cards_without_notes():
        yield Finding(f"card {card_id} has no note: nothing can show it (--fix deletes it "
                      "and its reviews)", lambda c=card_id: store.delete_cards([c]))
    for review_id in store.reviews_without_cards():
        yield Finding(f"review {review_id} belongs to a missing card (--fix deletes it)",
                      lambda r=review_id: store.delete_reviews([r]))
    for note in store.notes_without_cards():
        yield Finding(f"{_where(note.path, note.line)}: note {note.id} has no cards "
                      "(--fix creates them)", lambda n=note: _recreate_cards(store, n))
    for note in store.notes_without_deck():
        yield Finding(f"{_where(note.path, note.line)}: note {note.id} belongs to a missing deck "
                      f"(--fix moves it to {RECOVERED_DECK!r} until the next sync)",
                      lambda n=note: _recover_deck(store, n))


def _missing_sources(store: Store) -> Iterator[Finding]:
    for path in sorted(store.sources()):
        if not Path(path).exists():
            yield Finding(f"{display_path(path)}: source file no longer exists (--fix orphans "
                          "its cards, as `flashcards sync` would)",
                          lambda p=path: _forget_source(store, p))


def _settings_disagreements(store: Store, now: datetime | None) -> Iterator[Finding]:
    """Settings that differ from the journal's, or that a journal lacks (docs/journal.md,
    "Settings"): the repair takes the journal's, or writes what it lacks."""
    if store.export_pending():
        return  # a store from before the journal: the next sync or review writes it
    for message, repair in journal_settings.doctor_findings(History.of(store), now):
        yield Finding(message, repair)


def _disagreeing_cards(store: Store, zone: tzinfo, flagged: set[int]) -> Iterator[Finding]:
    settings = load_settings(store)
    if settings.uses_fsrs:
        return  # FSRS's schedules are checked against the journal's replay, below
    log = store.scheduled_reviews()
    day_start_hour = settings.day_start_hour
    set_by_journal = _set_by_schedule_events(store)
    for card in store.card_states():
        if card.id in set_by_journal:
            continue  # its log alone cannot give its state: the journal check covers it
        where = _where(card.path, card.line)
        try:
            expected = state_from_log(log.get(card.id, []), zone=zone,
                                      day_start_hour=day_start_hour)
        except ValueError as exc:
            yield Finding(f"{where}: card {card.id}: review log is invalid: {exc}")
            continue
        differences = _differences(card, expected)
        if differences:
            flagged.add(card.id)
            yield Finding(f"{where}: card {card.id} disagrees with its review log "
                          f"({differences}; --fix rebuilds it from the log)",
                          lambda c=card.id, e=expected: store.set_card_schedule(
                              c, e.schedule, e.lapses))


def _set_by_schedule_events(store: Store) -> set[int]:
    """Cards a journal `schedule` event set (an import from Anki, docs/journal.md)."""
    if store.export_pending():
        return set()
    keys = set(History.of(store).schedule_events())
    if not keys:
        return set()
    return {card.id for card in store.cards_of_guids({guid for guid, _ in keys})
            if (card.note_guid, card.ord) in keys}


def _journal_disagreements(store: Store, *, skip: set[int]) -> Iterator[Finding]:
    """Cards whose answers, schedule or suspension differ from the replay of the journal.

    The repair merges both sides, never dropping an answer: answers only the
    store holds are written to the journal, and the card is replayed from the
    union (docs/journal.md).
    """
    if store.export_pending():
        return  # a store from before the journal: the next sync or review writes it
    history = History.of(store)
    reading = journal.read_new(history.folders(), {})
    for problem in reading.problems:
        yield Finding(f"{problem} (the line is skipped; fix or delete it by hand)")
    by_card = journal.by_card(reading.events)
    cards = {c.id: c for c in store.cards_of_guids(g for g, _ in by_card) + store.reviewed_cards()}
    for card in cards.values():
        if card.id in skip:  # reported against its own log already; one finding a card
            continue
        events = by_card.get((card.note_guid, card.ord), [])
        difference = _journal_difference(store, card, events, history.rules_for(card.deck))
        if difference:
            yield Finding(f"{_where(card.path, card.line)}: card {card.id} disagrees with the "
                          f"journal ({difference}; --fix merges both)",
                          lambda c=card, e=events: _merge_with_journal(history, c, e))


def _journal_difference(store: Store, card: StoredCard, events: list[journal.Event],
                        rules: journal.Rules = journal.SM2) -> str:
    expected = journal.replay(events, rules)
    stored = store.reviews_of_card(card.id)
    missing = {r.event_id for r in stored} - {a.event.id for a in expected.answers}
    if missing:
        return f"{len(missing)} answer(s) not in the journal"
    flags = {a.event.id: a.scheduled for a in expected.answers}
    if {r.event_id: r.scheduled for r in stored} != flags:
        return "its answers are not those the journal replays"
    if (card.schedule, card.lapses) != (expected.schedule, expected.lapses):
        return "its schedule is not the replay of its answers"
    suspensions = [e for e in events if e.type in (journal.SUSPEND, journal.UNSUSPEND)]
    if suspensions and expected.suspended != card.suspended:
        return "suspended" if card.suspended else "not suspended"
    return ""


def _merge_with_journal(history: History, card: StoredCard,
                        events: list[journal.Event]) -> None:
    known = {e.id for e in events}
    lacking = [event_of(r, card) for r in history.store.reviews_of_card(card.id)
               if r.event_id not in known]
    if lacking:
        history.write(card.path, lacking)
    history.replay_card(card, events)


@dataclass(frozen=True)
class Replayed:
    """A card's schedule and lapses as its review log says they must be."""

    schedule: CardSchedule
    lapses: int


def state_from_log(reviews: list[ReviewRecord], *, zone: tzinfo,
                   day_start_hour: int = scheduler.DAY_START_HOUR) -> Replayed:
    """A card's scheduling state rebuilt from its scheduled reviews, oldest first.

    Same-day repeats (not scheduled) never changed the schedule, so they are not
    passed in. A grade below 3 is a lapse, as the scheduler counts a failure.
    ``zone`` and ``day_start_hour`` date an old review stored without its due
    date and without the offset and hour in force when it was given.
    """
    state = scheduler.SM2State()
    for review in reviews:
        state = scheduler.review(state, review.grade)
    due = _due(reviews[-1], state, zone, day_start_hour) if reviews else None
    lapses = sum(r.grade < scheduler.PASSING_GRADE for r in reviews)
    return Replayed(CardSchedule.of(state, due), lapses)


def _due(last: ReviewRecord, state: scheduler.SM2State, zone: tzinfo,
         day_start_hour: int) -> date:
    if last.after.due is not None:
        return last.after.due
    if last.utc_offset_minutes is not None:  # the answer's own local time
        offset = timezone(timedelta(minutes=last.utc_offset_minutes))
        hour = day_start_hour if last.day_start_hour is None else last.day_start_hour
        day = scheduler.study_day(last.reviewed_at.astimezone(offset), hour)
    else:
        day = scheduler.study_day(last.reviewed_at.astimezone(zone), day_start_hour)
    return scheduler.due_date(day, state)


def _differences(card: CardState, expected: Replayed) -> str:
    have = {**_fields(card.schedule), "lapses": card.lapses}
    want = {**_fields(expected.schedule), "lapses": expected.lapses}
    parts = []
    for key, value in want.items():
        if key == "easiness":
            same = have[key] is not None and round(have[key], 2) == round(value, 2)
        else:
            same = have[key] == value
        if not same:
            parts.append(f"{key} {_shown(have[key])} but the log says {_shown(value)}")
    return ", ".join(parts)


def _fields(schedule: CardSchedule) -> dict:
    return {"repetitions": schedule.repetitions, "easiness": schedule.easiness,
            "interval": schedule.interval, "due": schedule.due}


def _shown(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _where(path: str | None, line: int | None) -> str:
    return f"{display_path(path)}:{line or 1}" if path else "store"


def _recreate_cards(store: Store, note: StoredNote) -> None:
    store.set_card_ordinals(note.id, ordinals(note.kind, note.question, note.answer))
    if note.orphaned:
        store.orphan_notes([note.id])


def _recover_deck(store: Store, note: StoredNote) -> None:
    store.set_note_deck(note.id, store.deck_id(RECOVERED_DECK))
    # Forgetting the file's hash makes the next sync re-read it and restore its deck.
    if note.path and Path(note.path).exists():
        store.delete_sources([note.path])


def _forget_source(store: Store, path: str) -> None:
    store.orphan_notes(store.active_note_ids_in(path))
    store.delete_sources([path])
