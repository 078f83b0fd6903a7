"""A large journal read in bounded memory: its lines sorted by card into files on disk.

A rebuild reads every line ever written (a million answers at 100k cards, 140 MB
of text); held as events they weighed 680 MB. Here the lines are read in
chunks, and each card's lines (answers, suspensions, undos) go to one of a few
bucket files chosen by the note's GUID, so a card's events are always in one
bucket and every bucket fits in memory. The replay then takes one bucket at a
time (``BucketedReading.batches``). Note identities, and any line this first
pass cannot route, are parsed at once and kept, as ``journal.read_new`` does.

Nothing about the format or the replay rules lives here: every line is still
read by ``journal.parse_line``.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flashcards import journal
from flashcards.journal import ANSWER, RESET, SCHEDULE, SUSPEND, UNDO, UNSUSPEND, Event
from flashcards.model import FlashcardsError, Problem, Severity
from flashcards.paths import process_alive

# A read of more new bytes than this is sorted by card on disk; a smaller one
# (a day's lines from another machine) is read whole, as before.
BUCKETED_OVER = 24 << 20
# About this many bytes of lines per bucket: some 28k events, and their rows, in
# memory at once (history_rebuild makes a bucket's rows before they are written).
BUCKET_BYTES = 4 << 20
# The bucket folder: in the temp folder, named with its process id (and a random tail).
_TEMP_PREFIX = "flashcards-journal-"
# The lines this device writes start so: their card is found without parsing
# them. Anything else (another tool's spelling, a hand edit) is parsed in full.
_ROUTABLE = re.compile(
    rb'\{"v":1,"id":"([^"\\]*)-(\d+)","type":"(?:answer|suspend|unsuspend|undo)",'
    rb'"t":"[^"\\]*","guid":"([^"\\]*)"')
# A schedule line (an Anki import) and a reset go with their card's answers too;
# being of a later version, they take the parsing path, not the fast match above.
_ROUTED_KINDS = frozenset({ANSWER, SUSPEND, UNSUSPEND, UNDO, SCHEDULE, RESET})


@dataclass
class BucketedReading(journal.Reading):
    """A ``journal.Reading`` whose card events wait in bucket files.

    ``events`` holds the note identities and the lines that name no card;
    ``batches`` gives the rest, one bucket at a time, each card whole.
    """

    folder: Path | None = None
    buckets: int = 0
    # file -> (where this read began, the path) for file:line of a late problem
    sources: list[tuple[Path, int]] = field(default_factory=list)
    last_seqs: dict[str, int] = field(default_factory=dict)

    def batches(self, buckets: Iterable[int] | None = None) -> Iterator[list[Event]]:
        """Each bucket's events (every bucket, or those of ``buckets``)."""
        loose = self.loose()
        for bucket in range(self.buckets) if buckets is None else buckets:
            yield self._read_bucket(bucket, loose)

    def loose(self) -> list[Event]:
        """The events read at once that are not note identities (each bucket gets them)."""
        return [e for e in self.events if e.type != journal.NOTE]

    def for_another_process(self) -> BucketedReading:
        """This reading without its note identities and problems: what a second process
        needs to read buckets (and the problems it meets are its own, sent back)."""
        return BucketedReading(events=self.loose(), offsets={}, folder=self.folder,
                               buckets=self.buckets, sources=self.sources)

    def max_seq(self, device: str) -> int:
        return max(super().max_seq(device), self.last_seqs.get(device, 0))

    def _read_bucket(self, bucket: int, loose: list[Event]) -> list[Event]:
        """One bucket's events after ``loose`` ones; a line that does not parse is a
        problem of this reading, with its file and line. (The file stays until the
        reading's folder goes: a second process that dies leaves its buckets to redo.)"""
        assert self.folder is not None
        path = self.folder / f"{bucket}.lines"
        data = path.read_bytes() if path.exists() else b""
        events = list(loose)
        for record in data.split(b"\n")[:-1]:
            where, _, raw = record.partition(b" ")
            try:
                events.append(journal.parse_line(raw.decode("utf-8")))
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
                number, _, line = where.partition(b":")
                source, start = self.sources[int(number)]
                line_number = journal.line_number(source, start, int(line))
                if isinstance(exc, journal.NewerJournal):
                    raise FlashcardsError(f"{source}:{line_number}: {exc}; upgrade flashcards") \
                        from exc
                self.problems.append(Problem(str(source), line_number, 1, Severity.WARNING,
                                             f"journal line skipped: {exc}"))
        return events


def bucket_of(guid: str, buckets: int) -> int:
    """The bucket of a note's events (every card of a note goes to one bucket)."""
    return zlib.crc32(guid.encode("utf-8")) % buckets


