"""Code -> Pygments' HTML token spans and their CSS. The only owner of pygments.

Highlighting is a fifth of a first sync's CPU (rendering every card side), and
most of it is Pygments' ``RegexLexer`` trying a state's rules one at a time: a
Python-level regex call per rule at each position, about 1,000 for three lines
of Python. ``_run_fast`` asks one regex made of the state's rules as
alternatives instead: the regex engine tries them in the rules' order at the same
position and nothing follows the alternation, so the first rule that matches,
and its match, are Pygments' own. The tokens are the same; highlighting takes
about a third less CPU (docs/benchmarks.md, "The combined regex, guarded").

That loop reads two private names of Pygments 2.x (a lexer's compiled rules,
``_tokens``, and ``pygments.token._TokenType``), so it is guarded, and every
guard falls back to Pygments' own public path, which gives the same HTML:
- a lexer whose class is not a plain ``RegexLexer``, a Pygments that is not 2.x,
  or compiled rules of another shape, are run as Pygments runs them;
- in each process, a language's first block is highlighted both ways, and if the
  two differ the language goes back to Pygments' own loop (so does any error of
  the fast loop);
- tests/test_highlight.py compares the tokens with Pygments' on every regex lexer,
  and runs each fallback; scripts/test_latest_deps.sh (docs/dependencies.md) runs
  it against the newest Pygments release.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pygments
import pygments.token
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer, RegexLexer
from pygments.lexers import get_lexer_by_name
from pygments.token import Error, Whitespace

__all__ = ["css", "highlight"]

# The class of Pygments' token types (private): the loop tells a token type from a
# callback by it, as Pygments' own loop does.
_TOKEN_TYPE = getattr(pygments.token, "_TokenType", None)

# Built once: a formatter costs as much to create as highlighting a short block.
_FORMATTER = HtmlFormatter(nowrap=True)


def highlight(code: str, lang: str) -> str | None:
    """Pygments HTML (token spans only), or None for no or unknown language."""
    if not lang:
        return None
    try:
        lexers = _lexers(lang)
        return _fast_html(code, lexers) or pygments_highlight(code, lexers.public, _FORMATTER)
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


@dataclass
class _Lexers:
    """A language's lexer as Pygments runs it, and the same lexer run by ``_run_fast``
    (None when a guard says no); ``checked`` once a block came out the same both ways."""

    public: Lexer
    fast: Lexer | None
    checked: bool = False


@lru_cache(maxsize=64)
def _lexers(lang: str) -> _Lexers:
    # stripnl=False: keep blank lines the author put at the edges of the block.
    public = get_lexer_by_name(lang, stripnl=False)
    return _Lexers(public, _fast_lexer(lang) if _runs_fast(public) else None)


def _fast_html(code: str, lexers: _Lexers) -> str | None:
    """The block's HTML through the fast loop, or None: no fast lexer, or it gave
    other HTML than Pygments' own loop on the language's first block, or failed
    (the language then stays on Pygments' loop)."""
    if lexers.fast is None:
        return None
    try:
        html = pygments_highlight(code, lexers.fast, _FORMATTER)
    except Exception:
        html = None
    if html is not None and (lexers.checked or
                             html == pygments_highlight(code, lexers.public, _FORMATTER)):
        lexers.checked = True
        return html
    lexers.fast = None
    return None


def _fast_lexer(lang: str) -> Lexer:
    lexer = get_lexer_by_name(lang, stripnl=False)
    # The instance's own method: Lexer.get_tokens (public) calls it as Pygments' loop.
    lexer.get_tokens_unprocessed = _run_fast.__get__(lexer)
    return lexer


def _runs_fast(lexer: Lexer) -> bool:
    """Whether ``_run_fast`` may run this lexer: Pygments' own RegexLexer loop, on
    Pygments 2.x, with compiled rules of the shape that loop reads."""
    if type(lexer).get_tokens_unprocessed is not RegexLexer.get_tokens_unprocessed:
        return False  # a lexer of its own kind
    if not pygments.__version__.startswith("2.") or not isinstance(_TOKEN_TYPE, type):
        return False
    table = getattr(lexer, "_tokens", None)
    return isinstance(table, dict) and "root" in table and all(
        isinstance(rules, list) and all(_is_rule(rule) for rule in rules)
        for rules in table.values())


def _is_rule(rule: object) -> bool:
    return (isinstance(rule, tuple) and len(rule) == 3
            and isinstance(getattr(rule[0], "__self__", None), re.Pattern)
            and getattr(rule[0], "__name__", None) == "match")


# -- the combined regex ---------------------------------------------------------

# A leading global flag group, `(?i)`, must become scoped, `(?i:...)`, inside an alternation.
_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")
# Back-references and conditionals by number or name: renumbering the groups breaks them.
_REFERENCES = re.compile(r"\\[1-9]|\\g<|\(\?P=|\(\?\(")


class _Combined:
    """One state's rules as one regex; ``rule_of`` maps each rule's outer group to it."""

    def __init__(self, rules: list[tuple]) -> None:
        parts, flags, self.rule_of, group = [], set(), {}, 1
        for index, (rexmatch, _, _) in enumerate(rules):
            pattern = rexmatch.__self__
            if pattern.groupindex or _REFERENCES.search(pattern.pattern):
                raise re.error("rule with back-references or named groups")
            text, own_flags = pattern.pattern, 0
            if flag := _GLOBAL_FLAGS.match(text):
                text = f"(?{flag.group(1)}:{text[flag.end():]})"
                own_flags = re.compile(f"(?{flag.group(1)})").flags & ~re.UNICODE
            parts.append(f"({text})")
            flags.add(pattern.flags & ~own_flags)  # the lexer's flags, the same for all
            self.rule_of[group] = index
            group += 1 + pattern.groups
        if len(flags) != 1:
            raise re.error("rules compiled with different flags")
        self.match = re.compile("|".join(parts), flags.pop()).match


def _combined(table: dict, state: str, rules: list[tuple]) -> _Combined | None:
    """The state's combined regex from ``table``, made on first use (None: cannot be)."""
    if state not in table:
        try:
            table[state] = _Combined(rules) if rules else None
        except (re.error, AttributeError, TypeError):  # not plain compiled patterns
            table[state] = None
    return table[state]


_TABLES: dict[type, dict[str, _Combined | None]] = {}


def _run_fast(self: RegexLexer, text: str, stack: tuple[str, ...] = ("root",)) -> Iterator:
    """`RegexLexer.get_tokens_unprocessed` (Pygments 2.x), one regex call per token.

    The loop is Pygments' own (BSD-2-Clause, Copyright the Pygments team), with
    the search for the first matching rule done by `_Combined` where it can be.
    """
    pos = 0
    tokendefs = self._tokens
    table = _TABLES.setdefault(type(self), {})
    statestack = list(stack)
    while True:
        found = _first_rule(table, statestack[-1], tokendefs[statestack[-1]], text, pos)
        if found is None:
            # No rule matched: Pygments' recovery, unchanged.
            if pos >= len(text):
                break
            if text[pos] == "\n":
                statestack = ["root"]  # at EOL, reset state to "root"
                yield pos, Whitespace, "\n"
            else:
                yield pos, Error, text[pos]
            pos += 1
            continue
        (rexmatch, action, new_state), matched = found
        if type(action) is _TOKEN_TYPE:
            yield pos, action, matched
        elif action is not None:
            # A callback reads groups by number: give it the rule's own match.
            yield from action(self, rexmatch(text, pos))
        pos += len(matched)
        if new_state is not None:
            _change_state(statestack, new_state)


def _first_rule(table: dict, state: str, rules: list[tuple], text: str,
                pos: int) -> tuple[tuple, str] | None:
    """The first of the state's rules that matches at ``pos``, and the text it matches."""
    combined = _combined(table, state, rules)
    if combined is None:
        for rule in rules:
            if match := rule[0](text, pos):
                return rule, match.group()
        return None
    match = combined.match(text, pos)
    if match is None:
        return None
    return rules[combined.rule_of[match.lastindex]], match.group()


def _change_state(statestack: list[str], new_state) -> None:
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(statestack) > 1:
                    statestack.pop()
            elif state == "#push":
                statestack.append(statestack[-1])
            else:
                statestack.append(state)
    elif isinstance(new_state, int):
        # pop, but keep at least one state on the stack
        if abs(new_state) >= len(statestack):
            del statestack[1:]
        else:
            del statestack[new_state:]
    elif new_state == "#push":
        statestack.append(statestack[-1])
    else:
        raise AssertionError(f"wrong state def: {new_state!r}")
