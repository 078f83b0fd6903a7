"""LaTeX -> readable Unicode for the terminal (``\\frac{a}{b}`` -> ``a/b``). The only
pylatexenc owner."""

from __future__ import annotations

import re
from functools import cache

from pylatexenc import latex2text, latexwalker, macrospec

_SUPERSCRIPTS = dict(
    zip(
        "0123456789+-=()abcdefghijklmnoprstuvwxyzT",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ",
        strict=True,
    )
)
_SUBSCRIPTS = dict(
    zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
# `^2`, `_i`, `^{10}`, `_{i=1}`: a single character or a brace group without macros.
_SCRIPT = re.compile(r"(?<!\\)([_^])(?:\{([^{}\\]*)\}|([0-9A-Za-z]))")
# Characters that make a fraction's part need parentheses: (a+b)/c, not a+b/c.
_OPERATORS = set("+-−*/=<>≤≥±·×,;|")


def latex_to_unicode(latex: str) -> str:
    """Readable Unicode for a LaTeX formula; the formula itself when that fails."""
    try:
        walker = latexwalker.LatexWalker(
            _scripts_to_unicode(latex), latex_context=_walker_context(), tolerant_parsing=True
        )
        nodes, _, _ = walker.get_latex_nodes()
        text = _latex_converter().nodelist_to_text(nodes)
    except Exception:
        # pylatexenc can fail on odd input (deep nesting, stray macros): show the source.
        return latex.strip()
    return text.strip() or latex.strip()


def _scripts_to_unicode(latex: str) -> str:
    def convert(match: re.Match[str]) -> str:
        table = _SUPERSCRIPTS if match.group(1) == "^" else _SUBSCRIPTS
        chars = (match.group(2) if match.group(2) is not None else match.group(3)).replace(" ", "")
        if not chars or any(char not in table for char in chars):
            return match.group()
        # `{}` ends a preceding macro name: `\sum{}ᵢ`, not the unknown `\sumᵢ`.
        return "{}" + "".join(table[char] for char in chars)

    return _SCRIPT.sub(convert, latex)


def _fraction(node: latexwalker.LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
    args = node.nodeargd.argnlist if node.nodeargd else []
    parts = []
    for arg in args[-2:]:
        part = l2tobj.nodelist_to_text([arg]).strip() if arg is not None else ""
        parts.append(f"({part})" if _OPERATORS & set(part) else part)
    return "/".join(parts)


@cache
def _walker_context() -> macrospec.LatexContextDb:
    context = latexwalker.get_default_latex_context_db()
    extra = [macrospec.MacroSpec(name, "{{") for name in ("dfrac", "tfrac", "binom")]
    context.add_context_category("flashcards", macros=extra, prepend=True)
    return context


@cache
def _latex_converter() -> latex2text.LatexNodes2Text:
    context = latex2text.get_default_latex_context_db()
    macros = [latex2text.MacroTextSpec(name, _fraction) for name in ("frac", "dfrac", "tfrac")]
    macros += [
        latex2text.MacroTextSpec("binom", "C(%(1)s, %(2)s)"),
        latex2text.MacroTextSpec("|", "‖"),
    ]
    context.add_context_category("flashcards", macros=macros, prepend=True)
    # based-on-source keeps the spaces the author typed after macros: `a \le b` -> `a ≤ b`.
    return latex2text.LatexNodes2Text(latex_context=context, strict_latex_spaces="based-on-source")
