"""`export --with-scheduling`: progress as Anki stores it, checked in the real Anki.

The pure mapping (anki_progress.py) is tested on its own; the end-to-end tests
build a history with the real CLI over simulated days (``FLASHCARDS_NOW``),
export it, and import it into fresh collections of the `anki` package with
"Import any learning progress".
"""

from __future__ import annotations

import json
import random
import sqlite3
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from anki_helpers import collection, import_package, notes_by_guid
from cli_helpers import cli_at
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from flashcards import anki_progress, export
from flashcards.anki_progress import (
    COLLECTION_DAY,
    MAX_ANSWER_MS,
    MAX_INTERVAL,
    AnkiCard,
    MemoryState,
    anki_card,
    anki_due,
    progress,
)
from flashcards.cli import cli
from flashcards.store import CardSchedule, ExportAnswer, Store

DAY1 = datetime.fromisoformat("2026-01-05T08:00:00+00:00")
NOTES = {
    "basics.md": "---\ndeck: Demo\n---\n\n"
                 "## What is a tensor?\n\nAn array with any number of axes.\n\n"
                 "## What does a learning rate set?\n\nThe size of each gradient step.\n\n"
                 "## Overfitting\n<!-- reverse -->\n\nFitting the noise of the training set.\n\n"
                 "## The {{c1::bias}} and {{c2::variance}} of a model trade off.\n",
    "more.md": "---\ndeck: Demo::More\n---\n\n"
               "## What is a batch?\n\nThe examples of one gradient step.\n\n"
               "## What is an epoch?\n\nOne pass over the training set.\n\n"
               "## What is dropout?\n\nZeroing random activations while training.\n\n"
               "## What is a logit?\n\nA score before the softmax.\n",
    "many.md": "---\ndeck: Many\n---\n\n" + "".join(
        f"## Question {n}?\n\nAnswer {n}.\n\n" for n in range(40)),
}


# -- the mapping, pure ---------------------------------------------------------------------


def answer(at: str, grade: int, before: CardSchedule, after: CardSchedule, *,
           scheduled: bool = True, button: int | None = None,
           duration_ms: int | None = 5000) -> ExportAnswer:
    return ExportAnswer(1, at, grade, button, duration_ms, scheduled, before.repetitions,
                        before.interval, before.due and before.due.isoformat(),
                        after.repetitions, after.easiness, after.interval)


def test_new_card_is_anki_new():
    assert anki_card(CardSchedule(), reps=0, lapses=0, suspended=False,
                     ever_passed=False) == AnkiCard(0, 0, 0, 0, 0, 0, 0, 0, "")
    assert anki_card(CardSchedule(), reps=0, lapses=0, suspended=True,
                     ever_passed=False).queue == -1


def test_passed_card_is_a_review_card_due_on_its_day():
    schedule = CardSchedule(3, 2.36, 13, date(2026, 2, 1))
    card = anki_card(schedule, reps=4, lapses=1, suspended=False, ever_passed=True)
    assert (card.type, card.queue, card.ivl, card.factor, card.reps, card.lapses) == (
        2, 2, 13, 2360, 4, 1)
    assert COLLECTION_DAY + timedelta(days=card.due) == date(2026, 2, 1)
    assert card.due == (date(2026, 2, 1) - date(2014, 9, 19)).days


def test_failed_cards_relearn_or_learn_in_the_day_queue():
    failed = CardSchedule(0, 1.96, 1, date(2026, 2, 2))
    relearn = anki_card(failed, reps=5, lapses=1, suspended=False, ever_passed=True)
    learn = anki_card(failed, reps=1, lapses=1, suspended=False, ever_passed=False)
    assert (relearn.type, relearn.queue, relearn.left, relearn.ivl, relearn.factor) == (
        3, 3, 1, 1, 1960)
    assert (learn.type, learn.queue, learn.left) == (1, 3, 1)
    assert relearn.due == learn.due == anki_due(date(2026, 2, 2))


