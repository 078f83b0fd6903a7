"""Card images on the review screen: drawn with an inline image protocol where the
terminal has one (kitty, sixel), named by alt text and file elsewhere."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from PIL import Image

from flashcards.ui.inline_images import detect, drawing

NOW = "2026-01-05T10:00:00+00:00"
# A sixel image: DCS, parameters, "q", raster attributes, data, then ST.
SIXEL = re.compile(r'\x1bP[0-9;]*q"1;1;\d+;\d+#.*?\x1b\\', re.S)


@pytest.mark.parametrize(("env", "expected"), [
    ({"TERM": "xterm-kitty"}, "kitty"),
    ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"}, "kitty"),
    ({"TERM": "foot"}, "sixel"),
    ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, "sixel"),
    ({"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, "sixel"),
    ({"TERM": "xterm-256color", "LC_TERMINAL": "iTerm2"}, "sixel"),
    ({"TERM": "xterm-256color"}, None),  # nothing says it draws images: text
    ({"TERM": "dumb", "KITTY_WINDOW_ID": "1"}, None),
    ({}, None),
    ({"TERM": "xterm-kitty", "FLASHCARDS_IMAGES": "off"}, None),
    ({"TERM": "xterm", "FLASHCARDS_IMAGES": "sixel"}, "sixel"),
    ({"TERM": "xterm", "FLASHCARDS_IMAGES": "nonsense"}, None),
])
def test_the_protocol_comes_from_the_environment_alone(env, expected):
    assert detect(env) == expected


def red_png(path: Path) -> Path:
    Image.new("RGB", (40, 30), (200, 30, 30)).save(path)
    return path


def test_a_sixel_drawing_is_one_image_sequence_over_its_cells(tmp_path):
    text, rows = drawing(red_png(tmp_path / "red.png"), "sixel", columns=20, rows=4)
    assert rows == 4 and len(SIXEL.findall(text)) == 1
    # Nothing else but the blank cells it covers and cursor save, move and restore.
    rest = SIXEL.sub("", text)
    assert re.fullmatch(r"( *\n){4}\x1b7\x1b\[4A\x1b8", rest), repr(rest)


def test_a_kitty_drawing_is_rows_of_placeholders_of_one_image(tmp_path, capfd):
    """Kitty's protocol as textual-image uses it: the image goes to the terminal
    once (APC G, quiet), the cells are Unicode placeholders coloured by image id."""
    text, rows = drawing(red_png(tmp_path / "red.png"), "kitty", columns=20, rows=3)
    assert rows == 3 and text.count("\n") == 3
    assert all("\U0010eeee" in line for line in text.split("\n")[:3])
    assert "\x1b_G" in capfd.readouterr().out  # the transmission, to the terminal itself


def test_what_is_not_a_readable_image_is_not_drawn(tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)  # the signature, then nothing
    assert drawing(fake, "sixel", columns=20, rows=4) is None
    assert drawing(red_png(tmp_path / "red.png"), "iterm2", columns=20, rows=4) is None


# -- the review screen in a real pseudo-terminal ---------------------------------------

@pytest.fixture
def deck_env(tmp_path) -> dict:
    decks = tmp_path / "decks"
    decks.mkdir()
    red_png(decks / "red.png")
    (decks / "a.md").write_text("## What colour is this square?\n\n"
                                "![a red square](red.png)\n\nRed.\n")
    env = {**os.environ, "FLASHCARDS_DB": str(tmp_path / "fc.db"), "FLASHCARDS_NOW": NOW,
           "FLASHCARDS_TZ": "UTC", "NO_COLOR": "1", "TERM": "xterm"}
    for name in ("FLASHCARDS_DEBUG", "KITTY_WINDOW_ID", "TERM_PROGRAM", "LC_TERMINAL",
                 "FLASHCARDS_IMAGES"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-m", "flashcards", "sync", str(decks)], env=env,
                   check=True, capture_output=True)
    return env


def screen_of_answer(env: dict) -> str:
    """Everything the review writes up to the revealed answer, then quit."""
    child = pexpect.spawn(sys.executable, ["-m", "flashcards", "review"], env=env,
                          encoding="utf-8", codec_errors="replace", timeout=30,
                          dimensions=(40, 100))
    child.logfile_read = seen = io.StringIO()
    child.expect("show answer")
    child.send(" ")
    child.expect("1 Again")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    return seen.getvalue()


@pytest.mark.slow
def test_a_terminal_that_draws_sixel_gets_the_image(deck_env):
    output = screen_of_answer({**deck_env, "FLASHCARDS_IMAGES": "sixel"})
    assert SIXEL.search(output), output[-2000:]
    assert "a red square" in output  # the text still names it


@pytest.mark.slow
def test_elsewhere_the_alt_text_and_file_name_and_no_image_sequence(deck_env):
    output = screen_of_answer(deck_env)
    assert "a red square" in output and "red.png" in output
    assert "\x1bP" not in output and "\x1b_G" not in output


@pytest.mark.slow
def test_an_image_swapped_for_a_link_out_of_the_deck_is_not_drawn(deck_env, tmp_path):
    outside = red_png(tmp_path / "secret.png")
    image = tmp_path / "decks" / "red.png"
    image.unlink()
    image.symlink_to(outside)  # after the sync that checked it
    output = screen_of_answer({**deck_env, "FLASHCARDS_IMAGES": "sixel"})
    assert "\x1bP" not in output and "a red square" in output
