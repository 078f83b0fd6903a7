"""Study statistics over a review history made by the real review session.

A small collection is synced into a real store and answered over 100 simulated days
with a seeded pattern (missed days, sessions after midnight, a card that always
fails). Every expected figure is computed here, by simple code over the answers
the test gave, never by calling flashcards.stats.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from rich.console import Console
from store_helpers import count, raw

from flashcards import session, stats, ui
from flashcards.model import FlashcardsError
from flashcards.store import Store
from flashcards.sync import sync
from flashcards.ui import stats_view

START = datetime.fromisoformat("2026-01-05T10:00:00+00:00")  # a Monday
DAYS = 100
SEED = 20260106  # any seed whose history reaches every card state (checked below)
MISSED = {9, 30, 31, 85}                 # no session at all on these study days
# The runs of study days that leaves: 0-8, 10-29, 32-84 (the longest) and 86-99 (current).
CURRENT_RUN, LONGEST_RUN = DAYS - 86, 85 - 32
AFTER_MIDNIGHT = {12, 40, 77}            # the session runs at 03:30 the next morning
SUSPEND_ON = 95
# Chance that a card's first answer of the day fails, per note; note 0 always fails.
FAIL_CHANCE = {0: 1.0, 1: 0.0, 2: 0.05, 3: 0.1, 4: 0.2, 5: 0.35, 6: 0.0, 7: 0.15}
BUTTONS_PASS = (3, 4, 5)


def notes(prefix: str, count: int, reversed_at: int | None = None) -> str:
    parts = []
    for i in range(count):
        marker = "\n<!-- reverse -->\n" if i == reversed_at else "\n"
        parts.append(f"## {prefix} question {i}?{marker}\n{prefix} answer {i}.\n")
    return "\n".join(parts)


def deck_file(deck: str, body: str) -> str:
    return f"---\ndeck: {deck}\n---\n\n{body}"


@dataclass
class Answered:
    moment: datetime
    day: date            # the study day, computed here: 4 hours before, local date
    card_id: int
    grade: int
    duration_ms: int
    scheduled: bool
    interval_before: int
    seen_before: bool


@dataclass
class History:
    store: Store
    root: object
    log: list[Answered] = field(default_factory=list)
    interval: dict[int, int] = field(default_factory=dict)
    repetitions: dict[int, int] = field(default_factory=dict)
    easiness: dict[int, float] = field(default_factory=dict)
    due: dict[int, date] = field(default_factory=dict)
    deck: dict[int, str] = field(default_factory=dict)
    source: dict[int, tuple[str, int]] = field(default_factory=dict)
    suspended: set[int] = field(default_factory=set)
    orphaned: set[int] = field(default_factory=set)


def local_study_day(moment: datetime, hour: int = 4) -> date:
    return (moment - timedelta(hours=hour)).date()


def session_moment(day: int) -> datetime:
    moment = START + timedelta(days=day)
    if day in AFTER_MIDNIGHT:
        return moment.replace(hour=3, minute=30) + timedelta(days=1)
    return moment


class Clock:
    """Twenty seconds per answer from the session's start; remembers the last reading."""

    def __init__(self, start: datetime):
        self.last = start - timedelta(seconds=20)

    def __call__(self) -> datetime:
        self.last += timedelta(seconds=20)
        return self.last


def run_day(history: History, day: int, rng: random.Random, note_of: dict[int, int]) -> None:
    clock = Clock(session_moment(day))
    review = session.start(history.store, session_moment(day), clock=clock)
    answered_today: set[int] = set()
    while review.current is not None:
        card = review.current
        if day == SUSPEND_ON and not history.suspended:
            history.suspended.add(review.suspend().id)
            continue
        first = card.id not in answered_today
        fails = first and rng.random() < FAIL_CHANCE[note_of[card.id]]
        grade = rng.choice((0, 1, 2)) if fails else rng.choice(BUTTONS_PASS if first else (4, 5))
        duration = rng.randrange(2_000, 30_000)
        result = review.answer(grade, duration)
        history.log.append(Answered(clock.last, local_study_day(clock.last), card.id, grade,
                                    duration, first, history.interval.get(card.id, 0),
                                    card.id in history.due))
        assert result.scheduled == first
        answered_today.add(card.id)
        if first:
            state = result.card.schedule
            history.interval[card.id] = state.interval
            history.repetitions[card.id] = state.repetitions
            history.easiness[card.id] = state.easiness
            history.due[card.id] = state.due


