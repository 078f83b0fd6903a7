"""The card syntax: every format feature and every check of the parser."""

from __future__ import annotations

import re
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards.model import NoteKind, Severity, normalized
from flashcards.parser import cloze_back, cloze_front, fenced_code, parse


def deck(text: str):
    return parse(textwrap.dedent(text).lstrip("\n"), "deck.md", default_deck="From::Path")


def messages(result, severity=None):
    return [(p.line, p.message) for p in result.problems
            if severity is None or p.severity is severity]


def test_basic_card_question_and_answer_with_line():
    result = deck("""
        # Title

        Intro text is not a card.

        ## What is overfitting?

        The model fits **noise** in the training data.

        - high variance
    """)
    assert result.problems == ()
    (note,) = result.notes
    assert note.kind is NoteKind.BASIC
    assert note.question == "What is overfitting?"
    assert note.answer == "The model fits **noise** in the training data.\n\n- high variance"
    assert (note.path, note.line, note.ordinals) == ("deck.md", 5, (1,))
    assert note.deck == "From::Path"


def test_answer_runs_to_next_heading_of_same_or_higher_level():
    result = deck("""
        ## Q1
        A1
        ### A sub-heading belongs to the answer
        more
        ## Q2
        A2
        # New section
        not a card
        ## Q3
        A3
    """)
    questions = [(n.question, n.answer) for n in result.notes]
    assert questions == [
        ("Q1", "A1\n### A sub-heading belongs to the answer\nmore"),
        ("Q2", "A2"),
        ("Q3", "A3"),
    ]


def test_front_matter_sets_deck_tags_description_and_reverse():
    result = deck("""
        ---
        deck: "ML Interview :: Metrics"
        tags: [ml, metrics]
        description: Precision and recall.
        reverse: true
        ---
        ## Precision
        <!-- tags: definition -->
        TP / (TP + FP)
    """)
    assert result.problems == ()
    assert result.deck == "ML Interview::Metrics"
    assert result.description == "Precision and recall."
    (note,) = result.notes
    assert note.tags == ("ml", "metrics", "definition")
    assert note.kind is NoteKind.REVERSED and note.ordinals == (1, 2)


def test_metadata_comment_sets_id_tags_reverse_and_is_not_in_the_answer():
    result = deck("""
        ## Bias
        <!-- id: bias-def; tags: bias-variance, basics; reverse -->

        Error from wrong assumptions.
    """)
    (note,) = result.notes
    assert note.explicit_id == "bias-def"
    assert note.tags == ("bias-variance", "basics")
    assert note.kind is NoteKind.REVERSED
    assert "<!--" not in note.answer
    assert note.answer == "Error from wrong assumptions."


def test_ordinary_html_comments_stay_in_the_answer():
    result = deck("""
        ## Q
        <!-- just a note to self -->
        A
    """)
    assert result.notes[0].answer == "<!-- just a note to self -->\nA"


def test_cloze_card_one_card_per_number_with_hint():
    result = deck("""
        ## The F1 score is the {{c1::harmonic mean::which mean?}} of {{c2::precision}}
        and {{c3::recall}}.
        <!-- id: f1 -->
    """)
    (note,) = result.notes
    assert note.kind is NoteKind.CLOZE
    assert note.ordinals == (1, 2, 3)
    assert result.problems == ()


def test_cloze_display_hides_one_number():
    text = "{{c1::Paris}} is in {{c2::France::country}}"
    assert cloze_front(text, 1) == "[...] is in France"
    assert cloze_front(text, 2) == "Paris is in [country]"
    assert cloze_back(text, 2) == "Paris is in **France**"


def test_full_markdown_in_answers_and_math_kept_verbatim():
    result = deck("""
        ## Show it all
        | a | b |
        |---|---|
        | 1 | 2 |

        ```python
        print(1)
        ```

        Inline $a_1 * b_2$ and display:

        $$
        \\sum_i x_i
        $$

        ![plot](https://example.org/p.png)
    """)
    (note,) = result.notes
    assert "$a_1 * b_2$" in note.answer and "\\sum_i x_i" in note.answer
    assert [i.src for i in note.images] == ["https://example.org/p.png"]
    assert list(fenced_code(note.answer)) == [("python", "print(1)\n", 5)]


def test_setext_level_two_heading_is_a_question():
    result = deck("""
        What is a tensor?
        -----------------
        An n-dimensional array.
    """)
    assert [n.question for n in result.notes] == ["What is a tensor?"]


def test_headings_inside_lists_or_quotes_do_not_start_cards():
    result = deck("""
        ## Q
        > ## quoted heading
        - ## listed heading
    """)
    assert len(result.notes) == 1


# -- checks ------------------------------------------------------------------


def test_empty_question_and_empty_answer_are_errors():
    result = deck("""
        ##
        answer
        ## Question without answer
        ## Fine
        ok
    """)
    assert messages(result, Severity.ERROR) == [
        (1, "empty question: the heading has no text"),
        (3, "empty answer: write the answer below the heading"),
    ]
    assert [n.question for n in result.notes] == ["Fine"]


def test_malformed_front_matter_points_at_its_line():
    result = deck("""
        ---
        deck: ok
        tags: [unclosed
        ---
        ## Q
        A
    """)
    ((line, message),) = messages(result, Severity.ERROR)
    assert 3 <= line <= 5 and message.startswith("malformed front matter")


