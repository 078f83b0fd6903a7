"""FSRS in a real store: switching scheduler (and back), the session's steps of
minutes, the buttons' intervals, settings, and a journal rebuild under FSRS."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from store_helpers import count

from flashcards import session
from flashcards.changes import configure
from flashcards.fsrs.scheduler import DEFAULT_PARAMETERS, LEARNING, RELEARNING, REVIEW
from flashcards.maintenance import check
from flashcards.model import FlashcardsError
from flashcards.settings import fsrs_parameters, load_settings, save_fsrs_parameters
from flashcards.status import status
from flashcards.store import Store
from flashcards.sync import sync

DAY1 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def make_store(tmp_path: Path, notes: int = 6) -> Store:
    root = tmp_path / "decks"
    root.mkdir()
    (root / "a.md").write_text("---\ndeck: D\n---\n" +
                               "".join(f"## Q{i}?\n\nA{i}.\n\n" for i in range(notes)))
    store = Store.open(tmp_path / "fc.db")
    sync(store, [root], now=DAY1)
    return store


class Clock:
    """A clock the test moves on: the session reads it at each answer."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def study(store: Store, days: range, rng: random.Random, *, minutes: int = 3) -> int:
    """A session a day, answering every card shown, the clock moving on between answers."""
    answers = 0
    for day in days:
        clock = Clock(DAY1 + timedelta(days=day))
        review = session.start(store, clock(), clock=clock)
        while review.current is not None and answers < 10_000:
            review.press(rng.choice([1, 2, 3, 3, 3, 4]))
            clock.moment += timedelta(minutes=rng.randint(0, minutes))
            answers += 1
    return answers


def schedules(store: Store) -> list[tuple]:
    """Every card's whole schedule, as the store holds it, with its answers' rows."""
    cards = [store.card(c.id) for c in store.listed_cards()]
    return [(c.id, c.schedule, c.lapses,
             [(r.event_id, r.scheduled, r.before, r.after) for r in store.reviews_of_card(c.id)])
            for c in cards]


def test_switching_to_fsrs_and_back_gives_the_same_sm2_schedules(tmp_path):
    store = make_store(tmp_path)
    study(store, range(20), random.Random(3))
    before = schedules(store)
    assert configure(store, "scheduler", "fsrs", now=DAY1) == ("fsrs", 6)
    under_fsrs = schedules(store)
    assert all(s.fsrs is not None for _, s, _, _ in under_fsrs)
    # Every answer is kept, and under FSRS every answer schedules the card.
    assert [[r[0] for r in rows] for *_, rows in under_fsrs] == \
        [[r[0] for r in rows] for *_, rows in before]
    assert all(r[1] for *_, rows in under_fsrs for r in rows)
    assert configure(store, "scheduler", "sm2", now=DAY1) == ("sm2", 6)
    assert schedules(store) == before
    assert list(check(store, zone=UTC)) == []


def test_answers_under_fsrs_replay_to_the_same_store(tmp_path):
    store = make_store(tmp_path)
    configure(store, "scheduler", "fsrs", now=DAY1)
    study(store, range(30), random.Random(4), minutes=12)
    assert list(check(store, zone=UTC)) == []
    # A card on a step of minutes keeps its moment through a replay.
    stepping = count(store, "cards", "due_at IS NOT NULL")
    live = schedules(store)
    configure(store, "fuzz", "false", now=DAY1)
    configure(store, "fuzz", "true", now=DAY1)
    assert schedules(store) == live
    assert count(store, "cards", "due_at IS NOT NULL") == stepping
    phases = {s.fsrs.phase for _, s, _, _ in live if s.fsrs}
    assert REVIEW in phases


