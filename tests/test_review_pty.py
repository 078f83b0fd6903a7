"""`flashcards review` in a real pseudo-terminal (pexpect), and scripted through a pipe."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

import pexpect
import pytest
from process_helpers import ctrl_c_reaches_it

NOW = "2026-01-05T10:00:00+00:00"
FLASHCARDS = [sys.executable, "-m", "flashcards"]
TIMEOUT = 20


def deck_text(count: int) -> str:
    return "\n".join(f"## Question {i}?\n\nAnswer {i}.\n" for i in range(1, count + 1))


@pytest.fixture
def env(tmp_path) -> dict:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "a.md").write_text(deck_text(4))
    values = {**os.environ, "FLASHCARDS_DB": str(tmp_path / "fc.db"), "FLASHCARDS_NOW": NOW,
              "FLASHCARDS_TZ": "UTC", "NO_COLOR": "1", "TERM": "xterm", "EDITOR": "true"}
    values.pop("FLASHCARDS_DEBUG", None)
    subprocess.run([*FLASHCARDS, "sync", str(decks)], env=values, check=True,
                   capture_output=True)
    return values


def spawn(env: dict, *args: str) -> pexpect.spawn:
    child = pexpect.spawn(FLASHCARDS[0], [*FLASHCARDS[1:], "review", *args], env=env,
                          encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 100),
                          preexec_fn=ctrl_c_reaches_it)
    if os.environ.get("PTY_LOG"):
        child.logfile_read = open(os.environ["PTY_LOG"], "a", buffering=1)  # noqa: SIM115
    return child


def reveal_and_grade(child: pexpect.spawn, n: int, key: str, reveal: str = " ",
                     hint: str = "1 Again") -> None:
    child.expect(f"Question {n}\\?")
    child.expect("show answer")
    child.send(reveal)
    child.expect(f"Answer {n}\\.")
    child.expect(hint)
    child.send(key)


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def rows(env: dict, sql: str) -> list[tuple]:
    with sqlite3.connect(env["FLASHCARDS_DB"]) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.slow
def test_each_button_saves_its_sm2_grade(env):
    child = spawn(env)
    reveal_and_grade(child, 1, "1")
    reveal_and_grade(child, 2, "2", reveal="\r")
    reveal_and_grade(child, 3, "3")
    reveal_and_grade(child, 4, "4")
    child.expect("3/4 · again")  # Again brings it back ...
    reveal_and_grade(child, 1, "3")
    child.expect("4/4 · again")  # ... and so does Hard (3 < 4)
    child.expect("Question 2\\?")
    child.send("q")
    child.expect("Reviewed 4 cards")
    assert finish(child) == 0
    assert rows(env, "SELECT card_id, grade, scheduled FROM reviews ORDER BY id") == [
        (1, 1, 1), (2, 3, 1), (3, 4, 1), (4, 5, 1), (1, 4, 0)]
    assert rows(env, "SELECT id, repetitions, interval, due, lapses FROM cards ORDER BY id") == [
        (1, 0, 1, "2026-01-06", 1), (2, 1, 1, "2026-01-06", 0),
        (3, 1, 1, "2026-01-06", 0), (4, 1, 1, "2026-01-06", 0)]


@pytest.mark.slow
def test_the_session_shows_the_time_it_has_taken(env):
    child = spawn(env)
    reveal_and_grade(child, 1, "3")
    child.expect("Question 2\\?")
    child.expect("time 00:[0-9][0-9]")  # minutes and seconds since the session began
    child.send("q")
    child.expect("in 00:[0-9][0-9]\\.")
    assert finish(child) == 0


@pytest.mark.slow
def test_full_scale_keys_are_grades(env):
    child = spawn(env, "--full-scale")
    reveal_and_grade(child, 1, "0", hint="0-5: SM-2 grade")
    child.expect("Question 2\\?")
    child.send("q")
    assert finish(child) == 0
    assert rows(env, "SELECT grade FROM reviews") == [(0,)]


@pytest.mark.slow
def test_grades_before_the_answer_is_shown_are_ignored(env):
    child = spawn(env)
    child.expect("Question 1\\?")
    child.send("3")
    child.expect("First show the answer")
    child.send("q")
    assert finish(child) == 0
    assert rows(env, "SELECT count(*) FROM reviews") == [(0,)]


@pytest.mark.slow
def test_undo_restores_the_card_and_the_log(env):
    child = spawn(env)
    reveal_and_grade(child, 1, "1")
    child.expect("Question 2\\?")
    child.send("u")
    child.expect("Undone")
    reveal_and_grade(child, 1, "4")
    child.expect("Question 2\\?")
    child.send("q")
    assert finish(child) == 0
    assert rows(env, "SELECT card_id, grade FROM reviews") == [(1, 5)]
    assert rows(env, "SELECT repetitions, easiness, interval, due, lapses FROM cards "
                     "WHERE id = 1") == [(1, 2.6, 1, "2026-01-06", 0)]


@pytest.mark.slow
def test_suspend_takes_the_card_out(env):
    child = spawn(env)
    child.expect("Question 1\\?")
    child.send("s")
    child.expect("Suspended card 1")
    child.expect("Question 2\\?")
    child.send("q")
    assert finish(child) == 0
    assert rows(env, "SELECT id FROM cards WHERE suspended = 1") == [(1,)]


@pytest.mark.slow
def test_quit_at_once_changes_nothing(env):
    child = spawn(env)
    child.expect("Question 1\\?")
    child.send("q")
    child.expect("No cards reviewed")
    assert finish(child) == 0
    assert rows(env, "SELECT count(*) FROM reviews") == [(0,)]
    assert rows(env, "SELECT count(*) FROM cards WHERE due IS NOT NULL") == [(0,)]


@pytest.mark.slow
def test_a_killed_session_keeps_every_answer_given(env):
    child = spawn(env)
    reveal_and_grade(child, 1, "3")
    reveal_and_grade(child, 2, "4")
    child.expect("Question 3\\?")  # drawn after the second answer was committed
    child.kill(signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus == signal.SIGKILL
    assert rows(env, "SELECT card_id, grade FROM reviews ORDER BY id") == [(1, 4), (2, 5)]
    assert rows(env, "SELECT id, due FROM cards WHERE due IS NOT NULL ORDER BY id") == [
        (1, "2026-01-06"), (2, "2026-01-06")]
    assert rows(env, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.slow
def test_ctrl_c_keeps_answers_and_says_so(env):
    child = spawn(env)
    reveal_and_grade(child, 1, "3")
    child.expect("Question 2\\?")
    child.sendintr()
    child.expect("Reviewed 1 card ")
    child.expect("Interrupted")
    assert finish(child) == 130
    assert rows(env, "SELECT card_id, grade FROM reviews") == [(1, 4)]


@pytest.mark.slow
def test_edit_opens_the_editor_at_the_card_and_resyncs(env, tmp_path):
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "line, path = sys.argv[1], pathlib.Path(sys.argv[2])\n"
        "assert line == '+1', line\n"
        "path.write_text(path.read_text().replace('Answer 1.', 'Answer 1 edited.'))\n")
    env["EDITOR"] = f"{sys.executable} {editor}"
    child = spawn(env)
    child.expect("Question 1\\?")
    child.send(" ")
    child.expect("Answer 1\\.")
    child.send("e")
    child.expect("Card updated")
    child.expect("Answer 1 edited\\.")
    child.send("3")
    child.expect("Question 2\\?")
    child.send("q")
    assert finish(child) == 0
    assert rows(env, "SELECT card_id FROM reviews") == [(1,)]
    assert rows(env, "SELECT answer FROM notes WHERE id = 1") == [("Answer 1 edited.",)]


@pytest.mark.slow
def test_a_missing_editor_is_reported(env):
    env["EDITOR"] = "/nonexistent/editor"
    child = spawn(env)
    child.expect("Question 1\\?")
    child.send("e")
    child.expect("Cannot run the editor")
    child.send("q")
    assert finish(child) == 0


@pytest.mark.slow
def test_card_text_is_not_terminal_markup(env, tmp_path):
    (tmp_path / "decks" / "a.md").write_text("## What is [bold]x[/bold]?\n\nIt is [red]y[/red].\n")
    child = spawn(env)
    child.expect_exact("What is [bold]x[/bold]?")
    child.send(" ")
    child.expect_exact("It is [red]y[/red].")
    child.send("q")
    assert finish(child) == 0


# -- without a terminal: one line per step -------------------------------------------


def scripted(env: dict, script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*FLASHCARDS, "review", *args], input=script, env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_piped_script_reveals_grades_and_quits(env):
    result = scripted(env, "\n3\n\n4\nq\n")
    assert result.returncode == 0, result.stderr
    assert "Answer 1." in result.stdout and "Question 3?" in result.stdout
    assert "\x1b[2J" not in result.stdout  # no screen clearing in line mode
    assert "Reviewed 2 cards (2 answers), 100% correct" in result.stdout
    assert rows(env, "SELECT card_id, grade FROM reviews") == [(1, 4), (2, 5)]


def test_the_end_says_what_was_done_then_what_is_next_each_on_its_line(env):
    """Two lines, each short enough for an 80-column terminal: one line used to hold
    both, and the terminal cut it in the middle of a phrase."""
    result = scripted(env, "\n3\nq\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    done = next(i for i, line in enumerate(lines) if line.startswith("Reviewed 1 card"))
    assert lines[done].endswith(".") and "left for today" not in lines[done]
    assert lines[done + 1] == "3 left for today. Next due: 2026-01-06 (1 card)."
    assert all(len(line) <= 80 for line in lines[done:done + 2])


def test_a_step_of_minutes_says_its_time_in_the_study_zone(env):
    # 10:00 UTC is 15:30 in Kolkata; FSRS's first step after Again is one minute.
    env = {**env, "FLASHCARDS_TZ": "Asia/Kolkata"}
    subprocess.run([*FLASHCARDS, "config", "scheduler", "fsrs"], env=env, check=True,
                   capture_output=True)
    result = scripted(env, "\n1\nq\n")
    assert result.returncode == 0, result.stderr
    assert "Answered Again. Next review at 15:31." in result.stdout


@pytest.mark.slow
def test_end_of_input_ends_the_session(env):
    result = scripted(env, "\n1\n")
    assert result.returncode == 0, result.stderr
    assert "Reviewed 1 card (1 answer), 0% correct" in result.stdout
    assert "3 new" in result.stdout


@pytest.mark.slow
def test_the_review_resyncs_edits_first(env, tmp_path):
    path = tmp_path / "decks" / "a.md"
    path.write_text(path.read_text().replace("Question 1?", "Question one?"))
    result = scripted(env, "q\n")
    assert "Question one?" in result.stdout


@pytest.mark.slow
def test_a_broken_file_does_not_block_the_review(env, tmp_path):
    (tmp_path / "decks" / "b.md").write_text("## \n\nno question\n")
    result = scripted(env, "q\n")
    assert result.returncode == 0
    assert "Question 1?" in result.stdout
    notice = "1 file has errors (kept as last synced): run `flashcards check`"
    assert result.stdout.count(notice) == 2  # the first screen and the end screen
    assert "b.md:1:" in result.stderr


@pytest.mark.slow
def test_a_broken_files_error_stays_on_screen(env, tmp_path):
    (tmp_path / "decks" / "b.md").write_text("## \n\nno question\n")
    child = spawn(env)
    child.expect_exact("1 file has errors (kept as last synced): run `flashcards check`")
    child.expect("Question 1\\?")
    child.expect("u undo")
    child.send("q")
    child.expect_exact("1 file has errors (kept as last synced)")
    child.expect("b\\.md:1:")
    assert finish(child) == 0


@pytest.mark.slow
def test_leeches_are_marked(env):
    subprocess.run([*FLASHCARDS, "config", "leech_threshold", "1"], env=env, check=True)
    scripted(env, "\n1\nq\n", "--new", "1")
    result = scripted(env, "q\n")
    assert "leech (1 lapses)" not in result.stdout  # card 1 is not due today
    env["FLASHCARDS_NOW"] = "2026-01-06T10:00:00+00:00"
    assert "leech (1 lapses)" in scripted(env, "q\n").stdout


@pytest.mark.slow
def test_unknown_deck_is_an_error(env):
    result = scripted(env, "q\n", "--deck", "Nope")
    assert result.returncode == 1
    assert "no deck named 'Nope'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_nothing_due(env):
    result = scripted(env, "", "--new", "0")
    assert result.returncode == 0
    assert "No cards reviewed." in result.stdout
    assert Path(env["FLASHCARDS_DB"]).exists()


# A parent that runs the review in the same terminal, then reports the terminal's mode
# after the review has gone: what the user's shell would find.
TERMINAL_AFTER = """
import subprocess, sys, termios
review = subprocess.Popen(sys.argv[1:])
print("REVIEW", review.pid, flush=True)
review.wait()
lflag = termios.tcgetattr(0)[3]
print("ECHO", bool(lflag & termios.ECHO), "ICANON", bool(lflag & termios.ICANON),
      "CODE", review.returncode, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_review_restores_the_terminal(env, signum):
    # PYTHONFAULTHANDLER: if the review does not end, SIGABRT shows where it waits.
    child = pexpect.spawn(sys.executable, ["-c", TERMINAL_AFTER, *FLASHCARDS, "review"],
                          env={**env, "PYTHONFAULTHANDLER": "1"}, encoding="utf-8",
                          timeout=TIMEOUT, dimensions=(40, 100))
    child.expect(r"REVIEW (\d+)")
    review_pid = int(child.match.group(1))
    child.expect("show answer")  # in cbreak mode now, waiting for a key
    os.kill(review_pid, signum)
    try:
        child.expect(r"ECHO (\w+) ICANON (\w+) CODE (-?\d+)")
    except pexpect.TIMEOUT:
        os.kill(review_pid, signal.SIGABRT)
        with suppress(pexpect.TIMEOUT):  # what it printed is the point, EOF or not
            child.expect(pexpect.EOF, timeout=5)
        child.close(force=True)
        pytest.fail(f"the review did not end within {TIMEOUT} s of the signal; its "
                    f"stack when aborted:\n{child.before[-4000:]}")
    echo, canonical, code = child.match.groups()
    assert (echo, canonical) == ("True", "True")
    assert int(code) in (128 + signum, -signum)
    finish(child)


# -- the screen fits the terminal ------------------------------------------------------

BUNDLED_CODING = Path(__file__).parent.parent / "decks" / "ml-interview" / "04-coding.md"
ROW = __import__("re").compile(r"\x1b\[(\d+);1H\x1b\[2K")
STYLE = __import__("re").compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen_rows(stream: str) -> dict[int, str]:
    """The rows of the last frames drawn: each row is written at its place, whole."""
    rows: dict[int, str] = {}
    parts = ROW.split(stream)
    for number, text in zip(parts[1::2], parts[2::2], strict=True):
        rows[int(number)] = STYLE.sub("", text)
    return rows


def spawn_sized(env: dict, rows: int, cols: int, *args: str) -> pexpect.spawn:
    child = spawn(env, *args)
    child.setwinsize(rows, cols)
    return child


@pytest.fixture
def coding_env(env, tmp_path) -> dict:
    (tmp_path / "decks" / "a.md").write_text(BUNDLED_CODING.read_text())
    return env


@pytest.mark.slow
@pytest.mark.parametrize(("rows", "cols"), [(24, 80), (40, 120)])
def test_the_question_stays_on_screen_above_a_long_answer(coding_env, rows, cols):
    child = pexpect.spawn(FLASHCARDS[0], [*FLASHCARDS[1:], "review"], env=coding_env,
                          encoding="utf-8", timeout=TIMEOUT, dimensions=(rows, cols))
    child.expect("Space show answer")
    child.expect("u undo")
    child.send(" ")
    child.expect("u undo")
    screen = screen_rows(child.before + child.after)
    assert max(screen) <= rows and all(len(line) <= cols for line in screen.values())
    assert "ML Interview::Coding · 1/" in screen[1]
    text = "\n".join(screen[n] for n in sorted(screen))
    assert "Counting from scratch" in text and "TP = 3, FP = 1" in text
    if rows == 24:  # the code does not fit: the rest scrolls
        assert "more below" in text
        child.send("j" * 40)
        # The frame at the end: nothing more below (an earlier frame may still be drawn
        # first; how many rows the question takes depends on the terminal and on rich).
        child.expect(r"more above \(↑↓[^\n]*u undo")
        scrolled = screen_rows(child.before + child.after)
        assert "ML Interview::Coding" in scrolled[1]
        assert any("Counting from scratch" in line for line in scrolled.values())
        assert any("0.75 0.75 0.75" in line for line in scrolled.values())
    child.send("q")
    assert finish(child) == 0


@pytest.mark.slow
def test_a_resize_redraws_at_once(coding_env):
    child = pexpect.spawn(FLASHCARDS[0], [*FLASHCARDS[1:], "review"], env=coding_env,
                          encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 120))
    child.expect("u undo")
    child.setwinsize(24, 80)  # SIGWINCH, and no key pressed
    child.expect("u undo")
    screen = screen_rows(child.before + child.after)
    assert max(screen) <= 24 and all(len(line) <= 80 for line in screen.values())
    child.send("q")
    assert finish(child) == 0


