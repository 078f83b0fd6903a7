"""A rebuild's replay: cards with no stored answers, replayed from their events alone.

A store rebuilt from Markdown and the journal (or one never answered) replays
every card from nothing, so this replay reads nothing back from the store: it
turns a batch of events straight into the rows to write (``store.answer_values``
and ``schedule_values``), with no per-answer objects beyond the replay's own.

A large rebuild's buckets (``journal_buckets``) are shared with a second process
(``replay_buckets``): each card's events are all in one bucket, so the two never
need each other's results, and the rows of the second come back through a file.
"""

from __future__ import annotations

import gc
import os
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from flashcards import journal
from flashcards.journal import ANSWER, JOURNAL_ONLY, NOTE, SUSPEND, UNSUSPEND, Event
from flashcards.journal_buckets import BucketedReading
from flashcards.store import ReplayCard, ReviewRecord, answer_values, schedule_values

if TYPE_CHECKING:
    import subprocess

# The cards of a batch, by (note GUID, ordinal): a StoredCard or a ReplayCard.
Cards = Mapping[tuple[str, int], ReplayCard]
RulesFor = Callable[[str], journal.Rules]

# From this many buckets (about 12 MB of journal) a second process takes some:
# fewer are not worth its start (about 0.3 s).
SECOND_PROCESS_FROM = 3
# The share of the buckets this process replays itself: it also writes every row
# to the store, the second's included (docs/benchmarks.md, "The rebuild on two cores").
OWN_SHARE = 0.35


@dataclass
class ReplayedBatch:
    """One batch replayed: rows ready for the store, and what the user is told."""

    reviews: list[list] = field(default_factory=list)  # store.answer_values rows
    schedules: list[list] = field(default_factory=list)  # store.schedule_values rows
    suspensions: list[tuple[int, bool]] = field(default_factory=list)  # changed ones
    answers_from: Counter[str] = field(default_factory=Counter)
    missing: set[str] = field(default_factory=set)  # GUIDs of notes the store lacks
    cards: int = 0
    has_schedules: bool = False


def replay_batch(events: list[Event], cards: Cards, rules_for: RulesFor, device: str, *,
                 rows: int = 20_000) -> Iterator[ReplayedBatch]:
    """Every card of ``events`` (each card's events all here), replayed from nothing, in
    parts of about ``rows`` answers (so a large read never holds all its rows)."""
    batch = ReplayedBatch(has_schedules=any(e.type in JOURNAL_ONLY for e in events))
    for key, card_events in journal.by_card(e for e in events if e.type != NOTE).items():
        card = cards.get(key)
        if card is None:
            batch.missing.add(key[0])  # a note this store does not hold (yet)
            continue
        history = journal.replay(card_events, rules_for(card.deck))
        batch.reviews += [answer_values(card.id, a.event.time, a.event.grade,
                                        a.event.duration_ms, a.scheduled, a.before, a.after,
                                        a.event.button, a.event.utc_offset_minutes,
                                        a.event.day_start_hour, a.event.id)
                          for a in history.answers]
        batch.schedules.append(schedule_values(card.id, history.schedule, history.lapses))
        if any(e.type in (SUSPEND, UNSUSPEND) for e in card_events) \
                and history.suspended != card.suspended:
            batch.suspensions.append((card.id, history.suspended))
        batch.cards += 1
        batch.answers_from.update(e.device for e in card_events
                                  if e.type == ANSWER and e.device != device)
        if len(batch.reviews) >= rows:
            yield batch
            batch = ReplayedBatch()
    yield batch


def record_of(answer: journal.ReplayedAnswer, card: ReplayCard) -> ReviewRecord:
    """A replayed answer as the store keeps it."""
    event = answer.event
    return ReviewRecord(
        card_id=card.id, note_guid=card.note_guid, ordinal=card.ord, reviewed_at=event.time,
        grade=event.grade, scheduled=answer.scheduled, before=answer.before, after=answer.after,
        button=event.button, duration_ms=event.duration_ms,
        utc_offset_minutes=event.utc_offset_minutes, day_start_hour=event.day_start_hour,
        event_id=event.id)


