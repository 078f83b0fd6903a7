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
from datetime import date, timedelta
from pathlib import Path

from rich.text import Text

from flashcards.scheduler import BUTTON_GRADES, BUTTON_NAMES, MAX_GRADE, MIN_GRADE
from flashcards.session import (
    Answer,
    Card,
    ReviewSession,
    Summary,
    card_back,
    card_front,
    card_rest,
    card_side,
)
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
# What the scrolling keys send: arrows in both cursor modes, PgUp/PgDn. The
# wheel arrives as arrows too (alternate scroll mode, below).
ESCAPE_KEYS = {"\x1b[A": "up", "\x1bOA": "up", "\x1b[B": "down", "\x1bOB": "down",
               "\x1b[5~": "pgup", "\x1b[6~": "pgdn"}
SCROLL_KEYS = {"up": -1, "k": -1, "down": 1, "j": 1}
PAGE_KEYS = {"pgup": -1, "pgdn": 1}
# The alternate screen (the shell's text comes back on exit, as with less), no
# cursor, and xterm's alternate scroll mode: the wheel sends arrow keys.
SCREEN_ON = "\x1b[?1049h\x1b[?25l\x1b[?1007h"
SCREEN_OFF = "\x1b[?1007l\x1b[?25h\x1b[?1049l"


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
        # A resize must redraw at once, not on the next key: SIGWINCH writes to
        # this pipe, which `read` waits on beside the keyboard.
        self.wake_read, wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(wake_write, False)
        self.wake_write = wake_write
        self.saved_wakeup = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
        self.saved_winch = signal.signal(signal.SIGWINCH, lambda *_: None)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal
        import termios

        signal.signal(signal.SIGWINCH, self.saved_winch)
        signal.set_wakeup_fd(self.saved_wakeup)
        os.close(self.wake_read)
        os.close(self.wake_write)
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
        """One key: a character, "reveal", a name from ESCAPE_KEYS, or "resize"."""
        import select

        ready = select.select([self.fd, self.wake_read], [], [])[0]
        if self.wake_read in ready:
            try:
                while os.read(self.wake_read, 64):
                    pass
            except BlockingIOError:
                pass
            if self.fd not in ready:
                return "resize"
        data = os.read(self.fd, 1)
        if not data:
            return None
        if data == b"\x1b":  # the rest of an escape sequence arrives with it
            while select.select([self.fd], [], [], 0.03)[0]:
                data += os.read(self.fd, 1)
                if len(data) > 2 and (data[-1:].isalpha() or data[-1:] == b"~"):
                    break
            return ESCAPE_KEYS.get(data.decode("ascii", errors="ignore"), "escape")
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

    reader = _RawKeys() if sys.stdin.isatty() else _Lines()
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


