"""The second process of a large rebuild: ``python -P -m flashcards.rebuild_worker``,
started by history_rebuild.replay_buckets. It reads its part of the work pickled on
its standard input and writes its buckets' batches, then its problems or its error,
to the frames file the part names (history_rebuild.replay_part).

A module of its own, run by name (child_process.py says why), so that the process
imports the replay alone (the journal, the store's row makers): not the command line.
"""

from __future__ import annotations

import pickle
import sys

from flashcards import history_rebuild

if __name__ == "__main__":
    try:
        part = pickle.load(sys.stdin.buffer)
    except (EOFError, pickle.UnpicklingError):  # no work whole: its parent replays it all
        sys.exit(1)
    history_rebuild.replay_part(part)
