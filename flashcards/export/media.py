"""The exported notes' local images: flat, collision-free media names, staged for the package."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from flashcards.images import locate
from flashcards.model import Problem, Severity
from flashcards.paths import display_path
from flashcards.store import ExportNote

if TYPE_CHECKING:
    from flashcards.export.notes import _Placed

# Media names: Anki needs flat names; keep them portable on every file system.
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class _Media:
    """The local images of the exported notes, under flat, collision-free names.

    A name is the file's sanitized stem, a hash of its bytes and its suffix: two
    different files never share a name, and the same file gets one name however
    many cards show it.
    """

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}
        self._names: dict[Path, str] = {}
        self.staging: Path | None = None  # where each file is staged under its name
        self.staged: list[str] = []


    def add(self, written: str, item: _Placed, problems: list[Problem]) -> str:
        target, message = locate(written, item.note.path, item.folder)
        if message:
            problems.append(Problem(display_path(item.note.path), _image_line(written, item.note),
                                    1, Severity.ERROR, f"image {written!r} {message}"))
            return written
        name = self._names.get(target)
        if name is None:
            digest = hashlib.sha256(target.read_bytes()).hexdigest()[:12]
            stem = _NAME_UNSAFE.sub("_", target.stem).strip("._") or "image"
            suffix = _NAME_UNSAFE.sub("_", target.suffix)
            name = self._names[target] = f"{stem}-{digest}{suffix}"
            self.files[name] = target
            if self.staging is not None:
                self.staged.append(_stage(target, self.staging / name))
        return name


def _image_line(written: str, note: ExportNote) -> int:
    """The line of the image in its file: the store keeps only the note's first line."""
    try:
        lines = Path(note.path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return note.line
    for number in range(note.line, len(lines) + 1):
        if written in lines[number - 1]:
            return number
    return note.line


def _stage(source: Path, target: Path) -> str:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return str(target)
