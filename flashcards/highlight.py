"""Code -> Pygments' HTML token spans and their CSS. The only owner of pygments.

Only Pygments' public API: a lexer by name, ``pygments.highlight`` and
``HtmlFormatter``. Until issue 13 this module ran Pygments' regex lexers through
a fork of ``RegexLexer.get_tokens_unprocessed`` that tried all of a state's rules
with one combined regex (the same tokens, a fifth less rendering CPU); it read
Pygments' private ``_tokens`` and ``_TokenType``, so a Pygments release that
changed them could break highlighting. It was removed after measuring what it
bought (docs/benchmarks.md, "Fixes measured with this script"): highlighting
every fenced block of the 10k benchmark corpus took 0.50-0.69 s CPU with the fork
and 0.84-0.86 s without (best of 5, in-process, on a loaded two-core machine),
and sync + export from scratch at 10k took 1.04 times as long (whole process,
median of 7 pairs, wall; 1.07 times the CPU): about 1.26 s for the 1.21 s of
the last benchmark run, 0.19 times markdown-anki-decks' 6.70 s, inside the goal
of 0.2. A lexer is made once per language and kept (`_lexer`).
"""

from __future__ import annotations

from functools import lru_cache

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name

__all__ = ["css", "highlight"]

# Built once: a formatter costs as much to create as highlighting a short block.
_FORMATTER = HtmlFormatter(nowrap=True)


def highlight(code: str, lang: str) -> str | None:
    """Pygments HTML (token spans only), or None for no or unknown language."""
    if not lang:
        return None
    try:
        return pygments_highlight(code, _lexer(lang), _FORMATTER)
    except Exception:
        # Unknown names raise ClassNotFound, and a lexer bug on odd input must not
        # cost the card: plain text is the fallback for both.
        return None


def css(style: str, scopes: list[str]) -> str:
    """The style's token rules, each under the given CSS scopes only."""
    formatter = HtmlFormatter(style=style)
    # Not get_style_defs(): it also emits unscoped rules (`pre { ... }`, line numbers).
    lines = formatter.get_background_style_defs(scopes) + formatter.get_token_style_defs(scopes)
    return "\n".join(line.replace(" ,", ",").replace("  {", " {") for line in lines)


@lru_cache(maxsize=64)
def _lexer(lang: str) -> Lexer:
    # stripnl=False: keep blank lines the author put at the edges of the block.
    return get_lexer_by_name(lang, stripnl=False)
