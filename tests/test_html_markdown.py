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
