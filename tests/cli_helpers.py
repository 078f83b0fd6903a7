"""The command line run in-process at a chosen moment, as the tests' clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from flashcards.cli import cli


def cli_at(start: datetime, db: Path, *args: str, day: float = 0, stdin: str | None = None,
           check_ok: bool = True) -> str:
    """``flashcards --db DB ARGS`` at ``start`` plus ``day`` days, in UTC, without colour;
    its output (the exit code checked unless ``check_ok`` is false)."""
    moment = (start + timedelta(days=day)).isoformat()
    result = CliRunner().invoke(cli, ["--db", str(db), *args], input=stdin,
                                env={"FLASHCARDS_NOW": moment, "FLASHCARDS_TZ": "UTC",
                                     "NO_COLOR": "1"})
    if check_ok:
        assert result.exit_code == 0, result.output
    return result.output
