"""The journal's lines: the event types, ``Event`` (one line), and reading a line back
(docs/journal.md, "The format")."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple

from flashcards.scheduler import (
    BUTTON_GRADES,
    DAY_START_HOUR,
    INITIAL_EASINESS,
    SM2State,
    study_day,
)

FORMAT_VERSION = 1
# Version 2 adds the `schedule` event, version 3 the `reset` event, version 4 the
# `config` event; only their lines say so, so an older reader reads every other
# line and stops, asking for an upgrade, at one of theirs, rather than replaying
# without it (a card scheduled by the wrong scheduler).
SCHEDULE_VERSION = 2
RESET_VERSION = 3
CONFIG_VERSION = 4
NEWEST_VERSION = CONFIG_VERSION
# A notes folder keeps its journal here, beside the Markdown it belongs to.
FOLDER_NAME = ".flashcards"
JOURNAL_DIR = "journal"
SUFFIX = ".jsonl"
# Event types that change a schedule, and the identity record a sync writes.
ANSWER, UNDO, SUSPEND, UNSUSPEND, NOTE = "answer", "undo", "suspend", "unsuspend", "note"
SCHEDULE = "schedule"  # sets a card's SM-2 state (an import from Anki)
RESET = "reset"  # the card is new again (`flashcards reset`); its answers stay
CONFIG = "config"  # a setting (or fitted FSRS parameters) set: `flashcards config`, `optimize`
KINDS = frozenset({ANSWER, UNDO, SUSPEND, UNSUSPEND, NOTE, SCHEDULE, RESET, CONFIG})
# The card events the store keeps no row of (it keeps answers, and suspension as a
# flag): a card replayed from its stored answers reads these back from the journal.
# (A config line is no card's: the store keeps its value in meta, and a sync that
# reads one applies it to the whole store: journal_settings.)
JOURNAL_ONLY = frozenset({SCHEDULE, RESET})
_VERSIONS = {SCHEDULE: SCHEDULE_VERSION, RESET: RESET_VERSION, CONFIG: CONFIG_VERSION}


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
    setting: tuple[str, str] | None = None  # CONFIG events: (key, its value as text)

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
                           ("ref", self.ref), ("note", self.identity), ("sm2", self.sm2),
                           *_setting_fields(self.setting)):
            if value is not None:
                record[key] = value
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _setting_fields(setting: tuple[str, str] | None) -> tuple[tuple[str, str], ...]:
    return () if setting is None else (("key", setting[0]), ("value", setting[1]))


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
    setting = _checked_setting(record) if kind == CONFIG else None
    guid = record.get("guid")
    # Interned: a rebuild holds every event, and each device and note recurs on many
    # lines; one string each instead of one per line.
    return Event(kind, sys.intern(device), int(seq), time,
                 guid=sys.intern(guid) if isinstance(guid, str) else guid, ord=record.get("ord"),
                 button=button, grade=grade, duration_ms=record.get("ms"),
                 utc_offset_minutes=record.get("off"),
                 day_start_hour=record.get("dsh", DAY_START_HOUR if kind == ANSWER else None),
                 ref=record.get("ref"), identity=record.get("note"), sm2=sm2, setting=setting)


def _checked_setting(record: dict) -> tuple[str, str]:
    """A config event's key and text value (whether the value suits the key is the
    settings' to say: ``journal_settings``)."""
    key, value = record.get("key"), record.get("value")
    if not isinstance(key, str) or not key or not isinstance(value, str):
        raise ValueError("a config event needs a `key` and its `value` as text")
    return (key, value)


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
