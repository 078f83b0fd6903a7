"""The child process of `optimize`'s fit: ``python -m flashcards.fsrs.fit_worker``,
started by fitting_report.fit_in_worker. It reads a pickled dataset and the rows
to fit on (fitting.fit_rows: all, or a sample of whole cards) on its standard
input and writes the pickled answer, (True, parameters) or (False, why), on its
standard output.

A module of its own, run by name (child_process.py says why), so that the worker
imports FSRS's fitting alone: not the command line, the store, the journal and the
settings (about 5 MB more, held beside fsrs-rs's fit).
"""

from __future__ import annotations

import pickle
import sys
from typing import BinaryIO

from flashcards.fsrs import fitting


def run(source: BinaryIO, sink: BinaryIO) -> None:
    """Read a dataset and its rows from ``source``, fit, write the answer to ``sink``."""
    # Nothing here holds the dataset: the items let it go once fsrs-rs has read them.
    data = pickle.load(source)
    items = fitting.training_items(data, pickle.load(source), release=True)
    del data
    try:
        result = (True, fitting.fit_items(items))
    except fitting.FitError as exc:
        result = (False, str(exc))
    pickle.dump(result, sink)
    sink.flush()


if __name__ == "__main__":
    try:
        run(sys.stdin.buffer, sys.stdout.buffer)
    except (EOFError, BrokenPipeError, pickle.UnpicklingError):  # its parent went first
        sys.exit(1)
