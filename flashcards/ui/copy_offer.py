"""The question `e` asks on a card of the installed bundled decks: where to copy them.

The copying is ``flashcards.adopt``'s; this is only the asking, on the terminal in
its normal (cooked) mode, so the user sees and edits what they type.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

QUESTION = ("This card is in the bundled decks inside the installed package, which a "
            "reinstall replaces, so it is not edited there. The bundled decks can be copied "
            "to a folder of yours and synced from there: every card keeps its history, and "
            "you edit the copy.")
DECLINE = ("n", "no", "q")


def ask_folder(out: Console, default: Path | None, *, full_screen: bool) -> Path | None:
    """The folder the user names (``default`` on an empty line), or None to cancel."""
    if full_screen:
        out.clear()
    out.print(Text(QUESTION))
    out.file.write(f"Copy them to [{home_path(default) if default else ''}] (Enter), "
                   "another folder, or n to cancel: ")
    out.file.flush()
    line = sys.stdin.readline()
    answer = line.strip()
    if not line or answer.lower() in DECLINE or not (answer or default):
        return None
    return Path(answer).expanduser() if answer else default


def home_path(path: Path) -> str:
    """A path as a user types it: under the home folder, ``~/...``."""
    from flashcards.paths import display_path

    path = Path(os.path.abspath(path.expanduser()))
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else display_path(path)
