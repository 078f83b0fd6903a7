"""Highlighting: Pygments' own HTML spans, through the guarded fast loop or Pygments' own."""

from __future__ import annotations

from pathlib import Path

import pygments
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import RegexLexer
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.token import Text

from flashcards import highlight

# Code of many languages in one text, so every lexer meets both what it knows and
# what it does not (its error recovery).
SAMPLE = (Path(highlight.__file__).read_text(encoding="utf-8")[:3000] + """
int main(void) { printf("%d\\n", 1 << 3); return 0; } /* C */
SELECT a, b FROM t WHERE x = 'y' AND z IS NOT NULL; -- SQL
<div class="a" onclick='f()'>&amp; text</div>
echo "$HOME" | grep -E '^x+' && exit 1
{"k": [1, 2.5e-3, true, null]}
key: value
  - item  # YAML
\\begin{equation} \\frac{a}{b} \\end{equation}
fn main() -> Result<(), Box<dyn Error>> { let x = r#"raw"#; Ok(()) }
""")


@pytest.fixture(autouse=True)
def fresh_lexers():
    """Each test sees its languages' lexers made (and checked) anew."""
    highlight._lexers.cache_clear()
    yield
    highlight._lexers.cache_clear()


def pygments_html(code: str, lang: str) -> str:
    return pygments_highlight(code, get_lexer_by_name(lang, stripnl=False),
                              HtmlFormatter(nowrap=True))


def pygments_tokens(lang: str, text: str) -> list:
    return list(get_lexer_by_name(lang, stripnl=False).get_tokens(text))


def fast_tokens(lang: str, text: str) -> list:
    return list(highlight._fast_lexer(lang).get_tokens(text))


def regex_lexer_names() -> list[str]:
    return [aliases[0] for _, aliases, _, _ in get_all_lexers()
            if aliases and highlight._lexers(aliases[0]).fast is not None]


def test_highlight_gives_pygments_html_spans():
    html = highlight.highlight("def f(x):\n    return x  # done\n", "python")
    assert html.startswith('<span class="k">def</span>')
    assert '<span class="c1"># done</span>' in html


@pytest.mark.parametrize("lang", ["python", "javascript", "bash", "sql", "c", "yaml", "latex"])
def test_highlight_is_pygments_own_output(lang):
    code = "\n\nx = f(1, 'a') # c\n  {\n}\n\n"
    for _ in range(2):  # the first block is checked against Pygments' loop; the second is not
        assert highlight.highlight(code, lang) == pygments_html(code, lang)


def test_the_common_languages_run_fast():
    for lang in ("python", "javascript", "typescript", "bash", "sql", "go", "java", "rust"):
        assert highlight._lexers(lang).fast is not None, lang
        highlight.highlight("x = 1\n", lang)
        assert highlight._lexers(lang).fast is not None, lang  # its first block agreed
    # Lexers of their own kind (C's type names, YAML's indentation) run as Pygments runs them.
    for lang in ("c", "cpp", "yaml", "json"):
        assert highlight._lexers(lang).fast is None, lang
    # The point of it all: Python's main state is one regex, not a Python loop.
    assert highlight._TABLES[type(highlight._lexers("python").fast)]["root"] is not None


@pytest.mark.slow
def test_every_regex_lexer_gives_pygments_tokens():
    names = regex_lexer_names()
    assert len(names) > 300
    mismatched = [lang for lang in names
                  if _outcome(fast_tokens, lang) != _outcome(pygments_tokens, lang)]
    assert mismatched == []


def _outcome(tokens, lang: str):
    try:
        return tokens(lang, SAMPLE)
    except Exception as exc:  # a lexer's own bug must be the same bug
        return type(exc).__name__


CODE_TEXT = st.text(st.sampled_from(list("abcdefxyz019 _\t\n'\"`\\#$%&()*+,-./:;<=>?@[]{}|~"))
                    | st.characters(codec="utf-8"), max_size=200)


@settings(max_examples=300, deadline=None)
@given(lang=st.sampled_from(["python", "javascript", "bash", "sql", "go", "html", "latex"]),
       text=CODE_TEXT)
def test_generated_text_gives_pygments_tokens(lang, text):
    assert fast_tokens(lang, text) == pygments_tokens(lang, text)


# -- the guards: each falls back to Pygments' own loop, with the same HTML -----------

CODE = "def f(x):\n    return 'x'  # c\n"


def test_another_pygments_major_version_runs_pygments_own_loop(monkeypatch):
    monkeypatch.setattr(pygments, "__version__", "3.0.0")
    assert highlight._lexers("python").fast is None
    assert highlight.highlight(CODE, "python") == pygments_html(CODE, "python")


def test_compiled_rules_of_another_shape_run_pygments_own_loop():
    lexer = get_lexer_by_name("python", stripnl=False)
    assert highlight._runs_fast(lexer)
    lexer._tokens = {"root": [("not a match method", Text, None)]}
    assert not highlight._runs_fast(lexer)
    lexer._tokens = [("root", [])]
    assert not highlight._runs_fast(lexer)


def test_a_first_block_that_differs_sends_the_language_back_to_pygments_loop(monkeypatch):
    # A Pygments release whose loop gives other tokens than the fast loop: simulated by
    # a loop that reads the whole block as one Text token.
    def another_loop(self, text, stack=("root",)):
        yield 0, Text, text

    monkeypatch.setattr(RegexLexer, "get_tokens_unprocessed", another_loop)
    assert highlight._lexers("python").fast is not None  # the guards of shape pass
    html = highlight.highlight(CODE, "python")
    assert html == pygments_html(CODE, "python")  # Pygments' (new) own output
    assert "<span" not in html
    assert highlight._lexers("python").fast is None  # and so from now on
    assert highlight.highlight("x = 1\n", "python") == pygments_html("x = 1\n", "python")


def test_an_error_of_the_fast_loop_sends_the_language_back_to_pygments_loop():
    lexers = highlight._lexers("python")
    lexers.fast._tokens = {}  # the fast loop finds no state: a KeyError
    assert highlight.highlight(CODE, "python") == pygments_html(CODE, "python")
    assert lexers.fast is None


def test_blank_lines_at_the_edges_of_a_block_are_kept():
    assert highlight.highlight("\nx\n\n", "python").startswith("\n")


@pytest.mark.parametrize("lang", ["", "no-such-language"])
def test_no_or_unknown_language_is_not_highlighted(lang):
    assert highlight.highlight("x = 1\n", lang) is None