def build_history(tmp_path) -> History:
    root = tmp_path / "decks"
    root.mkdir()
    (root / "a.md").write_text(deck_file("Stats::Alpha", notes("Alpha", 8, reversed_at=6)))
    (root / "b.md").write_text(deck_file("Stats::Beta", notes("Beta", 4)))
    (root / "c.md").write_text(deck_file("Other", notes("Other", 2)))
    store = Store.open(tmp_path / "fc.db")
    sync(store, [root], now=START)
    history = History(store, root)
    note_of = {}
    for card in store.listed_cards():
        note_index = int(re.search(r"question (\d+)", card.question).group(1))
        note_of[card.id] = note_index
        history.deck[card.id] = card.deck
        history.source[card.id] = (card.path, card.line)
    rng = random.Random(SEED)
    for day in range(DAYS):
        if day not in MISSED:
            run_day(history, day, rng, note_of)
    # Remove Beta's last note (orphaning its card) and add two new notes to Other.
    (root / "b.md").write_text(deck_file("Stats::Beta", notes("Beta", 3)))
    (root / "c.md").write_text(deck_file("Other", notes("Other", 4)))
    end = START + timedelta(days=DAYS)
    sync(store, [root], now=end)
    for card in store.listed_cards():
        history.deck.setdefault(card.id, card.deck)
        history.source[card.id] = (card.path, card.line)
        if card.status == "orphaned":
            history.orphaned.add(card.id)
    return history


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> History:
    built = build_history(tmp_path_factory.mktemp("stats"))
    yield built
    built.store.close()


LAST = START + timedelta(days=DAYS - 1, hours=8)   # 18:00 on study day 99, after its session
LAST_DAY = local_study_day(START) + timedelta(days=DAYS - 1)


# -- expectations computed here -------------------------------------------------------

def expected_daily(history: History, today: date, days: int) -> dict[date, tuple[int, int]]:
    start = today - timedelta(days=days - 1)
    found: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for a in history.log:
        if start <= a.day <= today:
            found[a.day][0] += 1
            found[a.day][1] += a.duration_ms
    return {d: tuple(v) for d, v in found.items()}


def expected_streaks(days_with_answers: set[date], today: date) -> tuple[int, int]:
    ordered = sorted(days_with_answers)
    longest = run = 0
    previous = None
    for day in ordered:
        run = run + 1 if previous == day - timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = 0
    cursor = today if today in days_with_answers else today - timedelta(days=1)
    while cursor in days_with_answers:
        current += 1
        cursor -= timedelta(days=1)
    return current, longest


def expected_retention(history: History, today: date, window: int, cards=None):
    start = today - timedelta(days=window - 1)
    young, mature = [0, 0], [0, 0]
    for a in history.log:
        if not (a.scheduled and a.seen_before and start <= a.day <= today):
            continue
        if cards is not None and a.card_id not in cards:
            continue
        side = young if a.interval_before < 21 else mature
        side[0] += a.grade >= 3
        side[1] += 1
    return tuple(young), tuple(mature)


def expected_state(history: History, card_id: int) -> str:
    if card_id in history.orphaned:
        return "orphaned"
    if card_id in history.suspended:
        return "suspended"
    if card_id not in history.due:
        return "new"
    if history.repetitions[card_id] <= 1:
        return "learning"
    return "young" if history.interval[card_id] < 21 else "mature"


def in_play(history: History) -> list[int]:
    return [c for c in history.deck if expected_state(history, c) in
            ("learning", "young", "mature")]


def expected_lapses(history: History) -> Counter:
    return Counter(a.card_id for a in history.log if a.scheduled and a.grade < 3)


