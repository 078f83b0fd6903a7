"""The review journal: every event that changes a schedule, as plain-text lines.

The store is a cache; the journal is the record. Each device appends JSON Lines
to files of its own (``<device>.jsonl``), so two machines sharing a notes
folder through git never write the same file and never conflict. A card's
schedule is a pure function of its events (``replay``), taken in one
deterministic order: docs/journal.md has the format and the rules.

This module knows the format, where journals live and how to replay them; it
does no scheduling of its own: the replay asks a scheduler's ``Rules`` for
each answer (SM-2's here; FSRS's in ``flashcards.fsrs_rules``).
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple, Protocol

from flashcards.model import FlashcardsError, Problem, Severity
from flashcards.scheduler import (
    BUTTON_GRADES,
    DAY_START_HOUR,
    INITIAL_EASINESS,
    PASSING_GRADE,
    SM2State,
    due_date,
    review,
    study_day,
)
from flashcards.store.records import NEW_CARD, CardSchedule

FORMAT_VERSION = 1
# Version 2 adds the `schedule` event, version 3 the `reset` event; only their
# lines say so, so an older reader reads every other line and stops, asking for
# an upgrade, at one of theirs, rather than replaying without it.
SCHEDULE_VERSION = 2
RESET_VERSION = 3
NEWEST_VERSION = RESET_VERSION
# A notes folder keeps its journal here, beside the Markdown it belongs to.
FOLDER_NAME = ".flashcards"
JOURNAL_DIR = "journal"
SUFFIX = ".jsonl"
# Event types that change a schedule, and the identity record a sync writes.
ANSWER, UNDO, SUSPEND, UNSUSPEND, NOTE = "answer", "undo", "suspend", "unsuspend", "note"
SCHEDULE = "schedule"  # sets a card's SM-2 state (an import from Anki)
RESET = "reset"  # the card is new again (`flashcards reset`); its answers stay
KINDS = frozenset({ANSWER, UNDO, SUSPEND, UNSUSPEND, NOTE, SCHEDULE, RESET})
# The card events the store keeps no row of (it keeps answers, and suspension as a
# flag): a card replayed from its stored answers reads these back from the journal.
JOURNAL_ONLY = frozenset({SCHEDULE, RESET})
_VERSIONS = {SCHEDULE: SCHEDULE_VERSION, RESET: RESET_VERSION}
_DEVICE_NAME = re.compile(r"[^a-z0-9-]+")


class Event(NamedTuple):
    """One journal line. ``id`` is ``<device>-<seq>``: unique across every machine.

    A NamedTuple (immutable, like a frozen dataclass, and a quarter of its cost to
    make): a rebuild makes one per journaled answer.
    """

    type: str
    device: str
    seq: int
    time: datetime  # UTC
    guid: str | None = None
    ord: int | None = None
    button: int | None = None
    grade: int | None = None
    duration_ms: int | None = None
    utc_offset_minutes: int | None = None
    day_start_hour: int | None = None
    ref: str | None = None  # the answer an undo cancels
    identity: dict | None = None  # a note's fingerprints (NOTE events)
    # SCHEDULE events: ``ef``, ``ivl``, ``reps``, ``lapses``, ``due`` (ISO date or None)
    sm2: dict | None = None

    @property
    def id(self) -> str:
        return f"{self.device}-{self.seq}"

    @property
    def order(self) -> tuple[datetime, str, int]:
        return (self.time, self.device, self.seq)

    def study_day(self) -> date:
        """The study day of an answer, from its own UTC offset and day-start hour."""
        minutes, hour = self.utc_offset_minutes or 0, self.day_start_hour or 0
        if type(minutes) is int and type(hour) is int and -1440 < minutes < 1440 \
                and 0 <= hour <= 23:
            # The same day as below, by one addition: a replay does this per answer.
            return (self.time + _local_shift(minutes, hour)).date()
        offset = _fixed_zone(minutes)  # anything else: the checks' own messages
        return study_day(self.time.astimezone(offset), hour)

    def local_time(self) -> datetime:
        """The moment in the zone the answer was given in (its UTC offset)."""
        return self.time.astimezone(_fixed_zone(self.utc_offset_minutes or 0))

    def to_line(self) -> str:
        version = _VERSIONS.get(self.type, FORMAT_VERSION)
        record = {"v": version, "id": self.id, "type": self.type,
                  "t": self.time.astimezone(UTC).isoformat(timespec="milliseconds")
                  .replace("+00:00", "Z")}
        # Left out when implied, to keep a line near 140 bytes: the grade a button
        # gives (BUTTON_GRADES), and the default day-start hour.
        grade = None if self.button is not None and BUTTON_GRADES.get(self.button) == self.grade \
            else self.grade
        hour = None if self.day_start_hour == DAY_START_HOUR else self.day_start_hour
        for key, value in (("guid", self.guid), ("ord", self.ord), ("button", self.button),
                           ("grade", grade), ("ms", self.duration_ms),
                           ("off", self.utc_offset_minutes), ("dsh", hour),
                           ("ref", self.ref), ("note", self.identity), ("sm2", self.sm2)):
            if value is not None:
                record[key] = value
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


@lru_cache(maxsize=256)
def _fixed_zone(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


@lru_cache(maxsize=256)
def _local_shift(minutes: int, hour: int) -> timedelta:
    """UTC -> the wall clock of a fixed offset, less the day-start hour."""
    return timedelta(minutes=minutes - 60 * hour)


# An answer line exactly as ``Event.to_line`` writes it (keys in its order, no
# spaces, strings without escapes or control characters, integers as JSON spells
# them): most lines of a journal. Read by this one match instead of json.loads,
# giving the same Event (tests/test_journal_parse.py); any other line takes JSON.
_STRING = r'[^"\\\x00-\x1f]*'
_INT = r"-?(?:0|[1-9][0-9]*)"
_ANSWER_LINE = re.compile(
    rf'\{{"v":1,"id":"({_STRING})-([0-9]+)","type":"answer","t":"({_STRING})",'
    rf'"guid":"({_STRING})","ord":({_INT}),"button":([1-4])(?:,"grade":([0-5]))?'
    rf'(?:,"ms":({_INT}))?(?:,"off":({_INT}))?(?:,"dsh":({_INT}))?\}}')


def parse_line(line: str) -> Event:
    """One line as an Event; ValueError (with a reason) if it is not one."""
    found = _ANSWER_LINE.fullmatch(line)
    if found is None:
        return _parse_json(line)
    device, seq, moment, guid, ordinal, button, grade, ms, offset, hour = found.groups()
    button = int(button)
    return Event(ANSWER, sys.intern(device), int(seq), _utc_time(moment), sys.intern(guid),
                 int(ordinal), button, BUTTON_GRADES[button] if grade is None else int(grade),
                 None if ms is None else int(ms), None if offset is None else int(offset),
                 DAY_START_HOUR if hour is None else int(hour))


def _utc_time(text: str) -> datetime:
    time = datetime.fromisoformat(text)  # "...Z" too (Python 3.11)
    return time if time.tzinfo is UTC else time.astimezone(UTC)


def _parse_json(line: str) -> Event:
    """``parse_line`` for any line: read as JSON, every field checked."""
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    version = record.get("v")
    if not isinstance(version, int) or version > NEWEST_VERSION:
        raise NewerJournal(f"written by a newer flashcards (journal format {version})")
    kind, event_id = record.get("type"), record.get("id")
    if kind not in KINDS or not isinstance(event_id, str) or "-" not in event_id:
        raise ValueError("no known event type and id")
    device, _, seq = event_id.rpartition("-")
    time = _utc_time(record["t"])
    button, grade = record.get("button"), record.get("grade")
    if kind == ANSWER:
        grade = BUTTON_GRADES[button] if grade is None else grade
        if not isinstance(grade, int) or not 0 <= grade <= 5:
            raise ValueError(f"an answer needs a grade 0-5, got {grade!r}")
    sm2 = _checked_sm2(record.get("sm2")) if kind == SCHEDULE else None
    guid = record.get("guid")
    # Interned: a rebuild holds every event, and each device and note recurs on many
    # lines; one string each instead of one per line.
    return Event(kind, sys.intern(device), int(seq), time,
                 guid=sys.intern(guid) if isinstance(guid, str) else guid, ord=record.get("ord"),
                 button=button, grade=grade, duration_ms=record.get("ms"),
                 utc_offset_minutes=record.get("off"),
                 day_start_hour=record.get("dsh", DAY_START_HOUR if kind == ANSWER else None),
                 ref=record.get("ref"), identity=record.get("note"), sm2=sm2)


def _checked_sm2(sm2: object) -> dict:
    """A schedule event's state, checked as SM-2 would take it (ValueError if not)."""
    if not isinstance(sm2, dict):
        raise ValueError("a schedule event needs its `sm2` state")
    state = SM2State(sm2.get("reps", 0), sm2.get("ef", INITIAL_EASINESS), sm2.get("ivl", 0))
    lapses, due = sm2.get("lapses", 0), sm2.get("due")
    if isinstance(lapses, bool) or not isinstance(lapses, int) or lapses < 0:
        raise ValueError(f"a schedule event's lapses must be a count, got {lapses!r}")
    if due is not None:
        due = date.fromisoformat(due).isoformat()  # ValueError or TypeError if not a date
    return {"ef": state.easiness, "ivl": state.interval, "reps": state.repetitions,
            "lapses": lapses, "due": due}


