"""The child process of `optimize`'s fit (fitting_report.fit_in_worker starts it).

A module of its own so that the worker imports FSRS's fitting alone, not the
store, the journal and the settings the report needs (about 5 MB more, held
beside fsrs-rs's fit).
"""

from __future__ import annotations

import signal

from flashcards.fsrs import fitting


def run(connection) -> None:
    """Read a dataset from the pipe, fit, answer (True, parameters) or (False, why).

    SIGINT is ignored: Ctrl-C reaches the whole process group, and the parent decides.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Nothing here holds the dataset: the items let it go once fsrs-rs has read them.
    items = fitting.training_items(connection.recv(), release=True)
    try:
        result = (True, fitting.fit_items(items))
    except fitting.FitError as exc:
        result = (False, str(exc))
    connection.send(result)
    connection.close()