def test_a_suspended_card_keeps_its_due_day_as_a_review_card():
    # Anki's importer shifts the due day of a suspended card only for type review.
    failed = CardSchedule(0, 1.96, 1, date(2026, 2, 2))
    card = anki_card(failed, reps=2, lapses=1, suspended=True, ever_passed=True)
    assert (card.type, card.queue, card.due) == (2, -1, anki_due(date(2026, 2, 2)))


@given(st.integers(0, 50), st.integers(130, 400), st.integers(1, MAX_INTERVAL),
       st.dates(min_value=date(2000, 1, 1)))
def test_due_day_interval_and_ease_map_exactly(repetitions, ef100, interval, due):
    schedule = CardSchedule(repetitions, ef100 / 100, interval, due)
    card = anki_card(schedule, reps=repetitions, lapses=0, suspended=False,
                     ever_passed=repetitions > 0)
    assert COLLECTION_DAY + timedelta(days=card.due) == due
    assert (card.ivl, card.factor) == (interval, ef100 * 10)


@given(st.integers(MAX_INTERVAL + 1, 3_000_000), st.dates(date(2000, 1, 1), date(2100, 1, 1)))
def test_intervals_past_ankis_longest_become_its_longest_from_the_same_review(extra, reviewed):
    due = date.max if extra > (date.max - reviewed).days else reviewed + timedelta(days=extra)
    card = anki_card(CardSchedule(9, 3.0, extra, due), reps=9, lapses=0, suspended=False,
                     ever_passed=True)
    last_review_day = due - timedelta(days=extra)
    assert card.ivl == MAX_INTERVAL
    assert COLLECTION_DAY + timedelta(days=card.due) == last_review_day + timedelta(
        days=MAX_INTERVAL)


def test_the_fsrs_hook_fills_ankis_data_column():
    schedule = CardSchedule(2, 2.5, 6, date(2026, 2, 1))
    last = int(datetime(2026, 1, 26, 9, tzinfo=UTC).timestamp())
    card = anki_card(schedule, reps=2, lapses=0, suspended=False, ever_passed=True,
                     last_review=last, memory=MemoryState(12.3456789, 5.4321, 0.9))
    assert json.loads(card.data) == {"s": 12.3457, "d": 5.4321, "dr": 0.9, "lrt": last}
    assert json.loads(anki_card(schedule, reps=2, lapses=0, suspended=False, ever_passed=True,
                                memory=MemoryState(3.0, 7.0)).data) == {"s": 3.0, "d": 7.0}
    # Under SM-2: only the time of the last answer, which Anki keeps for every card.
    assert json.loads(anki_card(schedule, reps=2, lapses=0, suspended=False, ever_passed=True,
                                last_review=last).data) == {"lrt": last}
    assert anki_card(CardSchedule(), reps=0, lapses=0, suspended=False,
                     ever_passed=False).data == ""