def scheduled_state(event: Event) -> tuple[SM2State, date | None, int]:
    """What a schedule event sets: the SM-2 state, the due study day (None: new), lapses."""
    sm2 = event.sm2 or {}
    due = sm2.get("due")
    return (SM2State(sm2["reps"], sm2["ef"], sm2["ivl"]),
            date.fromisoformat(due) if due else None, sm2["lapses"])


class NewerJournal(ValueError):
    """A line written by a newer version of the format."""


# -- where journals live ------------------------------------------------------------


def folder_of_root(root: Path) -> Path:
    """The journal folder of a notes root: ``.flashcards/journal`` in the synced folder
    (in a synced file's own folder)."""
    base = root.parent if root.suffix.lower() == ".md" and not root.is_dir() else root
    return base / FOLDER_NAME / JOURNAL_DIR


def device_id(store_path: Path) -> str:
    """This store's device id, made once and kept beside the store (``<db>.device``).

    It survives a deleted store, so a rebuilt store goes on writing the same
    journal file: the host name for people, random hex so two stores never share.
    """
    marker = store_path.with_name(store_path.name + ".device")
    try:
        known = marker.read_text(encoding="utf-8").strip()
        if known:
            return known
    except FileNotFoundError:
        pass
    import secrets  # here: only the first use of a store makes its device id
    import socket

    host = _DEVICE_NAME.sub("-", socket.gethostname().lower()).strip("-")[:24] or "device"
    made = f"{host}-{secrets.token_hex(3)}"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(made + "\n", encoding="utf-8")
    return made


