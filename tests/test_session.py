"""The review queue and answer logic over a real store, across simulated days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from store_helpers import count, raw

from flashcards import session
from flashcards.daily_queue import build_queue
from flashcards.model import FlashcardsError
from flashcards.session import card_back, card_front
from flashcards.settings import Settings, load_settings, save_setting
from flashcards.status import status
from flashcards.store import Store
from flashcards.sync import sync

DAY1 = datetime.fromisoformat("2026-01-05T10:00:00+00:00")


def basic_notes(count: int, prefix: str = "Q") -> str:
    return "\n".join(f"## {prefix}{i}?\n\nA{i}.\n" for i in range(1, count + 1))


def make_store(tmp_path, files: dict[str, str]) -> Store:
    root = tmp_path / "decks"
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    store = Store.open(tmp_path / "fc.db")
    sync(store, [root], now=DAY1)
    return store


def start(store: Store, moment: datetime, **options) -> session.ReviewSession:
    return session.start(store, moment, clock=lambda: moment, **options)


def answer_all(review: session.ReviewSession, grade: int = 4) -> int:
    count = 0
    while review.current is not None:
        review.answer(grade, 1000)
        count += 1
    return count


def questions(cards) -> list[str]:
    return [f"{c.question}/{c.ord}" for c in cards]


def card_row(store: Store, card_id: int) -> dict:
    return next(raw(store).query("SELECT * FROM cards WHERE id = ?", [card_id]))


def test_new_cards_come_in_file_order_up_to_the_daily_limit(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(25)})
    cards = build_queue(store, date(2026, 1, 5), Settings(), UTC)
    assert len(cards) == 20
    assert [c.question for c in cards[:3]] == ["Q1?", "Q2?", "Q3?"]
    assert all(c.schedule.is_new for c in cards)


def test_new_cards_follow_file_names_not_deck_names(tmp_path):
    store = make_store(tmp_path, {
        "01-first.md": "---\ndeck: Zebra\n---\n" + basic_notes(2, "First"),
        "02-second.md": "---\ndeck: Aardvark\n---\n" + basic_notes(2, "Second"),
    })
    cards = build_queue(store, date(2026, 1, 5), Settings(), UTC)
    assert [c.question for c in cards] == ["First1?", "First2?", "Second1?", "Second2?"]


def test_the_new_limit_counts_across_sessions_of_one_day(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(30)})
    first = start(store, DAY1, new_limit=5)
    assert answer_all(first) == 5
    later = start(store, DAY1 + timedelta(hours=3))
    assert len(later.queue) == 15
    assert later.current.question == "Q6?"


def test_options_and_config_change_the_limits(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(30)})
    assert len(build_queue(store, date(2026, 1, 5), Settings(), UTC, new_limit=3)) == 3
    save_setting(store, "new_per_day", "7")
    assert load_settings(store).new_per_day == 7
    assert len(start(store, DAY1).queue) == 7


def test_the_review_limit_caps_due_cards_and_counts_the_day(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(10)})
    answer_all(start(store, DAY1))
    day2 = DAY1 + timedelta(days=1)
    review = start(store, day2, review_limit=4, new_limit=0)
    assert len(review.queue) == 4
    answer_all(review)
    assert start(store, day2, review_limit=6, new_limit=0).remaining()["review"] == 2


def test_due_cards_come_first_most_overdue_first(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(6)})
    answer_all(start(store, DAY1, new_limit=2))  # Q1, Q2 due on day 2
    answer_all(start(store, DAY1 + timedelta(days=2), new_limit=1, review_limit=0))  # Q3: day 4
    queue = start(store, DAY1 + timedelta(days=5), new_limit=1).queue
    cards = [card_row(store, i) for i in queue]
    assert [c["due"] for c in cards[:3]] == ["2026-01-06", "2026-01-06", "2026-01-08"]
    assert cards[3]["due"] is None  # then the new card


def test_the_schedule_columns_follow_every_scheduled_answer(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(1)})
    review = start(store, DAY1)
    card_id = review.current.id
    result = review.answer(5, 2500)
    assert result.scheduled and not result.again
    row = card_row(store, card_id)
    assert (row["repetitions"], row["easiness"], row["interval"], row["due"]) == \
        (1, 2.6, 1, "2026-01-06")
    log = next(raw(store).query("SELECT * FROM reviews"))
    assert log["reviewed_at"] == "2026-01-05T10:00:00.000+00:00"
    assert (log["grade"], log["duration_ms"], log["scheduled"]) == (5, 2500, 1)
    assert (log["due_before"], log["due_after"], log["interval_after"]) == \
        (None, "2026-01-06", 1)


def test_failing_cards_repeat_in_the_session_without_changing_the_schedule(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(2)})
    review = start(store, DAY1)
    first = review.current.id
    assert review.answer(1).again  # Again: back at the end of the queue
    assert review.queue == [review.queue[0], first]
    after_fail = card_row(store, first)
    assert (after_fail["repetitions"], after_fail["lapses"], after_fail["due"]) == \
        (0, 1, "2026-01-06")
    review.answer(4)
    assert review.current.id == first
    repeat = review.answer(3)  # Hard: still below 4, so once more
    assert not repeat.scheduled and repeat.again
    assert review.answer(4).scheduled is False
    assert review.current is None
    assert card_row(store, first) == after_fail
    rows = list(raw(store).query("SELECT scheduled FROM reviews WHERE card_id = ?", [first]))
    assert [r["scheduled"] for r in rows] == [1, 0, 0]


def test_unfinished_repeats_come_back_in_a_later_session_the_same_day(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(3)})
    review = start(store, DAY1, new_limit=1)
    card = review.current.id
    review.answer(2)
    later = start(store, DAY1 + timedelta(hours=1), new_limit=1)
    assert later.queue == [card]
    assert later.remaining() == {"new": 0, "review": 0, "again": 1}
    assert later.answer(4).scheduled is False
    assert start(store, DAY1 + timedelta(hours=2), new_limit=1).queue == []


def test_undo_restores_the_card_and_deletes_the_log_row(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(2)})
    review = start(store, DAY1)
    card_id = review.current.id
    before = card_row(store, card_id)
    review.answer(0)
    assert card_row(store, card_id)["lapses"] == 1
    assert review.undo().id == card_id
    assert card_row(store, card_id) == before
    assert count(store, "reviews") == 0
    assert review.current.id == card_id and len(review.queue) == 2
    assert review.answer(4).scheduled  # the first answer again, not a repeat
    assert review.undo() is not None and review.undo() is None


def test_suspend_removes_the_card_and_undo_brings_it_back(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(2)})
    review = start(store, DAY1)
    card = review.suspend()
    assert card_row(store, card.id)["suspended"] == 1
    assert card.id not in review.queue
    assert card.id not in start(store, DAY1).queue
    review.undo()
    assert card_row(store, card.id)["suspended"] == 0
    assert review.current.id == card.id


REVERSED = "## Capital of France?\n<!-- reverse -->\n\nParis\n"
CLOZE = "## Cloze\n\n{{c1::Alpha}} and {{c2::Beta::a letter}}.\n"


def test_siblings_are_not_shown_on_the_same_day(tmp_path):
    store = make_store(tmp_path, {"a.md": REVERSED + "\n" + CLOZE})
    day1 = start(store, DAY1)
    assert questions(day1.cards.values()) == ["Capital of France?/1", "Cloze/1"]
    answer_all(day1)
    day2 = start(store, DAY1 + timedelta(days=1))
    # Both due cards come back; their new siblings wait, since a sibling is in the queue.
    assert questions(day2.cards.values()) == ["Capital of France?/1", "Cloze/1"]
    answer_all(day2)  # now due in 6 days
    day3 = start(store, DAY1 + timedelta(days=2))
    assert questions(day3.cards.values()) == ["Capital of France?/2", "Cloze/2"]


def test_a_sibling_answered_earlier_today_buries_the_other(tmp_path):
    store = make_store(tmp_path, {"a.md": REVERSED})
    answer_all(start(store, DAY1, new_limit=1))
    assert start(store, DAY1 + timedelta(hours=2)).queue == []


def test_the_sibling_due_earlier_comes_first(tmp_path):
    store = make_store(tmp_path, {"a.md": REVERSED})
    answer_all(start(store, DAY1))  # ord 1: due day 2
    answer_all(start(store, DAY1 + timedelta(days=1)))  # ord 1: due day 8
    answer_all(start(store, DAY1 + timedelta(days=2)))  # ord 2 (new): due day 4
    day8 = start(store, DAY1 + timedelta(days=7))
    assert questions(day8.cards.values()) == ["Capital of France?/2"]


def test_the_study_day_starts_at_the_configured_hour(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(30)})
    answer_all(start(store, DAY1, new_limit=3))
    night = datetime.fromisoformat("2026-01-06T03:59:00+00:00")
    review = start(store, night)
    assert review.today == date(2026, 1, 5)
    assert review.remaining() == {"new": 17, "review": 0, "again": 0}
    review.answer(4)
    assert card_row(store, review.log[0].card.id)["due"] == "2026-01-06"
    morning = start(store, night + timedelta(minutes=1))
    assert morning.today == date(2026, 1, 6)
    assert morning.remaining() == {"new": 20, "review": 4, "again": 0}
    save_setting(store, "day_start_hour", "0")
    assert start(store, night).today == date(2026, 1, 6)


def test_deck_selects_the_deck_and_its_subdecks(tmp_path):
    store = make_store(tmp_path, {
        "a.md": "---\ndeck: Top\n---\n" + basic_notes(2, "T"),
        "b.md": "---\ndeck: Top::Sub\n---\n" + basic_notes(2, "S"),
        "c.md": "---\ndeck: Other\n---\n" + basic_notes(2, "O"),
        "d.md": "---\ndeck: Topper\n---\n" + basic_notes(2, "X"),
    })
    cards = build_queue(store, date(2026, 1, 5), Settings(), UTC, deck="Top")
    assert sorted(c.question for c in cards) == ["S1?", "S2?", "T1?", "T2?"]
    with pytest.raises(FlashcardsError, match="no deck named 'Nope'"):
        build_queue(store, date(2026, 1, 5), Settings(), UTC, deck="Nope")


def test_card_sides_for_each_kind(tmp_path):
    store = make_store(tmp_path, {"a.md": REVERSED + "\n" + CLOZE})
    rows = [store.card(i) for i in (1, 2, 3, 4)]
    by_key = {(c.kind, c.ord): c for c in rows}
    forward, reverse = by_key[("reversed", 1)], by_key[("reversed", 2)]
    assert card_front(forward) == "## Capital of France?"
    assert card_back(forward).endswith("Paris")
    assert card_front(reverse) == "Paris"
    assert card_back(reverse).endswith("## Capital of France?")
    c2 = by_key[("cloze", 2)]
    assert "Alpha and [a letter]." in card_front(c2)
    assert "Alpha and **Beta**." in card_back(c2)


def test_leech_after_the_threshold(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(1)})
    save_setting(store, "leech_threshold", "2")
    for day in range(2):
        review = start(store, DAY1 + timedelta(days=day))
        review.answer(1)
        answer_all(review)
    card = start(store, DAY1 + timedelta(days=2)).current
    assert card.lapses == 2
    assert start(store, DAY1 + timedelta(days=2)).is_leech(card)


@pytest.mark.parametrize("key, value", [
    ("new_per_day", "-1"), ("new_per_day", "ten"), ("day_start_hour", "24"),
    ("leech_threshold", "0"), ("reviews_per_day", "1.5"), ("colour", "3"),
])
def test_invalid_settings_are_refused(tmp_path, key, value):
    store = Store.open(tmp_path / "fc.db")
    with pytest.raises(FlashcardsError):
        save_setting(store, key, value)
    assert store.meta_items("config.") == {}


def test_summary_counts_cards_share_and_next_due(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(3)})
    review = start(store, DAY1)
    review.answer(1)
    review.answer(4)
    review.answer(5)
    answer_all(review)
    summary = review.summary()
    assert (summary.reviewed, summary.answers, summary.correct) == (3, 4, 2)
    assert summary.next_due == date(2026, 1, 6) and summary.next_due_count == 3


def test_status_per_deck(tmp_path):
    store = make_store(tmp_path, {
        "a.md": "---\ndeck: A\n---\n" + basic_notes(3),
        "b.md": "---\ndeck: B\n---\n" + basic_notes(25),
    })
    answer_all(start(store, DAY1, deck="A"))
    report = status(store, DAY1 + timedelta(days=1))
    assert report["decks"] == [
        {"deck": "A", "due_today": 3, "new_today": 0, "next_due": None},
        {"deck": "B", "due_today": 0, "new_today": 20, "next_due": None},
    ]
    assert report["total"] == {"due_today": 3, "new_today": 20, "next_due": None}
    today = status(store, DAY1)
    assert today["decks"][0]["next_due"] == "2026-01-06"
    assert today["total"]["new_today"] == 17


@pytest.mark.parametrize("button", [1, 2, 3, 4])
def test_the_preview_is_what_the_button_then_schedules(tmp_path, button):
    store = make_store(tmp_path, {"a.md": basic_notes(1)})
    for day in range(3):  # a new card, then one with 1 and 2 repetitions
        moment = DAY1 + timedelta(days=day * 10)
        review = start(store, moment)
        if review.current is None:
            continue
        preview = review.preview()
        before = count(store, "reviews")
        after = review.press(button)
        assert count(store, "reviews") == before + 1
        assert preview[button] == after.card.schedule.due
        answer_all(review)


def test_the_preview_writes_nothing_and_is_empty_for_a_repeat(tmp_path):
    store = make_store(tmp_path, {"a.md": basic_notes(1)})
    review = start(store, DAY1)
    assert review.preview() == {1: date(2026, 1, 6), 2: date(2026, 1, 6),
                                3: date(2026, 1, 6), 4: date(2026, 1, 6)}
    assert count(store, "reviews") == 0
    review.press(1)  # again: the card comes back in this session, unscheduled
    assert review.preview() == dict.fromkeys((1, 2, 3, 4))


def test_the_side_of_each_card_kind(tmp_path):
    store = make_store(tmp_path, {"a.md": "## Q?\n\nA.\n\n## R?\n\n<!-- reverse -->\nB.\n\n"
                                          "## Cloze\n\n{{c1::one}} and {{c2::two}}\n"})
    cards = build_queue(store, date(2026, 1, 5), Settings(new_per_day=20), UTC)
    assert [session.card_side(c) for c in cards] == ["", "front side", "cloze 1"]
    twin = store.card(cards[1].id + 1)
    assert session.card_side(twin) == "reversed side"
    assert session.card_rest(twin) == "## R?"
    assert session.card_rest(cards[0]) == "A."
