"""Card Markdown -> Markdown that rich shows safely and readably in a terminal.

Math becomes Unicode, raw HTML becomes its text, and everything goes through the
sanitizer on the way in and out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Literal

from markdown_it.token import Token

from flashcards.mdit import fence_language, markdown
from flashcards.render.latex import latex_to_unicode
from flashcards.render.sanitize import strip_control

_Where = Literal["paragraph", "heading", "cell"]


def to_terminal_markdown(text: str) -> str:
    """Rewrite one card side as Markdown for rich.markdown.Markdown in a terminal.

    - Math becomes readable Unicode in a code span: ``$\\frac{a}{b} + \\alpha^2$`` ->
      `` `a/b + α²` ``; simple sub- and superscripts use Unicode digits and letters.
      Display math gets a paragraph (a ``$$`` block) or a line (``$$`` inside a
      paragraph) of its own. If pylatexenc fails, the raw LaTeX is shown instead.
    - Raw HTML is not interpreted: comments disappear, tags are stripped and their
      text kept (``<br>`` becomes a line break, ``<img alt=x>`` becomes
      ``[image: x]``); the text of ``<script>`` or ``<style>`` is shown as plain text.
    - Text is escaped so that rich shows it literally; clozes read as written.
      Emphasis keeps its structure, except in contrived runs of mixed ``*`` and ``_``
      delimiters, which may show slightly differently (never as anything but text).
    - Input and output both go through `strip_control`.
    """
    tokens = markdown().parse(strip_control(text))
    return strip_control(_blocks(tokens))


def _blocks(tokens: Sequence[Token], *, tight: bool = False) -> str:
    """Markdown for a run of sibling block tokens (and their children)."""
    parts = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.nesting == 1:
            end = _closing_index(tokens, i)
            parts.append(_container(token, tokens[i + 1 : end]))
            i = end + 1
        else:
            parts.append(_leaf(token))
            i += 1
    return ("\n" if tight else "\n\n").join(part for part in parts if part)


def _closing_index(tokens: Sequence[Token], start: int) -> int:
    level = tokens[start].level
    for i in range(start + 1, len(tokens)):
        if tokens[i].nesting == -1 and tokens[i].level == level:
            return i
    return len(tokens)


def _container(token: Token, inner: Sequence[Token]) -> str:
    kind = token.type.removesuffix("_open")
    if kind == "paragraph":
        return _paragraph(inner)
    if kind == "heading":
        return "#" * int(token.tag[1:]) + " " + _inline_of(inner, where="heading")
    if kind == "blockquote":
        return _prefix_lines(_blocks(inner), "> ", "> ")
    if kind in ("bullet_list", "ordered_list"):
        return _list(inner)
    if kind == "table":
        return _table(inner)
    return _blocks(inner)


def _leaf(token: Token) -> str:
    if token.type in ("fence", "code_block"):
        return _fence(token.content, fence_language(token.info))
    if token.type in ("math_block", "math_block_label"):
        return _display_math(token.content)
    if token.type == "html_block":
        lines = [line.strip() for line in _html_text(token.content).split("\n")]
        return _escape_line_starts("\\\n".join(_escape(line) for line in lines if line))
    if token.type == "hr":
        return "***"  # unlike `---`, never read as a setext underline
    return ""  # front matter and anything unknown


def _paragraph(inner: Sequence[Token]) -> str:
    return _escape_line_starts(_inline_of(inner))


def _inline_of(inner: Sequence[Token], *, where: _Where = "paragraph") -> str:
    children = [child for token in inner for child in token.children or []]
    return _inline(children, where=where)


def _prefix_lines(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    out = [first + lines[0]] + [(rest + line) if line else rest.rstrip() for line in lines[1:]]
    return "\n".join(out) if text else first.rstrip()


def _list(inner: Sequence[Token]) -> str:
    # markdown-it hides the paragraphs of a tight list; look only at this list's own.
    item_level = inner[0].level if inner else 0
    tight = not any(
        t.type == "paragraph_open" and not t.hidden and t.level == item_level + 1 for t in inner
    )
    items = []
    i = 0
    while i < len(inner):
        end = _closing_index(inner, i)
        item = inner[i]
        marker = f"{item.info}{item.markup}" if item.info else item.markup or "-"
        body = _blocks(inner[i + 1 : end], tight=tight)
        items.append(_prefix_lines(body, marker + " ", " " * (len(marker) + 1)))
        i = end + 1
    return ("\n" if tight else "\n\n").join(items)


_ALIGN_RULES = {"left": ":---", "center": ":---:", "right": "---:"}


def _table(inner: Sequence[Token]) -> str:
    rows: list[list[str]] = []
    rules: list[str] = []
    for token in inner:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "th_open":
            align = str(token.attrs.get("style", "")).removeprefix("text-align:")
            rules.append(_ALIGN_RULES.get(align, "---"))
        elif token.type == "inline" and rows:
            rows[-1].append(_inline(token.children or [], where="cell"))
    if not rows:
        return ""
    header, *body = rows
    return "\n".join(_table_row(row) for row in [header, rules, *body])


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _fence(code: str, lang: str) -> str:
    # Longer than any backtick run inside, so the code can never close the fence.
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    lang = re.sub(r"[^\w+#.-]", "", lang)
    body = code if code.endswith("\n") or not code else code + "\n"
    return f"{fence}{lang}\n{body}{fence}"


def _display_math(latex: str) -> str:
    lines = [line.strip() for line in latex_to_unicode(latex).split("\n")]
    return "\\\n".join(_code_span(line) for line in lines if line)


def _inline(children: Sequence[Token], *, where: _Where = "paragraph") -> str:
    """Markdown for the children of one inline token.

    Headings and table cells must stay on one line; in a cell, a `|` even inside a
    code span would end the cell unless escaped.
    """
    if where == "paragraph":
        children = _isolate_display_math(children)
    out = []
    hrefs: list[str] = []  # link targets, written when the link closes
    for child in children:
        kind = child.type
        if kind == "link_open":
            hrefs.append(str(child.attrs.get("href", "")))
            out.append("[")
        elif kind == "link_close":
            out.append(f"](<{_angle_safe(hrefs.pop() if hrefs else '')}>)")
        else:
            out.append(_inline_leaf(child, where=where))
    return "".join(out)


def _isolate_display_math(children: Sequence[Token]) -> list[Token]:
    """Put `$$...$$` written inside a paragraph on a line of its own, as LaTeX does."""
    out: list[Token] = []
    for child in children:
        after_display = bool(out) and out[-1].type == "math_inline_double"
        if child.type == "softbreak" and after_display:
            child = Token("hardbreak", "br", 0)
        elif (child.type == "math_inline_double" or after_display) and out:
            if out[-1].type == "softbreak":
                out[-1] = Token("hardbreak", "br", 0)
            elif out[-1].type != "hardbreak" and child.type != "hardbreak":
                out.append(Token("hardbreak", "br", 0))
        out.append(child)
    return out


# Emphasis keeps the author's delimiter (`*` or `_`): it parsed in this very spot.
_INLINE_MARKUP = {
    "em_open": "*",
    "em_close": "*",
    "strong_open": "**",
    "strong_close": "**",
    "s_open": "~~",
    "s_close": "~~",
}


def _inline_leaf(token: Token, *, where: _Where) -> str:
    kind = token.type
    line_break = "\\\n" if where == "paragraph" else " "
    if kind in _INLINE_MARKUP:
        return token.markup or _INLINE_MARKUP[kind]
    if kind == "softbreak":
        return "\n" if where == "paragraph" else " "
    if kind == "hardbreak":
        return line_break
    if kind == "code_inline":
        return _code_span(token.content, in_cell=where == "cell")
    if kind in ("math_inline", "math_inline_double"):
        unicode = " ".join(latex_to_unicode(token.content).split("\n"))
        return _code_span(unicode, in_cell=where == "cell")
    if kind == "html_inline":
        return line_break.join(_escape(part) for part in _html_text(token.content).split("\n"))
    if kind == "image":
        alt = "".join(child.content for child in token.children or [])
        return f"![{_escape(alt)}](<{_angle_safe(str(token.attrs.get('src', '')))}>)"
    return _escape(token.content)


def _angle_safe(url: str) -> str:
    # A <...> link destination may hold anything but angle brackets and newlines.
    return url.replace("<", "%3C").replace(">", "%3E").replace("\n", "%0A")


def _code_span(content: str, *, in_cell: bool = False) -> str:
    content = content.replace("\n", " ")
    if not content:
        return ""
    if in_cell:
        content = content.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    ticks = "`" * (longest + 1)
    # CommonMark strips one space from each side, and a backtick at an edge would
    # merge with the delimiter: pad in both cases.
    if content.strip(" ") and (content[0] in "` " or content[-1] in "` "):
        content = f" {content} "
    return f"{ticks}{content}{ticks}"


# Backslash-escape what rich's markdown-it could read as markup. `_` between two
# letters or digits can neither open nor close emphasis, so `snake_case` stays; a
# final `!` would turn a following link into an image.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]<>#|~]|(?<![^\W_])_|_(?![^\W_])|&(?=#?\w+;)|!\Z")
# Line starts that would become a list item, a setext underline, a table delimiter
# row, an ordered list or
# (with four blanks) indented code.
_LINE_START = re.compile(r"^[ \t]*(?:([-+=:])|(\d{1,9})([.)]))?", re.MULTILINE)


def _escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(), text)


def _escape_line_starts(markdown_text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        # Leading blanks go too: four of them would start an indented code block.
        if match.group(1):
            return "\\" + match.group(1)
        if match.group(2):
            return match.group(2) + "\\" + match.group(3)
        return ""

    return _LINE_START.sub(fix, markdown_text)


# Tags after which a browser starts a new line.
_BLOCK_TAGS = {
    "blockquote", "details", "div", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "li", "ol", "p", "pre", "summary", "table", "tr", "ul",
}  # fmt: skip


class _HtmlText(HTMLParser):
    """The text a reader would see in an HTML fragment, without any markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "img":
            found = dict(attrs)
            self.parts.append(f"[image: {found.get('alt') or found.get('src') or ''}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")


def _html_text(html_text: str) -> str:
    """Text of raw HTML: comments dropped, tags stripped, `<br>` as a newline."""
    parser = _HtmlText()
    parser.feed(html_text)
    parser.close()
    return "".join(parser.parts)


