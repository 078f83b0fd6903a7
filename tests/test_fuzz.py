"""Fuzzing the parser and the loader with hostile shapes, under a time budget per input.

In the slow lane (``pytest -m slow``; ``-m "not slow"`` leaves it out). Each input
is a hostile pattern repeated up to thousands of times, the shapes that make a
Markdown parser backtrack or nest: the budget (hypothesis's ``deadline``) is
generous, so only a blow-up fails it, never a busy machine.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashcards.loader import SourceFile, load_file
from flashcards.model import Severity
from flashcards.parser import parse

# A budget of seconds per input: linear work on these sizes takes a second or two
# on a busy machine, a blow-up (backtracking, quadratic scans) takes minutes.
BUDGET = timedelta(seconds=15)

PATTERNS = st.sampled_from([
    "<div>", "</div>", "[", "]", "](", "[a]: /u\n", "![", "*", "_", "**", "`", "``", "~~",
    "|a", "|-", "> ", "- ", "1. ", "    ", "\t", "::", "}}", "$", "$$",
    "<!--", "-->", "<a href=\"", "&#", "\\", "\n", "# ", "## Q?\n", "```\n", "---\n", ":",
    # Repeated cloze openings (`{{c1::a::` x 145 on one line) took 2.9 s in the
    # backtracking pattern this fuzz found; the scan is linear since issue 20.
    "{{c1::", "{{c1::a::", "{{c2::a}}", "{{", "::h}}",
])
SEPARATORS = st.sampled_from(["", "\n", " ", "x"])
# The parser alone: shapes below the loader's caps on what a file may cost.
SMALL_SHAPE = st.tuples(PATTERNS, st.integers(1, 2_000), SEPARATORS)
# The loader: up to past its caps, which must refuse the file before it parses.
SHAPE = st.tuples(PATTERNS, st.integers(1, 60_000), SEPARATORS)


def hostile_text(shapes: list[tuple[str, int, str]]) -> str:
    return "## A question?\n\n" + "".join((piece + sep) * times for piece, times, sep in shapes)


@pytest.mark.slow
@settings(max_examples=60, deadline=BUDGET,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(shapes=st.lists(SMALL_SHAPE, min_size=1, max_size=3))
def test_the_parser_stays_within_budget_on_repeated_hostile_shapes(shapes):
    text = hostile_text(shapes)
    deck = parse(text, "fuzz.md")
    for problem in deck.problems:
        assert problem.line >= 1 and problem.severity in (Severity.ERROR, Severity.WARNING)


@pytest.mark.slow
@settings(max_examples=25, deadline=BUDGET,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(shapes=st.lists(SHAPE, min_size=1, max_size=3), noise=st.binary(max_size=64))
def test_the_loader_stays_within_budget_on_hostile_bytes(tmp_path_factory, shapes, noise):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "f.md"
    data = hostile_text(shapes).encode()
    path.write_bytes(data[: len(data) // 2] + noise + data[len(data) // 2:])
    loaded = load_file(SourceFile(path, folder))
    assert all(p.line >= 1 for p in loaded.deck.problems)
