"""The card syntax: every format feature and every check of the parser."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_helpers import fenced_code

from flashcards.model import NoteKind, Severity, normalized
from flashcards.parser import cloze_back, cloze_front, parse


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


def test_unknown_front_matter_key_is_an_error_and_card_setting_a_warning():
    # A typo of `deck:` would put the cards in another deck: an error (issue 20).
    result = deck("""
        ---
        dek: typo
        ---
        ## Q
        <!-- id: x; color: red -->
        A
    """)
    assert [m.split(" (")[0] for _, m in messages(result, Severity.ERROR)] == [
        "unknown front matter key 'dek'"]
    assert [m.split(" (")[0] for _, m in messages(result, Severity.WARNING)] == [
        "unknown card setting 'color'"]


def test_unbalanced_cloze_and_skipped_numbers():
    result = deck("""
        ## Open {{c1::never closed
        A
        ## Skips {{c1::a}} {{c3::b}}
        ## Typo {{c1:single colon}}
        A
    """)
    errors = messages(result, Severity.ERROR)
    assert (1, "unclosed cloze: this {{c1:: needs its closing }}") in errors
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
    assert (3, "cloze inside a code block: Anki would show it as code, not hide it") in errors
    assert any(line == 6 and m.startswith("cloze inside inline code") for line, m in errors)
    assert any(line == 8 and m.startswith("cloze inside inline math") for line, m in errors)


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


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(markdownish)
def test_any_text_parses_without_raising(text):
    assert_parses_with_placed_problems(text)


@settings(max_examples=50, deadline=None)
@given(markdownish)
def test_any_text_parses_without_raising_sample(text):
    """The fast lane's share of the 300 examples above."""
    assert_parses_with_placed_problems(text)


def assert_parses_with_placed_problems(text) -> None:
    result = parse(text, "fuzz.md")
    for problem in result.problems:
        assert problem.path == "fuzz.md" and problem.line >= 1
    for note in result.notes:
        assert note.question and note.line >= 1


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_parses_without_raising(text):
    assert_parses(text)


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_parses_without_raising_sample(text):
    """The fast lane's share of the 200 examples above."""
    assert_parses(text)


def assert_parses(text) -> None:
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


# -- every cloze rule, in heading and body, in text, code and math (issue 20) ----

def errors_at(result):
    return [(p.line, p.column, p.message) for p in result.problems
            if p.severity is Severity.ERROR]


def test_cloze_in_inline_code_or_math_in_the_heading_is_reported_at_its_column():
    code = parse("## In Python, `{{c1::is}}` compares identity.\n", "d.md")
    assert errors_at(code) == [(1, 16, "cloze inside inline code: put the cloze around the "
                                       "whole code, as {{c1::`x`}} or {{c1::$x$}}")]
    bayes = parse("## Bayes' rule: $P(A \\mid B) = "
                  "{{c1::\\frac{P(B \\mid A) P(A)}{P(B)}}}$\n", "d.md")
    ((line, column, message),) = errors_at(bayes)
    assert (line, column) == (1, 32) and message.startswith("cloze inside inline math")


def test_an_unclosed_cloze_is_one_error_at_its_column():
    result = parse("## The capital is {{c1::Paris.\n", "d.md")
    assert errors_at(result) == [
        (1, 19, "unclosed cloze: this {{c1:: needs its closing }}")]


def test_a_one_colon_cloze_is_only_malformed():
    result = parse("## Another {{c1:colon}} card\n", "d.md")
    assert errors_at(result) == [(1, 12, "malformed cloze: write {{c1::answer}} (two colons)")]


def test_cloze_numbers_error_points_at_the_cloze_after_the_gap():
    result = parse("## Q {{c1::a}}\n\nthen {{c3::b}}\n", "d.md")
    assert errors_at(result) == [
        (3, 6, "cloze numbers must start at c1 without gaps: no c2")]


