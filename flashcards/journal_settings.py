"""The settings in the journal: each setting set (and each fit of FSRS's parameters) is
a `config` line, and a sync gives the store the journal's latest value of every key
before it replays any answer (docs/journal.md, "Settings").

Settings belong to the store, not to a card, so every journal folder the store
writes (the data folder's and each synced root's) holds all of them: a store
rebuilt from any one notes folder, on any machine, schedules with the same
scheduler and parameters. A folder that lacks some (a root synced for the first
time, every folder of a store from before these lines, a folder of this machine
when another machine's line arrives through a shared one) is given them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

from flashcards import journal
from flashcards.history import SEQ_KEY, History
from flashcards.journal import CONFIG, Event
from flashcards.model import FlashcardsError
from flashcards.paths import display_path
from flashcards.settings import (
    CONFIG_PREFIX,
    DEFAULT_SETTINGS,
    FSRS_PARAMETERS_KEY,
    SETTING_RULES,
    changes_schedules,
    load_settings,
    parameters_text,
    parse_setting,
    setting_text,
)

# The journal folders known to hold every setting of the store
# (History.settings_folders): one not in it is given the lines it lacks at the next
# sync. A folder no longer synced leaves it when a setting changes (it misses that
# line), so it is filled again if it is synced again.
_NEEDLE = f'"type":"{CONFIG}"'.encode()
_DECK_PARAMETERS = FSRS_PARAMETERS_KEY + ".deck."
# A never-synced store's first sequence number: its time in ms, shifted past any
# count of events (2**20 a millisecond; 2**61 in 2026, within SQLite's integers).
_TIME_SHIFT = 20

Repair = Callable[[], None]


# -- keys and values ------------------------------------------------------------------


def meta_key(key: str) -> str | None:
    """Where the store keeps a journal key's value (None: no key this version knows).
    A setting is its name (``scheduler``), fitted parameters their meta key."""
    if key in SETTING_RULES:
        return CONFIG_PREFIX + key
    if key == FSRS_PARAMETERS_KEY or (key.startswith(_DECK_PARAMETERS)
                                      and len(key) > len(_DECK_PARAMETERS)):
        return key
    return None


def checked_value(key: str, value: str) -> str:
    """A journal value as the store keeps it; FlashcardsError if it does not suit the key
    (a hand edit): the line is skipped, as a line that does not parse is."""
    if key in SETTING_RULES:
        return setting_text(key, parse_setting(key, value))
    try:
        numbers = json.loads(value)
    except ValueError:
        numbers = None
    if not isinstance(numbers, list) or not numbers or not all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
            for x in numbers):
        raise FlashcardsError(f"{key} must be a list of numbers, got {value!r}")
    return parameters_text(numbers)


def stored_values(history: History) -> dict[str, str]:
    """Every journal key the store has a value of (settings set, parameters fitted)."""
    items = history.store.meta_items(CONFIG_PREFIX)
    values = {key[len(CONFIG_PREFIX):]: value for key, value in items.items()
              if key[len(CONFIG_PREFIX):] in SETTING_RULES}
    values.update((key, value) for key, value in
                  history.store.meta_items(FSRS_PARAMETERS_KEY).items()
                  if meta_key(key) == key)
    return values


def _in_force(values: dict[str, str], key: str) -> str | None:
    """A key's value in force: its own, else a setting's default (parameters: none)."""
    if key in values:
        return values[key]
    return setting_text(key, getattr(DEFAULT_SETTINGS, key)) if key in SETTING_RULES else None


# -- reading --------------------------------------------------------------------------


class Latest:
    """The latest valid `config` event of every key, over some journal folders, in the
    replay order of answers (time, device, sequence); and the lines skipped."""

    def __init__(self, by_folder: dict[Path, list[Event]]):
        self.by_folder = by_folder
        self.problems: list[str] = []
        self.events = self._latest(e for events in by_folder.values() for e in events)

    @classmethod
    def read(cls, folders: Iterable[Path]) -> Latest:
        # Only the lines naming the type are parsed: one pass over a journal's bytes.
        return cls({folder: journal.read_matching([folder], _NEEDLE) for folder in folders})

    def of_folder(self, folder: Path) -> dict[str, Event]:
        return self._latest(self.by_folder.get(folder, []), report=False)

    def _latest(self, events: Iterable[Event], *, report: bool = True) -> dict[str, Event]:
        latest: dict[str, Event] = {}
        for event in journal.in_order(e for e in events if e.type == CONFIG and e.setting):
            key, value = event.setting
            try:
                if meta_key(key) is None:
                    raise FlashcardsError(f"no setting {key!r} in this version")
                latest[key] = event._replace(setting=(key, checked_value(key, value)))
            except FlashcardsError as exc:
                if report:
                    self.problems.append(f"journal: config line {event.id} skipped: {exc}")
        return latest


# -- writing --------------------------------------------------------------------------


def record(history: History, values: dict[str, str], now: datetime) -> None:
    """`config` lines for settings being set (journal key -> value as stored), one event
    each, written to every journal folder of the store. Call inside the transaction
    that sets them in the store."""
    _past_own_lines(history, now)
    folders = history.folders()
    _write(history, folders,
           [history.next_event(CONFIG, now, setting=item) for item in values.items()])
    current = {str(folder) for folder in folders}
    history.set_settings_folders(folder for folder in history.settings_folders()
                                 if folder in current)


def _write(history: History, folders: Iterable[Path], events: list[Event]) -> None:
    """Events appended to this device's file in each folder: one event in many folders
    has one id, and counts once. A synced folder that is gone or cannot be written is
    skipped (the data folder's journal has them; `doctor` names what a folder lacks)."""
    for folder in _alive(history, folders):
        try:
            journal.Appender(folder, history.device).append(events)
        except OSError as exc:
            if folder == history.own_folder:
                raise
            note = f"{display_path(folder)} cannot be written ({exc.strerror}): settings skipped"
            if note not in history.warnings:
                history.warnings.append(note)


def _alive(history: History, folders: Iterable[Path]) -> list[Path]:
    """The folders whose synced root is still there: a root that is gone never has its
    folder made again."""
    return [folder for folder in folders
            if folder == history.own_folder or folder.parent.parent.is_dir()]


def _past_own_lines(history: History, now: datetime) -> None:
    """A store that never read the journal (a rebuild, before its first sync) takes its
    next sequence number past the lines its device wrote: the device id outlives the
    store, and two events with one id would count as one.

    Its own files in the folders it knows are read for the highest. A store that knows
    no synced folder yet cannot see their journals: it starts past a number made of
    the time (ms << 20), beyond any count a device reaches, and the first sync moves
    the counter past it (``History.apply``), so the device's order stays the order
    it wrote in."""
    store = history.store
    if store.journal_offsets():
        return  # the journal was read: the counter is past every line of this device
    own = re.compile(rb'"id":"' + re.escape(history.device.encode()) + rb'-([0-9]+)"')
    highest = 0 if store.roots() else int(now.timestamp() * 1000) << _TIME_SHIFT
    for folder in history.folders():
        path = journal.Appender(folder, history.device).path
        if path.is_file():
            for data in journal.whole_lines(path):
                highest = max([highest, *map(int, own.findall(data))])
    if highest > int(store.get_meta(SEQ_KEY) or 0):
        store.set_meta(SEQ_KEY, str(highest))


# -- a sync ---------------------------------------------------------------------------


def apply(history: History, reading: journal.Reading, now: datetime) -> list[str]:
    """Before ``reading``'s answers are replayed, when ``history.settings_to_apply``
    says so: if it holds `config` lines, the journal's latest settings into the store
    (every card replayed if they change its schedules). Then every folder given the
    lines it lacks (``lacking``). What changed, for the user ("scheduler set to fsrs
    by laptop-3f2a1c")."""
    news: list[str] = []
    latest = None
    if any(event.type == CONFIG for event in reading.events):
        latest = Latest.read(history.folders())
        history.warnings.extend(p for p in latest.problems if p not in history.warnings)
        news = take(history, _differing(history, latest))
    folders, known = [str(folder) for folder in history.folders()], history.settings_folders()
    with history.store.transaction():
        for _, repair in lacking(history, now, latest):
            if repair is not None:
                repair()
        if sorted(folders) != known:
            history.set_settings_folders(folders)
    return news


def _differing(history: History, latest: Latest) -> dict[str, Event]:
    """The journal's events whose value is not the store's."""
    values = stored_values(history)
    return {key: event for key, event in latest.events.items()
            if event.setting[1] != _in_force(values, key)}


def take(history: History, changes: dict[str, Event]) -> list[str]:
    """The journal's values into the store, in one transaction, every card replayed if
    they change what the scheduler schedules; what changed, for the user."""
    if not changes:
        return []
    store = history.store
    before = load_settings(store)
    with store.transaction():
        for key, event in changes.items():
            store.set_meta(meta_key(key), event.setting[1])
        history.settings = after = load_settings(store)
        fitted = any(key not in SETTING_RULES for key in changes)
        if changes_schedules(before, after) or (after.uses_fsrs and fitted):
            history.replay_all()
    return [_said(event) for event in changes.values()]


def _said(event: Event) -> str:
    key, value = event.setting
    if key == FSRS_PARAMETERS_KEY:
        return f"FSRS parameters set by {event.device}"
    if key.startswith(_DECK_PARAMETERS):
        return f"FSRS parameters of {key[len(_DECK_PARAMETERS):]} set by {event.device}"
    return f"{key} set to {value} by {event.device}"


# -- what the journals lack (a first sync of a folder, the doctor) --------------------


def lacking(history: History, now: datetime | None,
            latest: Latest | None = None) -> Iterator[tuple[str, Repair | None]]:
    """What the journals lack of the store's settings, each with its repair: a value the
    store has and no journal line sets (from an older flashcards, or the library's
    ``save_setting``), written with the time ``now`` (None: no repair), and a folder
    whose latest line of a key says another value than the latest of all (or has
    none): the latest is copied there, same id. Run the repairs inside a store
    transaction."""
    latest = latest or Latest.read(history.folders())
    values = stored_values(history)
    for key, value in values.items():
        if key not in latest.events and value != _in_force({}, key):
            yield (f"setting {key} = {_shown(key, value)} is not in the journal: a rebuilt "
                   "store would lose it (--fix writes it)",
                   None if now is None else lambda k=key, v=value: record(history, {k: v}, now))
    for folder in _alive(history, history.folders()):
        own = latest.of_folder(folder)
        # By value: a folder whose own latest line says the same rebuilds the same.
        copies = [event for key, event in latest.events.items()
                  if key not in own or own[key].setting[1] != event.setting[1]]
        if copies:
            keys = ", ".join(event.setting[0] for event in copies)
            yield (f"{display_path(folder)} lacks the setting(s) {keys}: a store rebuilt from "
                   "it alone would not have them (--fix copies them)",
                   lambda f=folder, c=copies: _write(history, [f], c))


def _shown(key: str, value: str | None) -> str:
    """A value for a message: fitted parameters (21 numbers) shortened."""
    if value is None:
        return "unset"
    return value if key in SETTING_RULES or len(value) <= 30 else value[:27] + "...]"


def doctor_findings(history: History, now: datetime | None) -> Iterator[tuple[str, Repair | None]]:
    """The doctor's view: lines skipped, a store whose settings differ from the journal's
    (the journal wins: it is the record), and what the journals lack."""
    latest = Latest.read(history.folders())
    for problem in latest.problems:
        yield f"{problem} (fix or delete the line by hand)", None
    for key, event in _differing(history, latest).items():
        in_store = _shown(key, _in_force(stored_values(history), key))
        yield (f"setting {key} is {in_store} in the store but {_shown(key, event.setting[1])} "
               f"in the journal (set by {event.device}; --fix takes the journal's)",
               lambda k=key, e=event: take(history, {k: e}))
    yield from lacking(history, now, latest)
