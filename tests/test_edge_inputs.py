"""Inputs at the edges of their range: a plain one-line error each, never "internal error"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NOW = "2026-01-05T10:00:00+00:00"
DECK = "## What is a tensor?\n\nAn n-dimensional array.\n"


def run(*args: str, db: Path, now: str = NOW) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_NOW": now, "FLASHCARDS_TZ": "UTC",
           "NO_COLOR": "1"}
    env.pop("FLASHCARDS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "flashcards", *args], capture_output=True,
                          text=True, errors="replace", env=env, input="", timeout=120)


@pytest.fixture
def db(tmp_path) -> Path:
    (tmp_path / "deck.md").write_text(DECK)
    path = tmp_path / "s.db"
    assert run("sync", str(tmp_path / "deck.md"), db=path).returncode == 0
    return path


def assert_plain_error(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode in (1, 2), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, \
        result.stderr
    assert words in result.stderr, result.stderr
    assert sum(line.startswith("Error") for line in result.stderr.splitlines()) == 1, \
        result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("now", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00",
                                 "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize("command", [("status",), ("review",), ("stats",), ("list",),
                                     ("doctor",)])
def test_the_clock_at_the_ends_of_the_calendar(db, now, command):
    result = run(*command, db=db, now=now)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, \
        result.stderr
    assert result.returncode in (0, 1)
    if now.startswith(("0001", "9999")) and command != ("list",):  # `list` reads no clock
        assert result.returncode == 1 and "out of the supported range" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("number", ["9223372036854775808", "-9223372036854775809",
                                    "99999999999999999999999"])
@pytest.mark.parametrize("command", ["suspend", "unsuspend"])
def test_card_ids_beyond_64_bits(db, command, number):
    assert_plain_error(run(command, "--", number, db=db), "is not in the range")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["suspend", "unsuspend"])
def test_the_largest_card_id_is_simply_not_found(db, command):
    assert_plain_error(run(command, "9223372036854775807", db=db), "no card with id")


@pytest.mark.slow
@pytest.mark.parametrize("days", ["1000000", "99999999999999999999"])
def test_stats_over_a_million_days(db, days):
    assert_plain_error(run("stats", "--days", days, db=db), "is not in the range")


@pytest.mark.slow
def test_stats_over_a_century_at_the_first_supported_year(db):
    result = run("stats", "--days", "36500", db=db, now="1900-01-01T00:00:00+00:00")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("value", ["²", "٣", "1e3", "99999999999999999999999"])
def test_settings_refuse_what_is_not_a_plain_number(db, value):
    assert_plain_error(run("config", "new_per_day", value, db=db),
                       "new_per_day must be a whole number")


def test_a_store_whose_parent_is_a_file(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    assert_plain_error(run("status", db=tmp_path / "file" / "s.db"), "no store at")
    assert_plain_error(run("sync", str(tmp_path), db=tmp_path / "file" / "s.db"),
                       "cannot create the store")


@pytest.mark.slow
def test_a_damaged_store_still_gets_the_doctors_advice(db):
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, after the header
    db.write_bytes(bytes(data))
    for name in ("s.db-wal", "s.db-shm"):
        (db.parent / name).unlink(missing_ok=True)
    result = run("doctor", db=db)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, \
        result.stderr
    assert "backup" in (result.stdout + result.stderr).lower(), (result.stdout, result.stderr)