# Where a mistake can be: (template, line of the mistake, column where {MARK} starts).
PLACES = {
    "heading text": ("## Q {MARK} end\n\nA\n", 1, 6),
    "heading code": ("## Q `{MARK}` end\n\nA\n", 1, 7),
    "heading math": ("## Q $x {MARK}$ end\n\nA\n", 1, 9),
    "body text": ("## Q\n\nSee {MARK} here.\n", 3, 5),
    "body code": ("## Q\n\nSee `{MARK}` here.\n", 3, 6),
    "body math": ("## Q\n\nSee $x {MARK}$ here.\n", 3, 8),
    "body code block": ("## Q\n\n```text\nx {MARK}\n```\n", 4, 3),
    "body math block": ("## Q\n\n$$\nx {MARK}\n$$\n", 4, 3),
}
# A mistake: (marker text, offset of the reported `{{` in it, message it must get).
MISTAKES = {
    "one colon": ("{{c1:x}}", 0, "malformed cloze"),
    "capital C": ("{{C1::x}}", 0, "malformed cloze"),
    "no number": ("{{c::x}}", 0, "malformed cloze"),
    "unclosed": ("{{c1::x", 0, "unclosed cloze"),
    "gap": ("{{c2::x}}", 0, "cloze numbers must start at c1"),
    "zero": ("{{c0::x}}", 0, "cloze numbers must start at c1"),
    "nested": ("{{c1::a {{c2::b}} }}", 8, "cloze inside a cloze"),
    "well-formed": ("{{c1::x}}", 0, None),
}
INSIDE = {"code": "cloze inside inline code", "math": "cloze inside inline math",
          "code block": "cloze inside a code block", "math block": "cloze inside math"}


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("mistake", MISTAKES)
def test_every_cloze_rule_is_checked_everywhere_at_the_mistake(place, mistake):
    template, line, column = PLACES[place]
    marker, offset, expected = MISTAKES[mistake]
    result = parse(template.replace("{MARK}", marker), "d.md")
    found = errors_at(result)
    inside = next((m for k, m in INSIDE.items() if place.endswith(k)), None)
    if not re.search(r"\{\{c\d+::", marker):
        inside = None  # not a cloze (a malformed one): only "malformed cloze" applies
    if expected is None and inside is None:
        assert found == []
        return
    # One mistake, reported where it is: every error at the mistake's `{{`.
    at = {(line, column + offset)}
    if inside and offset:
        at.add((line, column))  # the inner cloze is reported inside the code or math too
    assert found and {(ln, col) for ln, col, _ in found} <= at, found
    wanted = [m for m in (expected, inside) if m]
    assert all(any(message.startswith(w) for _, _, message in found) for w in wanted), found


# -- front matter (issue 20): never a silent move to another deck -------------------

@pytest.mark.parametrize(("text", "line", "start"), [
    ("---\ndeck: Mine\n## Q\n\nA\n", 1, "front matter opened with `---` is never closed"),
    ("---\n- a\n---\n## Q\n\nA\n", 1, "front matter must be a mapping"),
    ("---\njust text\n---\n## Q\n\nA\n", 1, "front matter must be a mapping"),
    ("---\ntitle: t\ndeck: 42\n---\n## Q\n\nA\n", 3, "front matter `deck:` must be"),
    ("---\ndeck:\n---\n## Q\n\nA\n", 2, "front matter `deck:` must be"),
    ("---\ndeck: [a, b]\n---\n## Q\n\nA\n", 2, "front matter `deck:` must be"),
    ("---\ndeck: A::::B\n---\n## Q\n\nA\n", 2, "deck name 'A::::B' has an empty part"),
    ("---\nDeck: Mine\n---\n## Q\n\nA\n", 2, "unknown front matter key 'Deck'"),
    ("---\ndeck: A\ndeck: B\n---\n## Q\n\nA\n", 3, "front matter key 'deck' is given twice"),
    ("---\ntags: {a: 1}\n---\n## Q\n\nA\n", 2, "front matter `tags:` must be"),
    ("---\nreverse: maybe\n---\n## Q\n\nA\n", 2, "front matter `reverse:` must be"),
    ("---\ndescription: [a]\n---\n## Q\n\nA\n", 2, "front matter `description:` must be"),
    ("---\ndeck: [unclosed\n---\n## Q\n\nA\n", 2, "malformed front matter"),
])
def test_malformed_front_matter_of_any_kind_is_an_error(text, line, start):
    result = parse(text, "d.md", default_deck="Elsewhere")
    assert [(ln, m[: len(start)]) for ln, _, m in errors_at(result)] == [(line, start)]


