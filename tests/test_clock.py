"""The moment, the study zone and the bounds of a study day, in every kind of zone."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashcards.clock import (
    current_time,
    day_window,
    linked_zone,
    local_zone,
    utc_offset_minutes,
    zone_of,
)
from flashcards.model import FlashcardsError
from flashcards.scheduler import study_day

NEW_YORK = ZoneInfo("America/New_York")
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu",
         "America/St_Johns", "Pacific/Chatham", "America/Santiago"]


def test_flashcards_tz_names_the_study_zone_and_now_is_read_in_it():
    moment = current_time("2026-03-08T09:30:00", "America/New_York")
    assert moment.tzinfo == NEW_YORK and moment.hour == 9
    assert moment.utcoffset() == timedelta(hours=-4)  # EDT, the same morning DST began


def test_a_now_with_its_own_offset_is_the_same_instant_in_the_study_zone():
    moment = current_time("2026-01-05T10:00:00+00:00", "Asia/Kolkata")
    assert moment == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert (moment.hour, moment.minute) == (15, 30)


def test_without_flashcards_tz_the_machine_zone_is_used(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert current_time("2026-07-01T12:00:00").utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(("now_text", "zone", "message"), [
    ("yesterday", "UTC", "not an ISO 8601 date and time"),
    ("2026-01-05T10:00:00", "Mars/Olympus", "not a time zone name"),
    ("2026-01-05T10:00:00", "../../etc/passwd", "not a time zone name"),
])
def test_bad_settings_are_plain_errors(now_text, zone, message):
    with pytest.raises(FlashcardsError, match=message):
        current_time(now_text, zone)


def test_a_naive_moment_is_refused_rather_than_read_as_local_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        zone_of(datetime(2026, 1, 5, 10))


def test_spring_forward_the_day_starts_when_the_gap_ends():
    # 2 a.m. does not exist in New York on 8 March 2026: clocks jump to 3 a.m. EDT.
    start, end = day_window(date(2026, 3, 8), 2, NEW_YORK)
    assert start == datetime(2026, 3, 8, 7, tzinfo=UTC)  # 03:00 EDT
    assert end == datetime(2026, 3, 9, 6, tzinfo=UTC)    # 02:00 EDT next day
    assert end - start == timedelta(hours=23)


def test_fall_back_the_day_starts_at_the_first_of_the_two_hours():
    # 1 a.m. happens twice in New York on 1 November 2026.
    start, end = day_window(date(2026, 11, 1), 1, NEW_YORK)
    assert start == datetime(2026, 11, 1, 5, tzinfo=UTC)  # 01:00 EDT
    assert end == datetime(2026, 11, 2, 6, tzinfo=UTC)    # 01:00 EST
    assert end - start == timedelta(hours=25)


@given(zone=st.sampled_from(ZONES), hour=st.integers(0, 23),
       day=st.dates(min_value=date(1990, 1, 1), max_value=date(2037, 12, 31)))
def test_every_instant_belongs_to_exactly_one_study_day(zone, hour, day):
    tz = ZoneInfo(zone)
    start, end = day_window(day, hour, tz)
    assert start < end
    assert day_window(day + timedelta(days=1), hour, tz)[0] == end  # days meet exactly
    for instant in (start, end - timedelta(microseconds=1), start + (end - start) / 2):
        assert study_day(instant.astimezone(tz), hour) == day
    assert study_day((start - timedelta(microseconds=1)).astimezone(tz), hour) \
        == day - timedelta(days=1)


def test_the_offset_of_an_answer_is_recorded_in_minutes():
    assert utc_offset_minutes(current_time("2026-01-05T10:00:00", "Asia/Kathmandu")) == 345
    assert utc_offset_minutes(current_time("2026-01-05T10:00:00", "America/St_Johns")) == -210


# -- the machine's zone from /etc/localtime --------------------------------------------


def test_the_machine_zone_is_the_one_tzlocal_finds(no_tz):
    import tzlocal

    theirs = tzlocal.reload_localzone()
    assert local_zone() == theirs
    linked = linked_zone()
    # Where /etc/localtime links into the database (this project's CI machines), the
    # short way is taken and gives tzlocal's zone, name and all.
    assert linked is not None or not os.path.islink("/etc/localtime")
    assert linked is None or (linked == theirs and linked.key == theirs.key)


def machine(tmp_path, zone_file: str, files: dict[str, str] | None = None) -> str:
    """A root folder whose etc/localtime links to ``zone_file`` in its zone database
    (``db``), with other files by their path (``{"etc/timezone": ...}``)."""
    database = tmp_path / "db" / zone_file
    database.parent.mkdir(parents=True)
    database.write_bytes(b"")  # the name is what counts: ZoneInfo reads the real one
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "localtime").symlink_to(database)
    for name, text in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


@pytest.fixture
def no_tz(monkeypatch):
    monkeypatch.delenv("TZ", raising=False)


def test_the_link_names_the_zone(tmp_path, no_tz):
    root = machine(tmp_path, "America/New_York")
    assert linked_zone(root, [str(tmp_path / "db")]) == NEW_YORK


def test_an_etc_timezone_with_the_same_name_agrees(tmp_path, no_tz):
    root = machine(tmp_path, "America/New_York", {"etc/timezone": "America/New_York\n"})
    assert linked_zone(root, [str(tmp_path / "db")]) == NEW_YORK


@pytest.mark.parametrize("files", [
    {"etc/timezone": "Europe/Berlin\n"},  # another zone: tzlocal settles which
    {"etc/timezone": "America/New_York # set by hand\n"},  # more than a name
    {"var/db/zoneinfo": "Europe/Berlin\n"},
    {"etc/sysconfig/clock": 'ZONE="America/New_York"\n'},
    {"etc/conf.d/clock": 'TIMEZONE="America/New_York"\n'},
    {"system/bin/getprop": ""},  # Termux: tzlocal asks Android
])
def test_other_configuration_leaves_the_zone_to_tzlocal(tmp_path, no_tz, files):
    root = machine(tmp_path, "America/New_York", files)
    assert linked_zone(root, [str(tmp_path / "db")]) is None


def test_tz_leaves_the_zone_to_tzlocal(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    root = machine(tmp_path, "America/New_York")
    assert linked_zone(root, [str(tmp_path / "db")]) is None


def test_a_link_out_of_the_database_or_to_no_zone_is_not_read(tmp_path, no_tz):
    root = machine(tmp_path, "America/New_York")
    assert linked_zone(root, [str(tmp_path / "elsewhere")]) is None
    other = tmp_path / "other"
    other.mkdir()
    root = machine(other, "Not/A_Zone")
    assert linked_zone(root, [str(other / "db")]) is None


def test_a_copied_localtime_is_left_to_tzlocal(tmp_path, no_tz):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "localtime").write_bytes(b"TZif")
    assert linked_zone(str(tmp_path), [str(tmp_path)]) is None
