"""The journal's `schedule` event (format version 2): it sets a card's SM-2 state,
replay applies it in order, later answers continue from it, and the store keeps
it through every catch-up (docs/journal.md)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from flashcards import journal
from flashcards.anki_import import import_package
from flashcards.journal import ANSWER, SCHEDULE, Event, NewerJournal, parse_line, replay
from flashcards.model import FlashcardsError
from flashcards.scheduler import SM2State, due_date, review
from flashcards.store import Store
from flashcards.sync import sync
from tests import anki_forge
from tests.anki_forge import BASIC_ID, CREATED

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
SM2 = {"ef": 2.2, "ivl": 30, "reps": 5, "lapses": 2, "due": "2026-02-15"}


def answer(seq: int, when: datetime, button: int = 3, device: str = "anki") -> Event:
    return Event(ANSWER, device, seq, when, guid="G", ord=1, button=button,
                 grade={1: 1, 2: 3, 3: 4, 4: 5}[button], utc_offset_minutes=0,
                 day_start_hour=4)


def schedule(seq: int, when: datetime, **sm2) -> Event:
    return Event(SCHEDULE, "anki-schedule", seq, when, guid="G", ord=1, sm2={**SM2, **sm2})


def test_a_schedule_line_is_version_2_and_reads_back():
    line = schedule(1, T0).to_line()
    record = json.loads(line)
    assert record["v"] == 2 and record["type"] == "schedule" and record["sm2"] == SM2
    assert parse_line(line) == schedule(1, T0)
    # Every other line stays version 1, so a reader of version 1 reads them.
    assert json.loads(answer(1, T0).to_line())["v"] == 1


def test_a_reader_refuses_lines_newer_than_it_knows():
    with pytest.raises(NewerJournal):
        parse_line(json.dumps({"v": journal.NEWEST_VERSION + 1, "id": "a-1", "type": "schedule",
                               "t": "2026-01-01Z"}))


@pytest.mark.parametrize("sm2", [None, {"ef": 1.0, "ivl": 3, "reps": 1, "lapses": 0},
                                 {"ef": 2.5, "ivl": 0, "reps": 2, "lapses": 0},
                                 {"ef": 2.5, "ivl": 3, "reps": 1, "lapses": -1},
                                 {"ef": 2.5, "ivl": 3, "reps": 1, "lapses": 0, "due": "x"}])
def test_a_schedule_line_with_an_impossible_state_is_refused(sm2):
    line = json.dumps({"v": 2, "id": "a-1", "type": "schedule", "t": "2026-01-01T00:00:00Z",
                       "guid": "G", "ord": 1, "sm2": sm2})
    with pytest.raises((ValueError, TypeError)):
        parse_line(line)


def test_replay_takes_the_schedule_and_continues_from_it():
    events = [answer(1, T0, 1), answer(2, T0 + timedelta(days=1)),
              schedule(10, T0 + timedelta(days=1, hours=1))]
    history = replay(events)
    assert history.schedule.sm2 == SM2State(5, 2.2, 30)
    assert history.schedule.due == date(2026, 2, 15) and history.lapses == 2
    assert len(history.answers) == 2
    later = T0 + timedelta(days=30)
    history = replay([*events, answer(3, later, 3, device="laptop-1")])
    expected = review(SM2State(5, 2.2, 30), 4)
    assert history.schedule.sm2 == expected
    assert history.schedule.due == due_date(later.date(), expected)


def test_a_schedule_to_new_makes_the_card_new_again():
    history = replay([answer(1, T0), schedule(5, T0 + timedelta(hours=1), ef=2.5, ivl=0,
                                              reps=0, lapses=0, due=None)])
    assert history.schedule.is_new


def import_forged(tmp_path, store):
    """A forged package: one review card (interval 30, ease 2.2, due day 40 after the
    collection's creation) with three answers; imported and synced."""
    day = 86_400_000
    start = CREATED * 1000 + day
    col = anki_forge.collection(
        tmp_path / "c.anki21", [(1, "G", BASIC_ID, ["q?", "a"], "")],
        cards=[(11, 1, 0, 2, 2, 40, 30, 2200)],
        revlog=[(start, 11, 3), (start + 3 * day, 11, 1), (start + 9 * day, 11, 4)])
    package = anki_forge.package(tmp_path / "p.apkg", col)
    folder = tmp_path / "notes"
    now = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
    report = import_package(package, folder, now=now)
    assert (report.reviews, report.scheduled) == (3, 1)
    sync(store, [folder], now=now)
    return folder


def card_state(store: Store):
    card = store.card_of("G", 1)
    return card.schedule, len(store.reviews_of_card(card.id))


def test_the_store_keeps_the_schedule_when_an_earlier_answer_arrives(tmp_path):
    store = Store.open(tmp_path / "s.db")
    folder = import_forged(tmp_path, store)
    imported, count = card_state(store)
    assert (imported.interval, imported.easiness, count) == (30, 2.2, 3)
    assert imported.due == date(2026, 1, 5) + timedelta(days=40)
    # Another machine's answer from before the import's last answer: the card is
    # replayed from the store's answers and the journal's schedule event.
    early = Event(ANSWER, "laptop-abc123", 1, datetime(2026, 1, 8, 12, tzinfo=UTC), guid="G",
                  ord=1, button=3, grade=4, utc_offset_minutes=0, day_start_hour=4)
    journal.Appender(journal.folder_of_root(folder), "laptop-abc123").append([early])
    sync(store, [folder], now=datetime(2026, 1, 21, tzinfo=UTC))
    assert card_state(store) == (imported, 4)
    store.close()


def test_a_rebuild_read_in_buckets_keeps_the_schedule_with_its_card(tmp_path, monkeypatch):
    # A large journal is read in buckets by card: a schedule line must go in its card's
    # bucket, or the card's answers and its schedule would be replayed apart.
    from flashcards import journal_buckets

    store = Store.open(tmp_path / "s.db")
    folder = import_forged(tmp_path, store)
    # An answer after the import, which goes on from the imported schedule.
    later = Event(ANSWER, "laptop-abc123", 1, datetime(2026, 2, 20, 12, tzinfo=UTC), guid="G",
                  ord=1, button=3, grade=4, utc_offset_minutes=0, day_start_hour=4)
    journal.Appender(journal.folder_of_root(folder), "laptop-abc123").append([later])
    sync(store, [folder], now=datetime(2026, 2, 20, 13, tzinfo=UTC))
    whole = card_state(store)
    # From the imported state (ease 2.2, one pass since the lapse): SM-2's second pass.
    assert (whole[0].repetitions, whole[0].easiness, whole[1]) == (2, 2.2, 4)
    store.close()
    monkeypatch.setattr(journal_buckets, "BUCKETED_OVER", 0)
    monkeypatch.setattr(journal_buckets, "BUCKET_BYTES", 200)
    rebuilt = Store.open(tmp_path / "rebuilt.db")
    sync(rebuilt, [folder], now=datetime(2026, 2, 20, 13, tzinfo=UTC))
    assert card_state(rebuilt) == whole
    rebuilt.close()


def test_a_schedule_line_of_a_newer_version_stops_the_sync(tmp_path):
    store = Store.open(tmp_path / "s.db")
    folder = import_forged(tmp_path, store)
    lines = (journal.folder_of_root(folder) / "anki-schedule.jsonl").read_text()
    (journal.folder_of_root(folder) / "anki-schedule.jsonl").write_text(
        lines.replace('"v":2', '"v":9'))
    store.close()
    fresh = Store.open(tmp_path / "fresh.db")
    with pytest.raises(FlashcardsError, match="newer flashcards"):
        sync(fresh, [folder], now=datetime(2026, 1, 21, tzinfo=UTC))
    fresh.close()


def imported_state(tmp_path, card: tuple, revlog: list[tuple], *, scheduler: int = 2):
    """One forged card (type, queue, due, interval, factor) imported: its schedule line."""
    col = anki_forge.collection(tmp_path / "c.anki21", [(1, "G", BASIC_ID, ["q?", "a"], "")],
                                cards=[(11, 1, 0, *card)], revlog=revlog)
    if scheduler == 1:
        import sqlite3

        with sqlite3.connect(col) as conn:
            conn.execute("UPDATE col SET conf = ?", [json.dumps({"schedVer": 1})])
    package = anki_forge.package(tmp_path / "p.apkg", col)
    folder = tmp_path / "notes"
    import_package(package, folder, now=datetime(2026, 1, 20, 12, tzinfo=UTC))
    lines = journal.folder_of_root(folder) / "anki-schedule.jsonl"
    answers = journal.folder_of_root(folder) / "anki.jsonl"
    sm2 = [json.loads(line)["sm2"] for line in lines.read_text().splitlines()] \
        if lines.exists() else []
    buttons = [json.loads(line)["button"] for line in answers.read_text().splitlines()] \
        if answers.exists() else []
    return sm2, buttons


DAY_MS = 86_400_000
START = CREATED * 1000 + DAY_MS


def test_a_learning_card_is_due_on_the_study_day_of_its_due_time(tmp_path):
    due = CREATED + 14 * 86_400 + 2 * 3600  # 2026-01-19 06:00 UTC
    sm2, _ = imported_state(tmp_path, (1, 1, due, 0, 0), [(START, 11, 1)])
    assert sm2 == [{"ef": 2.5, "ivl": 0, "reps": 0, "lapses": 0, "due": "2026-01-19"}]


def test_a_relearning_card_keeps_its_new_interval_and_starts_over(tmp_path):
    due = CREATED + 14 * 86_400 + 3600 * 3  # 07:00 UTC
    sm2, _ = imported_state(tmp_path, (3, 1, due, 4, 1850),
                            [(START, 11, 3), (START + 5 * DAY_MS, 11, 1)])
    assert sm2 == [{"ef": 1.85, "ivl": 4, "reps": 0, "lapses": 0, "due": "2026-01-19"}]


def test_a_review_card_counts_its_passes_since_the_last_again(tmp_path):
    revlog = [(START + i * DAY_MS, 11, ease) for i, ease in enumerate([3, 1, 3, 4, 3])]
    sm2, buttons = imported_state(tmp_path, (2, 2, 12, 9, 2300), revlog)
    assert sm2 == [{"ef": 2.3, "ivl": 9, "reps": 3, "lapses": 0, "due": "2026-01-17"}]
    assert buttons == [3, 1, 3, 4, 3]


def test_a_card_reset_to_new_stays_new_with_its_answers(tmp_path):
    sm2, buttons = imported_state(tmp_path, (0, 0, 5, 0, 0), [(START, 11, 3)])
    assert sm2 == [{"ef": 2.5, "ivl": 0, "reps": 0, "lapses": 0, "due": None}]
    assert buttons == [3]
    assert replay([parse_line(schedule(1, T0, due=None, ivl=0, reps=0, lapses=0).to_line()),
                   ]).schedule.is_new


def test_a_new_card_without_answers_gets_no_schedule(tmp_path):
    assert imported_state(tmp_path, (0, 0, 5, 0, 0), []) == ([], [])


def test_the_oldest_scheduler_had_three_learning_buttons(tmp_path):
    revlog = [(START, 11, 2), (START + 1, 11, 3)]  # learning rows: Good, Easy
    import sqlite3

    _, buttons = imported_state(tmp_path, (2, 2, 12, 9, 2300), revlog, scheduler=1)
    assert buttons == [2, 3]  # review rows (type 1) keep their four buttons
    col = anki_forge.collection(tmp_path / "l.anki21", [(1, "L", BASIC_ID, ["q?", "a"], "")],
                                cards=[(11, 1, 0, 2, 2, 12, 9, 2300)], revlog=revlog)
    with sqlite3.connect(col) as conn:
        conn.execute("UPDATE revlog SET type = 0")
        conn.execute("UPDATE col SET conf = ?", [json.dumps({"schedVer": 1})])
    package = anki_forge.package(tmp_path / "l.apkg", col)
    import_package(package, tmp_path / "l", now=datetime(2026, 1, 20, tzinfo=UTC))
    lines = (journal.folder_of_root(tmp_path / "l") / "anki.jsonl").read_text().splitlines()
    assert [json.loads(line)["button"] for line in lines] == [3, 4]


def test_the_doctor_finds_an_imported_store_healthy(tmp_path):
    from flashcards.maintenance import doctor

    store = Store.open(tmp_path / "s.db")
    import_forged(tmp_path, store)
    report = doctor(store, fix=True, now=datetime(2026, 1, 21, tzinfo=UTC))
    assert [f.message for f in report.findings] == []
    assert card_state(store)[0].interval == 30
    store.close()


def test_a_card_unsuspended_in_anki_since_the_last_import_is_unsuspended(tmp_path):
    import sqlite3

    store = Store.open(tmp_path / "s.db")
    col = anki_forge.collection(tmp_path / "c.anki21", [(1, "G", BASIC_ID, ["q?", "a"], "")],
                                cards=[(11, 1, 0, 2, -1, 40, 30, 2200)], revlog=[(START, 11, 3)])
    folder, now = tmp_path / "notes", datetime(2026, 1, 20, 12, tzinfo=UTC)
    import_package(anki_forge.package(tmp_path / "p.apkg", col), folder, now=now)
    sync(store, [folder], now=now)
    assert store.card_of("G", 1).suspended
    with sqlite3.connect(col) as conn:  # later, in Anki: unsuspended (its mod moves on)
        conn.execute("UPDATE cards SET queue = 2, mod = ?", [CREATED + 10 * 86_400])
    again = import_package(anki_forge.package(tmp_path / "p2.apkg", col), folder, now=now,
                           force=True)
    assert again.suspended == 0
    sync(store, [folder], now=now)
    assert not store.card_of("G", 1).suspended
    store.close()