def test_a_card_on_a_step_comes_back_when_its_moment_comes(tmp_path):
    store = make_store(tmp_path, notes=2)
    configure(store, "scheduler", "fsrs", now=DAY1)
    configure(store, "fuzz", "false", now=DAY1)
    clock = Clock(DAY1)
    review = session.start(store, clock(), clock=clock)
    first = review.current
    assert review.preview() == {1: timedelta(minutes=1), 2: timedelta(minutes=5, seconds=30),
                                3: timedelta(minutes=10), 4: date(2026, 1, 13)}
    answer = review.press(3)  # Good: the second step, in ten minutes
    assert answer.again and answer.card.schedule.due_at == DAY1 + timedelta(minutes=10)
    assert answer.card.schedule.fsrs.phase == LEARNING
    second = review.current
    assert second.id != first.id  # the other card first: the step is not due yet
    clock.moment += timedelta(minutes=1)
    review.press(4)  # Easy: graduates at once
    # Nothing else left: the step due in 9 minutes is within Anki's 20-minute learn-ahead.
    assert review.current.id == first.id
    done = review.press(3)
    assert done.card.schedule.fsrs.phase == REVIEW and not done.again
    assert review.current is None
    # A card left on a step is in the next session of the same day, when due.
    clock.moment = DAY1 + timedelta(hours=2)
    review = session.start(store, clock(), clock=clock)
    assert review.current is None


def test_a_step_due_later_today_waits_for_its_moment(tmp_path):
    store = make_store(tmp_path, notes=1)
    configure(store, "scheduler", "fsrs", now=DAY1)
    configure(store, "learning_steps", "1h 3h", now=DAY1)
    clock = Clock(DAY1)
    review = session.start(store, clock(), clock=clock)
    card = review.press(3).card  # Good: the second step, in three hours
    assert review.current is None  # beyond the learn-ahead: the session ends
    assert review.remaining() == {"new": 0, "review": 0, "again": 1}
    clock.moment += timedelta(hours=3)
    later = session.start(store, clock(), clock=clock)
    assert later.current.id == card.id
    assert later.press(3).card.schedule.interval >= 1


def test_the_preview_is_what_the_answer_gives(tmp_path):
    store = make_store(tmp_path, notes=4)
    configure(store, "scheduler", "fsrs", now=DAY1)
    study(store, range(5), random.Random(5))
    rng = random.Random(7)
    for day in range(5, 40):
        clock = Clock(DAY1 + timedelta(days=day))
        review = session.start(store, clock(), clock=clock)
        while review.current is not None:
            button = rng.choice([1, 2, 3, 3, 4])
            expected = review.preview()[button]
            after = review.press(button).card.schedule
            got = after.due_at - clock() if after.due_at else after.due
            assert got == expected
            clock.moment += timedelta(minutes=1)


def test_lapses_count_again_on_a_card_in_review_only(tmp_path):
    store = make_store(tmp_path, notes=1)
    configure(store, "scheduler", "fsrs", now=DAY1)
    clock = Clock(DAY1)
    review = session.start(store, clock(), clock=clock)
    assert review.press(1).card.lapses == 0  # Again while learning: no lapse
    review.press(4)
    clock.moment = DAY1 + timedelta(days=30)
    review = session.start(store, clock(), clock=clock)
    lapsed = review.press(1).card
    assert (lapsed.lapses, lapsed.schedule.fsrs.phase) == (1, RELEARNING)
    assert lapsed.schedule.due_at == clock() + timedelta(minutes=10)


