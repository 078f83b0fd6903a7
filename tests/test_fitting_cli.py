"""`flashcards optimize`, `evaluate` and `simulate` as real processes on real stores:
the proof on a seeded history from a known memory model (fitted FSRS predicts it
better than SM-2), Ctrl-C during a fit, and the messages for too little history."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fitting_helpers import START, synthetic_history, write_deck
from process_helpers import ctrl_c_while_its_child_runs, imports_of_an_installed_run

from flashcards import session
from flashcards.fsrs.fitting import DEFAULT_PARAMETERS, MIN_REVIEWS
from flashcards.settings import fsrs_parameters, save_fsrs_parameters
from flashcards.store import Store
from flashcards.sync import sync

# The day after the synthetic history's last (it reviews 120 days from START).
AFTER = (START + timedelta(days=121)).isoformat()


def run(*args: str, db: Path, now: str = AFTER) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flashcards", *args], capture_output=True,
                          text=True, env=_env(db, now), timeout=300)


def _env(db: Path, now: str) -> dict[str, str]:
    return {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_NOW": now,
            "FLASHCARDS_TZ": "UTC", "NO_COLOR": "1", "COLUMNS": "120"}


def saved(db: Path, deck: str | None = None) -> list[float] | None:
    store = Store.open(db, create=False)
    try:
        return fsrs_parameters(store, deck)
    finally:
        store.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("history")
    synthetic_history(folder / "store.db", folder / "deck")
    return folder / "store.db"


@pytest.fixture
def db(history, tmp_path) -> Path:
    copy = tmp_path / "store.db"
    shutil.copy(history, copy)
    return copy


@pytest.fixture
def synced(tmp_path) -> Path:
    """A store with a deck of 30 cards and no answer yet."""
    db = tmp_path / "fresh.db"
    store = Store.open(db)
    try:
        sync(store, [write_deck(tmp_path / "deck", 30)], now=START)
    finally:
        store.close()
    return db


# -- the proof ------------------------------------------------------------------------


@pytest.mark.slow
def test_fitted_fsrs_predicts_a_known_memory_better_than_sm2(db):
    optimized = run("optimize", "--json", db=db)
    assert optimized.returncode == 0, optimized.stderr
    report = json.loads(optimized.stdout)
    assert report["saved"] is True and report["previous"] == "default"
    assert report["reviews"] >= MIN_REVIEWS and report["cards"] == 150
    assert report["log_loss_after"] < report["log_loss_before"]
    parameters = saved(db)
    assert parameters == pytest.approx(report["parameters"], abs=1e-4)
    assert parameters != pytest.approx(DEFAULT_PARAMETERS, abs=1e-3)

    evaluated = run("evaluate", "--json", db=db)
    assert evaluated.returncode == 0, evaluated.stderr
    result = json.loads(evaluated.stdout)
    assert result["reviews"] == report["reviews"] and result["splits"] == 5
    loss = {m["model"]: m["log_loss"] for m in result["models"]}
    assert loss["FSRS, fitted"] < loss["SM-2"]
    assert loss["FSRS, fitted"] < loss["FSRS, default parameters"]
    rmse = {m["model"]: m["rmse_bins"] for m in result["models"]}
    assert rmse["FSRS, fitted"] < rmse["SM-2"]
    for model in result["models"]:
        assert sum(b["count"] for b in model["calibration"]) == result["scored"]
    # Every review of this history was given on its SM-2 due day, so SM-2's replay
    # (from the grades and the study days) predicts 0.9 for each: one bin.
    sm2 = next(m for m in result["models"] if m["model"] == "SM-2")
    assert [(b["predicted"], b["count"]) for b in sm2["calibration"]] == [(0.9, result["scored"])]
    assert sm2["auc"] == 0.5


@pytest.mark.slow
def test_evaluate_draws_the_table_and_a_calibration_chart(db):
    result = run("evaluate", db=db)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "log loss" in out and "RMSE(bins)" in out and "AUC" in out
    for model in ("SM-2", "FSRS, default parameters", "FSRS, fitted"):
        assert f"Calibration: {model}" in out
    assert "┃" in out and "observed" in out


@pytest.mark.slow
def test_optimize_reports_in_text_and_a_second_run_keeps_or_improves(db):
    first = run("optimize", db=db)
    assert first.returncode == 0, first.stderr
    assert "FSRS fitted on" in first.stdout and "before (default parameters)" in first.stdout
    again = run("optimize", "--json", db=db)
    report = json.loads(again.stdout)
    assert report["previous"] == "fitted"
    assert report["log_loss_after"] <= report["log_loss_before"]


@pytest.mark.slow
def test_under_fsrs_optimize_reschedules_the_cards_with_the_fit(db):
    assert run("config", "scheduler", "fsrs", db=db).returncode == 0
    before = {row["id"]: row for row in json.loads(run("list", "--json", db=db).stdout)}
    result = run("optimize", "--json", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["saved"] and report["rescheduled"] > 0
    after = {row["id"]: row for row in json.loads(run("list", "--json", db=db).stdout)}
    changed = [i for i, row in after.items() if row.get("stability") is not None
               and row["stability"] != before[i]["stability"]]
    assert changed  # the stored memory states follow the new parameters
    # and they are what a full replay under those parameters gives (doctor agrees)
    doctor = run("doctor", db=db)
    assert doctor.returncode == 0, doctor.stdout


@pytest.mark.slow
def test_a_deck_fitted_alone_keeps_its_own_parameters(db):
    result = run("optimize", "--deck", "Memory", db=db)
    assert result.returncode == 0, result.stderr
    assert saved(db) is None and saved(db, "Memory") is not None
    store = Store.open(db, create=False)
    try:
        assert store.meta_items("fsrs.parameters").keys() == {"fsrs.parameters.deck.Memory"}
    finally:
        store.close()
    simulated = json.loads(run("simulate", "--deck", "Memory", "--days", "30", "--json",
                               db=db).stdout)
    assert simulated["parameters"] == "fitted" and simulated["deck_size"] == 150


@pytest.mark.slow
def test_a_store_rebuilt_from_the_deck_keeps_fsrs_and_the_fitted_parameters(tmp_path):
    """The fit is a journal line (docs/journal.md, "Settings"): a new store synced from
    the deck folder alone schedules every card as the old one did."""
    db, deck = tmp_path / "data" / "store.db", tmp_path / "deck"
    synthetic_history(db, deck, cards=80, days=100)
    assert run("config", "scheduler", "fsrs", db=db).returncode == 0
    result = run("optimize", "--json", db=db)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["saved"]
    fitted, before = saved(db), listed(db)
    assert any(row.get("stability") for row in before)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    elsewhere = tmp_path / "elsewhere" / "store.db"  # another machine: the deck alone
    assert run("sync", str(deck), db=elsewhere).returncode == 0
    assert saved(elsewhere) == fitted
    assert listed(elsewhere) == before


def listed(db: Path) -> list[dict]:
    rows = json.loads(run("list", "--json", db=db).stdout)
    for row in rows:
        del row["id"]
    return sorted(rows, key=lambda r: r["question"])


# -- Ctrl-C ------------------------------------------------------------------------------


_WORKER = b"flashcards.fsrs.fit_worker"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the worker in /proc")
def test_ctrl_c_during_optimize_keeps_the_old_parameters(db):
    old = [round(x, 6) for x in DEFAULT_PARAMETERS[:20]] + [0.5]  # a steeper forgetting curve
    store = Store.open(db, create=False)
    try:
        save_fsrs_parameters(store, old)
    finally:
        store.close()
    ctrl_c_while_its_child_runs(["optimize"], _env(db, AFTER), _WORKER, wait=60)
    assert saved(db) == old
    # Uninterrupted, the same command replaces them: the check above could fail.
    assert run("optimize", db=db).returncode == 0
    assert saved(db) != old


# -- too little history, bad options ---------------------------------------------------------


def test_a_store_without_answers_says_how_to_get_some(synced):
    for command in ("optimize", "evaluate"):
        result = run(command, db=synced)
        assert result.returncode == 1
        assert "no reviews yet" in result.stderr and "Traceback" not in result.stderr
    assert saved(synced) is None


def test_a_history_of_one_card_says_how_much_more_is_needed(synced):
    store = Store.open(synced)
    try:
        for day in (0, 1, 7):
            moment = START + timedelta(days=day)
            review = session.start(store, moment, clock=lambda moment=moment: moment,
                                   new_limit=1)
            review.press(3)
    finally:
        store.close()
    result = run("optimize", db=synced)
    assert result.returncode == 1
    assert "3 answers on 1 card, of which 2 count" in result.stderr
    assert f"{MIN_REVIEWS - 2} more" in result.stderr and "Nothing was changed" in result.stderr
    assert saved(synced) is None


def test_an_unknown_deck_is_named(synced):
    result = run("optimize", "--deck", "Nope", db=synced)
    assert result.returncode == 1 and "no deck named 'Nope'" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--retention", "2"], "--retention: '2' is not a desired retention"),
    (["--retention", "0.9,x"], "--retention: 'x' is not a desired retention"),
    (["--days", "0"], "--days must be from 1 to 3650"),
])
def test_bad_simulate_options_are_explained(synced, args, message):
    result = run("simulate", *args, db=synced)
    assert result.returncode == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_simulate_uses_the_collection_and_default_parameters(synced):
    result = run("simulate", "--retention", "0.9,0.8", "--days", "60", "--json", db=synced)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["parameters"] == "default" and report["deck_size"] == 30
    assert (report["new_per_day"], report["reviews_per_day"], report["days"]) == (20, 200, 60)
    loads = report["retentions"]
    assert [w["retention"] for w in loads] == [0.8, 0.9]
    assert loads[0]["total_reviews"] < loads[1]["total_reviews"]
    text = run("simulate", "--days", "60", db=synced)
    assert "desired retention" in text.stdout and "0.95" in text.stdout


def test_answers_are_dated_in_their_own_study_day(synced):
    # 03:30 in Paris is still the day before (days start at 04:00); 04:10 is the next.
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    moments = [datetime(2026, 3, 1, 22, 0, tzinfo=paris), datetime(2026, 3, 2, 3, 30, tzinfo=paris),
               datetime(2026, 3, 2, 4, 10, tzinfo=paris), datetime(2026, 3, 9, 4, 10, tzinfo=paris)]
    store = Store.open(synced)
    try:
        for moment in moments:
            review = session.start(store, moment, clock=lambda moment=moment: moment,
                                   new_limit=1, review_limit=1)
            review.press(1)  # Again: due again the next study day, so always queued
        days = [answer.day for answer in store.fit_answers()]
    finally:
        store.close()
    assert [day - days[0] for day in days] == [0, 0, 1, 8]


def test_simulate_without_cards_says_how_to_add_some(tmp_path):
    db = tmp_path / "empty.db"
    Store.open(db).close()
    result = run("simulate", db=db)
    assert result.returncode == 1 and "no cards to simulate" in result.stderr


# -- what the fit's worker process loads -------------------------------------------------

@pytest.mark.slow  # a whole optimize; in-process twin: test_fitting_memory.py's import check
def test_the_fit_worker_of_the_installed_command_loads_no_command_line(db, tmp_path):
    # pip's console script imports the command line above its __main__ guard; the fit's
    # worker must not run it again (as a multiprocessing spawn of that script does).
    imports, command, out, err = imports_of_an_installed_run(
        tmp_path, ["optimize"], _env(db, AFTER), timeout=300)
    assert command.returncode == 0, err
    workers = [names for pid, names in imports.items()
               if pid != command.pid and "fsrs_rs_python" in names]
    assert len(workers) == 1, sorted(imports)
    assert "flashcards.fsrs.fitting" in workers[0]
    assert not {"click", "flashcards.cli", "flashcards.store"} & workers[0]


def test_optimize_works_from_a_folder_that_holds_a_flashcards_folder(db, tmp_path):
    # A package named flashcards in the working directory (another checkout, say) must
    # not stand in for this one in the fit's worker process.
    other = tmp_path / "here" / "flashcards"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("raise ImportError('not this flashcards')\n")
    script = Path(sys.executable).with_name("flashcards")  # the installed command
    done = subprocess.run([sys.executable, str(script), "optimize"],
                          cwd=tmp_path / "here", capture_output=True, text=True, timeout=300,
                          env=_env(db, AFTER))
    assert done.returncode == 0, done.stderr
    assert saved(db) is not None