# -- the history itself is what the test meant to build -------------------------------

@pytest.mark.slow
def test_the_history_covers_what_the_figures_need(history):
    assert len(history.log) > 500
    assert any(a.interval_before >= 21 and a.scheduled for a in history.log), "no mature review"
    assert any(not a.scheduled for a in history.log), "no same-day repeat"
    states = Counter(expected_state(history, c) for c in history.deck)
    assert all(states[s] for s in ("new", "learning", "young", "mature", "suspended",
                                   "orphaned")), states
    stored = count(history.store, "reviews")
    assert stored == len(history.log)


# -- calendar, streaks, day boundary --------------------------------------------------

def test_calendar_counts_every_answer_per_study_day(history):
    figures = stats.collect(history.store, now=LAST)
    expected = expected_daily(history, LAST_DAY, 365)
    assert figures.today == LAST_DAY
    assert len(figures.daily) == 365
    assert figures.daily[-1].date == LAST_DAY
    got = {d.date: (d.answers, d.duration_ms) for d in figures.daily if d.answers}
    assert got == expected
    assert figures.window_answers == len(history.log)
    assert figures.study_days == DAYS - len(MISSED)


def test_sessions_after_midnight_count_for_the_evening_before(history):
    figures = stats.collect(history.store, now=LAST)
    by_day = {d.date: d.answers for d in figures.daily}
    for day in AFTER_MIDNIGHT:
        study = local_study_day(START) + timedelta(days=day)
        calendar = study + timedelta(days=1)
        answered = sum(a.day == study for a in history.log)
        assert answered and by_day[study] == answered
        assert by_day[calendar] == sum(a.day == calendar for a in history.log)


def test_moving_the_day_start_hour_moves_late_sessions_to_the_next_day(history):
    store = history.store
    store.set_meta("config.day_start_hour", "2")
    try:
        figures = stats.collect(store, now=LAST)
    finally:
        raw(store).execute("DELETE FROM meta WHERE key = 'config.day_start_hour'")
    by_day = {d.date: d.answers for d in figures.daily}
    study = local_study_day(START) + timedelta(days=12)
    late = sum(a.day == study for a in history.log)
    assert by_day[study] == 0  # at 03:30 with days starting at 02:00: the next day
    assert by_day[study + timedelta(days=1)] == late + sum(
        a.day == study + timedelta(days=1) for a in history.log)


def test_streaks_across_missed_days(history):
    days = {a.day for a in history.log}
    first = local_study_day(START)
    assert expected_streaks(days, LAST_DAY) == (CURRENT_RUN, LONGEST_RUN)
    figures = stats.collect(history.store, now=LAST)
    assert (figures.current_streak, figures.longest_streak) == (CURRENT_RUN, LONGEST_RUN)
    assert first + timedelta(days=9) not in days


def test_the_current_streak_survives_until_the_day_is_over(history):
    # The next study day, before any answer: the streak ending yesterday still counts.
    tomorrow = stats.collect(history.store, now=LAST + timedelta(hours=12))
    assert tomorrow.today == LAST_DAY + timedelta(days=1)
    assert tomorrow.current_streak == CURRENT_RUN
    # 03:00 on the next calendar day is still study day 99.
    night = stats.collect(history.store, now=LAST + timedelta(hours=9))
    assert night.today == LAST_DAY
    gone = stats.collect(history.store, now=LAST + timedelta(days=2))
    assert gone.current_streak == 0
    assert gone.longest_streak == LONGEST_RUN


def test_days_limits_the_calendar_and_time(history):
    figures = stats.collect(history.store, now=LAST, days=10)
    expected = expected_daily(history, LAST_DAY, 10)
    assert len(figures.daily) == 10
    assert {d.date: (d.answers, d.duration_ms) for d in figures.daily if d.answers} == expected
    assert figures.window_ms == sum(ms for _, ms in expected.values())
    assert figures.total_ms == sum(a.duration_ms for a in history.log)
    assert [r.days for r in figures.retention] == [7, 10]


