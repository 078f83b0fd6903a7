"""FSRS, the second scheduler (flashcards/fsrs/scheduler.py): golden sequences worked
out by hand from FSRS-6's formulas, the same histories through py-fsrs (``fsrs``,
pure Python, an implementation independent of fsrs-rs) and Anki's fuzz."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import fsrs as py_fsrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards.fsrs import scheduler as fsrs
from flashcards.fsrs.scheduler import (
    AGAIN,
    EASY,
    GOOD,
    HARD,
    LEARNING,
    RELEARNING,
    REVIEW,
    FSRSConfig,
)
from flashcards.scheduler import study_day

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
NO_FUZZ = FSRSConfig(fuzz=False)


def walk(answers: list[tuple[timedelta, int]], config: FSRSConfig = NO_FUZZ,
         seed: str = "card:1") -> list[fsrs.FSRSState]:
    """States after each (time after T0, rating)."""
    state, states = None, []
    for offset, rating in answers:
        moment = T0 + offset
        state = fsrs.review(state, rating, moment, study_day(moment), config, seed=seed)
        states.append(state)
    return states


def close(value: float, expected: float) -> bool:
    # fsrs-rs computes in 32-bit floats, as Anki does: seven significant digits.
    return math.isclose(value, expected, rel_tol=1e-5)


# -- golden sequences (FSRS-6 default parameters, retention 0.9, steps 1m 10m / 10m) ----
#
# Worked out from the formulas (w = DEFAULT_PARAMETERS):
#   S0(G) = w[G-1]; D0(G) = w4 - e^(w5 (G-1)) + 1, clamped to [1, 10]
#   D'    = w7 D0(4) + (1 - w7) (D + (10 - D) (-w6 (G - 3)) / 9)
#   same day:  S' = S e^(w17 (G - 3 + w18)) S^-w19, the factor at least 1 for G >= 2
#   recall:    S' = S (1 + e^w8 (11 - D) S^-w9 (e^((1 - R) w10) - 1) [w15 Hard] [w16 Easy])
#   lapse:     S' = min(w11 D^-w12 ((S + 1)^w13 - 1) e^((1 - R) w14), S / e^(w17 w18))
#   R(t) = (1 + F t / S)^-w20 with F = 0.9^(-1/w20) - 1; at retention 0.9 the interval is S.


def test_golden_good_good_graduates_then_grows():
    states = walk([(timedelta(0), GOOD), (timedelta(minutes=10), GOOD),
                   (timedelta(days=2), GOOD), (timedelta(days=13), GOOD)])
    first, second, third, fourth = states
    # Good on a new card: S0(3) = 2.3065, D0(3) = 2.1181; the second step (10 min) next.
    assert (first.phase, first.step) == (LEARNING, 1)
    assert close(first.stability, 2.3065) and close(first.difficulty, 2.118104)
    assert first.due_at == T0 + timedelta(minutes=10)
    # Good on the last step, the same day: the short-term factor is below 1, raised to 1.
    assert (second.phase, second.step, second.interval, second.due_at) == (REVIEW, None, 2, None)
    assert close(second.stability, 2.3065) and close(second.difficulty, 2.111214)
    # Two days later (R = 0.90949): S = 10.9710, due in 11 days; then S = 46.3169, 46 days.
    assert close(third.stability, 10.971048) and close(third.difficulty, 2.104331)
    assert third.interval == 11
    assert close(fourth.stability, 46.316858) and fourth.interval == 46


def test_golden_easy_graduates_at_once_and_a_lapse_relearns():
    states = walk([(timedelta(0), EASY), (timedelta(days=8), AGAIN),
                   (timedelta(days=8, minutes=10), GOOD)])
    easy, lapse, relearned = states
    # Easy: S0(4) = 8.2956, D0(4) = -4.77 clamped to 1: eight days.
    assert (easy.phase, easy.interval) == (REVIEW, 8)
    assert close(easy.stability, 8.2956) and easy.difficulty == 1.0
    # Again after 8 days (R = 0.90247): the post-lapse stability 1.38863, relearning 10 min.
    assert (lapse.phase, lapse.step) == (RELEARNING, 0)
    assert close(lapse.stability, 1.388632) and close(lapse.difficulty, 7.026990)
    assert lapse.due_at == T0 + timedelta(days=8, minutes=10)
    # Good on the one relearning step: short-term S = 1.42788, back to review in 1 day.
    assert (relearned.phase, relearned.interval) == (REVIEW, 1)
    assert close(relearned.stability, 1.427882) and close(relearned.difficulty, 7.015191)


def test_golden_again_hard_good_good_on_the_steps():
    states = walk([(timedelta(0), AGAIN), (timedelta(minutes=1), HARD),
                   (timedelta(minutes=7), GOOD), (timedelta(minutes=17), GOOD)])
    again, hard, good, last = states
    assert (again.phase, again.step, again.due_at) == (LEARNING, 0, T0 + timedelta(minutes=1))
    assert close(again.stability, 0.212) and close(again.difficulty, 6.4133)
    # Hard on the first of two steps waits their mean: (1 + 10) / 2 = 5.5 minutes.
    assert (hard.step, hard.due_at) == (0, T0 + timedelta(minutes=6, seconds=30))
    assert close(hard.stability, 0.212) and close(hard.difficulty, 7.604210)
    assert (good.step, good.due_at) == (1, T0 + timedelta(minutes=17))
    assert close(good.stability, 0.246689)
    # Graduating with S = 0.2842 rounds to 0 days: an interval is at least one day.
    assert (last.phase, last.interval) == (REVIEW, 1)
    assert close(last.stability, 0.284206) and close(last.difficulty, 7.579470)


def test_review_counts_and_study_days():
    states = walk([(timedelta(0), GOOD), (timedelta(minutes=10), GOOD)])
    assert [s.reps for s in states] == [1, 2]
    assert [s.last_review for s in states] == [date(2026, 1, 5)] * 2


def test_the_default_parameters_are_those_of_both_engines():
    import fsrs_rs_python

    assert tuple(py_fsrs.scheduler.DEFAULT_PARAMETERS) == fsrs.DEFAULT_PARAMETERS
    assert all(math.isclose(a, b, rel_tol=1e-6) for a, b in
               zip(fsrs.DEFAULT_PARAMETERS, fsrs_rs_python.DEFAULT_PARAMETERS, strict=True))


# -- the independent reference: py-fsrs ------------------------------------------------

# fsrs-rs caps stability at 36500 days (Anki's cap); py-fsrs does not.
STABILITY_CAP = 36500


def compare_with_py_fsrs(rng: random.Random) -> int:
    """One generated history through both; returns the answers compared.

    Answers fall when py-fsrs says the card is due, or whole days later, so
    py-fsrs's elapsed days (24-hour periods) equal the study days this project
    counts (day start 04:00 UTC; every answer between 10:00 and 18:00).
    """
    retention = rng.choice([0.7, 0.8, 0.9, 0.95, 0.97])
    learning = rng.choice([(), (60,), (60, 600), (300, 1200, 3600)])
    relearning = rng.choice([(), (600,), (300, 900)])
    maximum = rng.choice([36500, 365, 30])
    config = FSRSConfig(desired_retention=retention, learning_steps=learning,
                        relearning_steps=relearning, maximum_interval=maximum, fuzz=False)
    reference = py_fsrs.Scheduler(
        desired_retention=retention, learning_steps=[timedelta(seconds=s) for s in learning],
        relearning_steps=[timedelta(seconds=s) for s in relearning], maximum_interval=maximum,
        enable_fuzzing=False)
    card, mine, moment = py_fsrs.Card(), None, T0
    for index in range(rng.randint(1, 40)):
        rating = rng.choices([AGAIN, HARD, GOOD, EASY], [0.15, 0.15, 0.6, 0.1])[0]
        card, _ = reference.review_card(card, py_fsrs.Rating(rating), moment)
        mine = fsrs.review(mine, rating, moment, study_day(moment), config, seed="x")
        if card.stability > STABILITY_CAP:
            return index
        where = f"answer {index + 1}: {card} against {mine}"
        assert math.isclose(mine.stability, card.stability, rel_tol=1e-4), where
        assert math.isclose(mine.difficulty, card.difficulty, rel_tol=1e-4), where
        assert (mine.phase, mine.step) == (int(card.state), card.step), where
        if mine.due_at is not None:
            assert mine.due_at == card.due, where
        else:
            days = (card.due - moment) / timedelta(days=1)
            exact = card.stability / reference._FACTOR * (
                retention ** (1 / reference._DECAY) - 1)
            # 32-bit stability may round the other way when the exact days end in .5.
            on_half = abs(exact % 1 - 0.5) < 1e-4 * exact
            assert mine.interval == days or on_half and abs(mine.interval - days) == 1, where
        late = timedelta(days=rng.choice([0, 0, 0, 1, 2, 5, 30]))
        moment = card.due + late
        if moment.hour >= 18 or moment.hour < 10:  # keep to one study day's hours
            return index + 1
    return index + 1


def test_two_hundred_generated_histories_match_py_fsrs():
    rng = random.Random(15)
    answers = [compare_with_py_fsrs(random.Random(rng.random())) for _ in range(200)]
    assert sum(1 for n in answers if n >= 5) >= 150  # long enough to mean something
    assert sum(answers) > 3000


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_any_generated_history_matches_py_fsrs(seed):
    compare_with_py_fsrs(random.Random(seed))


# -- fuzz, as Anki applies it ----------------------------------------------------------


@pytest.mark.parametrize("interval, minimum, maximum, expected", [
    # Anki's own cases (rslib/src/scheduler/states/fuzz.rs): factor 0, 0.5, 0.99.
    (1.0, 1, 1000, (1, 1, 1)), (2.49, 1, 1000, (2, 2, 2)), (2.5, 1, 1000, (2, 3, 4)),
    (7.0, 1, 1000, (5, 7, 9)), (17.0, 1, 1000, (14, 17, 20)), (37.0, 1, 1000, (33, 37, 41)),
    (2.0, 2, 1000, (2, 2, 2)), (2.0, 3, 1000, (3, 4, 4)), (2.0, 3, 3, (3, 3, 3)),
    (6.9, 3, 1000, (5, 7, 9)), (7.1, 3, 1000, (5, 7, 9)), (19.9, 3, 1000, (17, 20, 23)),
    (20.1, 3, 1000, (17, 20, 23)), (100.0, 101, 1000, (101, 105, 108)),
    (100.0, 1, 99, (92, 96, 99)), (100.0, 97, 103, (97, 100, 103)),
])
def test_fuzz_matches_ankis_cases(interval, minimum, maximum, expected):
    got = tuple(fsrs.fuzzed_interval(interval, factor, minimum, maximum)
                for factor in (0.0, 0.5, 0.99))
    assert got == expected


def test_without_fuzz_an_interval_is_rounded_and_clamped():
    assert fsrs.fuzzed_interval(1.5, None, 1, 100) == 2
    assert fsrs.fuzzed_interval(0.1, None, 1, 100) == 1
    assert fsrs.fuzzed_interval(101.0, None, 1, 100) == 100


def test_fuzz_is_fixed_by_the_card_and_its_review_count():
    assert fsrs.fuzz_factor("guid:1", 3) == fsrs.fuzz_factor("guid:1", 3)
    factors = {fsrs.fuzz_factor(f"guid:{o}", n) for o in (1, 2) for n in range(50)}
    assert len(factors) == 100 and all(0 <= f < 1 for f in factors)
    # Spread over [0, 1): every tenth holds some.
    assert {int(f * 10) for f in factors} == set(range(10))


def test_fuzzed_intervals_stay_in_ankis_range_and_replay_the_same():
    easy = [(timedelta(days=d), EASY) for d in (0, 8, 40, 200)]
    fuzzed = walk(easy, FSRSConfig(), seed="note:1")
    assert walk(easy, FSRSConfig(), seed="note:1") == fuzzed
    (plain,) = walk(easy[:1], NO_FUZZ, seed="note:1")
    assert plain.interval == 8
    # S = 8.2956: delta = 1 + 0.15 (7 - 2.5) + 0.1 (8.2956 - 7) = 1.80, so 6 to 10 days,
    # each taken by some card.
    seeds = {walk(easy[:1], FSRSConfig(), seed=f"note:{n}")[0].interval for n in range(60)}
    assert seeds == {6, 7, 8, 9, 10}
    assert fsrs.fuzz_bounds(8.2956, 1, 36500) == (6, 10)


# -- settings text -------------------------------------------------------------------


@pytest.mark.parametrize("text, steps", [
    ("1m 10m", (60, 600)), ("10m", (600,)), ("", ()), ("30s 1h 1d", (30, 3600, 86400)),
    ("1.5m", (90,)), ("5", (300,)), ("1m,10m", (60, 600)),
])
def test_steps_are_read_as_anki_writes_them(text, steps):
    assert fsrs.parse_steps(text) == steps
    assert fsrs.parse_steps(fsrs.steps_text(steps)) == steps


@pytest.mark.parametrize("text", ["abc", "1x", "-1m", "0m", "nanm", "infm", "400d",
                                  "1m 10q"])
def test_nonsense_steps_are_refused(text):
    with pytest.raises(ValueError):
        fsrs.parse_steps(text)


def test_a_step_of_a_day_is_counted_in_study_days():
    config = FSRSConfig(learning_steps=(86400, 3 * 86400), fuzz=False)
    (state,) = walk([(timedelta(0), GOOD)], config)
    assert (state.phase, state.step, state.interval, state.due_at) == (LEARNING, 1, 3, None)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        fsrs.review(None, 5, T0, T0.date(), NO_FUZZ, seed="x")
    with pytest.raises(ValueError):
        fsrs.review(None, GOOD, T0.replace(tzinfo=None), T0.date(), NO_FUZZ, seed="x")
    with pytest.raises(ValueError):
        FSRSConfig(parameters=(1.0,) * 19)
    with pytest.raises(ValueError):
        FSRSConfig(desired_retention=1.5)
    assert [fsrs.rating_of_grade(g) for g in range(6)] == [1, 1, 1, 2, 3, 4]


def test_an_answer_dated_before_the_last_one_counts_as_the_same_day():
    # A device whose clock went back: the journal keeps its order, the replay goes on.
    (state,) = walk([(timedelta(days=5), GOOD)])
    earlier = fsrs.review(state, GOOD, T0, T0.date(), NO_FUZZ, seed="x")
    same_day = fsrs.review(state, GOOD, T0 + timedelta(days=5, minutes=10),
                           (T0 + timedelta(days=5)).date(), NO_FUZZ, seed="x")
    assert (earlier.stability, earlier.difficulty) == (same_day.stability, same_day.difficulty)


def test_retrievability_is_ninety_percent_after_stability_days():
    state = fsrs.FSRSState(REVIEW, None, 10.0, 5.0, 3, date(2026, 1, 1), 10)
    assert fsrs.retrievability(state, date(2026, 1, 1), NO_FUZZ) == 1.0
    assert math.isclose(fsrs.retrievability(state, date(2026, 1, 11), NO_FUZZ), 0.9)
