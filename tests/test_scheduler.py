"""Tests for flashcards.scheduler: golden sequences worked out by hand, then properties."""

from __future__ import annotations

import ast
import dataclasses
import math
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashcards import scheduler
from flashcards.scheduler import (
    BUTTON_GRADES,
    BUTTON_NAMES,
    DAY_START_HOUR,
    GRADE_MEANINGS,
    MAX_INTERVAL,
    SM2State,
    due_date,
    needs_repeat,
    review,
    study_day,
)

CET = timezone(timedelta(hours=1))


def replay(grades: list[int], state: SM2State | None = None) -> list[tuple[int, float, int]]:
    """(repetitions, easiness, interval) after each grade, starting from a new card."""
    state = SM2State() if state is None else state
    rows = []
    for grade in grades:
        state = review(state, grade)
        rows.append((state.repetitions, state.easiness, state.interval))
    return rows


# --- golden sequences (each value computed by hand from the 1990 rules) ---------------


def test_all_fives():
    # EF +0.10 each time; I = 1, 6, then ceil(I * EF'):
    # 6*2.8=16.8->17, 17*2.9=49.3->50, 50*3.0=150, 150*3.1=465, 465*3.2=1488, 1488*3.3=4910.4
    assert replay([5] * 8) == [
        (1, 2.6, 1),
        (2, 2.7, 6),
        (3, 2.8, 17),
        (4, 2.9, 50),
        (5, 3.0, 150),
        (6, 3.1, 465),
        (7, 3.2, 1488),
        (8, 3.3, 4911),
    ]


def test_all_threes_fall_to_the_floor_and_stay():
    # EF -0.14 each time until 1.38 - 0.14 = 1.24 is raised to 1.3:
    # 6*2.08=12.48->13, 13*1.94=25.22->26, 26*1.8=46.8->47, 47*1.66=78.02->79,
    # 79*1.52=120.08->121, 121*1.38=166.98->167, 167*1.3=217.1->218, 218*1.3=283.4->284
    assert replay([3] * 10) == [
        (1, 2.36, 1),
        (2, 2.22, 6),
        (3, 2.08, 13),
        (4, 1.94, 26),
        (5, 1.8, 47),
        (6, 1.66, 79),
        (7, 1.52, 121),
        (8, 1.38, 167),
        (9, 1.3, 218),
        (10, 1.3, 284),
    ]


def test_failure_then_recovery():
    # Grade 1 costs 0.54 and restarts at I(1); grade 4 leaves EF alone; 6*2.36=14.16->15.
    assert replay([5, 5, 5, 1, 4, 4, 5]) == [
        (1, 2.6, 1),
        (2, 2.7, 6),
        (3, 2.8, 17),
        (0, 2.26, 1),
        (1, 2.26, 1),
        (2, 2.26, 6),
        (3, 2.36, 15),
    ]


def test_intervals_grow_past_a_year_with_good():
    # Grade 4 keeps EF at 2.5: 6*2.5=15, 37.5->38, 95, 237.5->238, 595.
    rows = replay([4] * 7)
    assert [interval for _, _, interval in rows] == [1, 6, 15, 38, 95, 238, 595]
    assert {easiness for _, easiness, _ in rows} == {2.5}
    assert due_date(date(2025, 1, 1), SM2State(7, 2.5, 595)) == date(2026, 8, 19)


@pytest.mark.parametrize(
    ("grade", "easiness"),
    [(5, 2.6), (4, 2.5), (3, 2.36), (2, 2.18), (1, 1.96), (0, 1.7)],
)
def test_easiness_change_for_each_grade(grade, easiness):
    # 0.1 - (5-q)*(0.08 + (5-q)*0.02) = +0.10, 0, -0.14, -0.32, -0.54, -0.80
    assert review(SM2State(), grade).easiness == easiness


def test_failing_grades_lower_easiness_down_to_the_floor():
    assert replay([0, 0, 1]) == [(0, 1.7, 1), (0, 1.3, 1), (0, 1.3, 1)]


def test_easiness_has_no_upper_bound():
    assert review(SM2State(9, 4.0, 10), 5).easiness == 4.1


# --- the float trap --------------------------------------------------------------


def test_float_trap_naive_arithmetic_gives_151():
    # Why the integer hundredths exist: float EF after five +0.1 steps is not 3.0.
    ef = 2.5
    for _ in range(5):
        ef += 0.1
    assert ef != 3.0
    assert math.ceil(50 * ef) == 151


def test_float_trap_fifth_perfect_review_is_exactly_150_days():
    # After 5, 5, 5, 5 the card has interval 50 and EF 2.9; a fifth 5 makes EF 3.0.
    state = SM2State()
    for _ in range(4):
        state = review(state, 5)
    assert state == SM2State(4, 2.9, 50)
    assert review(state, 5) == SM2State(5, 3.0, 150)


