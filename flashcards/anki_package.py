"""An Anki package (.apkg, .colpkg) opened as untrusted input. The only zstandard owner.

A package is a zip holding a collection (SQLite) and media files named by
number, with a map from number to file name. Anki has written two layouts
(docs/anki.md, "Import from Anki"):

- legacy: ``collection.anki2`` or ``collection.anki21`` stored as they are, and
  ``media`` a JSON object ``{"0": "name.png"}``;
- current (Anki 2.1.50 on, its default): ``collection.anki21b`` and every media
  file compressed with zstd, ``media`` a zstd-compressed protobuf message
  (``MediaEntries``), and ``meta`` a protobuf naming the layout. Such a package
  also holds a dummy ``collection.anki2`` telling old Anki versions to upgrade.

Nothing is ever extracted by a name the zip gives: the collection is copied to
a temporary file, media files are read by number, one at a time, and every
read is capped (`Limits`), whatever sizes the zip headers claim: a zip bomb
stops with a message, not a full disk.

The two protobuf messages are decoded by hand (`_fields`, 30 lines): each has
a few scalar fields, and the `protobuf` runtime would need Anki's generated
classes (or their .proto files) to read them, a large dependency for four
fields.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import zstandard

from flashcards.model import FlashcardsError

MiB = 1024 * 1024
# The layouts `meta` names (Anki's PackageMetadata.Version).
LEGACY_1, LEGACY_2, LATEST = 1, 2, 3
_COLLECTIONS = {LATEST: "collection.anki21b", LEGACY_2: "collection.anki21",
                LEGACY_1: "collection.anki2"}
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class PackageError(FlashcardsError):
    """A package that cannot be read: corrupt, too large, or of an unknown layout."""


@dataclass(frozen=True)
class Limits:
    """What one package may unpack to; past any of them the import stops.

    Generous for real collections (a large one is a few hundred MB of SQLite and
    tens of thousands of media files) and far below a zip bomb's gigabytes.
    """

    total_bytes: int = 4096 * MiB
    file_bytes: int = 1024 * MiB
    entries: int = 200_000


@dataclass(frozen=True)
class MediaEntry:
    """One media file: its name in the collection and its member in the zip."""

    name: str
    member: str


class Package:
    """An open package: its layout, its collection (a temporary SQLite file), its media."""

    def __init__(self, archive: zipfile.ZipFile, path: Path, limits: Limits, work: Path):
        self.archive = archive
        self.path = path
        self.limits = limits
        self.work = work
        self.unpacked = 0
        self.version = self._version()
        self.collection_member = self._collection_member()
        self.media = self._media_map()

    # -- layout -------------------------------------------------------------------------

    def _version(self) -> int:
        names = set(self.archive.namelist())
        if "meta" not in names:  # packages from before Anki 2.1.50
            return LEGACY_2 if "collection.anki21" in names else LEGACY_1
        fields = _fields(self._read("meta", 1024))
        version = next((value for number, value in fields if number == 1), 0)
        if not isinstance(version, int) or version not in _COLLECTIONS:
            raise PackageError(f"{self.path.name}: unknown package version {version!r} "
                               "(written by a newer Anki?); this importer reads versions 1-3")
        return version

    def _collection_member(self) -> str:
        names = set(self.archive.namelist())
        wanted = _COLLECTIONS[self.version]
        if wanted in names:
            return wanted
        found = [name for name in _COLLECTIONS.values() if name in names]
        if not found:
            raise PackageError(f"{self.path.name}: no collection in the package (none of "
                               + ", ".join(_COLLECTIONS.values()) + ")")
        return found[0]

    @property
    def compressed(self) -> bool:
        """Whether the collection and media files are zstd-compressed (the current layout)."""
        return self.collection_member.endswith("b")

    def _media_map(self) -> list[MediaEntry]:
        if "media" not in self.archive.namelist():
            return []
        data = self._read("media", 64 * MiB)
        if data.startswith(_ZSTD_MAGIC):
            return _protobuf_media(_unzstd(data, 64 * MiB, "media"))
        try:
            mapping = json.loads(data.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError) as exc:
            raise PackageError(f"{self.path.name}: its media map is not readable: {exc}") from exc
        if not isinstance(mapping, dict):
            raise PackageError(f"{self.path.name}: its media map is not a JSON object")
        return [MediaEntry(str(name), str(member)) for member, name in mapping.items()]

    # -- reading ------------------------------------------------------------------------

    def _info(self, member: str) -> zipfile.ZipInfo:
        try:
            return self.archive.getinfo(member)
        except KeyError:
            raise PackageError(f"{self.path.name}: member {member!r} is missing") from None

    def _check_claimed(self, info: zipfile.ZipInfo, limit: int) -> None:
        if info.file_size > limit:
            raise PackageError(f"{self.path.name}: {info.filename!r} would unpack to "
                               f"{info.file_size} bytes, over the limit of {limit}; "
                               "not unpacked (a zip bomb?)")

    def _read(self, member: str, limit: int) -> bytes:
        """A member's bytes, at most ``limit`` of them, counted against the total."""
        info = self._info(member)
        self._check_claimed(info, limit)
        with self._open(info) as handle:
            return self._capped(handle, limit, member)

    @contextmanager
    def _open(self, info: zipfile.ZipInfo) -> Iterator[IO[bytes]]:
        try:
            with self.archive.open(info) as handle:
                yield handle
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
                EOFError, RuntimeError) as exc:
            raise PackageError(f"{self.path.name}: {info.filename!r} cannot be read: "
                               f"{exc}") from exc

    def _capped(self, handle: IO[bytes], limit: int, member: str) -> bytes:
        try:
            data = handle.read(limit + 1)
        except (zipfile.BadZipFile, OSError, EOFError, zstandard.ZstdError) as exc:
            raise PackageError(f"{self.path.name}: {member!r} cannot be read: {exc}") from exc
        self._count(len(data), limit, member)
        return data

    def _count(self, size: int, limit: int, member: str) -> None:
        if size > limit:
            raise PackageError(f"{self.path.name}: {member!r} unpacks to more than {limit} "
                               "bytes; stopped (a zip bomb?)")
        self.unpacked += size
        if self.unpacked > self.limits.total_bytes:
            raise PackageError(f"{self.path.name}: unpacks to more than "
                               f"{self.limits.total_bytes} bytes in all; stopped (a zip bomb?)")

    def collection_file(self) -> Path:
        """The collection as a SQLite file in the temporary folder (decompressed)."""
        info = self._info(self.collection_member)
        target = self.work / "collection.sqlite"
        limit = self.limits.file_bytes
        with self._open(info) as raw, target.open("wb") as out:
            if self.compressed:
                stream = zstandard.ZstdDecompressor().stream_reader(raw)
                self._copy(stream, out, limit, info.filename)
            else:
                self._check_claimed(info, limit)
                self._copy(raw, out, limit, info.filename)
        return target

    def _copy(self, source: IO[bytes], out: IO[bytes], limit: int, member: str) -> None:
        written = 0
        while True:
            try:
                chunk = source.read(1 * MiB)
            except (zipfile.BadZipFile, OSError, EOFError, zstandard.ZstdError) as exc:
                raise PackageError(f"{self.path.name}: {member!r} cannot be read: "
                                   f"{exc}") from exc
            if not chunk:
                return
            written += len(chunk)
            self._count(len(chunk), limit - written + len(chunk), member)
            out.write(chunk)

    def media_bytes(self, entry: MediaEntry) -> bytes:
        """One media file's bytes (decompressed), capped like every read."""
        limit = self.limits.file_bytes
        data = self._read(entry.member, limit)
        if self.compressed:
            self.unpacked -= len(data)  # counted once, decompressed
            data = _unzstd(data, limit, entry.member)
            self._count(len(data), limit, entry.member)
        return data


