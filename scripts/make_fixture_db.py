"""Build tests/fixtures/schema-vN.db (N = the current schema version) with this code.

Run it once when a new schema version ships, and commit the file it writes:
tests/test_migrations.py opens every fixture with the current code, so each
version that ever shipped stays upgradable. The store is made from the tiny deck
in tests/fixtures/deck-v1/ with a few reviews on fixed days, so the data it
holds is the same every time.

    python scripts/make_fixture_db.py
"""

from __future__ import annotations

import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path

from flashcards.session import start
from flashcards.store import SCHEMA_VERSION, Store
from flashcards.sync import sync

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
DAY_ONE = datetime.fromisoformat("2026-01-05T10:00:00+00:00")
# (days after DAY_ONE, grades given to the queue in order); a grade below 4 is
# asked again the same day, and those repeats are logged as unscheduled.
# The button that gives each grade (scheduler.BUTTON_GRADES); 2 only on the full scale.
_BUTTONS = {1: 1, 3: 2, 4: 3, 5: 4}
SESSIONS = [(0, [5, 2, 4, 5, 1, 4, 5, 4]), (1, [4, 5, 3, 4, 4, 4]), (7, [5, 4, 4, 4])]


def build(target: Path) -> None:
    target.unlink(missing_ok=True)
    # A fixed device id: the fixture's journal lines (in deck-v1/.flashcards/) are
    # the same on every run.
    target.with_name(target.name + ".device").write_text("fixture-device\n")
    shutil.rmtree(FIXTURES / "deck-v1" / ".flashcards", ignore_errors=True)
    store = Store.open(target)
    sync(store, [FIXTURES / "deck-v1"], now=DAY_ONE)
    for offset, grades in SESSIONS:
        moment = DAY_ONE + timedelta(days=offset)
        session = start(store, moment, clock=lambda m=moment: m)
        for grade in grades:
            if session.current is None:
                break
            session.answer(grade, duration_ms=4000, button=_BUTTONS.get(grade))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to commit
    store.close()


def main() -> None:
    target = FIXTURES / f"schema-v{SCHEMA_VERSION}.db"
    build(target)
    print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