def test_review_log_rows_one_per_answer_with_kind_button_and_capped_time():
    new = CardSchedule()
    day1 = CardSchedule(1, 2.5, 1, date(2026, 1, 6))
    day2 = CardSchedule(2, 2.5, 6, date(2026, 1, 12))
    lapsed = CardSchedule(0, 1.96, 1, date(2026, 1, 13))
    answers = [
        answer("2026-01-05T08:00:00.123+00:00", 4, new, day1, button=3),
        answer("2026-01-06T08:00:00.000+00:00", 4, day1, day2, button=3),
        answer("2026-01-12T08:00:00.000+00:00", 1, day2, lapsed, button=1,
               duration_ms=250_000),
        answer("2026-01-12T08:05:00.000+00:00", 4, lapsed, lapsed, scheduled=False,
               button=None),
    ]
    result = progress(lapsed, answers, lapses=1, suspended=False)
    assert [row[0] for row in result.revlog] == [
        int(datetime.fromisoformat(a.reviewed_at).timestamp() * 1000) for a in answers]
    assert result.revlog[0][0] % 1000 == 123
    # (id, ease, ivl, lastIvl, factor, time, type)
    assert [row[1:] for row in result.revlog] == [
        (3, 1, 0, 2500, 5000, 0),
        (3, 6, 1, 2500, 5000, 1),
        (1, 1, 6, 1960, MAX_ANSWER_MS, 1),
        (3, 1, 1, 1960, 5000, 2),  # a same-day repeat: a row, the schedule unchanged
    ]
    assert (result.card.type, result.card.reps, result.card.lapses) == (3, 4, 1)
    assert json.loads(result.card.data) == {"lrt": result.revlog[-1][0] // 1000}


def test_answers_on_the_full_scale_take_the_button_of_their_grade():
    new, day1 = CardSchedule(), CardSchedule(1, 2.5, 1, date(2026, 1, 6))
    at = "2026-01-05T08:00:00.000+00:00"
    assert [anki_progress.revlog_row(answer(at, grade, new, day1), False)[1]
            for grade in range(6)] == [1, 1, 1, 2, 3, 4]
    assert anki_progress.revlog_row(answer(at, 5, new, day1, button=2), False)[1] == 2


# -- end to end, in the real Anki ----------------------------------------------------------


def invoke(db: Path, *args: str, day: int = 0, stdin: str | None = None) -> str:
    return cli_at(DAY1, db, *args, day=day, stdin=stdin)


def review(db: Path, day: int, rng: random.Random, answers: int = 30) -> None:
    steps = "".join(f"\n{rng.choice('1233334')}\n" for _ in range(answers))
    invoke(db, "review", day=day, stdin=steps + "q\n")


def listed(db: Path, day: int) -> dict[tuple[str, int], dict]:
    return {(row["question"], row["ord"]): row
            for row in json.loads(invoke(db, "list", "--json", day=day))}


def store_history(tmp_path: Path, days: range, rng: random.Random) -> Path:
    notes, db = tmp_path / "notes", tmp_path / "data" / "fc.db"
    notes.mkdir()
    for name, text in NOTES.items():
        (notes / name).write_text(text, encoding="utf-8")
    invoke(db, "sync", str(notes))
    invoke(db, "config", "new_per_day", "2")  # new cards stay, learning ones come every day
    for day in days:
        review(db, day, rng)
    return db


def anki_date(col, due: int) -> date:
    """A day number of `col` as a date: days since its creation day (Anki's v2 timing)."""
    minutes_west = col.get_config("creationOffset")
    created = datetime.fromtimestamp(col.crt, timezone(timedelta(minutes=-minutes_west)))
    return created.date() + timedelta(days=due)


def anki_cards(col) -> dict[tuple[str, int], object]:
    """Every card of `col` by (question as flashcards lists it, flashcards ordinal)."""
    cards = {}
    for guid, note in notes_by_guid(col).items():
        for card in note.cards():
            cards[guid, card.ord + 1] = card
    return cards


def guids(db: Path) -> dict[str, str]:
    store = Store.open(db)
    try:
        return {n.question: n.guid for n in store.notes() if not n.orphaned}
    finally:
        store.close()


def assert_same_progress(col, db: Path, day: int) -> None:
    by_guid = anki_cards(col)
    question_guids = guids(db)
    rows = listed(db, day)
    assert len(by_guid) == len(rows)
    for (question, ord_), row in rows.items():
        card = by_guid[question_guids[question], ord_]
        assert card.reps == row["reviews"], question
        assert len(col.db.list("SELECT id FROM revlog WHERE cid = ?", card.id)) == row["reviews"]
        if row["due"] is None:
            assert (card.type, card.queue) == (0, -1 if row["status"] == "suspended" else 0)
            continue
        assert anki_date(col, card.due) == date.fromisoformat(row["due"]), question
        assert card.ivl == row["interval"], question
        assert card.factor == round(row["easiness"] * 1000), question
        assert (card.queue == -1) == (row["status"] == "suspended"), question


@pytest.mark.slow
def test_anki_shows_the_same_due_dates_intervals_eases_and_reviews(tmp_path):
    rng = random.Random(7)
    db = store_history(tmp_path, range(0, 40, 3), rng)
    invoke(db, "review", day=40, stdin="\n1\n" * 3 + "q\n")  # three lapses today
    # A new card failed at first sight (on SM-2's full scale: grade 0, no button).
    invoke(db, "review", "--new", "3", "--limit", "0", "--full-scale", day=40,
           stdin="\n0\nq\n")
    rows = listed(db, 40)
    assert sum(row["reviews"] for row in rows.values()) > 30
    assert {row["status"] for row in rows.values()} >= {"new", "learning", "young", "mature"}
    reviewed = [row for row in rows.values() if row["due"]]
    invoke(db, "suspend", str(reviewed[0]["id"]), day=40)
    output = invoke(db, "export", "--with-scheduling", "-o", str(tmp_path / "p.apkg"), day=40)
    assert "cards with their schedule" in output
    assert "Anki applies this progress only to cards it does not have yet" in output

    with collection(tmp_path / "anki") as col:
        log = import_package(col, tmp_path / "p.apkg", with_scheduling=True)
        assert len(log.new) == len(guids(db))
        assert_same_progress(col, db, 40)
        suspended = [c for c in anki_cards(col).values() if c.queue == -1]
        assert len(suspended) == 1
        # New, review, and failed at their last answer: (re)learning in the day queue.
        # Eases at 2.0 and below arrive too (Anki resets such eases in some upgrades).
        assert min(c.factor for c in anki_cards(col).values() if c.type) <= 2000
        states = {(c.type, c.queue) for c in anki_cards(col).values()}
        assert states >= {(0, 0), (1, 3), (2, 2), (3, 3), (2, -1)}, states
        # Siblings (reversed and cloze notes) arrive in states of their own.
        siblings = [{(c.type, c.queue, c.due) for c in note.cards()}
                    for note in notes_by_guid(col).values() if len(note.cards()) > 1]
        assert len(siblings) == 2 and any(len(states) > 1 for states in siblings), siblings
        assert col.db.scalar("SELECT count() FROM revlog") == sum(
            row["reviews"] for row in listed(db, 40).values())
        # Anki's own checks find nothing to fix in the cards it imported.
        problems = col.fix_integrity()[0]
        assert "card" not in problems.lower(), problems


@pytest.mark.slow
def test_a_reimport_leaves_the_schedule_of_cards_anki_has_unchanged(tmp_path):
    rng = random.Random(3)
    db = store_history(tmp_path, range(0, 12, 2), rng)
    invoke(db, "export", "--with-scheduling", "-o", str(tmp_path / "first.apkg"), day=12)
    first = listed(db, 12)
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "first.apkg", with_scheduling=True)
        assert_same_progress(col, db, 12)
        before = {key: (c.type, c.queue, c.due, c.ivl, c.factor, c.reps, c.lapses)
                  for key, c in anki_cards(col).items()}
        revlog_before = col.db.scalar("SELECT count() FROM revlog")
        notes_before = col.note_count()

    for day in range(12, 30, 2):
        review(db, day, rng)
    invoke(db, "export", "--with-scheduling", "-o", str(tmp_path / "second.apkg"), day=30)
    # The store moved on: the second package holds newer progress for these cards.
    changed = {key for key, row in listed(db, 30).items() if row != first[key]}
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "second.apkg", with_scheduling=True)
        after = {key: (c.type, c.queue, c.due, c.ivl, c.factor, c.reps, c.lapses)
                 for key, c in anki_cards(col).items()}
        assert after == before  # Anki keeps its own schedule of cards it has
        assert col.note_count() == notes_before  # and adds no note twice
        assert col.db.scalar("SELECT count() FROM revlog") == revlog_before
    assert len(changed) >= 5

    with collection(tmp_path / "fresh") as col:  # a fresh profile takes the new progress
        import_package(col, tmp_path / "second.apkg", with_scheduling=True)
        assert_same_progress(col, db, 30)


