"""Study days in a time zone: the one module that turns instants into local days.

The command layer reads the clock and the zone once (``current_time``) and passes
the moment down; everything below works from that moment and its zone, never
from the machine's. docs/scheduler.md, "The study day and the time zone", has
the rules.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError

from flashcards.model import FlashcardsError

NOW_ENV = "FLASHCARDS_NOW"
TZ_ENV = "FLASHCARDS_TZ"
# The years a moment may fall in: study days, due dates decades ahead and a
# statistics window a century back must all stay inside datetime's years 1-9999.
FIRST_YEAR, LAST_YEAR = 1900, 9000


def zone_named(name: str) -> tzinfo:
    """The IANA zone ``name`` (``Europe/Paris``, ``UTC``); FlashcardsError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FlashcardsError(f"{TZ_ENV}={name!r} is not a time zone name such as "
                              "'Europe/Paris' or 'UTC'") from exc


def local_zone() -> tzinfo:
    """The machine's zone, with its daylight-saving rules (``TZ`` is honoured)."""
    zone = linked_zone()
    if zone is not None:
        return zone
    import tzlocal  # only at the edge, once per command

    return tzlocal.reload_localzone()


# The files besides /etc/localtime where tzlocal finds a zone's name. Where any of
# them names another zone, or says more than a name, tzlocal decides.
_NAME_FILES = ("etc/timezone", "var/db/zoneinfo")
_CLOCK_FILES = ("etc/sysconfig/clock", "etc/conf.d/clock", "system/bin/getprop")


def linked_zone(root: str = "/", tzpath: Sequence[str] = TZPATH) -> ZoneInfo | None:
    """The zone ``/etc/localtime`` links to, where nothing else names one; None: ask
    tzlocal.

    Most Linux systems name the machine's zone by that link into the zone database
    (``/usr/share/zoneinfo/Europe/Paris``). tzlocal reads it too, but costs every
    command 20 to 30 ms: its import, logging's, and importlib.resources', which it
    loads while it tries the link's longer paths as zone names. Here the name is the
    link's path inside the database, the zone tzlocal gives in that case
    (tests/test_clock.py checks both agree on this machine). ``TZ``, a link out of
    the database, and the other files tzlocal reads (unless they hold exactly the
    same name) all leave the answer to tzlocal.
    """
    if os.environ.get("TZ"):
        return None
    link = os.path.join(root, "etc", "localtime")
    if not os.path.islink(link) or any(os.path.lexists(os.path.join(root, name))
                                       for name in _CLOCK_FILES):
        return None
    target = os.path.realpath(link)
    for folder in tzpath:
        prefix = os.path.join(os.path.realpath(folder), "")
        if target.startswith(prefix):
            name = target[len(prefix):]
            break
    else:
        return None
    if not all(_names_only(os.path.join(root, file), name) for file in _NAME_FILES):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _names_only(path: str, name: str) -> bool:
    """Whether the file at ``path`` is absent or holds ``name`` and nothing else."""
    try:
        with open(path, encoding="ascii") as file:
            return file.read().strip("/ \t\r\n") == name
    except FileNotFoundError:
        return True
    except (OSError, UnicodeDecodeError):
        return False


def current_time(now_text: str | None = None, zone_name: str | None = None) -> datetime:
    """The moment a command runs, aware, in the study zone.

    ``zone_name`` (``FLASHCARDS_TZ``) overrides the machine's zone; ``now_text``
    (``FLASHCARDS_NOW``, ISO 8601) overrides the clock, read in the study zone
    when it names no offset of its own.
    """
    zone = zone_named(zone_name) if zone_name else local_zone()
    if not now_text:
        return datetime.now(zone)
    try:
        moment = datetime.fromisoformat(now_text)
    except ValueError as exc:
        raise FlashcardsError(f"{NOW_ENV}={now_text!r} is not an ISO 8601 date and time") \
            from exc
    moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    try:
        moment = moment.astimezone(zone)
    except OverflowError:
        moment = None
    if moment is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise FlashcardsError(f"{NOW_ENV}={now_text!r} is out of the supported range "
                              f"(years {FIRST_YEAR} to {LAST_YEAR})")
    return moment


def zone_of(moment: datetime) -> tzinfo:
    """The zone a moment is in; a naive moment is refused, never read as local time."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"need a timezone-aware time, got the naive {moment.isoformat()}")
    return moment.tzinfo


def day_start(day: date, day_start_hour: int, zone: tzinfo) -> datetime:
    """The instant (UTC) study day ``day`` begins in ``zone``.

    Local time ``day_start_hour``:00. On a day when that hour does not exist (a
    spring-forward gap) the day begins at the first instant after the gap; when
    it happens twice (autumn), at the first of the two. So consecutive days meet
    exactly: every instant belongs to exactly one study day.
    """
    # fold=0 reads a wall time in a gap with the offset from before it, which is the
    # instant the gap ends, and a repeated wall time as its first occurrence: the
    # same instants at which scheduler.study_day's wall-clock rule changes day.
    wall = datetime.combine(day, time(day_start_hour), tzinfo=zone)
    return wall.replace(fold=0).astimezone(UTC)


def day_window(day: date, day_start_hour: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """The UTC bounds [start, end) of study day ``day`` in ``zone`` (DST-aware)."""
    return (day_start(day, day_start_hour, zone),
            day_start(day + timedelta(days=1), day_start_hour, zone))


def utc_offset_minutes(moment: datetime) -> int:
    """The moment's offset from UTC in whole minutes (east positive)."""
    offset = zone_of(moment).utcoffset(moment)
    return int(offset.total_seconds() // 60) if offset is not None else 0