@pytest.mark.slow
def test_the_buttons_show_the_intervals_then_applied(env):
    child = spawn(env)
    child.expect("Question 1\\?")
    child.send(" ")
    child.expect_exact("1 Again 1d · 2 Hard 1d · 3 Good 1d · 4 Easy 1d")
    child.send("3")
    child.expect("Answered Good\\. Next review 2026-01-06")
    child.send("q")
    assert finish(child) == 0
    assert rows(env, "SELECT due FROM cards WHERE id = 1") == [("2026-01-06",)]
    env["FLASHCARDS_NOW"] = "2026-01-06T10:00:00+00:00"
    child = spawn(env)
    child.expect("Question 1\\?")
    child.send(" ")
    child.expect_exact("1 Again 1d · 2 Hard 6d · 3 Good 6d · 4 Easy 6d")
    child.send("4")
    child.expect("Answered Easy\\. Next review 2026-01-12")
    child.send("q")
    assert finish(child) == 0
    assert rows(env, "SELECT due FROM cards WHERE id = 1") == [("2026-01-12",)]


@pytest.mark.slow
def test_the_header_says_the_side_and_the_place_in_the_queue(env, tmp_path):
    (tmp_path / "decks" / "a.md").write_text("## Q?\n\n<!-- reverse -->\nA.\n")
    child = spawn(env)
    child.expect("1/1 · new · front side")
    child.send("q")
    assert finish(child) == 0


