"""A card's images drawn in the terminal, where it has an inline image protocol.

The protocols (kitty's graphics protocol, sixel) are textual-image's, an
optional dependency (``pip install 'flashcards[images]'``). Whether to draw is
decided here from the environment alone, never by asking the terminal: a
query that a terminal leaves unanswered costs time and can swallow a typed key.
Only when the environment names a terminal known to draw images (or
``FLASHCARDS_IMAGES`` says so) is textual-image loaded; its own start-up query
then meets a terminal that answers, and waits 0.1 s at most otherwise.

iTerm2 draws sixel images (since 3.3), so it is given sixel: textual-image has
no encoder for iTerm2's own protocol. Everywhere else, and whenever an image
cannot be read, the card shows the image's alt text and file name, as always.
What reaches the terminal is the library's encoding of decoded pixels, never
bytes of the deck; the file itself was checked by ``images.locate``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

PROTOCOLS = ("kitty", "sixel")
# Terminals that draw sixel images, as their environment names them.
_SIXEL_TERMS = ("foot", "foot-extra", "mlterm", "contour", "yaft-256color")
_SIXEL_PROGRAMS = ("iTerm.app", "WezTerm", "mintty")
# The most rows one image takes on the review screen.
MAX_ROWS = 16
MIN_ROWS = 4


def detect(env: Mapping[str, str] | None = None) -> str | None:
    """The protocol to draw with ("kitty" or "sixel"), or None for text only.

    ``FLASHCARDS_IMAGES`` overrides: ``kitty``, ``sixel`` or ``off``.
    """
    env = os.environ if env is None else env
    forced = env.get("FLASHCARDS_IMAGES", "").strip().lower()
    if forced:
        return forced if forced in PROTOCOLS else None
    term, program = env.get("TERM", ""), env.get("TERM_PROGRAM", "")
    if term in ("", "dumb"):
        return None
    if term == "xterm-kitty" or env.get("KITTY_WINDOW_ID"):
        return "kitty"
    if term in _SIXEL_TERMS or program in _SIXEL_PROGRAMS or env.get("LC_TERMINAL") == "iTerm2":
        return "sixel"
    return None


def available() -> bool:
    """Whether the optional library is installed (without loading it)."""
    from importlib.util import find_spec

    return find_spec("textual_image") is not None


def drawing(path: Path, protocol: str, *, columns: int, rows: int) -> tuple[str, int] | None:
    """What to write, at the cursor, to draw the image in at most ``columns`` x
    ``rows`` cells, and the rows it takes; None if it cannot be drawn (no library,
    an unreadable or oversized image)."""
    if protocol not in PROTOCOLS or rows < 1 or columns < 1 or not available():
        return None
    try:
        from rich.console import Console
        from textual_image.renderable import SixelImage, TGPImage

        kind = TGPImage if protocol == "kitty" else SixelImage
        image = kind(str(path), height=rows)
        # A console of its own, not the sanitizing one: this output is the encoded
        # pixels (control segments) and the cells they cover.
        out = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      width=columns, height=rows, no_color=False, highlight=False)
        out.print(image, end="")
        text = out.file.getvalue()
    except Exception:  # noqa: BLE001  (a bad image file shows as text, never a crash)
        return None
    return text, min(rows, text.count("\n") + 1)