# -- retention ------------------------------------------------------------------------

@pytest.mark.parametrize("window", [7, 30, 365])
def test_retention_of_young_and_mature_cards(history, window):
    figures = stats.collect(history.store, now=LAST)
    got = {r.days: r for r in figures.retention}[window]
    young, mature = expected_retention(history, LAST_DAY, window)
    assert (got.young.passed, got.young.total) == young
    assert (got.mature.passed, got.mature.total) == mature
    assert got.all.total == young[1] + mature[1]
    if window == 365:
        assert mature[1] > 0 and young[1] > 0


def test_retention_ignores_first_sights_and_same_day_repeats(history):
    figures = stats.collect(history.store, now=LAST)
    counted = figures.retention[-1].all.total
    scheduled = sum(a.scheduled for a in history.log)
    first_sights = sum(a.scheduled and not a.seen_before for a in history.log)
    assert counted == scheduled - first_sights
    assert counted < len(history.log)


# -- forecast, card counts, distributions ----------------------------------------------

def test_forecast_and_backlog(history):
    later = LAST + timedelta(days=5)   # five study days without answers: a backlog grows
    today = LAST_DAY + timedelta(days=5)
    figures = stats.collect(history.store, now=later)
    live = in_play(history)
    assert figures.overdue == sum(history.due[c] < today for c in live)
    assert figures.overdue > 0
    expected = [(today + timedelta(days=i),
                 sum(history.due[c] == today + timedelta(days=i) for c in live))
                for i in range(30)]
    assert list(figures.forecast) == expected


def test_card_counts_by_state(history):
    figures = stats.collect(history.store, now=LAST)
    expected = Counter(expected_state(history, c) for c in history.deck)
    assert figures.card_counts == {s: expected[s] for s in stats.CARD_STATES}
    assert sum(figures.card_counts.values()) == count(history.store, "cards")


def test_interval_and_easiness_distributions(history):
    figures = stats.collect(history.store, now=LAST)
    intervals = [history.interval[c] for c in in_play(history)]
    bounds = [(1, 1), (2, 6), (7, 20), (21, 60), (61, 180), (181, 365), (366, 10**9)]
    assert [b.cards for b in figures.intervals] == [
        sum(lo <= i <= hi for i in intervals) for lo, hi in bounds]
    easiness = [round(history.easiness[c] * 100) for c in in_play(history)]
    edges = [130, 150, 170, 190, 210, 230, 250, 270, 10**9]
    assert [b.cards for b in figures.easiness] == [
        sum(lo <= e < hi for e in easiness) for lo, hi in zip(edges, edges[1:], strict=False)]
    assert sum(b.cards for b in figures.easiness) == len(in_play(history))


# -- leeches ----------------------------------------------------------------------------

def test_leeches_use_the_lapses_threshold(history):
    lapses = expected_lapses(history)
    figures = stats.collect(history.store, now=LAST)
    live = [c for c in lapses if c not in history.orphaned]
    assert {leech.card_id: leech.lapses for leech in figures.leeches} == {
        c: lapses[c] for c in live if lapses[c] >= 8}
    for leech in figures.leeches:
        assert (leech.path, leech.line) == history.source[leech.card_id]
        assert leech.deck == history.deck[leech.card_id]
    # Note 0 of each deck fails every day: the three worst leeches, most lapses first.
    worst = [leech.question for leech in figures.leeches[:3]]
    assert sorted(worst) == ["Alpha question 0?", "Beta question 0?", "Other question 0?"]
    assert [leech.lapses for leech in figures.leeches] == sorted(
        (leech.lapses for leech in figures.leeches), reverse=True)


