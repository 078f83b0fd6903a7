"""The second process of a large replay: ``python -P -m flashcards.replay_worker``,
started by second_process.share. It reads its job pickled on its standard input
(a rebuild's buckets, or ranges of cards to replay under new rules) and writes
their batches, then what it met or its error, to the frames file the job names.

A module of its own, run by name (child_process.py says why), so that the process
imports the replay alone (the journal, the store's row makers): not the command line.
"""

from __future__ import annotations

import pickle
import sys

from flashcards import second_process

if __name__ == "__main__":
    try:
        job = pickle.load(sys.stdin.buffer)
    except (EOFError, pickle.UnpicklingError):  # no job whole: its parent replays it all
        sys.exit(1)
    second_process.serve(job)
