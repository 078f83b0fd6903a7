"""FSRS-6 as Anki schedules with it: (state, rating, moment) -> state.

Pure code: no I/O, no clock, no environment, no global randomness. The caller
passes the answer's moment and its study day in. The memory model (stability
and difficulty after an answer) is fsrs-rs, the Rust engine Anki itself uses
(``fsrs_rs_python``, loaded on first use); this module adds what Anki adds
around it: learning and relearning steps in minutes, the interval for the
desired retention, the maximum interval, and Anki's interval fuzz, made
deterministic (seeded from the card's identity and its review count) so a
replay always gives the same days. docs/scheduler.md ("FSRS") has the rules.

Steps and short-term stability follow py-fsrs's ``Scheduler`` (the reference
the tests compare with): a card's first answer gives its initial memory state;
an answer on the same study day as the one before uses FSRS-6's short-term
stability; ``Hard`` on the first step waits the mean of the first two steps
(1.5 times a single step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from flashcards import model

__all__ = [
    "AGAIN",
    "DEFAULT_PARAMETERS",
    "EASY",
    "GOOD",
    "HARD",
    "LEARNING",
    "RATING_NAMES",
    "RELEARNING",
    "REVIEW",
    "FSRSConfig",
    "FSRSState",
    "fuzz_bounds",
    "fuzz_factor",
    "fuzzed_interval",
    "parse_steps",
    "preview",
    "rating_of_grade",
    "retrievability",
    "review",
    "steps_text",
]

# FSRS-6's published default parameters (w0..w20), as fsrs-rs and py-fsrs ship them.
DEFAULT_PARAMETERS: tuple[float, ...] = (
    0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796,
    1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542,
)
# The four ratings, numbered as FSRS and Anki number them (the review screen's buttons).
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
RATING_NAMES = {AGAIN: "Again", HARD: "Hard", GOOD: "Good", EASY: "Easy"}
# A card's phase, numbered as Anki's card types and py-fsrs's State (a new card has none).
LEARNING, REVIEW, RELEARNING = 1, 2, 3
# Anki's fuzz: +-1 day from 2.5 days on, plus this share of each day in each range.
_FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, math.inf, 0.05))
_DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class FSRSConfig:
    """Everything besides the card that decides an FSRS schedule (the settings)."""

    parameters: tuple[float, ...] = DEFAULT_PARAMETERS
    desired_retention: float = 0.9
    learning_steps: tuple[int, ...] = (60, 600)  # seconds: Anki's 1m 10m
    relearning_steps: tuple[int, ...] = (600,)  # Anki's 10m
    maximum_interval: int = 36500
    fuzz: bool = True

    def __post_init__(self) -> None:
        if len(self.parameters) != len(DEFAULT_PARAMETERS):
            raise ValueError(f"FSRS-6 needs {len(DEFAULT_PARAMETERS)} parameters, "
                             f"got {len(self.parameters)}")
        if not 0 < self.desired_retention < 1:
            raise ValueError(f"desired retention must be between 0 and 1, "
                             f"got {self.desired_retention!r}")
        if self.maximum_interval < 1:
            raise ValueError(f"maximum interval must be at least 1 day, "
                             f"got {self.maximum_interval!r}")

    @property
    def decay(self) -> float:
        return -self.parameters[20]

    @property
    def factor(self) -> float:
        # Chosen so that retrievability is 0.9 when elapsed days equal stability.
        return 0.9 ** (1 / self.decay) - 1


@dataclass(frozen=True, slots=True)
class FSRSState:
    """What FSRS knows about a card once answered (a new card has no state).

    ``last_review`` is the study day of the last answer: elapsed days are
    counted in study days, as Anki counts them. ``interval`` is the days
    scheduled (0 while the card waits for a step of minutes), ``due_at`` the
    moment (UTC) a card in a step of minutes is due, else None.
    """

    phase: int
    step: int | None
    stability: float
    difficulty: float
    reps: int
    last_review: date
    interval: int = 0
    due_at: datetime | None = None

    @property
    def in_steps(self) -> bool:
        return self.phase in (LEARNING, RELEARNING)


def rating_of_grade(grade: int) -> int:
    """The FSRS rating of an SM-2 grade 0-5: below 3 Again, 3 Hard, 4 Good, 5 Easy
    (so the buttons' grades 1, 3, 4, 5 give ratings 1-4)."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
        raise ValueError(f"grade must be a whole number 0-5, got {grade!r}")
    return max(AGAIN, grade - 1)


def review(state: FSRSState | None, rating: int, moment: datetime, day: date,
           config: FSRSConfig, *, seed: str) -> FSRSState:
    """The card's state after answering ``rating`` (1-4) at ``moment`` (aware), on
    study day ``day``. ``seed`` names the card (note GUID and ordinal): with the
    review count it seeds the fuzz. ``state`` None is a new card."""
    if rating not in RATING_NAMES:
        raise ValueError(f"rating must be 1 (Again) to 4 (Easy), got {rating!r}")
    moment, elapsed = _checked(state, moment, day)
    memory = _pair(getattr(_next_states(state, elapsed, config), _RATING_FIELDS[rating]))
    return _place(state, rating, memory, moment, day, config, seed)


def preview(state: FSRSState | None, moment: datetime, day: date, config: FSRSConfig, *,
            seed: str) -> dict[int, FSRSState]:
    """The state each rating (1-4) would give: one call to the memory model for all four."""
    moment, elapsed = _checked(state, moment, day)
    memory = _next_memory(state, elapsed, config)
    return {rating: _place(state, rating, memory[rating], moment, day, config, seed)
            for rating in RATING_NAMES}


def _checked(state: FSRSState | None, moment: datetime, day: date) -> tuple[datetime, int]:
    """The moment to the millisecond, and the study days since the last answer."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"FSRS needs an aware moment, got {moment.isoformat()}")
    # The journal keeps times to the millisecond; a step's due time must replay exactly.
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    # An answer dated before the last one (a device whose clock went back; the journal
    # keeps each device's own order) counts as given the same day, never as an error.
    elapsed = 0 if state is None else max(0, (day - state.last_review).days)
    return moment, elapsed


def retrievability(state: FSRSState, day: date, config: FSRSConfig) -> float:
    """The predicted chance of recall on study day ``day`` (FSRS-6's forgetting curve)."""
    elapsed = max(0, (day - state.last_review).days)
    return (1 + config.factor * elapsed / state.stability) ** config.decay


# -- steps and intervals ----------------------------------------------------------


def _place(state: FSRSState | None, rating: int, memory: tuple[float, float], moment: datetime,
           day: date, config: FSRSConfig, seed: str) -> FSRSState:
    """Where an answer puts the card: a step of minutes, or an interval of days."""
    stability, difficulty = memory
    phase = LEARNING if state is None else state.phase
    step = 0 if state is None else state.step
    reps = 1 if state is None else state.reps + 1

    def at_step(phase: int, step: int, seconds: float) -> FSRSState:
        if seconds >= _DAY_SECONDS:  # a step of a day or more is counted in study days
            return FSRSState(phase, step, stability, difficulty, reps, day,
                             round(seconds / _DAY_SECONDS))
        due = (moment + timedelta(seconds=seconds)).astimezone(UTC)
        return FSRSState(phase, step, stability, difficulty, reps, day, 0, due)

    def graduate() -> FSRSState:
        fuzz = fuzz_factor(seed, reps - 1) if config.fuzz else None
        days = stability * _interval_scale(config.parameters[20], config.desired_retention)
        interval = fuzzed_interval(days, fuzz, 1, config.maximum_interval)
        return FSRSState(REVIEW, None, stability, difficulty, reps, day, interval)

    if phase == REVIEW:
        if rating == AGAIN and config.relearning_steps:
            return at_step(RELEARNING, 0, config.relearning_steps[0])
        return graduate()
    steps = config.learning_steps if phase == LEARNING else config.relearning_steps
    # A card left on a step the settings no longer have graduates on a pass (py-fsrs).
    if not steps or (step >= len(steps) and rating != AGAIN):
        return graduate()
    if rating == AGAIN:
        return at_step(phase, 0, steps[0])
    if rating == HARD:
        wait = (steps[step] if step else
                steps[0] * 1.5 if len(steps) == 1 else (steps[0] + steps[1]) / 2)
        return at_step(phase, step, wait)
    if rating == GOOD and step + 1 < len(steps):
        return at_step(phase, step + 1, steps[step + 1])
    return graduate()


@lru_cache(maxsize=64)
def _interval_scale(w20: float, retention: float) -> float:
    """Days per day of stability until retrievability falls to ``retention``:
    (r^(-1/w20) - 1) / F, with F = 0.9^(-1/w20) - 1 (1 at retention 0.9)."""
    return (retention ** (-1 / w20) - 1) / (0.9 ** (-1 / w20) - 1)


def fuzzed_interval(interval: float, fuzz: float | None, minimum: int, maximum: int) -> int:
    """Anki's ``with_review_fuzz``: rounded and clamped without fuzz; with a fuzz factor
    in [0, 1), a day picked evenly from the fuzz range."""
    if fuzz is None:
        return min(max(_round_half_up(interval), minimum), maximum)
    lower, upper = fuzz_bounds(interval, minimum, maximum)
    return math.floor(lower + fuzz * (1 + upper - lower))


def fuzz_bounds(interval: float, minimum: int, maximum: int) -> tuple[int, int]:
    """Anki's ``constrained_fuzz_bounds``: the fuzz range within [minimum, maximum]."""
    minimum = min(minimum, maximum)
    interval = min(max(interval, minimum), maximum)
    delta = 0.0 if interval < 2.5 else 1.0 + sum(
        factor * max(0.0, min(interval, end) - start) for start, end, factor in _FUZZ_RANGES)
    lower = min(max(_round_half_up(interval - delta), minimum), maximum)
    upper = min(max(_round_half_up(interval + delta), minimum), maximum)
    if upper == lower and 2 < upper < maximum:
        upper = lower + 1
    return lower, upper


def fuzz_factor(seed: str, reps: int) -> float:
    """A number in [0, 1) fixed by the card and its review count, in place of Anki's
    random fuzz: the same history always gives the same days, on every machine."""
    digest = model.sha256(f"{seed}\x00{reps}".encode()).digest()  # hashlib at first use
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)  # Rust's f32::round for positive days, as Anki rounds


# -- the memory model (fsrs-rs) ---------------------------------------------------


def _next_memory(state: FSRSState | None, elapsed: int,
                 config: FSRSConfig) -> dict[int, tuple[float, float]]:
    """(stability, difficulty) after each rating."""
    states = _next_states(state, elapsed, config)
    return {rating: _pair(getattr(states, name)) for rating, name in _RATING_FIELDS.items()}


# fsrs-rs's NextStates names its four states by rating.
_RATING_FIELDS = {AGAIN: "again", HARD: "hard", GOOD: "good", EASY: "easy"}


def _next_states(state: FSRSState | None, elapsed: int, config: FSRSConfig):
    import fsrs_rs_python  # the native engine, loaded by the first FSRS answer only

    current = None if state is None else fsrs_rs_python.MemoryState(state.stability,
                                                                     state.difficulty)
    return _model(config.parameters).next_states(current, config.desired_retention, elapsed)


def _pair(item) -> tuple[float, float]:
    return (item.memory.stability, item.memory.difficulty)


@lru_cache(maxsize=8)
def _model(parameters: tuple[float, ...]):
    import fsrs_rs_python

    return fsrs_rs_python.FSRS(list(parameters))


# -- steps as text ------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": _DAY_SECONDS}


def parse_steps(text: str) -> tuple[int, ...]:
    """``"1m 10m"`` -> (60, 600): Anki's step syntax (s, m, h, d; a bare number is minutes).
    ValueError with the reason if a step is not one."""
    steps = []
    for word in text.replace(",", " ").split():
        unit = word[-1].lower() if word[-1].isalpha() else "m"
        number = word[:-1] if word[-1].isalpha() else word
        try:
            amount = float(number)
        except ValueError:
            raise ValueError(f"{word!r} is not a step (write e.g. 1m, 10m, 1h, 1d)") from None
        if unit not in _UNITS or not math.isfinite(amount) or amount <= 0:
            raise ValueError(f"{word!r} is not a step (write e.g. 1m, 10m, 1h, 1d)")
        seconds = round(amount * _UNITS[unit])
        if not 1 <= seconds <= 365 * _DAY_SECONDS:
            raise ValueError(f"{word!r} is out of range (1s to 365d)")
        steps.append(seconds)
    return tuple(steps)


def steps_text(steps: tuple[int, ...]) -> str:
    """(60, 600) -> ``"1m 10m"``: the largest unit that divides each step."""
    words = []
    for seconds in steps:
        unit = next(u for u in ("d", "h", "m", "s") if seconds % _UNITS[u] == 0)
        words.append(f"{seconds // _UNITS[unit]}{unit}")
    return " ".join(words)