@pytest.mark.slow
def test_without_import_of_progress_the_cards_arrive_new(tmp_path):
    db = store_history(tmp_path, range(0, 6, 2), random.Random(5))
    invoke(db, "export", "--with-scheduling", "-o", str(tmp_path / "p.apkg"), day=6)
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "p.apkg", with_scheduling=False)
        assert {(c.type, c.queue) for c in anki_cards(col).values()} == {(0, 0)}
        assert col.db.scalar("SELECT count() FROM revlog") == 0


def package_db(path: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(path) as package:
        (path.parent / "unzipped.anki2").write_bytes(package.read("collection.anki2"))
    return sqlite3.connect(path.parent / "unzipped.anki2")


def tables(path: Path) -> dict[str, list]:
    db = package_db(path)
    try:
        return {"cards": db.execute("SELECT * FROM cards ORDER BY id").fetchall(),
                "revlog": db.execute("SELECT * FROM revlog ORDER BY id").fetchall(),
                "col": [tuple(map(json.loads, row)) for row in
                        db.execute("SELECT decks, models, conf FROM col").fetchall()],
                "crt": db.execute("SELECT crt FROM col").fetchall()}
    finally:
        db.close()


def test_without_the_flag_the_package_is_as_before(tmp_path):
    from genanki.apkg_col import APKG_COL

    db = store_history(tmp_path, range(0, 4, 2), random.Random(2))
    reviewed = [row for row in listed(db, 4).values() if row["due"]]
    invoke(db, "suspend", str(reviewed[0]["id"]), day=4)
    invoke(db, "export", "-o", str(tmp_path / "plain.apkg"), day=4)
    package = package_db(tmp_path / "plain.apkg")
    genanki_col = sqlite3.connect(":memory:")
    genanki_col.executescript(
        "CREATE TABLE col (id, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf,"
        " tags);" + APKG_COL)
    try:
        assert package.execute("SELECT count() FROM revlog").fetchone() == (0,)
        assert package.execute(
            "SELECT DISTINCT type, queue, due, ivl, factor, reps, lapses, left, data"
            " FROM cards").fetchall() == [(0, 0, 0, 0, 0, 0, 0, 0, "")]
        assert package.execute("SELECT crt, conf, dconf FROM col").fetchone() == \
            genanki_col.execute("SELECT crt, conf, dconf FROM col").fetchone()
        # The suspended card is left out, as before.
        assert package.execute("SELECT count() FROM cards").fetchone()[0] == len(
            listed(db, 4)) - 1
    finally:
        package.close()
        genanki_col.close()
    summary = invoke(db, "export", "-o", str(tmp_path / "plain.apkg"), day=4)
    assert "Anki applies" not in summary and "schedule" not in summary


@pytest.mark.slow
def test_genanki_public_api_writes_the_same_progress(tmp_path, monkeypatch):
    db = store_history(tmp_path, range(0, 20, 2), random.Random(11))
    store = Store.open(db)
    try:
        now = DAY1 + timedelta(days=20)
        (tmp_path / "fast").mkdir()
        (tmp_path / "public").mkdir()
        fast = export.export_apkg(store, tmp_path / "fast" / "p.apkg", now=now,
                                  with_scheduling=True)
        monkeypatch.setattr(export.writers, "_genanki_tables", lambda: None)
        public = export.export_apkg(store, tmp_path / "public" / "p.apkg", now=now,
                                    with_scheduling=True)
    finally:
        store.close()
    assert fast.reviews == public.reviews > 20
    fast_tables = tables(tmp_path / "fast" / "p.apkg")
    assert tables(tmp_path / "public" / "p.apkg") == fast_tables
    assert len(fast_tables["revlog"]) == fast.reviews
    assert fast_tables["col"][0][2]["schedVer"] == 2
    assert fast_tables["crt"] == [(anki_progress.COLLECTION_CREATED,)]


def review_log(tmp_path: Path) -> sqlite3.Connection:
    """A package's review log, as the export fills it (its id is the table's key)."""
    conn = sqlite3.connect(tmp_path / "collection.anki2")
    conn.execute("CREATE TABLE revlog (id integer primary key, cid integer not null,"
                 " usn integer not null, ease integer not null, ivl integer not null,"
                 " lastIvl integer not null, factor integer not null,"
                 " time integer not null, type integer not null)")
    return conn


def written(conn: sqlite3.Connection, scheduling, cards) -> list[tuple]:
    rows = scheduling.revlog(conn, cards)
    conn.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return rows


def test_answers_in_the_same_millisecond_get_distinct_review_log_ids(tmp_path):
    new, day1 = CardSchedule(), CardSchedule(1, 2.5, 1, date(2026, 1, 6))
    at = "2026-01-05T08:00:00.000+00:00"
    card = progress(day1, [answer(at, 4, new, day1), answer(at, 4, day1, day1, scheduled=False)],
                    lapses=0, suspended=False)
    other = progress(day1, [answer(at, 4, new, day1)], lapses=0, suspended=False)
    scheduling = export.scheduling._Scheduling(4, None)
    conn = review_log(tmp_path)
    rows = written(conn, scheduling, [(10, card), (11, other)])
    start = int(datetime.fromisoformat(at).timestamp() * 1000)
    assert [(row[0], row[1]) for row in rows] == [(start, 10), (start + 1, 10), (start + 2, 11)]
    # A later batch meets the ids the review log holds already.
    rows = written(conn, scheduling, [(12, other), (13, progress(day1, [answer(
        "2026-01-05T09:00:00.000+00:00", 4, new, day1)], lapses=0, suspended=False))])
    assert [(row[0], row[1]) for row in rows] == [(start + 3, 12), (start + 3_600_000, 13)]
    assert scheduling.reviews == 5


def free_ids_of_one_set(batches: list[list[int]]) -> list[list[int]]:
    """The rule with every id ever given held in one set."""
    taken, out = set(), []
    for batch in batches:
        out.append([])
        for id_ms in batch:
            while id_ms in taken:
                id_ms += 1
            taken.add(id_ms)
            out[-1].append(id_ms)
    return out


# Ids of a few ms, so that most collide and runs of moved ids meet.
_ids = st.lists(st.integers(1_767_600_000_000, 1_767_600_000_060), max_size=40)


@given(batches=st.lists(_ids, max_size=6))
def test_review_log_ids_are_those_one_set_of_every_id_would_give(batches):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE revlog (id integer primary key)")
    given_ids, review_log_ids = [], export.scheduling.ReviewLogIds()
    for batch in batches:
        ids = review_log_ids.free(conn, batch)
        conn.executemany("INSERT INTO revlog VALUES (?)", [(id_ms,) for id_ms in ids])
        given_ids.append(ids)
    assert given_ids == free_ids_of_one_set(batches)


@pytest.mark.slow
def test_the_fsrs_memory_hook_reaches_ankis_cards(tmp_path):
    # The hook the FSRS scheduler will use: a memory state per exported card.
    db = store_history(tmp_path, range(0, 6, 2), random.Random(9))
    store = Store.open(db)
    try:
        def memory(card):
            return None if card.schedule.is_new else MemoryState(3.5 + card.ord, 6.25, 0.85)

        export.export_apkg(store, tmp_path / "p.apkg", now=DAY1 + timedelta(days=6),
                           with_scheduling=True, memory=memory)
    finally:
        store.close()
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "p.apkg", with_scheduling=True)
        cards = anki_cards(col).values()
        reviewed = [c for c in cards if c.type != 0]
        assert reviewed and all(c.memory_state is None for c in cards if c.type == 0)
        for card in reviewed:
            assert card.memory_state.difficulty == pytest.approx(6.25)
            assert card.memory_state.stability == pytest.approx(3.5 + card.ord + 1)
            assert card.desired_retention == pytest.approx(0.85)