def test_the_leech_threshold_is_a_setting(history):
    lapses = expected_lapses(history)
    middling = sorted(n for c, n in lapses.items() if 0 < n < 50 and c not in history.orphaned)
    threshold = middling[len(middling) // 2]
    store = history.store
    for setting, included in ((threshold, True), (threshold + 1, False)):
        store.set_meta("config.leech_threshold", str(setting))
        try:
            figures = stats.collect(store, now=LAST)
        finally:
            raw(store).execute("DELETE FROM meta WHERE key = 'config.leech_threshold'")
        ids = {leech.card_id for leech in figures.leeches}
        at = {c for c, n in lapses.items() if n == threshold and c not in history.orphaned}
        assert (at <= ids) is included
        assert ids == {c for c, n in lapses.items() if n >= setting and c not in history.orphaned}


def test_a_bad_setting_is_reported_for_people(history):
    history.store.set_meta("config.leech_threshold", "many")
    try:
        with pytest.raises(FlashcardsError, match="leech_threshold must be a whole number"):
            stats.collect(history.store, now=LAST)
    finally:
        raw(history.store).execute("DELETE FROM meta WHERE key = 'config.leech_threshold'")


# -- deck filter -------------------------------------------------------------------------

def test_deck_filter_takes_subdecks(history):
    figures = stats.collect(history.store, now=LAST, deck="Stats")
    cards = {c for c, d in history.deck.items() if d.startswith("Stats::")}
    assert sum(figures.card_counts.values()) == len(cards)
    answers = sum(a.card_id in cards for a in history.log)
    assert figures.window_answers == answers
    young, mature = expected_retention(history, LAST_DAY, 30, cards)
    got = figures.retention[1]
    assert (got.young.passed, got.young.total, got.mature.passed, got.mature.total) == (
        *young, *mature)
    beta = stats.collect(history.store, now=LAST, deck="Stats::Beta")
    assert sum(beta.card_counts.values()) == sum(d == "Stats::Beta" for d in history.deck.values())
    with pytest.raises(FlashcardsError, match="no deck named 'Stat'"):
        stats.collect(history.store, now=LAST, deck="Stat")


# -- the end-screen line ------------------------------------------------------------------

def test_session_summary_line(history):
    line = stats.session_summary_line(history.store, now=LAST)
    today = [a for a in history.log if a.day == LAST_DAY]
    counted = [a for a in today if a.scheduled and a.seen_before]
    passed = sum(a.grade >= 3 for a in counted)
    share = f"{round(100 * passed / len(counted))}% recalled ({passed} of {len(counted)})"
    live = in_play(history)
    ahead = [sum(history.due[c] == LAST_DAY + timedelta(days=i) for c in live)
             for i in range(1, 8)]
    assert line == (f"Today: {len(today)} answers, {share}. "
                    f"Next 7 days: {stats.next_days_words(ahead)}.")


@pytest.mark.parametrize(("counts", "words"), [
    ([0] * 7, "nothing due"),
    ([5, 0, 0, 0, 0, 0, 0], "5 due tomorrow, then none"),
    ([0, 0, 2, 0, 0, 0, 1], "2 in 3 days, 1 in 7 days"),
    ([1, 1, 0, 0, 0, 0, 0], "1 due tomorrow, 1 in 2 days, then none"),
])
def test_the_next_days_in_words(counts, words):
    assert stats.next_days_words(counts) == words




# -- empty store ----------------------------------------------------------------------------

def test_an_empty_store(tmp_path):
    store = Store.open(tmp_path / "empty.db")
    figures = stats.collect(store, now=START)
    assert figures.window_answers == 0 and figures.total_ms == 0
    assert (figures.current_streak, figures.longest_streak) == (0, 0)
    assert figures.overdue == 0 and all(n == 0 for _, n in figures.forecast)
    assert all(r.all.rate is None for r in figures.retention)
    assert set(figures.card_counts.values()) == {0}
    assert figures.leeches == ()
    data = figures.to_dict()
    assert data["cards"]["total"] == 0 and data["retention"][0]["all"]["rate"] is None
    assert stats.session_summary_line(store, now=START) == (
        "Today: 0 answers. Next 7 days: nothing due.")
    text = render(figures)
    assert "Reviews, last 365 days: 0 answers on 0 days\n" in text
    assert "Streak: 0 days (longest 0 days)\n" in text
    assert "Leeches (8 or more lapses): 0" in text
    store.close()


# -- rendering at 80 columns ----------------------------------------------------------------

def render(figures, width: int = 80, show_path=str, full: bool = True) -> str:
    out = Console(file=io.StringIO(), width=width, no_color=True, color_system=None,
                  highlight=False, emoji=False, markup=False)
    ui.print_stats(figures, out=out, show_path=show_path, full=full)
    return out.file.getvalue()


def test_the_default_view_fits_about_two_screens(history):
    figures = stats.collect(history.store, now=LAST)
    short, full = render(figures, full=False), render(figures)
    assert len(short.splitlines()) <= 48 < len(full.splitlines())
    assert all(len(line) <= 80 for line in short.splitlines())
    for part in ("Reviews, last 365 days", "Forecast:", "Retention", "Cards:", "Leeches"):
        assert part in short
    assert "interval (days)" not in short and "interval (days)" in full
    counts = [n for _, n in figures.forecast]
    assert f"(busiest day: {max(counts)})" in short


def test_rendered_at_80_columns(history):
    figures = stats.collect(history.store, now=LAST)
    text = render(figures, show_path=lambda path: os.path.relpath(path, history.root))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "\x1b[" not in text
    answers, study_days = len(history.log), DAYS - len(MISSED)
    assert f"Reviews, last 365 days: {answers} answers on {study_days} days" in lines
    assert f"Streak: {CURRENT_RUN} days (longest {LONGEST_RUN} days)" in lines
    # Seven weekday rows of one character per day: 53 weeks fit.
    top = lines.index(f"Reviews, last 365 days: {answers} answers on {study_days} days")
    heat = lines[top + 2:top + 9]
    assert [line[:4] for line in heat] == [f"{d} " for d in stats_view.WEEKDAYS]
    assert all(len(line) <= 4 + 53 for line in heat)
    # Today's cell (the last week column) is shaded; missed day 85 shows as "·".
    assert heat[LAST_DAY.weekday()][4 + 52] in "░▒▓█"
    first_monday = LAST_DAY - timedelta(days=LAST_DAY.weekday(), weeks=52)
    missed = local_study_day(START) + timedelta(days=85)
    assert heat[missed.weekday()][4 + (missed - first_monday).days // 7] == "·"
    played = local_study_day(START) + timedelta(days=84)
    assert heat[played.weekday()][4 + (played - first_monday).days // 7] in "░▒▓█"
    live = in_play(history)
    due30 = sum(LAST_DAY <= history.due[c] < LAST_DAY + timedelta(days=30) for c in live)
    overdue = sum(history.due[c] < LAST_DAY for c in live)
    assert f"Forecast: {overdue} overdue, {due30} due in the next 30 days" in lines
    young, mature = expected_retention(history, LAST_DAY, 30)
    row30 = next(line for line in lines if line.startswith("30 days"))
    assert f"{young[0]}/{young[1]})" in row30 and f"{mature[0]}/{mature[1]})" in row30
    counts = Counter(expected_state(history, c) for c in history.deck)
    assert any(line.startswith(f"Cards: {len(history.deck)} ({counts['new']} new, "
                               f"{counts['learning']} learning") for line in lines)
    leech = next(iter(figures.leeches))
    assert any(re.fullmatch(rf"\s*{leech.lapses}  a\.md:{leech.line}  Alpha question 0\?\s*",
                            line) for line in lines)
    assert any(line.startswith("Time: ") and "in total" in line for line in lines)


# -- the command -------------------------------------------------------------------------------

def run_cli(history: History, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "FLASHCARDS_TZ": "UTC", "FLASHCARDS_NOW": LAST.isoformat(),
                   "FLASHCARDS_DB": str(history.store.path), **env}
    environment.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "flashcards", "stats", *args],
                          capture_output=True, text=True, env=environment, timeout=60)


def test_stats_command_json_gives_every_figure(history):
    result = run_cli(history, "--json", "--days", "30")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"today", "streak", "calendar", "time", "forecast", "retention",
                         "cards", "intervals", "easiness", "leeches", "settings"}
    assert data["today"] == LAST_DAY.isoformat() and len(data["calendar"]) == 30
    young, mature = expected_retention(history, LAST_DAY, 30)
    thirty = next(r for r in data["retention"] if r["days"] == 30)
    assert (thirty["young"]["passed"], thirty["young"]["total"]) == young
    assert (thirty["mature"]["passed"], thirty["mature"]["total"]) == mature
    assert data["streak"] == {"current": CURRENT_RUN, "longest": LONGEST_RUN}
    assert any(leech["source"].endswith(f"a.md:{history.source[leech['card_id']][1]}")
               for leech in data["leeches"])


