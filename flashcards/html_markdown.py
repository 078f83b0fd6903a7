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

BeautifulSoup's parse is most of markdownify's cost, so the HTML Anki's editor
writes (a few tags, well formed) takes a short way: a small tree built here and
converted by markdownify's own rules ("the short way" below); any other HTML
goes through markdownify, and property tests check both give the same text.

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

# The short way (below) uses markdownify's module helpers, which its documentation
# does not promise: without them, or where they no longer give markdownify's own
# output (``_short_way_agrees``), every field takes markdownify's way, same output.
try:
    from markdownify import (
        re_extract_newlines,
        re_line_with_content,
        re_newline_whitespace,
        re_whitespace,
        strip_pre,
    )
    _SHORT_WAY = True
except ImportError:  # pragma: no cover - another markdownify release
    _SHORT_WAY = False

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
        text = _html_to_text(converter, protected)
    else:  # plain text, most fields: what markdownify gives it, without parsing HTML
        text = converter.escape(" ".join(protected.split()), set())
    text = _fewer_escapes(text)
    text = _MARK.sub(lambda m: maths[int(m[1])], text)
    return _BLANK_LINES.sub("\n\n", "\n".join(_no_idle_breaks(text.strip()))).strip()


def _html_to_text(converter: _Converter, source: str) -> str:
    """markdownify's conversion, the short way when the field allows it."""
    fast = _fast_convert(converter, source) if _short_way_agrees() else None
    return converter.convert(source) if fast is None else fast


# Every tag and case the short way handles, once: checked against markdownify itself.
_SAMPLE = ('<div>a &amp; <b>b</b> <i>i</i> <u>u</u> <s>s</s><sub>1</sub><sup>2</sup>'
           '<span style="x">*s*</span><font>f</font><br><code>c `d`</code></div>'
           '<ul><li>one<ol><li>two</li></ol></li></ul><p>p # 1. x</p>'
           '<pre class="language-python">x  = 1\n\n  y</pre><img src="a b.png" alt="[p]">'
           '<strong>st</strong><em>em</em><del>d</del>\n--\n- x')


@functools.cache
def _short_way_agrees() -> bool:
    """Whether the short way gives markdownify's output on ``_SAMPLE`` (once a process):
    a markdownify release whose rules changed turns it off rather than the output."""
    if not _SHORT_WAY:
        return False
    converter = _converter(None)
    try:
        return _fast_convert(converter, _SAMPLE) == converter.convert(_SAMPLE)
    except Exception:  # noqa: BLE001 - any failure of the short way means: not this one
        return False


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
# a setext underline (`==` or `--`), a thematic break.
_BLOCKISH = re.compile(r"\s*(?:\d+[.)](?:\s|$)|[-+*](?:\s|$)|#|>|[=-]+\s*$|(?:-\s*){3,}$)")
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


# -- the short way: the few tags Anki's editor writes, without BeautifulSoup ---------
#
# Parsing a field into BeautifulSoup's tree is most of markdownify's cost. A field
# of well-formed, properly nested tags from the list below (what Anki's editor
# writes) is parsed here into a small tree shaped as BeautifulSoup would shape it,
# and converted by the same rules as markdownify's `process_tag` and
# `process_text`, with markdownify's own functions for every tag that does not
# look at its neighbours. Anything else (a comment, an unknown tag or entity, a
# stray `<`, a tag left open) returns None and takes markdownify's way, and
# tests/test_html_markdown.py checks the two agree on any text.

_VOID = frozenset({"br", "img"})
_KNOWN = frozenset({"div", "p", "b", "strong", "i", "em", "u", "s", "del", "sub", "sup",
                    "span", "font", "ul", "ol", "li", "pre", "code"}) | _VOID