@pytest.mark.slow
def test_cards_from_an_earlier_export_without_progress_stay_new_in_anki(tmp_path):
    # The common case: a collection that took plain exports before keeps those
    # cards as Anki has them; only cards it lacks arrive with their progress.
    db = store_history(tmp_path, range(0, 8, 2), random.Random(4))
    invoke(db, "export", "-o", str(tmp_path / "plain.apkg"), day=8)
    invoke(db, "export", "--with-scheduling", "-o", str(tmp_path / "p.apkg"), day=8)
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "plain.apkg")
        before = col.card_count()
        log = import_package(col, tmp_path / "p.apkg", with_scheduling=True)
        assert {(c.type, c.queue) for c in anki_cards(col).values()} == {(0, 0)}
        assert col.db.scalar("SELECT count() FROM revlog") == 0
        assert (len(log.new), col.note_count()) == (0, len(guids(db)))
        assert col.card_count() == before


def test_a_deck_of_suspended_cards_goes_only_with_scheduling(tmp_path):
    notes, db = tmp_path / "notes", tmp_path / "data" / "fc.db"
    notes.mkdir()
    (notes / "one.md").write_text("---\ndeck: Solo\n---\n\n## Only?\n\nYes.\n", encoding="utf-8")
    (notes / "two.md").write_text("---\ndeck: Other\n---\n\n## Else?\n\nNo.\n", encoding="utf-8")
    invoke(db, "sync", str(notes))
    solo = next(row for row in listed(db, 0).values() if row["deck"] == "Solo")
    invoke(db, "suspend", str(solo["id"]))
    plain = CliRunner().invoke(cli, ["--db", str(db), "export", "--deck", "Solo", "-o",
                                     str(tmp_path / "plain.apkg")],
                               env={"FLASHCARDS_NOW": DAY1.isoformat(), "FLASHCARDS_TZ": "UTC"})
    assert plain.exit_code != 0 and "nothing to export" in plain.output
    assert "Traceback" not in plain.output
    output = invoke(db, "export", "--deck", "Solo", "--with-scheduling", "-o",
                    str(tmp_path / "p.apkg"))
    assert "1 notes, 1 cards with their schedule, 0 reviews" in output
    db_file = package_db(tmp_path / "p.apkg")
    try:
        assert db_file.execute("SELECT type, queue, reps FROM cards").fetchall() == [(0, -1, 0)]
    finally:
        db_file.close()