@dataclass
class Appender:
    """Appends this device's lines to one journal folder, one ``write`` per line."""

    folder: Path
    device: str

    @property
    def path(self) -> Path:
        return self.folder / f"{self.device}{SUFFIX}"

    def append(self, events: Iterable[Event]) -> None:
        self.append_lines(event.to_line() for event in events)

    def append_lines(self, lines: Iterable[str]) -> tuple[int, int]:
        """Lines already made as ``Event.to_line`` makes them (an import writes 100k);
        the file's size before and after them."""
        data = "".join(lines).encode("utf-8")
        if not data:
            return (0, 0)
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
        try:
            fd = os.open(self.path, flags, 0o644)
        except FileNotFoundError:  # the folder's first line
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, flags, 0o644)
        try:
            _repair_torn_end(fd)
            before = os.fstat(fd).st_size
            os.write(fd, data)  # O_APPEND: one write lands whole at the end
        finally:
            os.close(fd)
        return before, before + len(data)


def _repair_torn_end(fd: int) -> None:
    """A line torn by a crash gets its newline, so the next line starts clean."""
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        os.write(fd, b"\n")


# -- reading ------------------------------------------------------------------------


@dataclass
class Reading:
    """Events read from journal files, and the problems met on the way."""

    events: list[Event] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # file -> bytes read, for reading only what is new next time
    offsets: dict[str, int] = field(default_factory=dict)

    def batches(self) -> Iterator[list[Event]]:
        """The events in groups that each hold every event of the cards they name
        (one group here; a large read comes in several, see ``journal_buckets``)."""
        yield self.events

    def add_own(self, written: dict[Path, tuple[int, int]]) -> None:
        """Count as read the lines this store itself wrote since (``written``: each file's
        size before and after them), where this reading had read up to them."""
        for path, (before, after) in written.items():
            if self.offsets.get(str(path), 0) == before:
                self.offsets[str(path)] = after

    def max_seq(self, device: str) -> int:
        """The highest sequence number read of ``device`` (0 if none)."""
        return max((e.seq for e in self.events if e.device == device), default=0)


def journal_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix == SUFFIX and p.is_file())


def read_new(folders: Iterable[Path], offsets: dict[str, int]) -> Reading:
    """Every complete line past ``offsets`` in the journal files of ``folders``.

    A last line without its newline (a write torn by a crash, or one being
    written now) is left for next time; a line that does not parse is a
    warning with file:line, skipped.
    """
    reading = Reading()
    for folder in folders:
        for path in journal_files(folder):
            _read_file(path, offsets.get(str(path), 0), reading)
    return reading