@pytest.mark.slow
def test_stats_command_piped_has_no_colour_and_fits(history):
    result = run_cli(history, "--deck", "Stats", COLUMNS="80")
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout
    assert "Retention (scheduled reviews of cards seen before)" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_stats_command_unknown_deck_is_an_error_for_people(history):
    result = run_cli(history, "--deck", "Nope")
    assert result.returncode == 1
    assert "no deck named 'Nope'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_colours_on_a_terminal_unless_no_color(history):
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "FLASHCARDS_TZ": "UTC", "FLASHCARDS_NOW": LAST.isoformat(),
           "FLASHCARDS_DB": str(history.store.path), "COLUMNS": "80", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    coloured = pexpect.run(f"{sys.executable} -m flashcards stats", env=env, timeout=60,
                           encoding="utf-8")
    assert "\x1b[" in coloured and "Forecast:" in coloured
    plain = pexpect.run(f"{sys.executable} -m flashcards stats", env={**env, "NO_COLOR": "1"},
                        timeout=60, encoding="utf-8")
    assert "Forecast:" in plain
    assert colour_codes(coloured) and not colour_codes(plain)


def colour_codes(text: str) -> list[str]:
    """SGR parameters that set a foreground or background colour (bold and dim are fine)."""
    params = [p for group in re.findall(r"\x1b\[([0-9;]*)m", text) for p in group.split(";")]
    return [p for p in params if p and (30 <= int(p) <= 49 or 90 <= int(p) <= 107)]


