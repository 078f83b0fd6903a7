"""Card Markdown -> HTML for Anki fields, and -> Markdown for the terminal.

The only owner of nh3 and pylatexenc; `flashcards.highlight` colours the code.
Both outputs start from the same tokens (`flashcards.mdit.markdown()`), so the
parser, the exporter and the reviewer agree on what is math, code and raw HTML.

Shapes emitted by `to_html`:

- highlighted code: ``<pre class="highlight"><code class="language-LANG">`` with
  Pygments' short token classes (``k``, ``n``, ``s``...), styled by `note_css`;
- other code: ``<pre><code class="language-LANG">`` (unknown language) or
  ``<pre><code>`` (none), escaped;
- inline math: ``\\(...\\)``; display math: ``\\[...\\]`` (a ``$$...$$`` block is
  wrapped in ``<div class="math">``). The LaTeX is escaped for ``&``, ``<`` and ``>``
  only, so Anki's MathJax sees everything else exactly as written.

Cloze markers (``{{c1::answer::hint}}``) are ordinary text to Markdown and come out
unchanged; Markdown inside them (``*emphasis*``, math) is rendered, which Anki accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import unquote

import nh3
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pylatexenc import latex2text, latexwalker, macrospec

from flashcards import highlight
from flashcards.mdit import markdown

__all__ = [
    "cacheable_html", "note_css", "strip_control", "to_html", "to_terminal_markdown",
]

# Pygments themes: the reference light theme, and a high-contrast dark one for
# Anki's night mode.
LIGHT_CODE_STYLE = "default"
DARK_CODE_STYLE = "monokai"

# Anki adds `nightMode` (desktop) or `night_mode` (AnkiDroid, older desktop) to an
# ancestor of the card in dark mode.
_NIGHT_SCOPES = (".nightMode", ".night_mode")
_CODE_SCOPE = "pre.highlight"
_ENV_IMAGE_SRC = "flashcards_image_src"


# --- strip_control -----------------------------------------------------------

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
    text = re.sub(r"\r\n?", "\n", text)
    text = _ANSI.sub("", text)
    return _CONTROL.sub("", text)


def _clean_input(text: str) -> str:
    # Lone surrogates (from surrogateescape decoding) cannot cross into nh3's Rust.
    return _SURROGATE.sub("\ufffd", strip_control(text))


# --- to_html -----------------------------------------------------------------

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details",
    "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "s", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": {"class"},  # Pygments' token classes, language-*, math; classes cannot run code
    "a": {"href", "title"},
    "abbr": {"title"},
    "details": {"open"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "style"},  # style: only text-align, see below
    "th": {"colspan", "rowspan", "style"},
}
_URL_SCHEMES = {"http", "https", "mailto"}  # relative URLs (media files) always pass


def to_html(
    text: str,
    *,
    image_src: Callable[[str], str] | None = None,
    tokens: Sequence[Token] | None = None,
) -> str:
    """Render one card side to sanitized HTML for an Anki field.

    `image_src` maps the path of each local image, as written in the Markdown (with
    any %-escapes decoded), to the name to put in ``src``; remote images (any URL
    with a scheme, such as ``https:``) are never mapped. Raw HTML and the rendered
    result are sanitized with nh3: no ``<script>`` or ``<style>`` (their content is
    dropped too: a style element would restyle the whole review screen), no event
    handlers, no ``javascript:`` URLs, no HTML comments, no ``style`` attributes but
    ``text-align`` on table cells. Control characters are removed first (``\x1f``
    separates fields in Anki's database). An error raised by `image_src` propagates.
    Output is deterministic.

    `tokens` are the side's tokens as the parser already made them
    (`parser.SideTokens`): the same HTML, without parsing the text again.
    """
    md = markdown()
    env: EnvType = {_ENV_IMAGE_SRC: image_src}
    if tokens is None or _CONTROL.search(text) or _SURROGATE.search(text):
        tokens = md.parse(_clean_input(text), env)
    body = _anki_renderer().render(tokens, md.options, env)
    return _sanitize(body).strip()


def cacheable_html(text: str, tokens: Sequence[Token] | None = None) -> str | None:
    """`to_html` for the store's cache, or None if the side shows a local image.

    A local image's name in a package depends on the image's bytes, and exporting
    checks that the image is there: such a side is rendered at every export.
    """
    local: list[str] = []
    html_ = to_html(text, image_src=lambda src: local.append(src) or src, tokens=tokens)
    return None if local else html_


def _sanitize(html_text: str) -> str:
    return _cleaner().clean(html_text)


@cache
def _cleaner() -> nh3.Cleaner:
    # Built once: nh3.clean() builds its rules anew on every call, which cost
    # more than the cleaning itself (14.6 us vs 2.2 us for a short side).
    return nh3.Cleaner(
        tags=set(_ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        filter_style_properties={"text-align"},  # table column alignment from Markdown
        strip_comments=True,
    )


@cache
def _anki_renderer() -> _AnkiRenderer:
    return _AnkiRenderer()


class _AnkiRenderer(RendererHTML):
    """markdown-it's HTML renderer with the rules that differ for Anki.

    A renderer of our own rather than rules added to the shared MarkdownIt, which the
    parser also uses.
    """

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        return _code_block_html(token.content, _fence_language(token.info))

    def code_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return _code_block_html(tokens[idx].content, "")

    def math_inline(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return "\\(" + _escape_latex(tokens[idx].content) + "\\)"

    def math_inline_double(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        # Inside a paragraph: a bare \[...\] (a <div> may not sit inside a <p>).
        return "\\[" + _escape_latex(tokens[idx].content) + "\\]"

    def math_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        latex = _escape_latex(tokens[idx].content.strip())
        return '<div class="math">\\[' + latex + "\\]</div>\n"

    # `$$...$$ (label)`: the label is an equation number, which a card does not need.
    math_block_label = math_block

    def front_matter(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return ""

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        src = str(token.attrs.get("src", ""))
        if not _is_url(src):
            # markdown-it %-encodes the path; decoding gives back what the author wrote.
            written = unquote(src)
            mapper = env.get(_ENV_IMAGE_SRC)
            token.attrSet("src", mapper(written) if mapper else written)
        return super().image(tokens, idx, options, env)


def _is_url(src: str) -> bool:
    return src.startswith("//") or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", src) is not None


def _fence_language(info: str) -> str:
    words = unescapeAll(info).split(maxsplit=1)
    return words[0] if words else ""


def _escape_latex(latex: str) -> str:
    # Only what HTML needs: MathJax must receive `_`, `*`, `\` and `{}` as written.
    return latex.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code_block_html(code: str, lang: str) -> str:
    highlighted = highlight.highlight(code, lang)
    lang_class = f' class="language-{escapeHtml(lang)}"' if lang else ""
    if highlighted is None:
        return f"<pre><code{lang_class}>{escapeHtml(code)}</code></pre>\n"
    return f'<pre class="highlight"><code{lang_class}>{highlighted}</code></pre>\n'


# --- note_css ----------------------------------------------------------------

_CARD_CSS = """\
.card {
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue",
    Arial, sans-serif;
  font-size: 20px;
  line-height: 1.5;
  max-width: 42em;
  margin: 0 auto;
  padding: 0 1em;
  text-align: left;
}
.card img { max-width: 100%; height: auto; }
.card table { border-collapse: collapse; margin: 0.5em 0; }
.card th, .card td { border: 1px solid #888; padding: 0.2em 0.6em; }
.card blockquote { margin: 0.5em 0; padding-left: 1em; border-left: 4px solid #888; }
.card code, .card kbd, .card pre {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
.card pre {
  font-size: 0.8em;
  line-height: 1.4;
  padding: 0.6em 0.8em;
  border-radius: 4px;
  overflow-x: auto;
  background: #f6f8fa;
  color: #1f2328;
}
.card :not(pre) > code {
  font-size: 0.9em;
  padding: 0.1em 0.3em;
  border-radius: 3px;
  background: rgba(127, 127, 127, 0.15);
}
.card .math { overflow-x: auto; }
.cloze { font-weight: bold; color: #1a5fb4; }
.nightMode .cloze, .night_mode .cloze { color: #99c1f1; }
.nightMode pre, .night_mode pre { background: #2d2d2d; color: #e6e6e6; }
"""

# In night mode, undo every light token rule first, so a token type that only the
# light theme styles does not keep a dark-on-dark colour or a stray bold.
_NIGHT_TOKEN_RESET = (
    "{scopes} {{ color: inherit; background-color: transparent; font-weight: normal; "
    "font-style: normal; text-decoration: none; border: none; }}"
)


@cache
def note_css() -> str:
    """CSS for the note types: card layout, tables, code, and Pygments light and night.

    Token styles are scoped to ``pre.highlight`` (and, for night mode, to
    ``.nightMode``/``.night_mode pre.highlight``) so Pygments' short class names
    cannot style anything else on the card. Deterministic.
    """
    night_scopes = [f"{night} {_CODE_SCOPE}" for night in _NIGHT_SCOPES]
    reset = _NIGHT_TOKEN_RESET.format(scopes=", ".join(f"{s} span" for s in night_scopes))
    parts = [
        _CARD_CSS,
        highlight.css(LIGHT_CODE_STYLE, [_CODE_SCOPE]),
        reset,
        highlight.css(DARK_CODE_STYLE, night_scopes),
    ]
    return "\n".join(parts) + "\n"


# --- to_terminal_markdown ----------------------------------------------------


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
        return _fence(token.content, _fence_language(token.info))
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
    lines = [line.strip() for line in _latex_to_unicode(latex).split("\n")]
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
        unicode = " ".join(_latex_to_unicode(token.content).split("\n"))
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


# --- LaTeX to Unicode --------------------------------------------------------

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


def _latex_to_unicode(latex: str) -> str:
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
