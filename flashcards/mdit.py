"""The one markdown-it configuration shared by the parser and the renderer.

Both must see the same tokens: if the parser and the HTML renderer disagreed on
what counts as math or code, a cloze check could pass on text that renders
differently.
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin


@cache
def markdown(*, front_matter: bool = False) -> MarkdownIt:
    """CommonMark plus GitHub tables, strikethrough and `$math$`.

    ``front_matter`` reads a leading ``---`` block as front matter, as a deck
    file has; a card side has none, so there ``---`` is a horizontal rule.
    """
    md = MarkdownIt("commonmark", {"html": True})
    md.enable(["table", "strikethrough"])
    # Pandoc's rule for `$`: no space just inside the dollars, so "costs $5 and
    # $10" stays text. Its second rule (no digit after the closing `$`) is off:
    # mdit-py-plugins' allow_digits=False misreads a `$` at the start of a
    # paragraph (it looks at the paragraph's last character instead).
    md.use(dollarmath_plugin, allow_space=False, allow_digits=True, double_inline=True)
    if front_matter:
        md.use(front_matter_plugin)
    return md


def tokens(text: str, env: dict | None = None) -> list[Token]:
    """A deck file's block tokens with their line maps (0-based, end exclusive).

    ``env`` receives what markdown-it collects on the way (link reference definitions).
    """
    return markdown(front_matter=True).parse(text, env)


def fence_language(info: str) -> str:
    """The language of a fenced block: the first word of its info string."""
    words = unescapeAll(info).split(maxsplit=1)
    return words[0] if words else ""
