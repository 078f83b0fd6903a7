"""The review screen of `flashcards review`: keys in, the card drawn. No scheduling here.

The session logic is flashcards/session.py; this module only reads keys and
draws. Card text reaching it is Markdown that came through
``render.terminal.to_terminal_markdown``; it is drawn with ``rich.markdown.Markdown``
or ``rich.text.Text`` and never passed to rich's ``[markup]`` parser.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from rich.text import Text

from flashcards.scheduler import BUTTON_GRADES, BUTTON_NAMES, MAX_GRADE, MIN_GRADE
from flashcards.session import Answer, Card, ReviewSession, Summary, card_back, card_front
from flashcards.ui.tables import console

# The session logic is flashcards/session.py; this part only reads keys and draws.

REVEAL_KEYS = (" ", "\r", "\n")
QUIT_KEYS = ("q", "\x04")  # q, or Ctrl-D in cbreak mode
# Keys 1-4 press the buttons (scheduler.BUTTON_GRADES says which grade each gives);
# with --full-scale, keys 0-5 give SM-2 grades directly.
BUTTON_KEYS = {str(button): button for button in BUTTON_GRADES}
FULL_SCALE_KEYS = {str(grade): grade for grade in range(MIN_GRADE, MAX_GRADE + 1)}
BUTTON_HINT = " · ".join(f"{button} {name}" for button, name in BUTTON_NAMES.items())
FULL_SCALE_HINT = "0-5: SM-2 grade (0 blackout … 3 hard recall, 4 hesitation, 5 perfect)"


class _RawKeys:
    """Single keys from a terminal in cbreak mode; the mode is restored on any exit.

    SIGTERM and SIGHUP (a closed terminal window, ``kill``) would end the process
    without unwinding, leaving the shell in cbreak mode with echo off: while keys
    are read, they raise ``SystemExit`` instead, so ``__exit__`` runs as on any
    other exit. Every answer is already saved when its key is read.
    """

    line_mode = False
    SIGNALS = ("SIGTERM", "SIGHUP")

    def __init__(self) -> None:
        self.fd = sys.stdin.fileno()
        self.saved = None
        self.handlers: dict = {}

    def __enter__(self) -> _RawKeys:
        import signal
        import termios
        import tty

        self.saved = termios.tcgetattr(self.fd)
        for name in self.SIGNALS:
            if hasattr(signal, name):  # not on Windows
                number = getattr(signal, name)
                self.handlers[number] = signal.signal(number, _exit_on_signal)
        tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal
        import termios

        with suppress(termios.error, OSError):  # the terminal is gone (SIGHUP): no mode to keep
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        for number, handler in self.handlers.items():
            signal.signal(number, handler)

    @contextmanager
    def cooked(self) -> Iterator[None]:
        """The terminal as the editor expects it, then cbreak again."""
        import termios
        import tty

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        try:
            yield
        finally:
            tty.setcbreak(self.fd)

    def read(self, prompt: str) -> str | None:
        data = os.read(self.fd, 1)
        if not data:
            return None
        key = data.decode("utf-8", errors="ignore")
        return "reveal" if key in REVEAL_KEYS else key.lower()


def _exit_on_signal(number: int, frame: object) -> None:
    raise SystemExit(128 + number)  # the shell's convention for "killed by signal N"


class _Lines:
    """One line per step from a pipe or file, for scripts: empty line = reveal."""

    line_mode = True

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    @contextmanager
    def cooked(self) -> Iterator[None]:
        yield

    def read(self, prompt: str) -> str | None:
        sys.stdout.write(prompt + "> ")
        sys.stdout.flush()
        line = sys.stdin.readline()
        sys.stdout.write("\n")  # the input is not echoed: end the prompt's line
        if not line:
            return None
        text = line.strip().lower()
        return text or "reveal"


def run_review(review: ReviewSession, *, full_scale: bool = False,
               resync: Callable[[], object] | None = None,
               day_summary: Callable[[], str] | None = None) -> Summary:
    """Drive a review session until it is done or the user quits; return its summary.

    On a terminal, single keys; otherwise one line per step (see docs/review.md).
    ``resync`` re-reads the files after an edit; ``day_summary`` gives the end
    screen's line about the whole study day.
    """
    import time

    reader = _RawKeys() if sys.stdin.isatty() else _Lines()
    screen = _ReviewScreen(review, reader.line_mode, full_scale, time.monotonic(),
                           day_summary)
    try:
        with reader:
            while review.current is not None:
                if not screen.card_step(reader, resync):
                    break
    except KeyboardInterrupt:
        screen.finish()
        raise
    screen.finish()
    return review.summary()


class _ReviewScreen:
    """The state of the screen for one session: messages, timers and the drawing."""

    def __init__(self, review: ReviewSession, line_mode: bool, full_scale: bool, started: float,
                 day_summary: Callable[[], str] | None):
        self.review = review
        self.line_mode = line_mode
        self.full_scale = full_scale
        self.day_summary = day_summary
        self.keys = FULL_SCALE_KEYS if full_scale else BUTTON_KEYS
        self.grade_hint = FULL_SCALE_HINT if full_scale else BUTTON_HINT
        self.started = started
        self.message = ""
        self.out = console()

    def card_step(self, reader: _RawKeys | _Lines,
                  resync: Callable[[], object] | None) -> bool:
        """Show the current card until it is answered, undone or suspended; False to quit."""
        import time

        card, revealed, shown_at = self.review.current, False, time.monotonic()
        self.draw(card, revealed)
        while True:
            key = reader.read(self._prompt(revealed))
            if key is None or key in QUIT_KEYS or key == "quit":
                return False
            if key == "reveal" and not revealed:
                revealed = True
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
            elif key == "e":
                card = self._edit(card, reader, resync)
                if card is None:
                    return True
            else:
                self._hint(card, revealed, key)
                continue
            self.draw(card, revealed)

    def _hint(self, card: Card, revealed: bool, key: str) -> None:
        hint = "Answer with " + self.grade_hint if revealed else "First show the answer."
        if self.line_mode:  # no redraw: a script sees one line per unknown input
            unknown = "" if key == "reveal" else f"Unknown input {key!r}. "
            self.out.print(Text(unknown + hint))
            return
        self.message = hint
        self.draw(card, revealed)

    def _say_answer(self, result: Answer) -> None:
        again = " It comes back later in this session." if result.again else ""
        due = result.card.schedule.due
        due = f" Next review {due.isoformat()}." if result.scheduled and due else ""
        self.message = f"Answered {result.grade}.{due}{again}"

    def _prompt(self, revealed: bool) -> str:
        if revealed:
            return f"{self.grade_hint} · u undo · s suspend · e edit · q quit "
        reveal = "Enter" if self.line_mode else "Space"
        return f"{reveal} show answer · u undo · s suspend · e edit · q quit "

    def _edit(self, card: Card, reader: _RawKeys | _Lines,
              resync: Callable[[], object] | None) -> Card | None:
        """$EDITOR at the card's line, then a sync and the card's new text."""
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
        self.message = "Card updated." if fresh else "The card is gone from the file; skipped."
        return fresh

    def draw(self, card: Card, revealed: bool) -> None:
        from rich.markdown import Markdown
        from rich.rule import Rule

        from flashcards.render.terminal import to_terminal_markdown

        if not self.line_mode:
            self.out.clear()
        self.out.print(self._header(card))
        if self.message:  # what the last key did, above the card it left on screen
            self.out.print(Text(self.message))
            self.message = ""
        text = card_back(card) if revealed else card_front(card)
        self.out.print(Markdown(to_terminal_markdown(text)))
        self.out.print(Rule(style="dim"))
        self.out.print(self._footer(), style="dim")
        if not self.line_mode:  # in line mode the prompt says it
            self.out.print(self._prompt(revealed))
        self.out.file.flush()

    def _header(self, card: Card) -> Text:
        kind = "again" if card.id in self.review.again else \
            "new" if card.schedule.is_new else "review"
        header = Text(f"{card.deck} · {kind} · card {card.id}", style="dim")
        if self.review.is_leech(card):
            header.append(f"  leech ({card.lapses} lapses)", style="bold red")
        return header

    def _footer(self) -> str:
        import time

        left = self.review.remaining()
        spent = _clock_text(time.monotonic() - self.started)
        return (f"Remaining: {left['new']} new · {left['review']} review · {left['again']} again"
                f" · time {spent}")

    def finish(self) -> None:
        import time

        summary = self.review.summary()
        spent = _clock_text(time.monotonic() - self.started)
        if summary.reviewed:
            share = round(100 * summary.correct_share)
            line = (f"Reviewed {summary.reviewed} cards ({summary.answers} answers), "
                    f"{share}% correct, in {spent}.")
        else:
            line = "No cards reviewed."
        left = sum(self.review.remaining().values())
        if left:
            line += f" {left} left for today."
        if summary.next_due:
            line += (f" Next due: {summary.next_due.isoformat()} "
                     f"({summary.next_due_count} cards).")
        self.out.print(Text(line))
        if self.day_summary is not None:  # the whole study day, earlier sessions too
            self.out.print(Text(self.day_summary()))
        self.out.file.flush()


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"