def test_fitted_parameters_are_used_and_a_deck_of_its_own_wins(tmp_path):
    store = make_store(tmp_path, notes=1)
    configure(store, "scheduler", "fsrs", now=DAY1)
    configure(store, "fuzz", "false", now=DAY1)
    clock = Clock(DAY1)
    review = session.start(store, clock(), clock=clock)
    assert review.press(4).card.schedule.fsrs.stability == pytest.approx(8.2956)
    collection = list(DEFAULT_PARAMETERS)
    collection[3] = 20.0  # S0(Easy)
    save_fsrs_parameters(store, collection)
    configure(store, "fuzz", "true", now=DAY1)
    configure(store, "fuzz", "false", now=DAY1)  # a replay under the fitted parameters
    card = store.card(review.log[0].card.id)
    assert card.schedule.fsrs.stability == pytest.approx(20.0)
    assert card.schedule.interval == 20
    deck = list(DEFAULT_PARAMETERS)
    deck[3] = 30.0
    save_fsrs_parameters(store, deck, deck="D")
    assert fsrs_parameters(store, "D") == deck and fsrs_parameters(store) == collection
    configure(store, "desired_retention", "0.9", now=DAY1)  # unchanged: no replay
    assert store.card(card.id).schedule.interval == 20
    configure(store, "maximum_interval", "25", now=DAY1)
    assert store.card(card.id).schedule.fsrs.stability == pytest.approx(30.0)
    assert store.card(card.id).schedule.interval == 25


def test_retention_and_maximum_interval_shape_the_intervals(tmp_path):
    store = make_store(tmp_path, notes=1)
    configure(store, "scheduler", "fsrs", now=DAY1)
    configure(store, "fuzz", "false", now=DAY1)
    clock = Clock(DAY1)
    card = session.start(store, clock(), clock=clock).press(4).card
    assert card.schedule.interval == 8
    configure(store, "desired_retention", "0.8", now=DAY1)
    assert store.card(card.id).schedule.interval > 8  # a lower target waits longer
    configure(store, "maximum_interval", "5", now=DAY1)
    assert store.card(card.id).schedule.interval == 5


@pytest.mark.parametrize("key, value", [
    ("desired_retention", "2"), ("desired_retention", "0.5"), ("desired_retention", "nan"),
    ("desired_retention", "ninety"), ("scheduler", "sm3"), ("scheduler", ""),
    ("learning_steps", "1x"), ("learning_steps", "-1m"), ("relearning_steps", "ten"),
    ("maximum_interval", "0"), ("maximum_interval", "36501"), ("maximum_interval", "1.5"),
    ("fuzz", "maybe"), ("fsrs", "on"),
])
def test_nonsense_settings_are_refused_and_change_nothing(tmp_path, key, value):
    store = make_store(tmp_path, notes=2)
    configure(store, "scheduler", "fsrs", now=DAY1)
    study(store, range(2), random.Random(6))
    before, meta = schedules(store), store.meta_items("")
    with pytest.raises(FlashcardsError):
        configure(store, key, value, now=DAY1)
    assert schedules(store) == before
    assert store.meta_items("") == meta


def test_settings_are_typed_and_shown_as_written(tmp_path):
    store = make_store(tmp_path, notes=1)
    assert configure(store, "learning_steps", "30s, 5m  1h", now=DAY1) == ("30s 5m 1h", 0)
    assert configure(store, "fuzz", "OFF", now=DAY1) == ("false", 0)
    assert configure(store, "desired_retention", "0.85", now=DAY1) == ("0.85", 0)
    assert configure(store, "relearning_steps", "", now=DAY1) == ("", 0)
    settings = load_settings(store)
    assert (settings.learning_steps, settings.fuzz, settings.desired_retention,
            settings.relearning_steps) == ((30, 300, 3600), False, 0.85, ())


def test_switching_a_store_with_no_history_or_one_card(tmp_path):
    empty = Store.open(tmp_path / "empty.db")
    assert configure(empty, "scheduler", "fsrs", now=DAY1) == ("fsrs", 0)
    assert configure(empty, "scheduler", "sm2", now=DAY1) == ("sm2", 0)
    store = make_store(tmp_path, notes=1)
    clock = Clock(DAY1)
    session.start(store, clock(), clock=clock).press(3)
    before = schedules(store)
    assert configure(store, "scheduler", "fsrs", now=DAY1)[1] == 1
    assert configure(store, "scheduler", "sm2", now=DAY1)[1] == 1
    assert schedules(store) == before