def read_new_by_card(folders: Iterable[Path], offsets: dict[str, int],
                     total: int) -> BucketedReading:
    """``journal.read_new``, with the card events sorted into bucket files."""
    import shutil  # here: a sync with nothing new to read never needs them
    import tempfile
    import weakref

    _remove_stale_buckets(Path(tempfile.gettempdir()), shutil.rmtree)
    folder = Path(tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-"))
    reading = BucketedReading(folder=folder, buckets=max(1, -(-total // BUCKET_BYTES)))
    weakref.finalize(reading, shutil.rmtree, folder, ignore_errors=True)
    outs = [(folder / f"{n}.lines").open("wb", buffering=1 << 20)
            for n in range(reading.buckets)]
    try:
        for journal_folder in folders:
            for path in journal.journal_files(journal_folder):
                _route_file(path, offsets.get(str(path), 0), reading, outs)
    finally:
        for out in outs:
            out.close()
    return reading


def _remove_stale_buckets(temp: Path, remove) -> None:
    """Bucket folders left by a rebuild that was killed (its process is gone): a
    million answers leave 140 MB there."""
    for folder in temp.glob(f"{_TEMP_PREFIX}*-*"):
        pid = folder.name.removeprefix(_TEMP_PREFIX).partition("-")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            remove(folder, ignore_errors=True)


def _route_file(path: Path, start: int, reading: BucketedReading, outs: list) -> None:
    """Each line of ``path`` from byte ``start`` into its card's bucket, prefixed with
    where it came from (``<source>:<line> ``); the lines of this device's own
    spelling by one match, in this loop (a million of them in a rebuild)."""
    writes, buckets, match, crc32 = [out.write for out in outs], len(outs), \
        _ROUTABLE.match, zlib.crc32
    last_seqs: dict[bytes, int] = {}
    start = journal.start_in(path, start)
    number = len(reading.sources)
    reading.sources.append((path, start))
    done, line = start, 0
    for data in journal.whole_lines(path, start):
        for raw in data.split(b"\n")[:-1]:
            line += 1
            found = match(raw)
            # Each key once: a repeated key (which JSON reads as its last value) is
            # parsed in full. The match holds one of each; the rest of the line none.
            if found and raw.find(b'"guid":', found.end()) < 0 \
                    and raw.find(b'"type":', found.end()) < 0 \
                    and raw.find(b'"v":', found.end()) < 0:
                device, seq, guid = found.groups()
                # The GUID's bytes as the line has them: a quoted string without
                # escapes, so the same bytes as bucket_of encodes.
                writes[crc32(guid) % buckets](b"%d:%d %s\n" % (number, line, raw))
                if int(seq) > last_seqs.get(device, 0):
                    last_seqs[device] = int(seq)
            elif raw.strip():
                _route_parsed(raw, b"%d:%d " % (number, line), reading, outs, path, start, line)
        done += len(data)
    for device, seq in last_seqs.items():
        name = device.decode("utf-8", "replace")
        reading.last_seqs[name] = max(seq, reading.last_seqs.get(name, 0))
    reading.offsets[str(path)] = done


def _route_parsed(raw: bytes, where: bytes, reading: BucketedReading, outs: list,
                  path: Path, start: int, line: int) -> None:
    """A line of another spelling (or none): parsed, then routed, kept or warned about."""
    try:
        event = journal.parse_line(raw.decode("utf-8"))
    except journal.NewerJournal as exc:
        raise FlashcardsError(
            f"{path}:{journal.line_number(path, start, line)}: {exc}; upgrade flashcards"
        ) from exc
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        reading.problems.append(Problem(str(path), journal.line_number(path, start, line), 1,
                                        Severity.WARNING, f"journal line skipped: {exc}"))
        return
    if event.type in _ROUTED_KINDS and isinstance(event.guid, str):
        outs[bucket_of(event.guid, len(outs))].write(where + raw + b"\n")
        if event.seq > reading.last_seqs.get(event.device, 0):
            reading.last_seqs[event.device] = event.seq
    else:
        reading.events.append(event)


def read_about(folders: Iterable[Path], guids: Iterable[str]) -> list[Event]:
    """Every event of the journal files in ``folders`` whose line names one of ``guids``
    (read again from the start, line by line; other lines are not parsed)."""
    wanted = [guid.encode("utf-8") for guid in guids]
    events = []
    for folder in folders:
        for path in journal.journal_files(folder):
            with path.open("rb") as handle:
                for raw in handle:
                    if raw.endswith(b"\n") and any(guid in raw for guid in wanted):
                        try:
                            events.append(journal.parse_line(raw.decode("utf-8")))
                        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                            continue  # warned about when it was first read
    return events