def test_float_trap_with_a_drifted_stored_easiness():
    # A float that drifted on the way in is read as the hundredths it stands for.
    drifted = 2.5 + 0.1 + 0.1 + 0.1 + 0.1
    assert review(SM2State(4, drifted, 50), 5) == SM2State(5, 3.0, 150)


# --- grades and buttons --------------------------------------------------------------


@pytest.mark.parametrize("grade", [-1, 6, 2.5, True, False, "3", None, 3.0])
def test_invalid_grades_raise(grade):
    with pytest.raises(ValueError, match="grade must be"):
        review(SM2State(), grade)
    with pytest.raises(ValueError, match="grade must be"):
        needs_repeat(grade)


@pytest.mark.parametrize(
    ("grade", "expected"), [(0, True), (2, True), (3, True), (4, False), (5, False)]
)
def test_needs_repeat(grade, expected):
    assert needs_repeat(grade) is expected


def test_buttons_map_to_grades():
    assert BUTTON_GRADES == {1: 1, 2: 3, 3: 4, 4: 5}
    assert BUTTON_NAMES == {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
    assert [needs_repeat(BUTTON_GRADES[b]) for b in (1, 2, 3, 4)] == [True, True, False, False]


def test_grade_meanings_cover_the_full_scale():
    assert sorted(GRADE_MEANINGS) == [0, 1, 2, 3, 4, 5]
    assert GRADE_MEANINGS[5] == "perfect response"
    assert GRADE_MEANINGS[0] == "complete blackout"


# --- the state ---------------------------------------------------------------------


def test_new_card_state():
    assert SM2State() == SM2State(repetitions=0, easiness=2.5, interval=0)


def test_state_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SM2State().interval = 3  # type: ignore[misc]


def test_dict_round_trip():
    state = SM2State(3, 2.36, 15)
    assert state.to_dict() == {"repetitions": 3, "easiness": 2.36, "interval": 15}
    assert SM2State.from_dict(state.to_dict()) == state


def test_from_dict_ignores_other_keys_and_names_missing_ones():
    assert SM2State.from_dict({"repetitions": 1, "easiness": 2.6, "interval": 1, "id": 7}) == (
        SM2State(1, 2.6, 1)
    )
    with pytest.raises(ValueError, match="missing easiness, interval"):
        SM2State.from_dict({"repetitions": 1})


@pytest.mark.parametrize(
    "fields",
    [
        {"repetitions": -1},
        {"repetitions": 1.0, "interval": 1},
        {"interval": -1},
        {"interval": True},
        {"easiness": 1.2},
        {"easiness": float("nan")},
        {"easiness": "2.5"},
        {"repetitions": 2, "interval": 0},
    ],
)
def test_invalid_states_raise(fields):
    with pytest.raises(ValueError):
        SM2State(**fields)


# --- days ------------------------------------------------------------------------------


def test_day_starts_at_four():
    assert DAY_START_HOUR == 4
    assert study_day(datetime(2025, 3, 10, 3, 59, tzinfo=CET)) == date(2025, 3, 9)
    assert study_day(datetime(2025, 3, 10, 4, 0, tzinfo=CET)) == date(2025, 3, 10)
    assert study_day(datetime(2025, 3, 10, 23, 59, tzinfo=CET)) == date(2025, 3, 10)
    assert study_day(datetime(2025, 3, 1, 0, 30, tzinfo=CET)) == date(2025, 2, 28)


def test_day_start_hour_zero_is_the_calendar_day():
    assert study_day(datetime(2025, 3, 10, 0, 0, tzinfo=CET), day_start_hour=0) == date(2025, 3, 10)
    assert study_day(datetime(2025, 3, 9, 23, 59, tzinfo=CET), day_start_hour=0) == date(2025, 3, 9)


def test_study_day_uses_the_local_wall_clock():
    # The same instant belongs to different study days in different places.
    instant = datetime(2025, 3, 10, 2, 30, tzinfo=UTC)
    assert study_day(instant) == date(2025, 3, 9)
    assert study_day(instant.astimezone(timezone(timedelta(hours=9)))) == date(2025, 3, 10)


def test_study_day_on_a_dst_change():
    try:
        berlin = ZoneInfo("Europe/Berlin")
    except ZoneInfoNotFoundError:
        pytest.skip("no time zone database")
    # 2025-03-30: clocks jump from 02:00 to 03:00; the local hour still decides.
    assert study_day(datetime(2025, 3, 30, 3, 59, tzinfo=berlin)) == date(2025, 3, 29)
    assert study_day(datetime(2025, 3, 30, 4, 0, tzinfo=berlin)) == date(2025, 3, 30)


def test_naive_datetime_raises():
    with pytest.raises(ValueError, match="timezone-aware"):
        study_day(datetime(2025, 3, 10, 12, 0))


@pytest.mark.parametrize("hour", [-1, 24, True, 4.0])
def test_invalid_day_start_hour_raises(hour):
    with pytest.raises(ValueError, match="day_start_hour"):
        study_day(datetime(2025, 3, 10, 12, 0, tzinfo=CET), day_start_hour=hour)


def test_due_date():
    day = study_day(datetime(2025, 12, 31, 1, 15, tzinfo=CET))
    assert day == date(2025, 12, 30)
    assert due_date(day, SM2State(2, 2.7, 6)) == date(2026, 1, 5)
    assert due_date(date(2024, 2, 28), SM2State(1, 2.6, 1)) == date(2024, 2, 29)


def test_due_date_of_a_new_card_is_the_same_day():
    assert due_date(date(2025, 1, 1), SM2State()) == date(2025, 1, 1)


def test_due_date_past_year_9999_is_date_max():
    assert due_date(date(2025, 1, 1), SM2State(13, 3.8, 2958156)) == date.max


def test_due_date_rejects_a_datetime():
    with pytest.raises(ValueError, match="study_day"):
        due_date(datetime(2025, 1, 1, 12, tzinfo=CET), SM2State(1, 2.6, 1))


# --- purity ------------------------------------------------------------------------------


def test_scheduler_imports_only_clock_free_standard_modules():
    tree = ast.parse(Path(scheduler.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    allowed = {"__future__", "collections.abc", "dataclasses", "datetime", "math", "typing"}
    assert imported <= allowed
    called = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not called & {"now", "today", "utcnow", "time", "getenv"}


# --- properties ----------------------------------------------------------------------

grades = st.integers(min_value=0, max_value=5)
grade_lists = st.lists(grades, max_size=30)


@st.composite
def states(draw) -> SM2State:
    """Any valid state: replayed from a new card, or written down directly."""
    if draw(st.booleans()):
        state = SM2State()
        for grade in draw(grade_lists):
            state = review(state, grade)
        return state
    repetitions = draw(st.integers(min_value=0, max_value=40))
    lowest_interval = 1 if repetitions else 0
    interval = draw(st.integers(min_value=lowest_interval, max_value=100_000))
    hundredths = draw(st.integers(min_value=130, max_value=600))
    return SM2State(repetitions, hundredths / 100, interval)


@given(states(), grades)
def test_easiness_never_below_floor(state, grade):
    assert review(state, grade).easiness >= 1.3


@given(states(), grades)
def test_interval_at_least_one_day_after_any_review(state, grade):
    assert review(state, grade).interval >= 1


@given(states(), st.integers(min_value=0, max_value=2))
def test_failing_grade_resets(state, grade):
    after = review(state, grade)
    assert (after.repetitions, after.interval) == (0, 1)


@given(states(), grades)
def test_easiness_is_exact_hundredths(state, grade):
    easiness = review(state, grade).easiness
    assert abs(round(easiness * 100) - easiness * 100) < 1e-9


@given(grade_lists)
def test_repetitions_count_passes_since_last_failure(grade_list):
    state = SM2State()
    for grade in grade_list:
        state = review(state, grade)
    passes = 0
    for grade in grade_list:
        passes = passes + 1 if grade >= 3 else 0
    assert state.repetitions == passes


@given(states(), grades)
def test_review_never_mutates_its_input(state, grade):
    before = dataclasses.replace(state)
    after = review(state, grade)
    assert state == before
    assert after is not state


@given(states(), grades)
def test_passing_interval_follows_the_rule(state, grade):
    after = review(state, grade)
    if grade >= 3 and after.repetitions > 2:
        ef_hundredths = round(after.easiness * 100)
        assert after.interval == -(-state.interval * ef_hundredths // 100)
        assert after.interval >= state.interval


@given(states())
def test_dict_round_trip_property(state):
    assert SM2State.from_dict(state.to_dict()) == state


def test_an_interval_stops_at_the_range_of_a_date_and_the_due_date_is_unchanged():
    state = SM2State(repetitions=3, easiness=2.5, interval=15)
    for _ in range(200):  # unbounded, the interval would pass 10**60 days
        before = state
        state = review(state, 5)
        unbounded = -(-before.interval * round(state.easiness * 100) // 100)
        assert state.interval == min(unbounded, MAX_INTERVAL)
        day = date(2026, 1, 5)
        assert due_date(day, state) == (date.max if unbounded >= date.max.toordinal()
                                        - day.toordinal() else day + timedelta(state.interval))
    assert state.interval == MAX_INTERVAL == (date.max - date.min).days
