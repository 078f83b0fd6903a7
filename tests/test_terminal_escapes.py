"""No escape sequence from a deck reaches the terminal, whichever command prints it.

A deck whose folder, file, deck name, tags and question carry OSC 52 clipboard
writes, title changes, screen clears and C1 controls goes through every command
in a real pseudo-terminal (pexpect). ``TERM=dumb`` keeps rich's own styles off,
so any ESC or C1 character on the terminal can only have come from the deck.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import sys
from pathlib import Path

import pexpect
import pytest

NOW = "2026-01-05T10:00:00+00:00"
TIMEOUT = 60
OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"
TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J\x1b[H"
C1_CSI = "\x9b2J"
# ESC, or a C1 control character (U+0080-U+009F) as a terminal decodes UTF-8.
RAW = re.compile("[\x1b\x80-\x9f]")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pseudo-terminal")


def hostile_deck(root: Path) -> Path:
    folder = root / f"decks{TITLE}"
    folder.mkdir()
    front = ('---\ndeck: "Shared\\e]52;c;cm0gLXJmIH4=\\aDeck"\n'
             'tags: ["ok", "t\\e[31mred"]\n---\n\n')
    cards = "".join(f"## Question {n} {OSC52}{CLEAR}{C1_CSI}?\n\nAnswer {n}{TITLE}.\n\n"
                    for n in range(1, 4))
    (folder / f"cards{CLEAR}.md").write_text(front + cards, encoding="utf-8")
    # A question too long for the checker: its warning quotes the file name.
    (folder / f"long{OSC52}.md").write_text("## " + "word " * 50 + "?\n\nYes.\n",
                                            encoding="utf-8")
    return folder


@pytest.fixture
def env(tmp_path) -> dict:
    values = {**os.environ, "FLASHCARDS_DB": str(tmp_path / "fc.db"), "FLASHCARDS_NOW": NOW,
              "FLASHCARDS_TZ": "UTC", "TERM": "dumb", "EDITOR": "true"}
    values.pop("FLASHCARDS_DEBUG", None)
    values.pop("NO_COLOR", None)
    return values


def in_pty(env: dict, *args: str, keys: str = "", cwd: Path) -> str:
    """Everything a command writes to the terminal (stdout and stderr)."""
    child = pexpect.spawn(sys.executable, ["-m", "flashcards", *args], env=env, cwd=str(cwd),
                          encoding="utf-8", codec_errors="replace", timeout=TIMEOUT,
                          dimensions=(40, 200))
    child.logfile_read = seen = io.StringIO()
    for key in keys:
        child.expect([r"show answer", r"Again"])
        child.send(key)
    child.expect(pexpect.EOF)
    child.close()
    output = seen.getvalue()
    assert "Traceback" not in output and "internal error" not in output, output
    return output


OWN_SCREEN_CONTROLS = __import__("re").compile(
    r"\x1b\[\?(?:1049|25|1007)[hl]|\x1b\[\d+;1H|\x1b\[2K")


@pytest.mark.slow
def test_no_command_writes_a_deck_escape_to_the_terminal(env, tmp_path):
    folder = hostile_deck(tmp_path)
    outputs = {
        "check": in_pty(env, "check", str(folder), cwd=tmp_path),
        "sync": in_pty(env, "sync", str(folder), cwd=tmp_path),
        "list": in_pty(env, "list", cwd=tmp_path),
        "status": in_pty(env, "status", cwd=tmp_path),
        "review": in_pty(env, "review", keys=" 1 3q", cwd=tmp_path),
    }
    with sqlite3.connect(env["FLASHCARDS_DB"]) as conn:  # every card a leech, for `stats`
        conn.execute("UPDATE cards SET lapses = 20")
    outputs["stats"] = in_pty(env, "stats", cwd=tmp_path)
    outputs["export"] = in_pty(env, "export", str(folder), "-o", str(tmp_path / "o.apkg"),
                               cwd=tmp_path)
    shutil.rmtree(folder)  # the doctor names the missing source files
    outputs["doctor"] = in_pty(env, "doctor", cwd=tmp_path)
    for command, output in outputs.items():
        # The review screen's own controls (alternate screen, cursor, rows, scrolling)
        # are ours; what must never appear is anything a deck brought.
        output = OWN_SCREEN_CONTROLS.sub("", output) if command == "review" else output
        found = sorted({hex(ord(c)) for c in RAW.findall(output)})
        assert not found, f"{command} wrote {found}:\n{output!r}"
    # The text around the sequences is still there: the sanitizer removes, it does not hide.
    assert "Question 1" in outputs["review"] and "Shared" in outputs["review"]
    assert "Shared" in outputs["status"] and "decks/long" in outputs["check"]
    assert "Question" in outputs["stats"] and "cards" in outputs["doctor"]


def test_the_console_drops_deck_escapes_and_keeps_its_own_styles(monkeypatch):
    """The console's sanitizing step (``Console.render``, rich's public extension
    point) catches text that skipped ``strip_control``, nested in a table, while
    rich's own colours and control segments still reach the terminal."""
    from rich.control import Control
    from rich.table import Table
    from rich.text import Text

    from flashcards.ui.tables import console

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich's own switch: colours on a non-terminal
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    out = console()
    table = Table("deck")
    # rich's Text drops BEL itself, so an OSC here runs to the line's end: put it last.
    table.add_row(Text(f"Shared{CLEAR}Deck{C1_CSI}{TITLE}", style="bold red"))
    out.print(table)
    out.control(Control.move_to_column(0))
    written = sys.stdout.getvalue()
    assert "SharedDeck" in written and "pwned" not in written
    assert "\x1b[1;31m" in written  # rich's own style
    assert "\x1b[1G" in written  # rich's own control segment
    assert not re.search(r"\x1b\]|\x1b\[2J|\x9b", written)


@pytest.mark.parametrize("text", [
    "0 added, 0 updated (0 files read, 100 unchanged, 0 removed)",  # printable: as it is
    "deck \x1b]52;c;ZXZpbA==\x07name\x1b[2J",  # escapes: removed
    "line one\r\nline two\x9b31m",  # CR LF and a C1 CSI
    "a\u2028b\u00a0c\tdone",  # not printable, yet no control character: as it is
    "café ünïcode 😀",
])
def test_every_line_a_command_prints_is_the_sanitizer_s(capsys, text):
    from flashcards.cli.app import echo
    from flashcards.render.sanitize import strip_control

    echo(text)
    echo(text, err=True)
    out, err = capsys.readouterr()
    assert out == err == strip_control(text) + "\n"
    assert not RAW.search(out)