class _ReviewScreen:
    """The state of the screen for one session: messages, timers and the drawing."""

    read_only: Path | None = None
    image_protocol: str | None = None  # inline_images.detect(), on a full screen only
    copy_read_only: Callable[[Path], object] | None = None
    copy_default: Path | None = None
    notice = ""

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

    @contextmanager
    def full_screen(self) -> Iterator[None]:
        if self.line_mode:
            yield
            return
        self.out.file.write(SCREEN_ON)
        try:
            yield
        finally:
            self.out.file.write(SCREEN_OFF)
            self.out.file.flush()

    def card_step(self, reader: _RawKeys | _Lines,
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
            due = f" Next review at {at.astimezone(self.review.clock().tzinfo):%H:%M}."
        self.message = f"Answered {name}.{due}{again}"

    def _buttons(self) -> str:
        """The grade keys, each with the interval it would give (Anki's button labels)."""
        if self.full_scale:
            return FULL_SCALE_HINT
        preview = self.review.preview()
        return " · ".join(f"{button} {name}{_interval_text(preview[button], self.review.today)}"
                          for button, name in BUTTON_NAMES.items())

    def _prompt(self, revealed: bool) -> str:
        if revealed:
            return f"{self._buttons()} · u undo · s suspend · e edit · f flag · q quit "
        reveal = "Enter" if self.line_mode else "Space"
        return f"{reveal} show answer · u undo · s suspend · e edit · f flag · q quit "

    def _edit(self, card: Card, reader: _RawKeys | _Lines,
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

    def _edit_file(self, card: Card, reader: _RawKeys | _Lines,
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

    def _offer_copy(self, card: Card, reader: _RawKeys | _Lines) -> Card | None:
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

    def draw(self, card: Card, revealed: bool) -> None:
        if self.line_mode:
            self._draw_lines(card, revealed)
        else:
            self._draw_screen(card, revealed)
        self.out.file.flush()

    def _draw_lines(self, card: Card, revealed: bool) -> None:
        """For scripts: the whole card, one line after another (the prompt says the keys)."""
        from rich.markdown import Markdown
        from rich.rule import Rule

        from flashcards.render.terminal import to_terminal_markdown

        self.out.print(self._header(card))
        if self.message:
            self.out.print(Text(self.message))
            self.message = ""
        text = card_back(card) if revealed else card_front(card)
        self.out.print(Markdown(to_terminal_markdown(text)))
        self.out.print(Rule(style="dim"))
        self.out.print(self._footer(), style="dim")

    def _draw_screen(self, card: Card, revealed: bool) -> None:
        """One frame that fits the terminal: the header and the question stay at the top,
        the answer scrolls in the rows left between them and the keys at the bottom."""
        width, height = self.out.size
        # What the last key did goes under the header, above the card it left on screen.
        head = [self._header(card), Text(self.message)]
        self.message = ""
        foot = self._footer_lines(revealed)
        room = max(2, height - len(head) - len(foot) - 1)
        front = self._markdown_lines(card_front(card), width)
        if revealed:
            # The question keeps its place; the answer gets at least a few rows.
            pinned = front[:max(1, min(len(front), room - 4))]
            body = self._markdown_lines(card_rest(card), width)
            area = room - len(pinned) - 1
            top = [*pinned, self._plain_line(Text("─" * width, style="dim"), width)]
        else:
            body, area, top = front, room, []
        self.scroll = min(self.scroll, max(0, len(body) - area))
        shown = body[self.scroll:self.scroll + area]
        self.page = area
        marker = self._more_marker(self.scroll, len(body) - self.scroll - len(shown), width)
        rows = [self._plain_line(line, width) for line in head] + top + shown
        image = self._image_below(card, revealed, len(rows), height - len(foot) - 1,
                                  width) if len(shown) + self.scroll == len(body) else ""
        rows += [""] * (height - len(foot) - 1 - len(rows))
        rows += [marker] + [self._plain_line(line, width) for line in foot]
        frame = "".join(f"\x1b[{n};1H\x1b[2K{row}" for n, row in enumerate(rows[:height], 1))
        self.out.file.write(frame + image)

    def _image_below(self, card: Card, revealed: bool, used: int, last: int,
                     width: int) -> str:
        """The first image of the side on screen, drawn in the free rows under the
        text (when the whole text is shown and the terminal draws images), as what
        to write after the frame; "" otherwise: the text names the image."""
        from flashcards.ui.inline_images import MAX_ROWS, MIN_ROWS, drawing

        free = last - used - 1  # a blank row between the text and the image
        if self.image_protocol is None or free < MIN_ROWS:
            return ""
        side = card_rest(card) if revealed else card_front(card)
        files = self.review.image_files(card, side)
        if not files:
            return ""
        drawn = drawing(files[0][1], self.image_protocol, columns=min(width, 80),
                        rows=min(MAX_ROWS, free))
        return f"\x1b[{used + 2};1H{drawn[0]}" if drawn else ""

    def _more_marker(self, above: int, below: int, width: int) -> str:
        if not above and not below:
            return ""
        parts = ([f"↑ {above} more above"] if above else []) + \
            ([f"↓ {below} more below"] if below else [])
        text = Text(" · ".join(parts) + " (↑↓ j k PgUp PgDn)", style="reverse")
        return self._plain_line(text, width)

    def _markdown_lines(self, markdown: str, width: int) -> list[str]:
        from rich.markdown import Markdown

        from flashcards.render.terminal import to_terminal_markdown

        with self.out.capture() as captured:
            self.out.print(Markdown(to_terminal_markdown(markdown)), width=width)
        lines = captured.get().rstrip("\n").split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        return lines

    def _plain_line(self, text: Text | str, width: int) -> str:
        """One row, cut to the width (never wrapped: the frame's rows are counted)."""
        text = Text(text) if isinstance(text, str) else text.copy()
        text.truncate(width, overflow="ellipsis")
        with self.out.capture() as captured:
            self.out.print(text, width=width, no_wrap=True, crop=True, end="")
        return captured.get()

    def _footer_lines(self, revealed: bool) -> list[Text]:
        if revealed:
            keys = Text(self._buttons(), style="bold")
        else:
            keys = Text("Space show answer", style="bold")
        return [Text(self._footer(), style="dim"), keys,
                Text("u undo · s suspend · e edit · f flag · q quit", style="dim")]

    def _header(self, card: Card) -> Text:
        kind = "again" if card.id in self.review.again else \
            "new" if card.schedule.is_new else "review"
        where = f"{self.review.position + 1}/{len(self.review.cards)}"
        side = card_side(card)
        header = Text(" · ".join(p for p in (card.deck, where, kind, side) if p), style="dim")
        if self.review.is_flagged(card):
            header.append("  flagged", style="bold yellow")
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

        from flashcards.stats import plural

        summary = self.review.summary()
        spent = _clock_text(time.monotonic() - self.started)
        if summary.reviewed:
            share = round(100 * summary.correct_share)
            line = (f"Reviewed {plural(summary.reviewed, 'card')} "
                    f"({plural(summary.answers, 'answer')}), {share}% correct, in {spent}.")
        else:
            line = "No cards reviewed."
        left = sum(self.review.remaining().values())
        if left:
            line += f" {left} left for today."
        if summary.next_due:
            line += (f" Next due: {summary.next_due.isoformat()} "
                     f"({plural(summary.next_due_count, 'card')}).")
        # soft_wrap: whole lines, for scripts reading them; a terminal wraps them itself.
        self.out.print(Text(line), soft_wrap=True)
        if self.day_summary is not None:  # the whole study day, earlier sessions too
            self.out.print(Text(self.day_summary()), soft_wrap=True)
        if self.notice:
            self.out.print(Text(self.notice, style="bold"), soft_wrap=True)
        self.out.file.flush()


def _interval_text(due: date | timedelta | None, today: date) -> str:
    """" 6d", " 2.1mo", " 1.5y" after a button's name; " 10m" for an FSRS step of
    minutes (a wait); nothing for a same-day repeat."""
    if due is None:
        return ""
    if isinstance(due, timedelta):
        minutes = round(due.total_seconds() / 60)
        return f" {minutes}m" if minutes < 60 else f" {minutes / 60:.1f}h".replace(".0h", "h")
    days = (due - today).days
    if days < 1:
        return " <1d"
    if days < 30:
        return f" {days}d"
    if days < 365:
        return f" {days / 30:.1f}mo"
    return f" {days / 365:.1f}y"


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"