def test_status_counts_steps_due_today_under_fsrs(tmp_path):
    store = make_store(tmp_path, notes=3)
    configure(store, "scheduler", "fsrs", now=DAY1)
    clock = Clock(DAY1)
    review = session.start(store, clock(), clock=clock)
    review.press(3)  # a step, ten minutes on
    (deck,) = status(store, DAY1)["decks"]
    assert (deck["due_today"], deck["new_today"]) == (1, 2)


def test_list_json_shows_fsrs_memory(tmp_path):
    from click.testing import CliRunner

    from flashcards.cli import cli

    store = make_store(tmp_path, notes=2)
    configure(store, "scheduler", "fsrs", now=DAY1)
    clock = Clock(DAY1)
    session.start(store, clock(), clock=clock).press(4)
    store.close()
    env = {"FLASHCARDS_NOW": (DAY1 + timedelta(days=8)).isoformat(), "FLASHCARDS_TZ": "UTC"}
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "fc.db"), "list", "--json"],
                                env=env)
    reviewed, new = json.loads(result.output)
    assert reviewed["stability"] == pytest.approx(8.2956, rel=1e-5)
    assert reviewed["difficulty"] == 1.0
    # R after 8 days at S = 8.2956: (1 + F 8 / 8.2956)^-0.1542, F = 0.9^(-1/0.1542) - 1.
    factor = 0.9 ** (-1 / 0.1542) - 1
    assert reviewed["retrievability"] == round((1 + factor * 8 / reviewed["stability"])
                                               ** -0.1542, 4)
    assert "stability" not in new and "retrievability" not in new


# -- end to end, through the command line --------------------------------------------


def cli_run(db: Path, day: float, *args: str, stdin: str | None = None) -> str:
    from cli_helpers import cli_at

    return cli_at(DAY1, db, *args, day=day, stdin=stdin)


def listed(db: Path, day: float = 60) -> list[dict]:
    rows = json.loads(cli_run(db, day, "list", "--json"))
    for row in rows:
        del row["id"]
        row["source"] = Path(row["source"].rsplit(":", 1)[0]).name
    return sorted(rows, key=lambda r: (r["question"], r["ord"]))