def test_well_formed_front_matter_has_no_problem():
    result = parse("---\ndeck: A::B\ntags: x, y\ntitle: T\ndescription: D\nreverse: true\n"
                   "---\n## Q\n\nA\n", "d.md")
    assert result.problems == () and result.deck == "A::B"


# -- no input is slow (issues 18 and 20) -------------------------------------------

PATHOLOGICAL = {
    "openings": "{{c1::" * 17_000,
    "openings with hints": "{{c1::a::" * 12_000,
    "one-colon openings": "{{c1:" * 20_000,
    "colons after an opening": "{{c1::" + ":" * 100_000,
    "braces": "{{" * 50_000,
    "closings": "}}" * 50_000,
    "clozes": "{{c1::x}}" * 11_000,
    "long number": "{{c" + "1" * 100_000,
}


@pytest.mark.slow
def test_pathological_clozes_take_linear_time(tmp_path):
    """100 KB lines that made the old regex backtrack (45 s for 4.8 KB of openings,
    cubic: 100 KB would take days) finish, in heading and body, well inside a bound
    no machine comes near."""
    script = tmp_path / "slow.py"
    # markdown-it itself takes about a second per 100 KB here: a few cases, not all.
    cases = [PATHOLOGICAL[name] for name in ("openings", "openings with hints",
                                             "colons after an opening", "one-colon openings")]
    script.write_text(
        "from flashcards.parser import parse\n"
        f"for i, text in enumerate({cases!r}):\n"
        "    parse(('## ' if i % 2 else '## Q\\n\\n') + text + '\\n\\nA\\n', 'x.md')\n"
        "print('done')\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip() == "done", result.stderr


def test_linear_scan_reads_each_character_a_bounded_number_of_times():
    """Counting the scan's steps, not the clock: its searches never go back."""
    from flashcards import cards

    for name, text in PATHOLOGICAL.items():
        counted = _CountingText(text)
        cards.scan_clozes(counted)
        assert counted.scanned <= 3 * len(text) + 10, name
        assert counted.calls <= len(text) + 1, name


class _CountingText(str):
    """A str that counts the characters its find() calls look at."""

    scanned = calls = 0

    def find(self, sub, start=0, end=None):
        self.calls += 1
        found = str.find(self, sub, start, end)
        stop = len(self) if end is None else end
        self.scanned += (found + len(sub) if found >= 0 else stop) - start
        return found


# -- random edits of a valid deck (issue 20) ----------------------------------------

VALID_DECK = textwrap.dedent("""\
    ---
    deck: Edits::Fuzz
    tags: [a, b]
    ---
    # Title

    ## What does `len(x)` return for $x = [1, 2]$?
    <!-- id: length; tags: python -->

    The number of items: **2**.

    ```python
    print(len([1, 2]))
    ```

    ## The {{c1::mean}} of $x_i$ is {{c2::$\\frac{1}{n}\\sum x_i$::formula}}.

    $$
    \\bar{x} = \\frac{1}{n} \\sum_i x_i
    $$

    ## Recall
    <!-- reverse -->

    - The share of positives found: `TP / (TP + FN)`.
    """)
EDIT_CHARS = list("{}:c1C-`$#\n\r <>!*[]()\\|_~=.")


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 10**6), st.sampled_from(EDIT_CHARS)),
                min_size=1, max_size=10))
def test_random_edits_of_a_valid_deck_never_break_check(edits):
    assert_edits_never_break_check(edits)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 10**6), st.sampled_from(EDIT_CHARS)),
                min_size=1, max_size=10))
def test_random_edits_of_a_valid_deck_never_break_check_sample(edits):
    """The fast lane's share of the 300 examples above."""
    assert_edits_never_break_check(edits)


def assert_edits_never_break_check(edits) -> None:
    import tempfile
    from pathlib import Path

    from flashcards.loader import check

    text = VALID_DECK
    for insert, where, char in edits:
        at = where % (len(text) + 1)
        text = text[:at] + char + text[at:] if insert else text[:at] + text[at + 1 :]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "deck.md").write_bytes(text.encode())
        problems = check([Path(folder)])
    for problem in problems:
        assert 1 <= problem.line <= len(lines), (problem, text)
        assert 1 <= problem.column <= len(lines[problem.line - 1]) + 1, (problem, text)


def test_the_deck_that_is_edited_is_valid():
    result = parse(VALID_DECK, "deck.md")
    assert result.problems == () and len(result.notes) == 3