def _read_file(path: Path, start: int, reading: Reading) -> None:
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        if start > size:  # the file was replaced (a rewrite of history): read it again
            start = 0
        handle.seek(start)
        data = handle.read()
    end = data.rfind(b"\n") + 1
    for number, raw in enumerate(data[:end].split(b"\n")[:-1], 1):
        try:
            if raw.strip():
                reading.events.append(parse_line(raw.decode("utf-8")))
        except NewerJournal as exc:
            raise FlashcardsError(f"{path}:{line_number(path, start, number)}: {exc}; "
                                  "upgrade flashcards") from exc
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            reading.problems.append(Problem(str(path), line_number(path, start, number), 1,
                                            Severity.WARNING, f"journal line skipped: {exc}"))
    reading.offsets[str(path)] = start + end


def read_matching(folders: Iterable[Path], *needles: bytes) -> list[Event]:
    """Every complete, readable line holding one of ``needles`` in the journal files of
    ``folders`` (lines that do not parse are left to `read_new`, which reports them)."""
    events = []
    for folder in folders:
        for path in journal_files(folder):
            data = path.read_bytes()
            for raw in data[:data.rfind(b"\n") + 1].split(b"\n"):
                if any(needle in raw for needle in needles):
                    with contextlib.suppress(ValueError, KeyError, TypeError,
                                             UnicodeDecodeError):
                        events.append(parse_line(raw.decode("utf-8")))
    return events


def line_number(path: Path, start: int, number: int) -> int:
    """The line number in the file of the ``number``-th line read from byte ``start``.

    Counted only for a message: reading the lines before ``start`` costs a large
    journal's whole file.
    """
    if not start:
        return number
    with path.open("rb") as handle:
        return handle.read(start).count(b"\n") + number


# -- replay -------------------------------------------------------------------------


class ReplayedAnswer(NamedTuple):
    """An answer as the replay placed it: scheduled or a same-day repeat.

    A NamedTuple: a rebuild makes one per journaled answer (a million at 100k cards).
    """

    event: Event
    scheduled: bool
    before: CardSchedule
    after: CardSchedule


@dataclass(frozen=True)
class CardHistory:
    """One card's state after all its events: schedule, lapses, suspension, answers."""

    schedule: CardSchedule
    lapses: int
    suspended: bool
    answers: tuple[ReplayedAnswer, ...]


def in_order(events: Iterable[Event]) -> list[Event]:
    """Events in replay order: each device's own in the order it wrote them (sequence),
    devices merged by time, then device id. Duplicates (a file copied twice) count once.

    A device whose clock went back never reorders its own events: the merge keeps
    every device's sequence as written.
    """
    # (device, seq) is the id (``<device>-<seq>``) without making its string.
    unique: dict[tuple[str, int], Event] = {}
    for event in events:
        unique.setdefault((event.device, event.seq), event)
    by_device: dict[str, list[Event]] = {}
    for event in unique.values():
        by_device.setdefault(event.device, []).append(event)
    streams = [sorted(own, key=_seq) for own in by_device.values()]
    if len(streams) == 1:  # one device (the common case): its order is the merge's
        return streams[0]
    return list(heapq.merge(*streams, key=_order))


_seq = attrgetter("seq")
_order = attrgetter("time", "device", "seq")


class Rules(Protocol):
    """A scheduler as the replay and the session call it, on the store's CardSchedule.

    ``every_answer_counts``: FSRS schedules every answer (and ignores SM-2 states
    set from outside); SM-2 only a study day's first.
    """

    every_answer_counts: bool

    def answer(self, before: CardSchedule, event: Event, day: date,
               repeat: bool) -> CardSchedule | None:
        """The schedule after ``event`` (an answer), or None if it changes nothing.
        ``day``: the answer's study day (``event.study_day()``, worked out once by the
        caller); ``repeat``: the card was already scheduled on that day."""

    def lapse(self, before: CardSchedule, grade: int) -> bool:
        """Whether a scheduled answer with ``grade`` counts as a lapse."""


class SM2Rules:
    """SM-2's rules: a study day's first answer schedules the card; later answers
    that day are same-day repeats and change nothing; a lapse is a grade below 3."""

    every_answer_counts = False

    def answer(self, before: CardSchedule, event: Event, day: date,
               repeat: bool) -> CardSchedule | None:
        if repeat:
            return None
        state = _sm2_review(before.repetitions, before.easiness, before.interval,
                            event.grade)
        return CardSchedule(state.repetitions, state.easiness, state.interval,
                            due_date(day, state))

    def lapse(self, before: CardSchedule, grade: int) -> bool:
        return grade < PASSING_GRADE


