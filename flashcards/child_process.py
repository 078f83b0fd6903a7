"""A module of ours run as a child process: ``python -P -m MODULE``, in a session of
its own. Both of our child processes start here (a large replay's second process,
replay_worker.py, and optimize's fit, fsrs/fit_worker.py).

Run by module name, not as a multiprocessing spawn: a spawn runs the parent's main
script again, and the installed `flashcards` script imports the whole command line
before its ``__main__`` guard.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO


def start(module: str, *, stdin: int | IO, stdout: int | IO) -> subprocess.Popen:
    """``module`` running in a child process, reading ``stdin`` and writing ``stdout``.

    The caller ends it (kill, then wait) when it is interrupted itself. A Ctrl-C
    while it starts ends it here, then reaches the caller.
    """
    # -P: the working directory is not put first on the child's path, where a folder
    # named flashcards (another checkout) would stand in for this package. A session
    # of its own: Ctrl-C at the terminal reaches only the parent, which decides.
    with _ctrl_c_held() as held:
        child = subprocess.Popen([sys.executable, "-P", "-m", module], stdin=stdin,
                                 stdout=stdout, start_new_session=True)
    if held:
        child.kill()
        child.wait()
        _deliver(held[0])
    return child


@contextmanager
def _ctrl_c_held() -> Iterator[list]:
    """Ctrl-C held back while the block runs; the handler it would have met is in
    the list yielded if one came.

    A KeyboardInterrupt inside ``Popen()`` after the fork leaves a child running that
    no one can end: ``Popen`` never returns it (and a replay's child would go on
    writing into a folder its parent has removed).
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is None):
        # Only the main thread gets signals and may set handlers; None: a handler
        # set outside Python, which could not be put back.
        yield []
        return
    held: list = []
    previous = signal.signal(signal.SIGINT, lambda *_: held.append(previous))
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, previous)


def _deliver(handler: object) -> None:
    """The Ctrl-C held back, as it would have been met: KeyboardInterrupt, as a rule."""
    if callable(handler):
        handler(signal.SIGINT, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signal.SIGINT)