_BLOCKS = frozenset({"div", "p", "ul", "ol", "li"})  # markdownify's among _KNOWN
_BLOCKS_OR_PRE = _BLOCKS | {"pre"}
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "nbsp": "\xa0"}
_ENTITY = re.compile(r"&(amp|lt|gt|quot|nbsp);")
_TAG_AT = re.compile(r"<(?:/([a-zA-Z][a-zA-Z0-9]*)|([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z]"
                     r"[-a-zA-Z0-9_]*(?:=\"[^\"<>&]*\"|='[^'<>&]*')?)*)\s*(/?))>")
_ATTRIBUTE = re.compile(r"([a-zA-Z][-a-zA-Z0-9_]*)(?:=\"([^\"]*)\"|='([^']*)')?")
_ASCII_SPACES = frozenset("\x20\x0a\x09\x0c\x0d")


class _Node:
    """A tag (``name``) or a text (``name`` None, ``text``) of the small tree."""

    __slots__ = ("name", "attrs", "text", "children", "parent", "index")

    def __init__(self, name: str | None, parent: _Node | None, attrs: dict | None = None,
                 text: str = "") -> None:
        self.name, self.attrs, self.text, self.parent = name, attrs or {}, text, parent
        self.children: list[_Node] = []
        self.index = 0
        if parent is not None:
            self.index = len(parent.children)
            parent.children.append(self)

    def sibling(self, step: int) -> _Node | None:
        at = self.index + step
        siblings = self.parent.children if self.parent is not None else []
        return siblings[at] if 0 <= at < len(siblings) else None


def _tree(source: str) -> _Node | None:
    """The field as BeautifulSoup (html.parser) would build it, or None."""
    if "\r" in source or "\x00" in source:
        return None
    root = _Node("[document]", None)
    stack, pending, position = [root], [], 0

    def flush() -> None:
        if not pending:
            return
        data = "".join(pending)
        pending.clear()
        if not any(node.name == "pre" for node in stack) and set(data) <= _ASCII_SPACES:
            data = "\n" if "\n" in data else " "  # as BeautifulSoup's endData
        _Node(None, stack[-1], text=data)

    while position < len(source):
        start = source.find("<", position)
        text = source[position:] if start < 0 else source[position:start]
        if text:
            if "&" in text:
                if text.count("&") != len(_ENTITY.findall(text)):
                    return None
                text = _ENTITY.sub(lambda m: _ENTITIES[m[1]], text)
            pending.append(text)
        if start < 0:
            break
        match = _TAG_AT.match(source, start)
        if match is None:
            return None
        closing, name, attributes, slash = match.groups()
        flush()
        if closing is not None:
            if closing.lower() != stack[-1].name or len(stack) == 1:
                return None
            stack.pop()
        else:
            name = name.lower()
            if name not in _KNOWN or (slash and name not in _VOID):
                return None
            attrs = {}
            for attribute in _ATTRIBUTE.finditer(attributes):
                value = attribute[2] if attribute[2] is not None else attribute[3] or ""
                attrs[attribute[1].lower()] = value
            if name == "ol" and "start" in attrs:
                return None  # numbering from `start`: markdownify's way
            node = _Node(name, stack[-1], attrs)
            if name not in _VOID:
                stack.append(node)
        position = match.end()
    flush()
    return root if len(stack) == 1 else None


def _fast_convert(converter: _Converter, source: str) -> str | None:
    """``converter.convert(source)``, without BeautifulSoup; None when it cannot say."""
    root = _tree(source)
    return None if root is None else _Walk(converter).tag(root, frozenset())