@pytest.mark.slow
def test_an_editor_that_changes_nothing_says_so(env):
    child = spawn(env)  # EDITOR=true leaves the file as it was
    child.expect("Question 1\\?")
    child.send("e")
    child.expect("No change\\.")
    child.send("q")
    assert finish(child) == 0
    assert "Card updated" not in child.before


BUNDLED_EDITOR = """\
import pathlib, sys
line, path = int(sys.argv[1][1:]), pathlib.Path(sys.argv[2])
assert "/flashcards/bundled-decks/" in str(path), path  # only ever the copy
lines = path.read_text().split("\\n")
end = next((i for i in range(line, len(lines)) if lines[i].startswith("## ")), len(lines))
lines.insert(end, "EDITED-BY-TEST\\n")
path.write_text("\\n".join(lines))
"""


@pytest.mark.slow
def test_editing_a_bundled_card_copies_the_decks_and_keeps_their_history(env, tmp_path):
    env["FLASHCARDS_DB"] = str(tmp_path / "bundled.db")  # first use: the bundled decks
    env["HOME"] = str(tmp_path / "home")  # the default folder is ~/flashcards/bundled-decks
    editor = tmp_path / "editor.py"
    editor.write_text(BUNDLED_EDITOR)
    env["EDITOR"] = f"{sys.executable} {editor}"
    child = spawn(env)
    child.expect("show answer")
    child.send(" ")
    child.expect("1 Again")
    child.send("3")  # one answer given before the move: it must survive it
    child.expect("Answered Good")
    child.expect("show answer")
    child.send(" ")
    child.expect("1 Again")
    child.send("e")
    child.expect("Copy them to \\[~/flashcards/bundled-decks\\]")
    child.send("\r")
    child.expect("Decks copied to ~/flashcards/bundled-decks. Card updated.")
    child.expect("EDITED-BY-TEST")
    child.send("q")
    assert finish(child) == 0
    copy = tmp_path / "home" / "flashcards" / "bundled-decks"
    assert rows(env, "SELECT path FROM roots") == [(str(copy),)]
    # Every card moved with its GUID: none orphaned, none new, all in the copy.
    assert rows(env, f"SELECT count(*) FROM notes WHERE orphaned = 1 "
                     f"OR path NOT LIKE '{copy}/%'") == [(0,)]
    assert rows(env, "SELECT count(*) FROM notes")[0][0] > 500
    answered = rows(env, "SELECT notes.guid, cards.id FROM reviews JOIN cards ON "
                         "cards.id = reviews.card_id JOIN notes ON notes.id = cards.note_id")
    assert len(answered) == 1
    (edited,) = rows(env, "SELECT guid, path FROM notes WHERE answer LIKE '%EDITED-BY-TEST%'")
    assert edited[1].startswith(str(copy))
    assert "EDITED-BY-TEST" not in "".join(
        p.read_text() for p in (Path(__file__).parent.parent / "decks").rglob("*.md"))


