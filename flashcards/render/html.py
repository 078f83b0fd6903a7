"""Card Markdown -> HTML for Anki fields, and the note types' CSS. The only nh3 owner.

`flashcards.highlight` colours the code. The tokens come from
`flashcards.mdit.markdown()`, as the parser's do, so the parser, the exporter and
the reviewer agree on what is math, code and raw HTML.

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
from urllib.parse import unquote

import nh3
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from flashcards import highlight
from flashcards.mdit import fence_language, markdown
from flashcards.render.sanitize import clean_input, has_unsafe_input

# Pygments themes: the reference light theme, and a high-contrast dark one for
# Anki's night mode.
LIGHT_CODE_STYLE = "default"
DARK_CODE_STYLE = "monokai"

# Anki adds `nightMode` (desktop) or `night_mode` (AnkiDroid, older desktop) to an
# ancestor of the card in dark mode.
_NIGHT_SCOPES = (".nightMode", ".night_mode")
_CODE_SCOPE = "pre.highlight"
_ENV_IMAGE_SRC = "flashcards_image_src"




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
    if tokens is None or has_unsafe_input(text):
        tokens = md.parse(clean_input(text), env)
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
        return _code_block_html(token.content, fence_language(token.info))

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


