"""Anki's field HTML -> clean Markdown of the card format. The only markdownify owner.

markdownify (MIT, on BeautifulSoup) does the HTML; this module adds what the
card format needs around it:

- MathJax ``\\(...\\)`` and ``\\[...\\]`` become ``$...$`` and ``$$...$$``, their
  insides untouched by Markdown escaping (they are taken out before the
  conversion and put back after it);
- a literal ``$`` in text is escaped (``\\$``), so it never opens math;
- every character that would start Markdown syntax is escaped (a ``#`` at the
  start of a line would make a new card, ``<!--`` a card setting);
- ``<pre>`` code keeps its language (``class="language-python"``);
- images get their new place through a callback (`to_markdown`'s ``image``).

html2text was the other candidate: it is GPL-3.0, which this MIT project cannot
take in, and it offers no hook per element.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from urllib.parse import quote

from markdownify import MarkdownConverter

# Math is cut out before markdownify sees the HTML and put back after it, under
# markers from Unicode's private use area, which no field holds and nothing escapes.
_MATH = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.S)
_MARK = re.compile("\ue000(\\d+)\ue001")
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")
_LANGUAGE = re.compile(r"\b(?:language|lang)-([A-Za-z0-9_+#.-]+)")

ImageFn = Callable[[str], str | None]


class _Converter(MarkdownConverter):
    def __init__(self, image: ImageFn | None, **options):
        super().__init__(**options)
        self.image = image

    def escape(self, text: str, parent_tags) -> str:
        text = super().escape(text, parent_tags)
        if "_noformat" in parent_tags:  # code: taken as it is
            return text
        return text.replace("$", "\\$")

    def convert_img(self, el, text, parent_tags):
        src = el.attrs.get("src") or ""
        target = self.image(src) if self.image else src
        alt = (el.attrs.get("alt") or "").replace("]", "\\]").replace("[", "\\[")
        if target is None:  # refused: say what was there, link to nothing
            return f"*[image {_plain(src)} not imported]*" if src else ""
        return f"![{alt}]({quote(target, safe='/:#?=&%')})"


def _plain(text: str) -> str:
    return re.sub(r"[\\`*_{}\[\]<>()#+!|$]", lambda m: "\\" + m[0], text)


def _language(el) -> str:
    for node in (el, *el.find_all("code")):
        classes = " ".join(node.attrs.get("class") or [])
        match = _LANGUAGE.search(classes)
        if match:
            return match[1]
    return ""


def _converter(image: ImageFn | None) -> _Converter:
    if image is None:
        return _plain_converter()
    return _Converter(image, escape_misc=True, heading_style="ATX", bullets="-",
                      newline_style="backslash", code_language_callback=_language)


@functools.cache
def _plain_converter() -> _Converter:
    """One converter for every field without an image callback: making one costs as
    much as converting a short field."""
    return _Converter(None, escape_misc=True, heading_style="ATX", bullets="-",
                      newline_style="backslash", code_language_callback=_language)


def to_markdown(field_html: str, *, image: ImageFn | None = None) -> str:
    """One field's HTML as Markdown (stripped); ``image`` maps an image's src to its
    new path, or None to leave the image out with a visible note."""
    maths: list[str] = []

    def cut(match: re.Match) -> str:
        inline, display = match[1], match[2]
        body = _math_text(inline if inline is not None else display)
        maths.append(f"${body}$" if inline is not None else f"$${body}$$")
        return f"\ue000{len(maths) - 1}\ue001"

    protected = _MATH.sub(cut, field_html)
    converter = _converter(image)
    if any(mark in protected for mark in "<&\n\r"):
        text = converter.convert(protected)
    else:  # plain text, most fields: what markdownify gives it, without parsing HTML
        text = converter.escape(" ".join(protected.split()), set())
    text = _fewer_escapes(text)
    text = _MARK.sub(lambda m: maths[int(m[1])], text)
    return _BLANK_LINES.sub("\n\n", "\n".join(_no_idle_breaks(text.strip()))).strip()


def _no_idle_breaks(text: str) -> list[str]:
    """Lines without trailing spaces, and without the line breaks that break nothing:
    a lone ``\\`` (Anki's ``<div><br></div>``) or one that ends a paragraph."""
    lines = [line.rstrip() for line in text.splitlines()]
    fenced = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.endswith("\\") and not line.endswith("\\\\"):
            last = index + 1 == len(lines) or not lines[index + 1].strip()
            if line == "\\" or last:
                lines[index] = line[:-1].rstrip()
    return lines


# markdownify's escape_misc escapes every character that could start syntax
# somewhere; these escapes matter only where they stand at a line's start (a list
# item, a numbered item) or before a character that makes syntax. The rest are
# taken away so the Markdown reads as written ("Since 987." not "Since 987\.").
_NEEDLESS = re.compile(r"\\([.)+=-])|\\(&)(?![A-Za-z0-9#]+;)|\\(!)(?!\[)")
# What a line must not start with once unescaped: a list item, a heading, a quote,
# a setext underline, a thematic break.
_BLOCKISH = re.compile(r"\s*(?:\d+[.)](?:\s|$)|[-+*](?:\s|$)|#|>|=+\s*$|(?:-\s*){3,}$)")
_CODE_SPAN = re.compile(r"(`+).+?\1")


def _fewer_escapes(text: str) -> str:
    """Markdown with the escapes that change nothing taken away, code untouched."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if fenced or "\\" not in line or line.lstrip().startswith(("```", "~~~")):
            out.append(line)
            continue
        parts, position = [], 0
        for span in _CODE_SPAN.finditer(line):
            parts.append(_NEEDLESS.sub(_unescaped, line[position:span.start()]))
            parts.append(span[0])
            position = span.end()
        parts.append(_NEEDLESS.sub(_unescaped, line[position:]))
        lighter = "".join(parts)
        out.append(line if _BLOCKISH.match(lighter) and not _BLOCKISH.match(line) else lighter)
    return "\n".join(out)


def _unescaped(match: re.Match) -> str:
    return next(group for group in match.groups() if group is not None)


def _math_text(source: str) -> str:
    """MathJax source as the card format writes it: tags out (Anki's editor may put
    a ``<br>`` in), entities decoded, no space right inside the dollars."""
    text = html.unescape(_TAG.sub(" ", source))
    return " ".join(text.split()) if "\n" not in text.strip() else text.strip()
