"""Where journals live, and their files: this device's appends, and reading the lines
past what a store has applied (with file:line for a line that does not parse)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flashcards.journal.events import (
    FOLDER_NAME,
    JOURNAL_DIR,
    SUFFIX,
    Event,
    NewerJournal,
    parse_line,
)
from flashcards.model import FlashcardsError, Problem, Severity

_DEVICE_NAME = re.compile(r"[^a-z0-9-]+")


# -- where journals live ------------------------------------------------------------


def folder_of_root(root: Path) -> Path:
    """The journal folder of a notes root: ``.flashcards/journal`` in the synced folder
    (in a synced file's own folder)."""
    base = root.parent if root.suffix.lower() == ".md" and not root.is_dir() else root
    return base / FOLDER_NAME / JOURNAL_DIR


def device_id(store_path: Path) -> str:
    """This store's device id, made once and kept beside the store (``<db>.device``).

    It survives a deleted store, so a rebuilt store goes on writing the same
    journal file: the host name for people, random hex so two stores never share.
    """
    marker = store_path.with_name(store_path.name + ".device")
    try:
        known = marker.read_text(encoding="utf-8").strip()
        if known:
            return known
    except FileNotFoundError:
        pass
    import secrets  # here: only the first use of a store makes its device id
    import socket

    host = _DEVICE_NAME.sub("-", socket.gethostname().lower()).strip("-")[:24] or "device"
    made = f"{host}-{secrets.token_hex(3)}"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(made + "\n", encoding="utf-8")
    return made


@dataclass
class Appender:
    """Appends this device's lines to one journal folder, one ``write`` per line."""

    folder: Path
    device: str

    @property
    def path(self) -> Path:
        return self.folder / f"{self.device}{SUFFIX}"

    def append(self, events: Iterable[Event]) -> None:
        self.append_lines(event.to_line() for event in events)

    def append_lines(self, lines: Iterable[str]) -> tuple[int, int]:
        """Lines already made as ``Event.to_line`` makes them (an import writes 100k);
        the file's size before and after them."""
        data = "".join(lines).encode("utf-8")
        if not data:
            return (0, 0)
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
        try:
            fd = os.open(self.path, flags, 0o644)
        except FileNotFoundError:  # the folder's first line
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, flags, 0o644)
        try:
            before = _repair_torn_end(fd)
            os.write(fd, data)  # O_APPEND: one write lands whole at the end
        finally:
            os.close(fd)
        return before, before + len(data)


def _repair_torn_end(fd: int) -> int:
    """A line torn by a crash gets its newline, so the next line starts clean; the
    file's size then."""
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        size += os.write(fd, b"\n")
    return size


# -- reading ------------------------------------------------------------------------


@dataclass
class Reading:
    """Events read from journal files, and the problems met on the way."""

    events: list[Event] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # file -> bytes read, for reading only what is new next time
    offsets: dict[str, int] = field(default_factory=dict)

    def batches(self) -> Iterator[list[Event]]:
        """The events in groups that each hold every event of the cards they name
        (one group here; a large read comes in several, see ``journal_buckets``)."""
        yield self.events

    def add_own(self, written: dict[Path, tuple[int, int]]) -> None:
        """Count as read the lines this store itself wrote since (``written``: each file's
        size before and after them), where this reading had read up to them."""
        for path, (before, after) in written.items():
            if self.offsets.get(str(path), 0) == before:
                self.offsets[str(path)] = after

    def max_seq(self, device: str) -> int:
        """The highest sequence number read of ``device`` (0 if none)."""
        return max((e.seq for e in self.events if e.device == device), default=0)


def journal_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix == SUFFIX and p.is_file())


def new_bytes(folders: Iterable[Path], offsets: dict[str, int]) -> int:
    """How many bytes of the journal files in ``folders`` lie past ``offsets``."""
    total = 0
    for folder in folders:
        for path in journal_files(folder):
            size = path.stat().st_size
            start = offsets.get(str(path), 0)
            total += size - (start if start <= size else 0)
    return total