@pytest.mark.slow
def test_review_end_screen_shows_today_retention_and_the_week(tmp_path):
    deck = tmp_path / "deck.md"
    deck.write_text(deck_file("Tiny", notes("Tiny", 3)))
    env = {**os.environ, "FLASHCARDS_TZ": "UTC", "FLASHCARDS_DB": str(tmp_path / "fc.db")}

    def flashcards(moment: datetime, *args: str, stdin: str = "") -> str:
        result = subprocess.run([sys.executable, "-m", "flashcards", *args], input=stdin,
                                capture_output=True, text=True, timeout=60,
                                env={**env, "FLASHCARDS_NOW": moment.isoformat()})
        assert result.returncode == 0, result.stderr
        return result.stdout

    flashcards(START, "sync", str(deck))
    # Day 1, new cards in file order: Good, Again, Easy, then the Again card once more.
    first = flashcards(START, "review", stdin="\n3\n\n1\n\n4\n\n3\n")
    assert first.splitlines()[-1] == "Today: 4 answers. Next 7 days: 3 due tomorrow, then none."
    # Day 2, all three due: Good (-> 6 days), Hard (-> 1 day), Again (-> 1 day), Again's repeat.
    second = flashcards(START + timedelta(days=1), "review", stdin="\n3\n\n2\n\n1\n\n3\n")
    assert second.splitlines()[-1] == (
        "Today: 4 answers, 67% recalled (2 of 3). "
        "Next 7 days: 2 due tomorrow, 1 in 6 days, then none.")


def test_one_answer_is_one_answer_in_the_calendar(tmp_path):
    from tests.test_history import invoke, write_notes

    notes, db = write_notes(tmp_path / "notes"), tmp_path / "fc.db"
    invoke(db, "sync", str(notes))
    invoke(db, "review", stdin=" \n3\nq\n")
    text = invoke(db, "stats")
    assert "Reviews, last 365 days: 1 answer on 1 day" in text
    assert "(busiest day: 1 answer)" in text
