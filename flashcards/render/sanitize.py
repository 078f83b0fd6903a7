"""The one sanitizer for text on its way to a terminal or into HTML: no escape
sequence or control character of a deck ever reaches the screen raw."""

from __future__ import annotations

import re

_ANSI = re.compile(
    r"""
      (?:\x1b\]|\x9d) [^\x07\x1b\x9c\n]* (?:\x07|\x1b\\|\x9c)?  # OSC: title, hyperlink, clipboard
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x07\x1b\x9c\n]* (?:\x07|\x1b\\|\x9c)?  # DCS SOS PM APC
    | (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]  # CSI: cursor moves, colours, erasing
    | \x1b [ -/]* [0-~]  # any other escape: reset, character sets, keypad modes
    """,
    re.VERBOSE,
)  # string sequences end at BEL or ST; an unterminated one is removed up to the line end
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but \t \n, DEL, C1
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def strip_control(text: str) -> str:
    """Remove terminal escape sequences and control characters from card text.

    CSI, OSC (including title changes such as ``ESC ]0;title BEL``), DCS/SOS/PM/APC
    strings and other ESC sequences go first, with their parameters, then every C0
    and C1 control character but newline and tab. ``\\r\\n`` and a lone ``\\r`` become
    ``\\n``, so text can never move the cursor, retitle the window or inject colours.

    Square brackets are left alone: rich.markdown does not read rich's ``[bold]``
    markup, but callers must never pass card text to rich's markup parser
    (``console.print(text)``, ``Text.from_markup``); use ``Markdown`` or ``Text``.
    """
    if not _CONTROL.search(text):  # every sequence and \r hold a control character
        return text
    text = re.sub(r"\r\n?", "\n", text)
    text = _ANSI.sub("", text)
    return _CONTROL.sub("", text)


def clean_input(text: str) -> str:
    # Lone surrogates (from surrogateescape decoding) cannot cross into nh3's Rust.
    return _SURROGATE.sub("\ufffd", strip_control(text))




def has_unsafe_input(text: str) -> bool:
    """Whether ``clean_input`` would change the text."""
    return bool(_CONTROL.search(text) or _SURROGATE.search(text))
