"""The review history as journal lines: answers, schedules and suspensions, each written once."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flashcards import journal
from flashcards.anki_collection import AnkiCard, Collection
from flashcards.anki_import.notes import _Note
from flashcards.anki_import.report import ImportReport, _Warnings
from flashcards.clock import utc_offset_minutes
from flashcards.journal import ANSWER, SCHEDULE, SUSPEND, UNSUSPEND, Event
from flashcards.scheduler import (
    BUTTON_GRADES,
    DAY_START_HOUR,
    INITIAL_EASINESS,
    MIN_EASINESS,
    PASSING_GRADE,
    study_day,
)

ANSWERS_DEVICE, SCHEDULE_DEVICE, SUSPEND_DEVICE = "anki", "anki-schedule", "anki-suspend"
_SEQ_BITS = 64
_MAX_MS = 253_402_300_799_000  # 9999-12-31, the last moment a datetime holds


def _suspended_before(folder: Path) -> set[tuple[str, int]]:
    """Cards an earlier import of this folder left suspended (its last line says so)."""
    events = journal.in_order(e for e in journal.read_matching([folder], b'"id":"anki-suspend')
                              if e.device == SUSPEND_DEVICE)
    state: dict[tuple[str, int], bool] = {}
    for event in events:
        state[(event.guid, event.ord)] = event.type == SUSPEND
    return {key for key, suspended in state.items() if suspended}


def _history(col: Collection, cards: dict[int, list[AnkiCard]], notes: list[_Note],
             now: datetime, day_start_hour: int, report: ImportReport,
             warnings: _Warnings, suspended_before: set[tuple[str, int]],
             out: _NewLines) -> None:
    """Answer, schedule and suspend lines for the cards of the written notes, to ``out``."""
    zone = now.tzinfo or UTC
    by_id = {note.note_id: note for note in notes}
    target: dict[int, tuple[str, int]] = {}  # Anki card id -> (GUID, ordinal)
    anki_cards: dict[int, AnkiCard] = {}
    for note_id, own in cards.items():
        note = by_id.get(note_id)
        if note is None:
            continue
        for card in own:
            if card.ord in note.ords:
                target[card.id] = (note.guid, note.ords[card.ord])
                anki_cards[card.id] = card
    answers: dict[int, list[int]] = defaultdict(list)  # card -> passing flags, in order
    last_ms: dict[int, int] = {}
    out.append(ANSWERS_DEVICE,
               _answer_lines(col, target, zone, day_start_hour, answers, last_ms, warnings))
    report.reviews = sum(map(len, answers.values()))
    events: list[Event] = []
    for card_id, card in anki_cards.items():
        guid, ord_ = target[card_id]
        moment_ms = max(min(max(card.modified, 0) * 1000, _MAX_MS), last_ms.get(card_id, -1) + 1)
        moment = datetime.fromtimestamp(moment_ms / 1000, UTC)
        seq = (moment_ms << _SEQ_BITS) | (card_id & ((1 << _SEQ_BITS) - 1))
        if card.type != 0 or card_id in answers:
            sm2 = _state(card, col, zone, day_start_hour, answers.get(card_id, []))
            events.append(Event(SCHEDULE, SCHEDULE_DEVICE, seq, moment, guid=guid, ord=ord_,
                                sm2=sm2))
            report.scheduled += 1
        if card.queue == -1:
            events.append(Event(SUSPEND, SUSPEND_DEVICE, seq, moment, guid=guid, ord=ord_))
            report.suspended += 1
        elif (guid, ord_) in suspended_before:  # unsuspended in Anki since the last import
            events.append(Event(UNSUSPEND, SUSPEND_DEVICE, seq, moment, guid=guid, ord=ord_))
    for device in (SCHEDULE_DEVICE, SUSPEND_DEVICE):
        out.append(device, ((e.seq, e.to_line()) for e in sorted(events, key=lambda e: e.seq)
                            if e.device == device))


def _answer_lines(col: Collection, target: dict[int, tuple[str, int]], zone,
                  day_start_hour: int, answers: dict[int, list[int]], last_ms: dict[int, int],
                  warnings: _Warnings) -> Iterator[tuple[int, str]]:
    """The review log's answers as journal lines, in the log's order (their ids), and
    each card's passing flags and last answer in ``answers`` and ``last_ms``.

    The lines are written here rather than through `journal.Event`: a large
    package has a hundred thousand, and the events cost more than the rest of
    the import's history (tests/test_anki_import_lines.py checks they are the
    lines `Event.to_line` writes)."""
    quoted: dict[str, str] = {}
    for entry in col.revlog():
        if entry.card_id not in target:
            continue
        if entry.ease not in (1, 2, 3, 4):
            continue  # a manual reschedule or a reset: no answer was given
        if not 0 <= entry.id <= _MAX_MS:
            warnings.add("review log entries with an impossible time, skipped", str(entry.id))
            continue
        button = _button(entry.ease, entry.type, col.scheduler)
        moment = datetime.fromtimestamp(entry.id / 1000, UTC)
        guid, ord_ = target[entry.card_id]
        if guid not in quoted:
            quoted[guid] = json.dumps(guid, ensure_ascii=False)
        answers[entry.card_id].append(BUTTON_GRADES[button] >= PASSING_GRADE)
        last_ms[entry.card_id] = entry.id
        yield entry.id, _answer_line(
            entry.id, moment, quoted[guid], ord_, button, max(0, entry.time_ms),
            utc_offset_minutes(moment.astimezone(zone)), day_start_hour)


def _answer_line(seq: int, moment: datetime, quoted_guid: str, ord_: int, button: int,
                 duration_ms: int, offset: int, day_start_hour: int) -> str:
    """`Event.to_line` of an imported answer (its grade is its button's)."""
    time = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    hour = "" if day_start_hour == DAY_START_HOUR else f',"dsh":{day_start_hour}'
    return (f'{{"v":{journal.FORMAT_VERSION},"id":"{ANSWERS_DEVICE}-{seq}","type":"{ANSWER}",'
            f'"t":"{time}","guid":{quoted_guid},"ord":{ord_},"button":{button},'
            f'"ms":{duration_ms},"off":{offset}{hour}}}\n')


def _button(ease: int, kind: int, scheduler: int) -> int:
    """Anki's oldest scheduler had three buttons in learning: 2 was Good, 3 Easy."""
    if scheduler == 1 and kind in (0, 2) and ease in (2, 3):
        return ease + 1
    return ease


def _state(card: AnkiCard, col: Collection, zone, day_start_hour: int,
           passed: list[bool]) -> dict:
    """The SM-2 state a schedule event sets for an Anki card (docs/anki.md says how)."""
    if card.type == 0:  # new again (reset in Anki), though it has answers
        return {"ef": INITIAL_EASINESS, "ivl": 0, "reps": 0, "lapses": max(card.lapses, 0),
                "due": None}
    easiness = max(MIN_EASINESS, round(card.factor / 1000, 2)) if card.factor > 0 \
        else INITIAL_EASINESS
    streak = 0
    for ok in reversed(passed):
        if not ok:
            break
        streak += 1
    if card.type == 2:  # review
        interval, reps = max(card.interval, 1), max(streak, 1)
    else:  # learning (1) or relearning (3): back to the first steps of SM-2
        interval, reps = (max(card.interval, 0) if card.type == 3 else 0), 0
    return {"ef": easiness, "ivl": interval, "reps": reps, "lapses": max(card.lapses, 0),
            "due": _due_day(card, col, zone, day_start_hour).isoformat()}


def _due_day(card: AnkiCard, col: Collection, zone, day_start_hour: int) -> date:
    """Anki's due as a study day: review cards count days from the collection's
    creation day; learning cards are due at a time (seconds)."""
    if card.type in (1, 3) and card.due > 1_000_000_000:
        moment = datetime.fromtimestamp(min(card.due, _MAX_MS // 1000), UTC).astimezone(zone)
        return study_day(moment, day_start_hour)
    created = datetime.fromtimestamp(col.created, UTC)
    if col.creation_offset is not None:
        created_day = (created - timedelta(minutes=col.creation_offset)).date()
    else:
        created_day = created.astimezone(zone).date()
    try:
        return created_day + timedelta(days=card.due)
    except OverflowError:
        return date.max


class _NewLines:
    """Appends the lines this folder's journal does not hold yet (by id), as they
    come, some thousands in each write: an import holds no whole history."""

    CHUNK = 5000

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written = 0
        self.known: dict[str, set[int]] = defaultdict(set)
        devices = {ANSWERS_DEVICE, SCHEDULE_DEVICE, SUSPEND_DEVICE}
        for event in journal.read_matching([folder], b'"id":"anki'):
            if event.device in devices:
                self.known[event.device].add(event.seq)

    def append(self, device: str, lines: Iterable[tuple[int, str]]) -> None:
        """``lines`` as (sequence number, line), in their order."""
        known, chunk = self.known[device], []
        for seq, line in lines:
            if seq not in known:
                chunk.append(line)
                if len(chunk) == self.CHUNK:
                    self._write(device, chunk)
                    chunk = []
        if chunk:
            self._write(device, chunk)

    def _write(self, device: str, lines: list[str]) -> None:
        journal.Appender(self.folder, device).append_lines(lines)
        self.written += len(lines)
