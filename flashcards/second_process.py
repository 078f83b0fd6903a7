"""A large replay shared with a second process: its parts split between the two, the
second's results back through a file of frames, and what happens if it fails.

Both large replays use it: a rebuild's (history_rebuild: buckets of the journal) and
the replay of every card after a change of scheduler (rescheduling: ranges of
cards). Each part's results are independent of every other part's, so the two
processes never wait for each other; this one writes all the results to the store.
The second process is replay_worker.py, run by name (child_process.py says why).
"""

from __future__ import annotations

import gc
import os
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from flashcards import child_process

if TYPE_CHECKING:
    import subprocess


class Work(Protocol):
    """A replay cut into parts: picklable, and importing no command line (the second
    process imports what unpickling it needs, and nothing else)."""

    def replay(self, part: object) -> Iterator[object]:
        """One part's results, in batches: here, or in the second process."""

    def ended(self) -> object:
        """In the second process, after its last part: what to send back besides the
        batches (problems met), handed to ``share``'s ``ended``."""


@dataclass(frozen=True)
class Job:
    """What the second process runs: ``work``'s ``parts``, frames written to ``out``."""

    work: Work
    parts: Sequence[object]
    out: Path


def share(here: Work, there: Work, parts: Sequence[object], own_share: float, out: Path, *,
          ended: Callable[[object], None]) -> Iterator[object]:
    """Every part's batches: the first ``own_share`` of ``parts`` (one at least)
    replayed by ``here`` while a second process replays the others by ``there`` (the
    same replay, made to be pickled); their batches follow (so the order is the same
    whoever replayed them). ``ended`` gets what the second process sent at its end.
    On one core, or when no part is left for it, every part is replayed here.

    If the second process dies, the parts it had not finished are replayed here; an
    error it raises is raised here. Ctrl-C here (or any error) ends it.
    """
    own = max(1, round(len(parts) * own_share)) if (os.cpu_count() or 1) > 1 else len(parts)
    if own >= len(parts):
        for part in parts:
            yield from here.replay(part)
        return
    job = Job(there, parts[own:], out)
    out.write_bytes(b"")
    done: set[int] = set()
    last: list = []  # the second process's last frame: ended() or its error
    with _second_process(job) as worker:  # ended with the block (Ctrl-C, any error)
        for part in parts[:own]:
            yield from here.replay(part)
        for index, batches in _frames(out, lambda: worker.poll() is not None):
            if index == _ENDED:
                last.append(batches)
                continue
            done.add(index)
            yield from batches
    if not last:  # it died (killed, out of memory): its unfinished parts, here
        for index, part in enumerate(job.parts):
            if index not in done:
                yield from here.replay(part)
    elif isinstance(last[0], BaseException):
        raise last[0]
    else:
        ended(last[0])


@contextmanager
def _second_process(job: Job) -> Iterator[subprocess.Popen]:
    """The second process, reading ``job``, for the time of the block. A process of
    its own, not a fork: a fork's resident size counts every page of this one it
    touches (some 60 MB more at 100k cards), and it inherits the store's connection,
    which must not cross a fork."""
    import subprocess
    import tempfile

    # The job in a file with no name, as its standard input: this process goes on
    # to its own parts at once, not held until the child has read a pipe's worth.
    with tempfile.TemporaryFile(dir=job.out.parent) as stdin:
        pickle.dump(job, stdin, protocol=pickle.HIGHEST_PROTOCOL)
        stdin.seek(0)
        with child_process.running("flashcards.replay_worker", stdin=stdin,
                                   stdout=subprocess.DEVNULL) as worker:
            stdin.close()  # the child reads its own copy
            yield worker


def serve(job: Job) -> None:
    """In the second process: each part's batches as a frame in ``job.out`` (its
    length, then the part's index and its batches pickled), then a last frame: what
    ``work.ended()`` returns, or the error raised. It stops if the process that
    started it is gone."""
    gc.disable()  # as in the first (gcpause.no_collections): no cyclic garbage is made
    parent = os.getppid()
    with job.out.open("ab") as out:
        try:
            for index, part in enumerate(job.parts):
                if os.getppid() != parent:
                    return  # no one will read the rest
                _write_frame(out, (index, list(job.work.replay(part))))
            last: object = job.work.ended()
        except Exception as exc:  # noqa: BLE001 - sent to the first process, raised there
            import traceback

            # Its message is unchanged; a traceback shown there says where it began.
            exc.add_note(f"In the replay's second process:\n{traceback.format_exc()}")
            last = exc
            try:  # an error that cannot cross (pickled, then read back): its name and text
                pickle.loads(pickle.dumps(exc))
            except Exception:  # noqa: BLE001
                last = RuntimeError(f"{type(exc).__name__}: {exc}")
        _write_frame(out, (_ENDED, last))


def _write_frame(out: BinaryIO, value: object) -> None:
    frame = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(frame).to_bytes(_LENGTH, "little") + frame)
    out.flush()


_ENDED = -1  # the index of the last frame, which holds ended() or the error
_LENGTH = 8  # bytes of a frame's length


def _frames(path: Path, finished: Callable[[], bool]) -> Iterator[tuple[int, list]]:
    """The second process's frames, each once it is written whole, until it has
    ``finished`` (ended or died) and no whole frame is left."""
    with path.open("rb") as frames:
        while True:
            over = finished()  # before reading: every frame written before it is seen
            at = frames.tell()
            head = frames.read(_LENGTH)
            size = int.from_bytes(head, "little") if len(head) == _LENGTH else -1
            if size >= 0 and len(body := frames.read(size)) == size:
                yield pickle.loads(body)
                continue
            frames.seek(at)
            if over:
                return
            time.sleep(0.02)  # the next part is on its way