@pytest.mark.slow
def test_declining_the_copy_edits_nothing(env, tmp_path):
    env["FLASHCARDS_DB"] = str(tmp_path / "bundled.db")
    env["HOME"] = str(tmp_path / "home")
    env["EDITOR"] = "/nonexistent/editor"  # reached only if the copy were made anyway
    child = spawn(env)
    child.expect("show answer")
    child.send("e")
    child.expect("or n to cancel")
    child.send("n\r")
    child.expect("Not edited: the bundled decks stay where they are")
    child.send("q")
    assert finish(child) == 0
    assert rows(env, "SELECT path FROM roots") == [("bundled:",)]
    assert not (tmp_path / "home" / "flashcards").exists()


@pytest.mark.slow
def test_f_flags_a_card_for_list_flagged(env):
    child = spawn(env)
    child.expect("Question 1\\?")
    child.send("f")
    child.expect_exact("  flagged")  # in the header
    child.expect_exact("Flagged: `flashcards list --flagged` lists it")
    child.expect("u undo")
    child.send(" ")
    child.expect("Answer 1\\.")
    child.send("3")
    child.expect("Question 2\\?")
    child.send("f")
    child.expect("Flagged: ")
    child.expect("u undo")
    child.send("f")
    child.expect("Flag removed")
    child.send("q")
    assert finish(child) == 0
    assert rows(env, "SELECT id FROM cards WHERE flagged = 1") == [(1,)]
    listed = subprocess.run([*FLASHCARDS, "list", "--flagged", "--json"], env=env,
                            capture_output=True, text=True, check=True)
    assert [card["id"] for card in __import__("json").loads(listed.stdout)] == [1]