def test_front_matter_that_is_not_a_mapping():
    result = deck("""
        ---
        - a
        - b
        ---
        ## Q
        A
    """)
    assert messages(result, Severity.ERROR) == [
        (1, "front matter must be a mapping of `key: value` lines")]


def test_yaml_tags_that_construct_objects_are_refused():
    result = deck("""
        ---
        deck: !!python/object/apply:os.system ["echo hacked"]
        ---
        ## Q
        A
    """)
    assert any("malformed front matter" in m for _, m in messages(result, Severity.ERROR))


def test_unknown_front_matter_key_and_card_setting_are_warnings():
    result = deck("""
        ---
        dek: typo
        ---
        ## Q
        <!-- id: x; color: red -->
        A
    """)
    assert [m.split(" (")[0] for _, m in messages(result, Severity.WARNING)] == [
        "unknown front matter key 'dek'", "unknown card setting 'color'"]


def test_unbalanced_cloze_and_skipped_numbers():
    result = deck("""
        ## Open {{c1::never closed
        A
        ## Skips {{c1::a}} {{c3::b}}
        ## Typo {{c1:single colon}}
        A
    """)
    errors = messages(result, Severity.ERROR)
    assert (1, "unbalanced cloze: every {{c1:: needs its closing }}") in errors
    assert (3, "cloze numbers must start at c1 without gaps: no c2") in errors
    assert any(line == 4 and "malformed cloze" in m for line, m in errors)


def test_cloze_inside_code_or_math_is_an_error():
    result = deck("""
        ## Fence
        ```python
        x = "{{c1::secret}}"
        ```
        ## Inline {{c1::ok}}
        Use `{{c2::code}}` here.
        ## Math {{c1::ok}}
        $x + {{c2::y}}$
    """)
    errors = messages(result, Severity.ERROR)
    assert (2, "cloze inside a code block: Anki would show it as code, not hide it") in errors
    assert (6, "cloze inside inline code: put the cloze around it") in errors
    assert (8, "cloze inside inline math: put the cloze around it") in errors


def test_long_answers_questions_and_code_are_warnings():
    long_answer = " ".join(["word"] * 70)
    code = "\n".join(f"x{i} = {i}" for i in range(20))
    result = deck(f"""
        ## {' '.join(['why'] * 45)}?
        short
        ## Long answer
        {long_answer}
        ## Long code
        ```python
        {textwrap.indent(code, ' ' * 8).lstrip()}
        ```
    """)
    warnings = [m for _, m in messages(result, Severity.WARNING)]
    assert any(m.startswith("question of 45 words") for m in warnings)
    assert any(m.startswith("answer of 70 words") for m in warnings)
    assert any(m.startswith("code block of 20 lines") for m in warnings)
    assert result.problems[0].severity is Severity.WARNING


def test_code_words_do_not_count_towards_answer_length():
    words = " ".join(["tok"] * 100)
    result = deck(f"""
        ## Q
        A short answer.

        ```text
        {words}
        ```
    """)
    assert result.problems == ()


def test_invalid_and_repeated_ids():
    result = deck("""
        ## Q1
        <!-- id: has space -->
        A
        ## Q2
        <!-- id: a; id: b -->
        A
    """)
    errors = [m for _, m in messages(result, Severity.ERROR)]
    assert errors[0].startswith("invalid id 'has space'")
    assert errors[1] == "a card has two ids"


def test_file_without_cards_warns():
    result = deck("# Only a title\n\nSome prose.\n")
    assert messages(result) == [
        (1, "no cards found: a card starts with a level-2 heading (## Question)")]


def test_problems_print_as_file_line_column():
    result = deck("## Q\n")
    assert str(result.problems[0]) == (
        "deck.md:1:1: error: empty answer: write the answer below the heading")


# -- properties --------------------------------------------------------------

markdownish = st.text(
    alphabet=st.sampled_from(list("ab #-*_`$\n{}:c1<>!-[]()|\\\t\r\x00é")), max_size=300)


@settings(max_examples=300, deadline=None)
@given(markdownish)
def test_any_text_parses_without_raising(text):
    result = parse(text, "fuzz.md")
    for problem in result.problems:
        assert problem.path == "fuzz.md" and problem.line >= 1
    for note in result.notes:
        assert note.question and note.line >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_parses_without_raising(text):
    parse("## Q\n" + text, "fuzz.md")
    parse("---\n" + text + "\n---\n## Q\nA", "fuzz.md")


# Every character \s matches (the test below finds them all).
WHITE_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
               "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def test_normalized_folds_the_white_space_a_regex_would():
    # normalized() uses str.split() for speed; the hashes rely on it matching \s+.
    text = f"{WHITE_SPACE}a{WHITE_SPACE}b c\u200bd{WHITE_SPACE}"
    assert normalized(text) == re.sub(r"\s+", " ", text).strip() == "a b c\u200bd"


@pytest.mark.slow
def test_normalized_folds_exactly_the_white_space_a_regex_would():
    # Every code point: str.isspace() and \s agree, and WHITE_SPACE lists them all.
    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c)))
    assert spaces == WHITE_SPACE
    assert spaces == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    text = f"{spaces}a{spaces}b c\u200bd{spaces}"
    assert normalized(text) == re.sub(r"\s+", " ", text).strip() == "a b c\u200bd"
