"""`flashcards status`, `suspend`, `unsuspend` and `config` through the CLI, checked in SQLite."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from flashcards.cli import cli

DAY1 = "2026-01-05T10:00:00+00:00"
DAY2 = "2026-01-06T10:00:00+00:00"
REVERSED = "## Capital of France?\n<!-- reverse -->\n\nParis\n"


@pytest.fixture
def run(tmp_path, monkeypatch):
    db = tmp_path / "fc.db"
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "a.md").write_text("---\ndeck: Alpha\n---\n" + REVERSED + "\n"
                                + "\n".join(f"## A{i}?\n\na{i}\n" for i in range(3)))
    (decks / "b.md").write_text("---\ndeck: Beta::Sub\n---\n"
                                + "\n".join(f"## B{i}?\n\nb{i}\n" for i in range(30)))

    def invoke(*args: str, now: str = DAY1, stdin: str | None = None):
        result = CliRunner().invoke(cli, ["--db", str(db), *args], input=stdin,
                                    env={"FLASHCARDS_NOW": now, "FLASHCARDS_TZ": "UTC"})
        return result

    assert invoke("sync", str(decks)).exit_code == 0
    invoke.db = db
    return invoke


def query(run, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(run.db) as conn:
        return conn.execute(sql, params).fetchall()


def test_status_json_per_deck_and_total(run):
    report = json.loads(run("status", "--json").output)
    assert report["today"] == "2026-01-05"
    # The reverse card of the Alpha note is a sibling: not available on the same day.
    assert report["decks"] == [
        {"deck": "Alpha", "due_today": 0, "new_today": 4, "next_due": None},
        {"deck": "Beta::Sub", "due_today": 0, "new_today": 20, "next_due": None},
    ]
    assert report["total"] == {"due_today": 0, "new_today": 20, "next_due": None}


def test_status_after_a_review_and_on_the_next_day(run):
    result = run("review", "--deck", "Alpha", stdin="\n3\n\n3\n\n3\n\n3\n")
    assert result.exit_code == 0, result.output
    today = json.loads(run("status", "--json").output)
    assert today["decks"][0] == {"deck": "Alpha", "due_today": 0, "new_today": 0,
                                 "next_due": "2026-01-06"}
    assert today["total"]["new_today"] == 16  # 4 of the day's 20 are used
    tomorrow = json.loads(run("status", "--json", now=DAY2).output)
    assert tomorrow["decks"][0]["due_today"] == 4
    assert tomorrow["decks"][0]["new_today"] == 0  # the reverse card waits for its sibling
    assert tomorrow["total"] == {"due_today": 4, "new_today": 20, "next_due": None}


def test_status_text_table(run):
    result = run("status")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["deck", "due", "today", "new", "today", "next", "due"]
    assert lines[1].split() == ["Alpha", "0", "4", "-"]
    assert lines[-1].split()[-3:] == ["0", "20", "-"]


def test_suspend_and_unsuspend(run):
    result = run("suspend", "3")
    assert result.exit_code == 0 and "Card 3 suspended." in result.output
    assert query(run, "SELECT suspended FROM cards WHERE id = 3") == [(1,)]
    assert json.loads(run("status", "--json").output)["decks"][0]["new_today"] == 3
    assert run("unsuspend", "3").exit_code == 0
    assert query(run, "SELECT suspended FROM cards WHERE id = 3") == [(0,)]


def test_suspend_an_unknown_card(run):
    result = run("suspend", "999")
    assert result.exit_code == 1
    assert "no card with id 999" in result.output


def test_config_shows_and_sets(run):
    listing = run("config").output
    assert "new_per_day = 20" in listing and "day_start_hour = 4" in listing
    assert run("config", "new_per_day", "5").output.strip() == "new_per_day = 5"
    assert run("config", "new_per_day").output.strip() == "5"
    assert query(run, "SELECT value FROM meta WHERE key = 'config.new_per_day'") == [("5",)]
    assert json.loads(run("status", "--json").output)["total"]["new_today"] == 5


@pytest.mark.parametrize("args, message", [
    (("new_per_day", "many"), "new_per_day must be a whole number from 0 to 9999"),
    (("day_start_hour", "25"), "day_start_hour must be a whole number from 0 to 23"),
    (("speed", "1"), "unknown setting 'speed'"),
    (("speed",), "unknown setting 'speed'"),
])
def test_config_refuses_bad_values(run, args, message):
    result = run("config", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert query(run, "SELECT count(*) FROM meta WHERE key LIKE 'config.%'") == [(0,)]


def test_day_start_hour_moves_the_study_day(run):
    run("config", "day_start_hour", "12")
    assert json.loads(run("status", "--json").output)["today"] == "2026-01-04"


def test_review_limits_from_options(run):
    result = run("review", "--new", "2", stdin="\n4\n\n4\n\n4\n")
    assert result.exit_code == 0
    assert query(run, "SELECT count(*) FROM reviews") == [(2,)]
    assert "Reviewed 2 cards" in result.output


def test_status_shows_the_deck_tree_with_parent_totals(run):
    lines = run("status").output.splitlines()
    names = [line.split()[0] for line in lines[1:-1]]
    assert names == ["Alpha", "Beta", "Sub"]
    beta, sub = lines[2].split(), lines[3].split()
    assert lines[3].startswith("  Sub")  # indented under its parent
    assert beta[1:] == sub[1:] == ["0", "20", "-"]


def test_deck_tree_sums_subdecks_and_caps_new_cards():
    from flashcards.status import deck_tree

    report = {"decks": [
        {"deck": "A::X", "due_today": 2, "new_today": 15, "next_due": "2026-01-09"},
        {"deck": "A::Y::Z", "due_today": 3, "new_today": 15, "next_due": "2026-01-07"},
        {"deck": "B", "due_today": 1, "new_today": 0, "next_due": None}],
        "total": {"due_today": 6, "new_today": 20, "next_due": "2026-01-07"}}
    tree = [(r["deck"], r["depth"], r["due_today"], r["new_today"], r["next_due"])
            for r in deck_tree(report)]
    assert tree == [("A", 0, 5, 20, "2026-01-07"), ("A::X", 1, 2, 15, "2026-01-09"),
                    ("A::Y", 1, 3, 15, "2026-01-07"), ("A::Y::Z", 2, 3, 15, "2026-01-07"),
                    ("B", 0, 1, 0, None)]