def replay_buckets(reading: BucketedReading, cards: Cards, rules_for: RulesFor, device: str,
                   *, rows: int) -> Iterator[ReplayedBatch]:
    """Every bucket of ``reading`` replayed (``replay_batch``), on two cores if there are.

    A second process (rebuild_worker.py) replays the last buckets while this one
    replays the first, then writes the second's batches as they come; they follow
    this one's, so the rows are written in the same order whoever replayed them. If
    the second process dies, the buckets it had not finished are replayed here; an
    error it raises (a journal of a newer version) is raised here. Ctrl-C here ends it.
    """
    own = range(reading.buckets)
    if reading.buckets >= SECOND_PROCESS_FROM and (os.cpu_count() or 1) > 1:
        own = range(max(1, round(reading.buckets * OWN_SHARE)))
    second = range(own.stop, reading.buckets)
    if not second:
        yield from _replay_here(reading, own, cards, rules_for, device, rows)
        return
    assert reading.folder is not None
    part = _Part(reading.for_another_process(), second, cards,
                 {deck: rules_for(deck) for deck in {c.deck for c in cards.values()}},
                 device, rows, reading.folder / "second.batches")
    part.out.touch()
    done: set[int] = set()
    ended: list = []  # the second process's last frame: its problems, or its error
    worker = _start(part)
    try:
        yield from _replay_here(reading, own, cards, rules_for, device, rows)
        for bucket, batches in _buckets_written(part.out, lambda: worker.poll() is not None):
            if bucket == _ENDED:
                ended.append(batches)
                continue
            done.add(bucket)
            yield from batches
    finally:
        worker.kill()  # if still running (interrupted here): it must not outlive this
        worker.wait()
    if not ended:  # it died (killed, out of memory): its unfinished buckets, here
        yield from _replay_here(reading, [b for b in second if b not in done], cards,
                                rules_for, device, rows)
    elif isinstance(ended[0], BaseException):
        raise ended[0]
    else:
        reading.problems += ended[0]


def _start(part: _Part) -> subprocess.Popen:
    """The second process, rebuild_worker.py, reading ``part``. A process of its own,
    not a fork: a fork's resident size counts every page of this one it touches (some
    60 MB more at 100k cards), and it inherits the store's connection, which must not
    cross a fork."""
    import subprocess  # only for a large rebuild
    import tempfile

    from flashcards import child_process

    # The work in a file with no name, as its standard input: this process goes on
    # to its own buckets at once, not held until the child has read a pipe's worth.
    with tempfile.TemporaryFile(dir=part.out.parent) as work:
        pickle.dump(part, work, protocol=pickle.HIGHEST_PROTOCOL)
        work.seek(0)
        return child_process.start("flashcards.rebuild_worker", stdin=work,
                                   stdout=subprocess.DEVNULL)


def _replay_here(reading: BucketedReading, buckets: Iterable[int], cards: Cards,
                 rules_for: RulesFor, device: str, rows: int) -> Iterator[ReplayedBatch]:
    for events in reading.batches(buckets):
        yield from replay_batch(events, cards, rules_for, device, rows=rows)


@dataclass(frozen=True)
class _Part:
    """What the second process replays, and where it puts the batches."""

    reading: BucketedReading
    buckets: range
    cards: Cards
    rules: dict[str, journal.Rules]  # by deck
    device: str
    rows: int
    out: Path


def replay_part(part: _Part) -> None:
    """In the second process: its buckets replayed into ``part.out``, a frame each (its
    length, then the bucket and its batches pickled), then a last frame: the problems
    met, or the error raised. It stops if the process that started it is gone."""
    gc.disable()  # as in the first (history._no_collections): no cyclic garbage is made
    parent = os.getppid()
    with part.out.open("ab") as out:
        try:
            for bucket in part.buckets:
                if os.getppid() != parent:
                    return  # no one will read the rest
                _write_frame(out, (bucket, list(_replay_here(
                    part.reading, [bucket], part.cards, part.rules.__getitem__, part.device,
                    part.rows))))
            ended: object = part.reading.problems
        except Exception as exc:  # noqa: BLE001 - sent to the first process, raised there
            import traceback

            # Its message is unchanged; a traceback shown there says where it began.
            exc.add_note(f"In the rebuild's second process:\n{traceback.format_exc()}")
            ended = exc
            try:  # an error that cannot cross (pickled, then read back): its name and text
                pickle.loads(pickle.dumps(exc))
            except Exception:  # noqa: BLE001
                ended = RuntimeError(f"{type(exc).__name__}: {exc}")
        _write_frame(out, (_ENDED, ended))


def _write_frame(out: BinaryIO, value: object) -> None:
    frame = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(frame).to_bytes(_LENGTH, "little") + frame)
    out.flush()


_ENDED = -1  # the bucket of the last frame, which holds the problems or the error
_LENGTH = 8  # bytes of a frame's length


def _buckets_written(path: Path, finished: Callable[[], bool]
                     ) -> Iterator[tuple[int, list[ReplayedBatch]]]:
    """The second process's frames, each once it is written whole, until it has
    ``finished`` (ended or died) and no whole frame is left."""
    with path.open("rb") as frames:
        while True:
            ended = finished()  # before reading: every frame written before it is seen
            at = frames.tell()
            head = frames.read(_LENGTH)
            size = int.from_bytes(head, "little") if len(head) == _LENGTH else -1
            if size >= 0 and len(body := frames.read(size)) == size:
                yield pickle.loads(body)
                continue
            frames.seek(at)
            if ended:
                return
            time.sleep(0.02)  # the next bucket is on its way
