"""Keys for the review screen: single keys from a terminal in cbreak mode, or lines from a pipe.

What a key means to the session is flashcards/ui/review_screen.py; this module
only reads keys (and restores the terminal's mode on any exit).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress

REVEAL_KEYS = (" ", "\r", "\n")
QUIT_KEYS = ("q", "\x04")  # q, or Ctrl-D in cbreak mode
# What the scrolling keys send: arrows in both cursor modes, PgUp/PgDn. The
# wheel arrives as arrows too (alternate scroll mode: review_drawing.SCREEN_ON).
ESCAPE_KEYS = {"\x1b[A": "up", "\x1bOA": "up", "\x1b[B": "down", "\x1bOB": "down",
               "\x1b[5~": "pgup", "\x1b[6~": "pgdn"}
SCROLL_KEYS = {"up": -1, "k": -1, "down": 1, "j": 1}
PAGE_KEYS = {"pgup": -1, "pgdn": 1}


class RawKeys:
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

    def __enter__(self) -> RawKeys:
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


class LineKeys:
    """One line per step from a pipe or file, for scripts: empty line = reveal."""

    line_mode = True

    def __enter__(self) -> LineKeys:
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