@contextmanager
def open_package(path: Path | str, limits: Limits | None = None) -> Iterator[Package]:
    """Open a package for reading; its temporary files go when the block ends."""
    path = Path(path)
    limits = limits or Limits()
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise PackageError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PackageError(f"{path.name}: not an Anki package (not a readable zip file: "
                           f"{exc})") from exc
    work = Path(tempfile.mkdtemp(prefix="flashcards-import-"))
    try:
        with archive:
            if len(archive.infolist()) > limits.entries:
                raise PackageError(f"{path.name}: {len(archive.infolist())} files in the "
                                   f"package, over the limit of {limits.entries}")
            yield Package(archive, path, limits, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _unzstd(data: bytes, limit: int, member: str) -> bytes:
    try:
        with zstandard.ZstdDecompressor().stream_reader(data) as reader:
            out = reader.read(limit + 1)
    except zstandard.ZstdError as exc:
        raise PackageError(f"{member!r} is not valid zstd data: {exc}") from exc
    if len(out) > limit:
        raise PackageError(f"{member!r} unpacks to more than {limit} bytes; stopped "
                           "(a zip bomb?)")
    return out


# -- protobuf, the few fields the package needs ------------------------------------


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise PackageError("malformed protobuf data in the package")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of one message: varints as int, the rest as bytes."""
    fields: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise PackageError("malformed protobuf data in the package")
            value, pos = data[pos:pos + size], pos + size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, pos = data[pos:pos + width], pos + width
        else:
            raise PackageError("malformed protobuf data in the package")
        fields.append((number, value))
    return fields


def message_fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """Public for the collection reader: a protobuf blob's fields (Anki's configs)."""
    return _fields(data)


def _protobuf_media(data: bytes) -> list[MediaEntry]:
    """``MediaEntries { repeated MediaEntry entries = 1; }`` with
    ``MediaEntry { string name = 1; uint32 size = 2; bytes sha1 = 3;
    optional uint32 legacy_zip_filename = 255; }``: entry i is zip member "i"."""
    entries = []
    for index, (number, value) in enumerate(n for n in _fields(data) if n[0] == 1):
        del number
        name, member = "", str(index)
        for field, item in _fields(value if isinstance(value, bytes) else b""):
            if field == 1 and isinstance(item, bytes):
                name = item.decode("utf-8", "replace")
            elif field == 255 and isinstance(item, int):
                member = str(item)
        entries.append(MediaEntry(name, member))
    return entries
