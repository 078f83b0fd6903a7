"""A module of ours run as a child process: ``python -P -m MODULE``, in a session of
its own, that never outlives the block it runs in. Both of our child processes start
here (a large replay's second process, replay_worker.py, and optimize's fit,
fsrs/fit_worker.py).

Run by module name, not as a multiprocessing spawn: a spawn runs the parent's main
script again, and the installed `flashcards` script imports the whole command line
before its ``__main__`` guard.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import IO


@contextmanager
def running(module: str, *, stdin: int | IO, stdout: int | IO) -> Iterator[subprocess.Popen]:
    """``module`` running in a child process, reading ``stdin`` and writing ``stdout``,
    for the time of the block; when the block ends, however it ends (Ctrl-C included),
    the child is killed if it still runs, its pipes are closed, and it is waited for.

    Ctrl-C is held back while the child starts: a KeyboardInterrupt inside ``Popen()``
    after the fork would leave a child that no one holds, and so no one can end (a
    replay's child would go on writing into a folder its parent has removed). It is
    met once the child is held here.
    """
    # -P: the working directory is not put first on the child's path, where a folder
    # named flashcards (another checkout) would stand in for this package. A session
    # of its own: Ctrl-C at the terminal reaches only the parent, which decides.
    command = [sys.executable, "-P", "-m", module]
    child = None
    release = _hold_ctrl_c()
    try:
        try:
            child = subprocess.Popen(command, stdin=stdin, stdout=stdout,
                                     start_new_session=True)
        finally:
            release()  # a Ctrl-C that came meanwhile is met here, with the child held
        yield child
    finally:
        if child is not None:
            child.kill()  # if it still runs: no-op once it has ended
            for pipe in (child.stdin, child.stdout):  # None unless a PIPE was asked for
                if pipe is not None:
                    with suppress(OSError):  # stdin may be a broken pipe
                        pipe.close()
            child.wait()


def _hold_ctrl_c() -> Callable[[], None]:
    """Hold SIGINT back from now on; the function returned puts its handler back and
    calls it if a SIGINT came (default_int_handler raises KeyboardInterrupt)."""
    previous = signal.getsignal(signal.SIGINT)
    if (threading.current_thread() is not threading.main_thread()
            or previous is None or previous == signal.SIG_IGN):
        # Only the main thread gets signals and may set handlers; None: a handler set
        # outside Python, which could not be put back; ignored: nothing to hold.
        return lambda: None
    held: list[int] = []
    signal.signal(signal.SIGINT, lambda number, frame: held.append(number))

    def release() -> None:
        signal.signal(signal.SIGINT, previous)
        if held and callable(previous):
            previous(signal.SIGINT, None)
        elif held and previous == signal.SIG_DFL:
            signal.raise_signal(signal.SIGINT)

    return release
