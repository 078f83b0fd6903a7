"""Highlighting: Pygments' own HTML spans, through its public API only."""

from __future__ import annotations

import pytest
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from flashcards import highlight


def test_highlight_gives_pygments_html_spans():
    html = highlight.highlight("def f(x):\n    return x  # done\n", "python")
    assert html.startswith('<span class="k">def</span>')
    assert '<span class="c1"># done</span>' in html


@pytest.mark.parametrize("lang", ["python", "javascript", "bash", "sql", "c", "yaml", "latex"])
def test_highlight_is_pygments_own_output(lang):
    # Pygments' own lexer class and loop: nothing of Pygments is replaced.
    code = "\n\nx = f(1, 'a') # c\n  {\n}\n\n"
    lexer = get_lexer_by_name(lang, stripnl=False)
    assert type(highlight._lexer(lang)) is type(lexer)
    assert highlight.highlight(code, lang) == pygments_highlight(
        code, lexer, HtmlFormatter(nowrap=True))


def test_blank_lines_at_the_edges_of_a_block_are_kept():
    assert highlight.highlight("\nx\n\n", "python").startswith("\n")


@pytest.mark.parametrize("lang", ["", "no-such-language"])
def test_no_or_unknown_language_is_not_highlighted(lang):
    assert highlight.highlight("x = 1\n", lang) is None