def read_new(folders: Iterable[Path], offsets: dict[str, int]) -> Reading:
    """Every complete line past ``offsets`` in the journal files of ``folders``.

    A last line without its newline (a write torn by a crash, or one being
    written now) is left for next time; a line that does not parse is a
    warning with file:line, skipped.
    """
    reading = Reading()
    for folder in folders:
        for path in journal_files(folder):
            _read_file(path, offsets.get(str(path), 0), reading)
    return reading


def start_in(path: Path, start: int) -> int:
    """Where to read ``path`` from: ``start``, or 0 if the file is shorter than that (it
    was replaced, a rewrite of history: read it again)."""
    return start if start <= path.stat().st_size else 0


def _read_file(path: Path, start: int, reading: Reading) -> None:
    start = start_in(path, start)
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read()
    end = data.rfind(b"\n") + 1
    for number, raw in enumerate(data[:end].split(b"\n")[:-1], 1):
        try:
            if raw.strip():
                reading.events.append(parse_line(raw.decode("utf-8")))
        except NewerJournal as exc:
            raise FlashcardsError(f"{path}:{line_number(path, start, number)}: {exc}; "
                                  "upgrade flashcards") from exc
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            reading.problems.append(Problem(str(path), line_number(path, start, number), 1,
                                            Severity.WARNING, f"journal line skipped: {exc}"))
    reading.offsets[str(path)] = start + end


def read_matching(folders: Iterable[Path], *needles: bytes) -> list[Event]:
    """Every complete, readable line holding one of ``needles`` in the journal files of
    ``folders``, in file order (lines that do not parse are left to `read_new`, which
    reports them)."""
    events = []
    for folder in folders:
        for path in journal_files(folder):
            for data in whole_lines(path):
                for start, stop in _lines_holding(data, needles):
                    with contextlib.suppress(ValueError, KeyError, TypeError,
                                             UnicodeDecodeError):
                        events.append(parse_line(data[start:stop].decode("utf-8")))
    return events


# A large journal is read this many bytes at a time: never held whole (140 MB at a
# million answers, as much again as the rest of a rebuild).
_READ_CHUNK = 4 << 20


def whole_lines(path: Path, start: int = 0) -> Iterator[bytes]:
    """The file's bytes from ``start`` in chunks of whole lines (a torn last line left
    out): ``start`` plus their lengths is where the next read begins."""
    rest = b""
    with path.open("rb") as handle:
        handle.seek(start)
        while chunk := handle.read(_READ_CHUNK):
            data = rest + chunk
            end = data.rfind(b"\n") + 1
            rest = data[end:]
            if end:
                yield data[:end]


def _lines_holding(data: bytes, needles: Iterable[bytes]) -> list[tuple[int, int]]:
    """(start, end) of each complete line of ``data`` holding a needle, in order: found
    by searching the bytes, not by splitting every line (a 140 MB journal in 0.2 s
    rather than 0.9 s, when few lines match)."""
    end = data.rfind(b"\n") + 1
    found = set()
    for needle in needles:
        at = data.find(needle, 0, end)
        while at != -1:
            stop = data.find(b"\n", at, end)
            found.add((data.rfind(b"\n", 0, at) + 1, stop))
            at = data.find(needle, stop, end)
    return sorted(found)


def line_number(path: Path, start: int, number: int) -> int:
    """The line number in the file of the ``number``-th line read from byte ``start``.

    Counted only for a message: reading the lines before ``start`` costs a large
    journal's whole file.
    """
    if not start:
        return number
    before = 0
    with path.open("rb") as handle:
        while start > 0 and (chunk := handle.read(min(start, _READ_CHUNK))):
            before += chunk.count(b"\n")
            start -= len(chunk)
    return before + number