@pytest.mark.slow
def test_under_fsrs_anki_gets_each_cards_memory_state_from_the_cli(tmp_path):
    # The wired hook: `config scheduler fsrs`, answers over days, then the CLI's export.
    rng = random.Random(11)
    db = store_history(tmp_path, range(0, 3), rng)
    invoke(db, "config", "scheduler", "fsrs", day=3)
    invoke(db, "config", "desired_retention", "0.85", day=3)
    for day in range(3, 20, 4):
        review(db, day, rng)
    rows = listed(db, 20)
    remembered = {key: row for key, row in rows.items() if row.get("stability") is not None}
    assert remembered, "no card has an FSRS memory state"
    invoke(db, "export", "--with-scheduling", "-o", str(tmp_path / "p.apkg"), day=20)
    with collection(tmp_path / "anki") as col:
        import_package(col, tmp_path / "p.apkg", with_scheduling=True)
        by_guid, question_guids = anki_cards(col), guids(db)
        for (question, ord_), row in rows.items():
            card = by_guid[question_guids[question], ord_]
            if (question, ord_) not in remembered:
                assert card.memory_state is None, question
                continue
            assert card.memory_state.stability == pytest.approx(row["stability"], abs=1e-3)
            assert card.memory_state.difficulty == pytest.approx(row["difficulty"], abs=1e-3)
            assert card.desired_retention == pytest.approx(0.85)
