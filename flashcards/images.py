"""Local images of a card: one rule set for the checker (loader.py) and the export.

An image must be written as a path relative to its deck file, and must be a
regular file inside the deck folder once links are resolved: a deck cannot
reach any other file of the machine, through ``..``, an absolute path or a
symbolic link (docs/security.md).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import unquote, urlparse


def is_remote(src: str) -> bool:
    return urlparse(src).scheme in ("http", "https", "data")


def is_local(src: str) -> bool:
    """True for an image the deck itself must hold (not empty, not a web address)."""
    return bool(src) and not is_remote(src)


def image_path(src: str, deck_file: Path | str) -> Path:
    """Where an image reference points on disk (not yet checked)."""
    return Path(os.path.normpath(Path(deck_file).parent / unquote(src)))


def locate(src: str, deck_file: Path | str, folder: Path | str) -> tuple[Path, str | None]:
    """The file a local image reference names, or why it cannot be used."""
    target = image_path(src, deck_file)
    if urlparse(src).scheme or Path(unquote(src)).is_absolute():
        return target, "must be a path relative to the deck file"
    folder = Path(folder)
    if not target.is_relative_to(folder):
        return target, "points outside the deck folder"
    try:
        real, real_folder = target.resolve(strict=True), folder.resolve()
        mode = real.stat().st_mode
    except (OSError, RuntimeError):  # missing, a broken link or a loop of links
        return target, "not found"
    if not real.is_relative_to(real_folder):
        return target, "is a link to a file outside the deck folder"
    if not stat.S_ISREG(mode):
        return target, "is not a regular file"
    if image_type(real) is None:
        return target, f"is not a {ACCEPTED_NAMES} image (checked by its content)"
    return target, None


# The image types a package may carry, by the bytes they start with. SVG is
# refused: it is a document that can hold scripts, external references and
# styles, and nothing here sanitizes XML (docs/security.md).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
ACCEPTED_NAMES = "PNG, JPEG, GIF or WebP"


def image_type(path: Path) -> str | None:
    """The accepted image type the file's first bytes show, or None."""
    try:
        with open(path, "rb") as file:
            head = file.read(12)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def sources(markdown: str) -> list[tuple[str, str]]:
    """(alt text, src) of every image a card's Markdown shows, in order."""
    from flashcards.mdit import tokens

    found = []
    for token in tokens(markdown):
        for child in token.children or ():
            if child.type == "image":
                alt = "".join(grand.content for grand in child.children or ())
                found.append((alt, str(child.attrs.get("src", ""))))
    return found