SM2 = SM2Rules()


@dataclass(frozen=True)
class Resume:
    """Where a card's replay stands after the events it already took: its schedule,
    lapses, suspension and the study days that scheduled it."""

    schedule: CardSchedule = NEW_CARD
    lapses: int = 0
    suspended: bool = False
    days: frozenset[date] = frozenset()


def replay(events: Iterable[Event], rules: Rules = SM2, *,
           start: Resume | None = None) -> CardHistory:
    """One card's history from its events (any order; they are put in order here).

    An undo cancels the answer it names. ``rules`` schedule each answer (SM-2:
    the first answer of a study day, the answer's own day from its UTC offset
    and day-start hour; FSRS: every answer). The last suspend or unsuspend wins.
    A schedule event (SM-2's state set from outside, by an Anki import) sets the
    state, due day and lapses, and later answers continue from it; rules under
    which every answer counts (FSRS) replay the answers and ignore it.

    A reset makes the card new again (no schedule, no lapses), under any rules; the
    answers before it stay in its history, and a new card's answer is never a
    same-day repeat.

    ``start`` resumes a replay: ``replay(later, start=r)``, where ``r`` is where
    ``replay(earlier)`` stood, equals ``replay(earlier + later)`` (its answers being
    the later ones) when every later event comes after every earlier one in replay
    order and undoes none of them.
    """
    ordered = in_order(events)
    undone = {e.ref for e in ordered if e.type == UNDO}
    start = start or Resume()
    schedule, lapses, suspended = start.schedule, start.lapses, start.suspended
    days: set[date] = set(start.days)
    answers: list[ReplayedAnswer] = []
    for event in ordered:
        kind = event.type
        if kind != ANSWER:
            if kind in (SUSPEND, UNSUSPEND):
                suspended = kind == SUSPEND
            elif kind == RESET:
                schedule, lapses = NEW_CARD, 0
            elif kind == SCHEDULE and not rules.every_answer_counts:
                state, due, lapses = scheduled_state(event)
                schedule = CardSchedule.of(state, due)
            continue
        if undone and event.id in undone:
            continue
        day = event.study_day()
        # A new card's answer always schedules it: one reset since an answer of today.
        after = rules.answer(schedule, event, day, day in days and not schedule.is_new)
        if after is None:
            answers.append(ReplayedAnswer(event, False, schedule, schedule))
            continue
        days.add(day)
        lapses += rules.lapse(schedule, event.grade)
        answers.append(ReplayedAnswer(event, True, schedule, after))
        schedule = after
    return CardHistory(schedule, lapses, suspended, tuple(answers))


@lru_cache(maxsize=1 << 16, typed=True)  # typed: a bool grade still fails as it should
def _sm2_review(repetitions: int, easiness: float, interval: int, grade: int) -> SM2State:
    """``scheduler.review``, remembered: a rebuild replays a million answers over a few
    thousand distinct (state, grade) pairs."""
    return review(SM2State(repetitions, easiness, interval), grade)


def by_card(events: Iterable[Event]) -> dict[tuple[str, int], list[Event]]:
    """Answers, undos and suspensions grouped by card (note GUID, ordinal).

    An undo goes with the answer it cancels; one whose answer is not among
    ``events`` (read by an earlier catch-up) goes with the card it names.
    """
    cards: dict[tuple[str, int], list[Event]] = {}
    where: dict[str, tuple[str, int]] = {}
    undos = []
    for event in events:
        if event.type == UNDO:
            undos.append(event)
        elif event.type != NOTE and event.guid is not None and event.ord is not None:
            key = (event.guid, event.ord)
            cards.setdefault(key, []).append(event)
            where[event.id] = key
    for undo in undos:
        if undo.ref in where:
            cards[where[undo.ref]].append(undo)
        elif undo.guid is not None and undo.ord is not None:
            cards.setdefault((undo.guid, undo.ord), []).append(undo)
    return cards


def identities(events: Iterable[Event]) -> dict[str, dict]:
    """The latest identity record of every note GUID (NOTE events, in replay order)."""
    latest: dict[str, dict] = {}
    for event in in_order(e for e in events if e.type == NOTE and e.identity):
        latest[event.guid] = event.identity
    return latest
