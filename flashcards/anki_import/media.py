"""The package's media copied into the folder, and the notes' images pointed at it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote

from flashcards.anki_import.files import _write_bytes
from flashcards.anki_import.notes import _Note
from flashcards.anki_import.report import _Warnings
from flashcards.anki_package import Package

MEDIA_FOLDER = "media"


@dataclass
class _Media:
    folder: Path
    copied: dict[str, bool] = field(default_factory=dict)  # name -> is an accepted image


def _safe_media_name(name: str) -> bool:
    """A flat file name that stays inside the media folder on every system."""
    return (bool(name) and name not in (".", "..") and len(name.encode("utf-8")) <= 255
            and not any(ch in name for ch in "/\\:\x00")
            and not any(ord(ch) < 32 or ord(ch) == 127 for ch in name)
            and not name.startswith("."))


def _copy_media(pkg: Package, folder: Path, force: bool, warnings: _Warnings) -> _Media:
    media = _Media(folder / MEDIA_FOLDER)
    for entry in pkg.media:
        if not _safe_media_name(entry.name):
            warnings.add("media files with an unsafe name (`../`, a path, an absolute "
                         "path), not copied", repr(entry.name))
            continue
        data = pkg.media_bytes(entry)
        target = media.folder / entry.name
        media.folder.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or (target.exists() and not target.is_file()):
            warnings.add("media names taken by a link or folder, not copied", entry.name)
            continue
        if target.exists() and target.read_bytes() != data and not force:
            warnings.add("media files that exist with other content, kept (--force "
                         "overwrites)", entry.name)
        else:
            _write_bytes(target, data)
        media.copied[entry.name] = _is_image(data)
    return media


def _is_image(data: bytes) -> bool:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a"))


def _with_media(note: _Note, media: _Media, warnings: _Warnings) -> _Note:
    """The note with its images pointing into the media folder; media a card cannot
    show as an image becomes a link to the copied file; a missing one is said so."""
    def place(src: str) -> tuple[str, str] | None:
        if re.match(r"^(?:https?|data):", src):
            return "image", src
        name = src if src in media.copied else unquote(src)
        if name not in media.copied:
            warnings.add("images missing from the package or refused, left out", src)
            return None
        if not media.copied[name]:
            warnings.add("media that is not a PNG, JPEG, GIF or WebP image, linked "
                         "rather than shown", name)
            return "link", f"{MEDIA_FOLDER}/{name}"
        return "image", f"{MEDIA_FOLDER}/{name}"
    return replace(note, question=_images(note.question, place),
                   answer=_images(note.answer, place))


_IMAGE_MD = re.compile(r"!\[((?:[^\]\\]|\\.)*)\]\(([^)\s]*)\)")


def _images(text: str, place) -> str:
    """Rewrite the Markdown images markdownify wrote (src as Anki had it)."""
    from urllib.parse import quote

    def one(match: re.Match) -> str:
        src = unquote(match[2])
        placed = place(src)
        if placed is None:
            return f"*(image {_shown(src)} not in the package)*"
        kind, target = placed
        link = f"({quote(target, safe='/:#?=&%')})"
        return f"![{match[1]}]{link}" if kind == "image" else f"[{_shown(src)}]{link}"
    return _IMAGE_MD.sub(one, text) if "![" in text else text


def _shown(name: str) -> str:
    """A file name as Markdown text: every character that could make syntax escaped."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|$~])", r"\\\1", name)
