"""Highlighting: the faster run of Pygments' regex lexers gives Pygments' own tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.lexers import get_all_lexers, get_lexer_by_name

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


def regex_lexer_names() -> list[str]:
    names = []
    for _, aliases, _, _ in get_all_lexers():
        if aliases and type(highlight._lexer(aliases[0])).get_tokens_unprocessed \
                is highlight._run_fast:
            names.append(aliases[0])
    return names


def pygments_tokens(lang: str, text: str) -> list:
    return list(get_lexer_by_name(lang, stripnl=False).get_tokens(text))


def fast_tokens(lang: str, text: str) -> list:
    return list(highlight._lexer(lang).get_tokens(text))


COMMON = ("python", "javascript", "typescript", "bash", "sql", "go", "java", "rust")


def runs_fast(lang: str) -> bool:
    return type(highlight._lexer(lang)).get_tokens_unprocessed is highlight._run_fast


def test_the_common_languages_run_fast():
    for lang in COMMON:
        assert runs_fast(lang), lang
    # Lexers of their own kind (C's type names, YAML's indentation) run as Pygments runs them.
    for lang in ("c", "cpp", "yaml", "json"):
        assert not runs_fast(lang), lang
    # The point of it all: Python's main state is one regex, not a Python loop.
    highlight.highlight("x = 1\n", "python")
    assert highlight._TABLES[type(highlight._lexer("python"))]["root"] is not None


@pytest.mark.parametrize("lang", COMMON)
def test_common_lexers_give_pygments_tokens(lang):
    assert _outcome(fast_tokens, lang) == _outcome(pygments_tokens, lang)


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


GENERATED_LANGS = st.sampled_from(["python", "javascript", "bash", "sql", "go", "html", "latex"])


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(lang=GENERATED_LANGS, text=CODE_TEXT)
def test_generated_text_gives_pygments_tokens(lang, text):
    assert fast_tokens(lang, text) == pygments_tokens(lang, text)


@settings(max_examples=30, deadline=None)
@given(lang=GENERATED_LANGS, text=CODE_TEXT)
def test_generated_text_gives_pygments_tokens_sample(lang, text):
    """The fast lane's share of the 300 examples above."""
    assert fast_tokens(lang, text) == pygments_tokens(lang, text)


def test_highlight_gives_pygments_html_spans():
    html = highlight.highlight("def f(x):\n    return x  # done\n", "python")
    assert html.startswith('<span class="k">def</span>')
    assert '<span class="c1"># done</span>' in html


@pytest.mark.parametrize("lang", ["", "no-such-language"])
def test_no_or_unknown_language_is_not_highlighted(lang):
    assert highlight.highlight("x = 1\n", lang) is None
