"""Anki field HTML -> Markdown: math, code, escapes, images; and the property that
no field text can break a card apart."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards.html_markdown import to_markdown
from flashcards.parser import parse


@pytest.mark.parametrize(("field", "markdown"), [
    ("What is <b>2+2</b>? Since 987.", "What is **2+2**? Since 987."),
    ("Derivative of \\(x^2_1\\)", "Derivative of $x^2_1$"),
    ("\\( a &lt; b \\)", "$a < b$"),
    ("\\[\\sum_i a_i\\]", "$$\\sum_i a_i$$"),
    ("costs $5 and $10", "costs \\$5 and \\$10"),
    ('<pre><code class="language-python">x_1 = a * b\n</code></pre>',
     "```python\nx_1 = a * b\n```"),
    ("<code>a_b*c</code>", "`a_b*c`"),
    ("<div># not a heading</div>", "\\# not a heading"),
    ("&lt;!-- id: x --&gt;", "\\<!-- id: x --\\>"),
    ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
    ("{{c1::Paris::city}} is in {{c2::\\(F\\)}}", "{{c1::Paris::city}} is in {{c2::$F$}}"),
    ("1. not a list", "1\\. not a list"),
    ("a<br>b", "a\\\nb"),
    ("1<br>--", "1\\\n\\--"),  # a setext underline would make the line a heading
    ("<script>alert(1)</script>ok", "ok"),
])
def test_fields_become_clean_markdown(field, markdown):
    assert to_markdown(field) == markdown


def test_images_take_their_new_place_or_say_they_are_missing():
    assert to_markdown('<img src="a b.png" alt="plot">', image=lambda s: f"media/{s}") == \
        "![plot](media/a%20b.png)"
    assert to_markdown('<img src="gone.png">', image=lambda s: None) == \
        "*[image gone.png not imported]*"


TEXT = st.text(st.sampled_from(list("ab #-*+_=>|!.)1`$\\[]()<&;\n")), max_size=40)


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_no_field_text_breaks_a_card_apart(text):
    field = html.escape(text).replace("\n", "<br>")
    answer = to_markdown(field)
    deck = parse(f"## Question\n<!-- id: x -->\n\n{answer or 'a'}\n")
    assert len(deck.notes) == 1, (text, answer)
    assert deck.notes[0].explicit_id == "x"
    assert not [p for p in deck.problems if p.severity == "error"], (text, answer, deck.problems)


PLAIN = st.text(st.sampled_from(list("ab #-*+_=>|!.)1`$\\[]()\t{}:\n")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(PLAIN)
def test_plain_text_takes_the_short_way_to_the_same_markdown(text):
    from flashcards import html_markdown

    slow = html_markdown._converter(None).convert(text)  # through BeautifulSoup
    assert html_markdown._fewer_escapes(slow).strip() == to_markdown(text).strip() or \
        "\\(" in text or "\\[" in text


# Anki's editor HTML: the tags it writes, nested at random, with the text and the
# attributes it puts in them (whitespace, entities, Markdown's characters, code).
WORDS = st.lists(st.sampled_from(list("ab #-*+_=>|!.)1`$\\[]()\t\n{}:") + [
    "&amp;", "&lt;", "&gt;", "&quot;", "&nbsp;", "  ", "\n\n", "1. ", "- ", "```"]),
    max_size=12).map("".join)
ATTRIBUTES = st.sampled_from(["", ' class="language-python"', " class='lang-c x'",
                              ' style="color: red"', " hidden", ' class=""'])
INLINE = ["b", "strong", "i", "em", "u", "s", "del", "sub", "sup", "span", "font", "code"]
BLOCK = ["div", "p", "ul", "ol", "li", "pre"]


def _element(children):
    def wrap(parts):
        name, attributes, inner = parts
        return f"<{name}{attributes}>{''.join(inner)}</{name}>"
    return st.tuples(st.sampled_from(INLINE + BLOCK), ATTRIBUTES, st.lists(children, max_size=4)
                     ).map(wrap)


LEAF = st.one_of(WORDS, st.sampled_from(["<br>", "<br/>", "<br />", '<img src="a b.png">',
                                         "<img src='x.gif' alt=\"plot [1]\"/>"]))
EDITOR_HTML = st.lists(st.recursive(LEAF, _element, max_leaves=12), max_size=5).map("".join)


IMAGE_MAPS = [None, lambda src: f"media/{src}"]


@pytest.mark.slow
@pytest.mark.parametrize("image", IMAGE_MAPS)
@settings(max_examples=400, deadline=None)
@given(EDITOR_HTML)
def test_editor_html_takes_the_short_way_to_markdownify_s_output(image, field):
    assert_short_way_gives_markdownify_s_output(image, field)


@pytest.mark.parametrize("image", IMAGE_MAPS)
@settings(max_examples=30, deadline=None)
@given(EDITOR_HTML)
def test_editor_html_takes_the_short_way_to_markdownify_s_output_sample(image, field):
    assert_short_way_gives_markdownify_s_output(image, field)


def assert_short_way_gives_markdownify_s_output(image, field: str) -> None:
    from flashcards import html_markdown

    converter = html_markdown._converter(image)
    fast = html_markdown._fast_convert(converter, field)
    assert fast is not None, field  # well-formed editor HTML never needs BeautifulSoup
    assert fast == converter.convert(field), field


# Any text at all, half-made tags and unknown entities included: the short way
# when it can, markdownify otherwise, the same Markdown either way.
ANY_HTML = st.lists(st.sampled_from(
    ["<", ">", "/", "&", ";", "a", " ", "\n", "\r", "<b>", "</b>", "<div>", "</div>",
     "<li>", "</li>", "<ul>", "</ul>", "<pre>", "</pre>", "<br>", "<!-- c -->", "&amp;",
     "&nbsp;", "&#39;", "&copy;", "<p class=x>", "</p>", "<table>", "<ol start=\"3\">",
     "</ol>", "<B>", "<script>", "*", "_", "#", "1."]), max_size=20).map("".join)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(ANY_HTML)
def test_any_field_gets_markdownify_s_output(field):
    assert_field_gets_markdownify_s_output(field)


@settings(max_examples=40, deadline=None)
@given(ANY_HTML)
def test_any_field_gets_markdownify_s_output_sample(field):
    assert_field_gets_markdownify_s_output(field)


def assert_field_gets_markdownify_s_output(field: str) -> None:
    from flashcards import html_markdown

    converter = html_markdown._converter(None)
    assert html_markdown._html_to_text(converter, field) == converter.convert(field)


def test_the_short_way_agrees_with_this_markdownify_and_its_sample_covers_it():
    from flashcards import html_markdown

    assert html_markdown._short_way_agrees()
    converter = html_markdown._converter(None)
    assert html_markdown._fast_convert(converter, html_markdown._SAMPLE) is not None


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(EDITOR_HTML)
def test_without_the_short_way_fields_get_the_same_markdown(field):
    assert_without_the_short_way_the_same_markdown(field)


@settings(max_examples=10, deadline=None)
@given(EDITOR_HTML)
def test_without_the_short_way_fields_get_the_same_markdown_sample(field):
    assert_without_the_short_way_the_same_markdown(field)


def assert_without_the_short_way_the_same_markdown(field: str) -> None:
    """The fallback a markdownify without the short way's helpers gets (or one whose
    rules changed): markdownify's own way, the same Markdown."""
    from flashcards import html_markdown

    expected = to_markdown(field)
    html_markdown._short_way_agrees.cache_clear()
    saved, html_markdown._SHORT_WAY = html_markdown._SHORT_WAY, False
    try:
        assert not html_markdown._short_way_agrees()
        assert to_markdown(field) == expected
    finally:
        html_markdown._SHORT_WAY = saved
        html_markdown._short_way_agrees.cache_clear()