def delete_store(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def cli_review(db: Path, day: int, rng: random.Random) -> None:
    keys = "".join(f"\n{rng.choice('1233334')}\n" for _ in range(60))
    cli_run(db, day, "review", stdin=keys + "q\n")


@pytest.mark.slow
def test_sixty_days_through_the_cli_switching_to_fsrs_and_back(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("---\ndeck: D\n---\n" + "".join(
        f"## Question {i}?\n\nAnswer {i}.\n\n" for i in range(15)))
    db, rng = tmp_path / "data" / "fc.db", random.Random(60)
    cli_run(db, 0, "sync", str(notes))
    for day in range(30):
        cli_review(db, day, rng)
    sm2 = listed(db)
    assert sum(row["reviews"] for row in sm2) > 60
    assert "scheduler = fsrs (15 cards rescheduled)" in cli_run(db, 30, "config", "scheduler",
                                                                 "fsrs")
    fsrs_rows = listed(db)
    assert all(0 < row["retrievability"] <= 1 and 1 <= row["difficulty"] <= 10
               for row in fsrs_rows)
    cli_run(db, 30, "config", "scheduler", "sm2")
    assert listed(db) == sm2  # switching back: exactly SM-2's schedules of before

    cli_run(db, 30, "config", "scheduler", "fsrs")
    for day in range(30, 60):
        cli_review(db, day, rng)
    under_fsrs = listed(db)
    store = Store.open(db)
    assert list(check(store, zone=UTC)) == []
    store.close()

    # The store is a cache of the Markdown and the journal. A new store set to FSRS
    # before its first sync replays the journal into the same FSRS schedules...
    delete_store(db)
    store = Store.open(db)
    configure(store, "scheduler", "fsrs", now=DAY1)
    store.close()
    cli_run(db, 60, "sync", str(notes))
    assert listed(db) == under_fsrs
    # ...and so does a store rebuilt under SM-2 and then switched.
    delete_store(db)
    cli_run(db, 60, "sync", str(notes))
    cli_run(db, 60, "config", "scheduler", "fsrs")
    assert listed(db) == under_fsrs

    # Back to SM-2: the whole history (FSRS's answers too) under SM-2's rules, as a
    # store rebuilt under SM-2 from the same journal has it.
    cli_run(db, 60, "config", "scheduler", "sm2")
    switched_back = listed(db)
    delete_store(db)
    cli_run(db, 60, "sync", str(notes))
    assert listed(db) == switched_back
    assert all("stability" not in row for row in switched_back)


def test_stats_follow_fsrs_states_and_leave_steps_out_of_retention(tmp_path):
    from flashcards.stats import collect

    store = make_store(tmp_path, notes=2)
    configure(store, "scheduler", "fsrs", now=DAY1)
    configure(store, "fuzz", "false", now=DAY1)
    clock = Clock(DAY1)
    review = session.start(store, clock(), clock=clock)
    review.press(4)  # Easy: graduates on its first answer (one review, a review card)
    review.press(1)  # Again: learning, on its first step
    stats = collect(store, now=clock()).to_dict()
    assert stats["cards"]["learning"] == 1 and stats["cards"]["young"] == 1
    clock.moment += timedelta(minutes=1)
    session.start(store, clock(), clock=clock).press(3)  # Good on a step: no retention
    clock.moment = DAY1 + timedelta(days=8)
    later = session.start(store, clock(), clock=clock)
    while later.current is not None:
        later.press(3)
        clock.moment += timedelta(minutes=15)
    retention = collect(store, now=clock()).to_dict()["retention"]
    answered = sum(window["young"]["total"] + window["mature"]["total"]
                   for window in retention if window["days"] == 7)
    # The graduated card's review after 8 days counts; the other card's answers on its
    # steps (the one left on a step since day 1 too) do not.
    assert answered == 1


def test_the_buttons_show_minutes_for_a_step():
    from flashcards.ui.review_drawing import _interval_text

    today = date(2026, 1, 5)
    assert [_interval_text(timedelta(minutes=m), today) for m in (1, 5.5, 10, 90, 120)] == \
        [" 1m", " 6m", " 10m", " 1.5h", " 2h"]
    assert _interval_text(date(2026, 1, 13), today) == " 8d"


def test_config_through_the_cli_refuses_nonsense_and_changes_nothing(tmp_path):
    from click.testing import CliRunner

    from flashcards.cli import cli

    make_store(tmp_path, notes=1).close()
    db = str(tmp_path / "fc.db")
    result = CliRunner().invoke(cli, ["--db", db, "config", "desired_retention", "2"])
    assert result.exit_code != 0
    assert "desired_retention must be a number from 0.7 to 0.97, got '2'" in result.output
    assert "Traceback" not in result.output
    shown = CliRunner().invoke(cli, ["--db", db, "config", "desired_retention"])
    assert shown.output.strip() == "0.9"
    result = CliRunner().invoke(cli, ["--db", db, "config", "learning_steps", "1m 10m 1h"])
    assert result.exit_code == 0 and result.output.strip() == "learning_steps = 1m 10m 1h"


def test_undo_under_fsrs_takes_the_step_back(tmp_path):
    store = make_store(tmp_path, notes=2)
    configure(store, "scheduler", "fsrs", now=DAY1)
    clock = Clock(DAY1)
    review = session.start(store, clock(), clock=clock)
    first = review.current
    review.press(3)
    clock.moment += timedelta(minutes=1)
    assert review.undo().id == first.id
    assert review.current.id == first.id
    assert store.card(first.id).schedule.fsrs is None  # new again
    assert store.reviews_of_card(first.id) == []
    again = review.press(1).card.schedule
    assert again.due_at == clock() + timedelta(minutes=1)
    assert list(check(store, zone=UTC)) == []
