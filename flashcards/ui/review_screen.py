"""The review loop of `flashcards review`: what each key does (answer, undo, suspend,
flag, edit, scroll). No scheduling here.

The session logic is flashcards/session.py; reading keys is ``review_keys``,
drawing the card and the end screen is ``review_drawing``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from rich.text import Text

from flashcards.scheduler import BUTTON_GRADES, BUTTON_NAMES, MAX_GRADE, MIN_GRADE
from flashcards.session import Answer, Card, ReviewSession, Summary
from flashcards.ui.review_drawing import BUTTON_HINT, FULL_SCALE_HINT, ReviewDrawing
from flashcards.ui.review_keys import PAGE_KEYS, QUIT_KEYS, SCROLL_KEYS, LineKeys, RawKeys
from flashcards.ui.tables import console

# Keys 1-4 press the buttons (scheduler.BUTTON_GRADES says which grade each gives);
# with --full-scale, keys 0-5 give SM-2 grades directly.
BUTTON_KEYS = {str(button): button for button in BUTTON_GRADES}
FULL_SCALE_KEYS = {str(grade): grade for grade in range(MIN_GRADE, MAX_GRADE + 1)}


def run_review(review: ReviewSession, *, full_scale: bool = False,
               resync: Callable[[], object] | None = None,
               day_summary: Callable[[], str] | None = None,
               read_only: Path | None = None, notice: str = "",
               copy_read_only: Callable[[Path], object] | None = None,
               copy_default: Path | None = None) -> Summary:
    """Drive a review session until it is done or the user quits; return its summary.

    On a terminal, single keys on a full screen; otherwise one line per step
    (see docs/review.md). ``resync`` re-reads the files after an edit;
    ``day_summary`` gives the end screen's line about the whole study day;
    cards under ``read_only`` (the installed bundled decks) are not edited:
    ``copy_read_only(folder)``, if given, is offered instead (copy them to a
    folder of the user's, ``copy_default`` unless they name another, and sync
    them from there), then the copy is edited; ``notice`` (files with errors)
    is on the first screen and the end screen.
    """
    import time

    reader = RawKeys() if sys.stdin.isatty() else LineKeys()
    screen = _ReviewScreen(review, reader.line_mode, full_scale, time.monotonic(),
                           day_summary)
    screen.read_only = read_only
    screen.copy_read_only, screen.copy_default = copy_read_only, copy_default
    if not reader.line_mode:
        from flashcards.ui.inline_images import detect

        screen.image_protocol = detect()
    screen.message = screen.notice = notice
    try:
        with reader, screen.full_screen():
            while review.current is not None:
                if not screen.card_step(reader, resync):
                    break
    except KeyboardInterrupt:
        screen.finish()
        raise
    screen.finish()
    return review.summary()


class _ReviewScreen(ReviewDrawing):
    """The state of the screen for one session: messages, timers and the drawing."""

    read_only: Path | None = None
    copy_read_only: Callable[[Path], object] | None = None
    copy_default: Path | None = None

    def __init__(self, review: ReviewSession, line_mode: bool, full_scale: bool, started: float,
                 day_summary: Callable[[], str] | None):
        self.review = review
        self.line_mode = line_mode
        self.full_scale = full_scale
        self.day_summary = day_summary
        self.keys = FULL_SCALE_KEYS if full_scale else BUTTON_KEYS
        self.started = started
        self.message = ""
        self.scroll = 0
        self.page = 1  # rows of the answer area in the last drawing
        self.out = console()

    def card_step(self, reader: RawKeys | LineKeys,
                  resync: Callable[[], object] | None) -> bool:
        """Show the current card until it is answered, undone or suspended; False to quit."""
        import time

        card, revealed, shown_at = self.review.current, False, time.monotonic()
        self.scroll = 0
        self.draw(card, revealed)
        while True:
            key = reader.read(self._prompt(revealed))
            if key is None or key in QUIT_KEYS or key == "quit":
                return False
            if key == "reveal" and not revealed:
                revealed, self.scroll = True, 0
            elif revealed and key in self.keys:
                duration = int((time.monotonic() - shown_at) * 1000)
                answer = self.review.answer if self.full_scale else self.review.press
                self._say_answer(answer(self.keys[key], duration))
                return True
            elif key == "u":
                undone = self.review.undo()
                self.message = "Undone." if undone else "Nothing to undo."
                if undone:
                    return True
            elif key == "s":
                self.message = f"Suspended card {self.review.suspend().id}."
                return True
            elif key == "f":
                flagged = self.review.toggle_flag()
                self.message = "Flagged: `flashcards list --flagged` lists it." if flagged \
                    else "Flag removed."
            elif key == "e":
                card = self._edit(card, reader, resync)
                if card is None:
                    return True
            elif key in SCROLL_KEYS or key in PAGE_KEYS:
                step = SCROLL_KEYS.get(key) or PAGE_KEYS[key] * max(1, self.page - 1)
                self.scroll = max(0, self.scroll + step)
            elif key in ("resize", "escape"):
                pass
            else:
                self._hint(card, revealed, key)
                continue
            self.draw(card, revealed)

    def _hint(self, card: Card, revealed: bool, key: str) -> None:
        grades = FULL_SCALE_HINT if self.full_scale else BUTTON_HINT
        hint = "Answer with " + grades if revealed else "First show the answer."
        if self.line_mode:  # no redraw: a script sees one line per unknown input
            unknown = "" if key == "reveal" else f"Unknown input {key!r}. "
            self.out.print(Text(unknown + hint))
            return
        self.message = hint
        self.draw(card, revealed)

    def _say_answer(self, result: Answer) -> None:
        # The button's name, as pressed; the SM-2 grade only on the full scale.
        name = BUTTON_NAMES[result.button] if result.button else f"grade {result.grade}"
        again = " It comes back later in this session." if result.again else ""
        due, at = result.card.schedule.due, result.card.schedule.due_at
        due = f" Next review {due.isoformat()}." if result.scheduled and due else ""
        if result.scheduled and at is not None:  # an FSRS step of minutes
            due = f" Next review at {at.astimezone(self.review.zone):%H:%M}."
        self.message = f"Answered {name}.{due}{again}"

    def _edit(self, card: Card, reader: RawKeys | LineKeys,
              resync: Callable[[], object] | None) -> Card | None:
        """$EDITOR at the card's line, then a sync and the card's new text."""


        if self._read_only(card):
            card = self.review.reload(card.id) or card  # copied since it was queued?
        if self._read_only(card):
            if self.copy_read_only is None:
                self.message = ("Not edited: this card is in the bundled decks inside the "
                                "installed package, which a reinstall replaces. Copy the "
                                "deck to a folder of yours and `flashcards sync` that folder.")
                return card
            copied = self._offer_copy(card, reader)
            if copied is None:
                return card
            return self._edit_file(copied, reader, resync, done=self.message + " ")
        return self._edit_file(card, reader, resync)

    def _edit_file(self, card: Card, reader: RawKeys | LineKeys,
                   resync: Callable[[], object] | None, done: str = "") -> Card | None:
        """$EDITOR at the card's line, then a sync and the card's new text; ``done``
        is said before the outcome."""
        import shlex
        import subprocess

        from flashcards.model import FlashcardsError

        command = [*shlex.split(os.environ.get("EDITOR") or "vi"), f"+{card.line}", card.path]
        try:
            with reader.cooked():
                subprocess.run(command, check=False)
        except OSError as exc:
            self.message = f"Cannot run the editor {command[0]!r}: {exc.strerror or exc}"
            return card
        try:
            if resync is not None:
                resync()
        except FlashcardsError as exc:
            self.message = f"The file has errors, the card is unchanged: {exc}"
            return card
        fresh = self.review.reload(card.id)
        if fresh is None:
            self.message = done + "The card is gone from the file; skipped."
        elif (fresh.question, fresh.answer, fresh.kind, fresh.deck) == \
                (card.question, card.answer, card.kind, card.deck):
            self.message = done + "No change."
        else:
            self.message = done + "Card updated."
        return fresh

    def _read_only(self, card: Card) -> bool:
        return self.read_only is not None and Path(card.path).is_relative_to(self.read_only)

    def _offer_copy(self, card: Card, reader: RawKeys | LineKeys) -> Card | None:
        """Ask where to copy the bundled decks, copy and sync them; the card as copied,
        or None (with a message) if the user declines or the copy cannot be made."""
        from flashcards.model import FlashcardsError
        from flashcards.ui.copy_offer import ask_folder, home_path

        with reader.cooked():
            folder = ask_folder(self.out, self.copy_default, full_screen=not self.line_mode)
        if folder is None:
            self.message = "Not edited: the bundled decks stay where they are."
            return None
        try:
            self.copy_read_only(folder)
        except FlashcardsError as exc:
            self.message = f"Not copied: {exc}"
            return None
        fresh = self.review.reload(card.id)
        if fresh is None:
            self.message = "Copied, but the card is gone from the copy; skipped."
            return None
        self.message = f"Decks copied to {home_path(folder)}."
        return fresh
