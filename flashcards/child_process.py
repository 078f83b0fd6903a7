"""A module of ours run as a child process: ``python -P -m MODULE``, in a session of
its own. Both of our child processes start here (a large replay's second process,
replay_worker.py, and optimize's fit, fsrs/fit_worker.py).

Run by module name, not as a multiprocessing spawn: a spawn runs the parent's main
script again, and the installed `flashcards` script imports the whole command line
before its ``__main__`` guard.
"""

from __future__ import annotations

import subprocess
import sys
from typing import IO


def start(module: str, *, stdin: int | IO, stdout: int | IO) -> subprocess.Popen:
    """``module`` running in a child process, reading ``stdin`` and writing ``stdout``.

    The caller ends it (kill, then wait) when it is interrupted itself.
    """
    # -P: the working directory is not put first on the child's path, where a folder
    # named flashcards (another checkout) would stand in for this package. A session
    # of its own: Ctrl-C at the terminal reaches only the parent, which decides.
    return subprocess.Popen([sys.executable, "-P", "-m", module], stdin=stdin, stdout=stdout,
                            start_new_session=True)
