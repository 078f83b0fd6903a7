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
from datetime import UTC, datetime
from pathlib import Path

from flashcards import scheduler
from flashcards.loader import display_path
from flashcards.model import NoteKind
from flashcards.parser import CLOZE
from flashcards.store import Store

# Notes whose deck row vanished are parked here until the next sync re-reads their file.
RECOVERED_DECK = "Default"
# Foreign keys that have a check of their own below, with a clearer message and a repair.
_COVERED_KEYS = frozenset({("cards", "notes"), ("reviews", "cards"), ("notes", "decks")})


def backup_path(db_path: Path, moment: datetime, label: str = "backup") -> Path:
    """`flashcards.db.backup-20260105T100000.bak` beside the store (UTC time)."""
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    return db_path.with_name(f"{db_path.name}.{label}-{stamp}.bak")


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
    """Check the store; with `fix`, back it up and repair what can be repaired."""
    findings = list(check(store))
    repairs = [f.repair for f in findings if f.repair is not None]
    if not fix or not repairs:
        return DoctorReport(findings, findings)
    saved = backup(store, backup_path(store.path, now, "doctor"))
    with store.transaction():
        for repair in repairs:
            repair()
    return DoctorReport(findings, list(check(store)), saved)


def check(store: Store) -> Iterator[Finding]:
    errors = store.integrity_errors()
    for error in errors:
        yield Finding(f"integrity check: {error} (restore a backup: `flashcards backup` "
                      "copies are plain SQLite files)")
    if errors:
        return  # the rows cannot be trusted; the checks below would only add noise
    yield from _foreign_keys(store)
    yield from _dangling_rows(store)
    yield from _missing_sources(store)
    yield from _disagreeing_cards(store)


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
        yield Finding(f"{_where(note)}: note {note['id']} has no cards (--fix creates them)",
                      lambda n=note: _recreate_cards(store, n))
    for note in store.notes_without_deck():
        yield Finding(f"{_where(note)}: note {note['id']} belongs to a missing deck "
                      f"(--fix moves it to {RECOVERED_DECK!r} until the next sync)",
                      lambda n=note: _recover_deck(store, n))


def _missing_sources(store: Store) -> Iterator[Finding]:
    for path in sorted(store.sources()):
        if not Path(path).exists():
            yield Finding(f"{display_path(path)}: source file no longer exists (--fix orphans "
                          "its cards, as `flashcards sync` would)",
                          lambda p=path: _forget_source(store, p))


def _disagreeing_cards(store: Store) -> Iterator[Finding]:
    log = store.scheduled_reviews()
    for card in store.card_states():
        reviews = log.get(card["id"], [])
        try:
            expected = state_from_log(reviews)
        except ValueError as exc:
            yield Finding(f"{_where(card)}: card {card['id']}: review log is invalid: {exc}")
            continue
        differences = _differences(card, expected)
        if differences:
            yield Finding(f"{_where(card)}: card {card['id']} disagrees with its review log "
                          f"({differences}; --fix rebuilds it from the log)",
                          lambda c=card["id"], e=expected: store.set_card_state(c, e))


def state_from_log(reviews: list[dict]) -> dict:
    """A card's scheduling state rebuilt from its scheduled reviews, oldest first.

    Same-day repeats (scheduled = 0) never changed the schedule, so they are not
    passed in. A grade below 3 is a lapse, as the scheduler counts a failure.
    """
    state = scheduler.SM2State()
    for review in reviews:
        state = scheduler.review(state, review["grade"])
    due = _due(reviews[-1], state) if reviews else None
    lapses = sum(r["grade"] < scheduler.PASSING_GRADE for r in reviews)
    return {"repetitions": state.repetitions, "easiness": state.easiness,
            "interval": state.interval, "due": due, "lapses": lapses}


def _due(last: dict, state: scheduler.SM2State) -> str:
    if last.get("due_after"):
        return last["due_after"]
    # An old row without due_after: the study day in this machine's time zone.
    moment = datetime.fromisoformat(last["reviewed_at"]).astimezone()
    return scheduler.due_date(scheduler.study_day(moment), state).isoformat()


def _differences(card: dict, expected: dict) -> str:
    parts = []
    for key in ("repetitions", "easiness", "interval", "due", "lapses"):
        have, want = card[key], expected[key]
        if key == "easiness":
            same = have is not None and round(have, 2) == round(want, 2)
        else:
            same = have == want
        if not same:
            parts.append(f"{key} {have} but the log says {want}")
    return ", ".join(parts)


def _where(row: dict) -> str:
    path = row.get("path")
    return f"{display_path(path)}:{row.get('line') or 1}" if path else "store"


def _recreate_cards(store: Store, note: dict) -> None:
    store.set_card_ordinals(note["id"], ordinals_of(note))
    if note["orphaned"]:
        store.orphan_notes([note["id"]])


def ordinals_of(note: dict) -> tuple[int, ...]:
    """The card ordinals a stored note yields, as the parser would give them."""
    if note["kind"] == NoteKind.CLOZE:
        text = f"{note['question']}\n{note['answer']}"
        return tuple(sorted({int(m.group(1)) for m in CLOZE.finditer(text)})) or (1,)
    return (1, 2) if note["kind"] == NoteKind.REVERSED else (1,)


def _recover_deck(store: Store, note: dict) -> None:
    store.set_note_deck(note["id"], store.deck_id(RECOVERED_DECK))
    # Forgetting the file's hash makes the next sync re-read it and restore its deck.
    if note["path"] and Path(note["path"]).exists():
        store.delete_sources([note["path"]])


def _forget_source(store: Store, path: str) -> None:
    store.orphan_notes(store.active_note_ids_in(path))
    store.delete_sources([path])