class _Walk:
    """markdownify's `process_tag` and `process_text` over the small tree."""

    def __init__(self, converter: _Converter) -> None:
        self.converter = converter

    def tag(self, node: _Node, parent_tags: frozenset) -> str:
        inside = node.name in _BLOCKS
        kids = [child for child in node.children if not _ignored(child, inside)]
        child_tags = parent_tags | {node.name}
        if node.name in ("pre", "code"):
            child_tags |= {"_noformat"}
        strings = [s for s in (self.text(c, child_tags) if c.name is None
                               else self.tag(c, child_tags) for c in kids) if s]
        if node.name != "pre" and "pre" not in parent_tags:
            strings = _collapsed(strings)
        text = "".join(strings)
        if node.name == "[document]":
            return text.strip("\n")
        if node.name in ("ul", "ol"):
            return _list(node, text, parent_tags)
        if node.name == "li":
            return self.item(node, text)
        if node.name == "pre":
            return _pre(node, text)
        convert = self.converter.get_conv_fn_cached(node.name)
        return text if convert is None else convert(node, text, parent_tags=parent_tags)

    def text(self, node: _Node, parent_tags: frozenset) -> str:
        text = node.text
        if "pre" not in parent_tags:
            text = re_newline_whitespace.sub("\n", text)
            text = re_whitespace.sub(" ", text)
        if "_noformat" not in parent_tags:
            text = self.converter.escape(text, parent_tags)
        before, after = node.sibling(-1), node.sibling(1)
        inside = node.parent.name in _BLOCKS
        if _outside(before) or (inside and before is None):
            text = text.lstrip(" \t\r\n")
        if _outside(after) or (inside and after is None):
            text = text.rstrip()
        return text

    def item(self, node: _Node, text: str) -> str:
        """markdownify's `convert_li`."""
        text = text.strip()
        if not text:
            return "\n"
        if node.parent.name == "ol":
            before = sum(1 for s in node.parent.children[:node.index] if s.name == "li")
            bullet = f"{1 + before}."
        else:
            depth, up = -1, node
            while up is not None:
                depth += up.name == "ul"
                up = up.parent
            bullets = self.converter.options["bullets"]
            bullet = bullets[depth % len(bullets)]
        bullet += " "
        indent = " " * len(bullet)
        text = re_line_with_content.sub(lambda m: indent + m[1] if m[1] else "", text)
        return f"{bullet}{text[len(bullet):]}\n"


def _outside(node: _Node | None) -> bool:
    return node is not None and node.name in _BLOCKS_OR_PRE


def _ignored(node: _Node, inside: bool) -> bool:
    """markdownify's `_can_ignore`: whitespace beside a block's edge."""
    if node.name is not None or node.text.strip() != "":
        return False
    before, after = node.sibling(-1), node.sibling(1)
    if inside and (before is None or after is None):
        return True
    return _outside(before) or _outside(after)


def _collapsed(strings: list[str]) -> list[str]:
    """Newlines at the children's edges collapsed, as `process_tag` does."""
    out = [""]
    for string in strings:
        leading, content, trailing = re_extract_newlines.match(string).groups()
        if out[-1] and leading:
            previous = out.pop()
            leading = "\n" * min(2, max(len(previous), len(leading)))
        out += [leading, content, trailing]
    return out


def _list(node: _Node, text: str, parent_tags: frozenset) -> str:
    """markdownify's `convert_list`."""
    after = next((s for s in node.parent.children[node.index + 1:]
                  if s.name is not None or s.text.strip() != ""), None)
    before_paragraph = after is not None and after.name not in ("ul", "ol")
    if "li" in parent_tags:
        return "\n" + text.rstrip()
    return "\n\n" + text + ("\n" if before_paragraph else "")


def _pre(node: _Node, text: str) -> str:
    """markdownify's `convert_pre`, with `_language` on the small tree."""
    if not text:
        return ""
    return f"\n\n```{_node_language(node)}\n{strip_pre(text)}\n```\n\n"


def _node_language(node: _Node) -> str:
    def codes(at: _Node):
        for child in at.children:
            if child.name == "code":
                yield child
            if child.name is not None:
                yield from codes(child)
    for each in (node, *codes(node)):
        match = _LANGUAGE.search(" ".join(each.attrs.get("class", "").split()))
        if match:
            return match[1]
    return ""
