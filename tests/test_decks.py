"""The bundled decks: lint-clean, big enough, runnable code, README table in sync.

Three groups of checks beyond the lint:

Sizes. Every deck holds at least 25 notes; the sixteen decks ``01-`` to ``16-`` are all
present (one file per number); the seed decks 01-08 hold at least 250 notes together and
each of the decks 09-16 at least 30.

Prints what the card says (marked ``slow``: it runs every python block). Each runnable
```` ```python ```` block runs as its own script in a fresh interpreter and an empty temporary
folder, and its standard output must be what its comments say:

- ``print(x)  # 0.75``: the trailing comment of a ``print`` call is the one line it prints.
- A ``print`` without a trailing comment (a DataFrame, a loop that prints a line per pass)
  is followed, right below the statement that holds it (the call, or the loop), by one
  full-line comment per output line, in order::

      print(df.isna().sum())
      # age       1
      # dtype: int64

- Lines are compared with runs of white space folded to one space, and blank lines are
  ignored on both sides. All the expected lines, in source order, must equal all the lines
  printed: a ``print`` with no comment, or a comment that is not the output, fails.
- A comment may add a note after the exact output, opened by ``:``, ``;``, ``,``, ``(``,
  ``<-``, ``--`` or an em dash, and containing a letter: ``# 0.82: leaky``,
  ``# 0.713 (bug: hard labels)``. A note before the output (``# bug: 0.82``) is not allowed.
- Other comments (after code that is not a print, or separated from it by a blank line)
  are ordinary comments.

From scratch, checked against the library. The from-scratch cards of deck 16 define a
function; the test runs the card's block in a namespace, looked up by the card's id, and
compares that function with scikit-learn, SciPy or the direct formula on fresh data.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import io
import re
import subprocess
import sys
import tempfile
import tokenize
import warnings
from pathlib import Path

import pytest
from markdown_helpers import fenced_code

from flashcards.loader import check, discover, load_file
from flashcards.parser import NORUN_MARKERS

ROOT = Path(__file__).resolve().parent.parent
DECKS = ROOT / "decks"
DECK_FILES = [s for s in discover([DECKS])]
DECK_NUMBER = re.compile(r"(\d\d)-")


def loaded():
    return [load_file(source).deck for source in DECK_FILES]


@functools.lru_cache(maxsize=1)
def numbered_decks():
    """{deck number: [decks]} from the file names ``NN-name.md``."""
    found: dict[int, list] = {}
    for source, deck in zip(DECK_FILES, loaded(), strict=True):
        match = DECK_NUMBER.match(source.path.name)
        if match:
            found.setdefault(int(match.group(1)), []).append(deck)
    return found


def test_bundled_decks_pass_check_strict():
    problems = check([DECKS])
    assert problems == [], "\n".join(map(str, problems))


def test_every_deck_has_a_name_description_and_enough_cards():
    decks = loaded()
    assert len(decks) >= 8
    for deck in decks:
        assert deck.deck.startswith("ML Interview::"), deck.path
        assert deck.description, f"{deck.path}: add a one-line description"
        assert len(deck.notes) >= 25, f"{deck.path}: {len(deck.notes)} cards, want 25+"
    assert sum(len(d.notes) for d in decks) >= 250


def test_all_sixteen_decks_are_present_once():
    found = numbered_decks()
    missing = [n for n in range(1, 17) if n not in found]
    assert not missing, f"no deck file numbered {missing}"
    twice = {n: [d.path for d in decks] for n, decks in found.items() if len(decks) > 1}
    assert not twice, f"two deck files share a number: {twice}"


def test_seed_decks_01_to_08_hold_250_notes_together():
    found = numbered_decks()
    counts = {n: sum(len(d.notes) for d in found.get(n, [])) for n in range(1, 9)}
    assert sum(counts.values()) >= 250, f"decks 01-08 hold {counts}: want 250+ together"


@pytest.mark.parametrize("number", range(9, 17), ids=lambda n: f"{n:02d}")
def test_decks_09_to_16_hold_30_notes_each(number):
    decks = numbered_decks().get(number)
    assert decks, f"no deck file numbered {number:02d}"
    for deck in decks:
        assert len(deck.notes) >= 30, f"{deck.path}: {len(deck.notes)} notes, want 30+"


def test_every_card_is_tagged_with_its_topic_and_has_an_id():
    for deck in loaded():
        for note in deck.notes:
            deck_tags = {"ml-interview"}
            assert set(note.tags) - deck_tags - {t for t in note.tags if t == deck.deck}, \
                f"{note.location}: tag the card with its topic"
            assert note.explicit_id, f"{note.location}: bundled cards need an explicit id"


def test_each_decks_ids_carry_the_prefix_docs_authoring_gives_it():
    # docs/authoring.md lists the prefixes in deck order, 01 first; a new deck or a
    # renamed prefix must be written there too.
    text = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    rule = re.search(r"- Prefix with the deck: (.*?)\(decks 01 to (\d+)\)", text, re.S)
    assert rule, "docs/authoring.md lost its list of id prefixes"
    prefixes = re.findall(r"`([a-z]+-)`", rule.group(1))
    found = numbered_decks()
    assert len(prefixes) == int(rule.group(2)) == max(found)
    for number, prefix in enumerate(prefixes, start=1):
        for deck in found[number]:
            wrong = [n.explicit_id for n in deck.notes if not n.explicit_id.startswith(prefix)]
            assert not wrong, f"{deck.path}: ids without the prefix {prefix}: {wrong[:3]}"


def runnable(info: str) -> bool:
    words = info.split()
    return bool(words) and words[0] == "python" and not NORUN_MARKERS & set(words[1:])


def python_blocks():
    for source in DECK_FILES:
        text = source.path.read_text(encoding="utf-8")
        for info, code, line in fenced_code(text):
            if runnable(info):
                yield pytest.param(code, id=f"{source.path.name}:{line}")


BLOCKS = list(python_blocks())


@functools.cache
def run_block(code: str) -> subprocess.CompletedProcess:
    """Run a block once (both slow tests use the result) in a fresh interpreter and folder."""
    with tempfile.TemporaryDirectory() as folder:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=folder, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("code", BLOCKS)
def test_deck_python_blocks_run(code):
    result = run_block(code)
    assert result.returncode == 0, result.stderr


# ---- "prints what the card says" -------------------------------------------------------

# A note after the exact output: opened by one of these (white space already folded).
NOTE_OPENER = re.compile(r"(?:[:;,]|\s\(|\s<-|\s--|\s\u2014)")


def fold(text: str) -> str:
    return " ".join(text.split())


def expected_output(code: str) -> list[tuple[int, str]]:
    """(line, text) of every comment that states printed output, in source order.

    See the module docstring for the rule.
    """
    tree = ast.parse(code)
    trailing: dict[int, str] = {}
    full_line: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            text = tok.string[1:].strip()
            if tok.line[: tok.start[1]].strip():
                trailing[tok.start[0]] = text
            else:
                full_line[tok.start[0]] = text
    expected: list[tuple[int, str]] = []
    used: set[int] = set()
    bare: set[int] = set()  # id() of print calls without a trailing comment
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "print":
            line = next((n for n in (node.end_lineno, node.lineno)
                         if n in trailing and n not in used), None)
            if line is None:
                bare.add(id(node))
            else:
                used.add(line)
                expected.append((line, trailing[line]))
    # Statements that end with, or hold, a print without a trailing comment.
    ends = {stmt.end_lineno for stmt in ast.walk(tree) if isinstance(stmt, ast.stmt)
            and any(id(sub) in bare for sub in ast.walk(stmt))}
    for line, text in full_line.items():
        start = line
        while start - 1 in full_line:
            start -= 1
        if start - 1 in ends:
            expected.append((line, text))
    return sorted(expected)


def comment_matches(comment: str, output: str) -> bool:
    comment, output = fold(comment), fold(output)
    if comment == output:
        return True
    note = comment[len(output):]
    return (comment.startswith(output) and NOTE_OPENER.match(note) is not None
            and any(ch.isalpha() for ch in note))


def output_mismatch(code: str, stdout: str) -> str | None:
    """None when the printed lines are what the comments say, else a report."""
    expected = [(line, text) for line, text in expected_output(code) if fold(text)]
    printed = [text for text in stdout.splitlines() if fold(text)]
    ok = len(expected) == len(printed) and all(
        comment_matches(text, out) for (_, text), out in zip(expected, printed, strict=True))
    if ok:
        return None
    rows = []
    for i in range(max(len(expected), len(printed))):
        line, text = expected[i] if i < len(expected) else (None, "<no comment>")
        out = printed[i] if i < len(printed) else "<nothing printed>"
        mark = "  " if i < len(expected) and i < len(printed) and comment_matches(text, out) \
            else "!!"
        where = f"line {line}" if line else "-"
        rows.append(f"{mark} {where:>8}  comment: {text}\n{'':>12}  printed: {out}")
    return "printed lines differ from the comments:\n" + "\n".join(rows)


@pytest.mark.slow
@pytest.mark.parametrize("code", BLOCKS)
def test_deck_python_blocks_print_what_their_comments_say(code):
    result = run_block(code)
    assert result.returncode == 0, result.stderr
    problem = output_mismatch(code, result.stdout)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.mark.parametrize(("code", "stdout", "ok"), [
    ("print(3)  # 3", "3\n", True),
    ("print(3)  # 4", "3\n", False),
    ("print(3)", "3\n", False),  # a print without its output in a comment
    ("print([1,  2])  # [1, 2]", "[1,  2]\n", True),  # white space folded
    ("print(0.82)  # 0.82: leaky", "0.82\n", True),
    ("print(0.82)  # 0.82 (bug: hard labels)", "0.82\n", True),
    ("print(0.8)  # 0.82", "0.8\n", False),  # a prefix is not a note
    ("print(1)  # 1, 2", "1\n", False),  # a note has a letter
    ("print(1)  # bug: 1", "1\n", False),  # a note comes after the output
    ("for i in range(2):\n    print(i)\n# 0\n# 1", "0\n1\n", True),
    ("for i in range(2):\n    print(i)\n# 0 <- first pass\n# 1", "0\n1\n", True),
    ("for i in range(2):\n    print(i)\n# 1\n# 0", "0\n1\n", False),
    ("for i in range(3):\n    print(i)\n# 0\n# 1", "0\n1\n2\n", False),
    ("x = 1\n# 1\nprint(x)  # 1", "1\n", True),  # a comment below a non-print statement
    ("print('a\\nb')\n# a\n# b\nx = 2  # not output", "a\nb\n", True),
    ("print(1)  # 1\n# a note on the line below", "1\n", True),
    ("print(\n    1,\n    2)  # 1 2", "1 2\n", True),
    ("x = 1", "", True),
])
def test_print_comment_rule(code, stdout, ok):
    assert (output_mismatch(code, stdout) is None) is ok


# ---- deck 16: from scratch, checked against the library --------------------------------


def scratch_card(card_id: str) -> dict:
    """The namespace left by running the python block of deck 16's card ``card_id``."""
    decks = numbered_decks().get(16)
    assert decks, "no deck file numbered 16"
    notes = [n for d in decks for n in d.notes if n.explicit_id == card_id]
    assert len(notes) == 1, f"deck 16 has no card {card_id}"
    blocks = [code for info, code, _ in fenced_code(notes[0].answer) if runnable(info)]
    assert len(blocks) == 1, f"{card_id}: want one runnable python block"
    namespace: dict = {"__name__": f"card_{card_id.replace('-', '_')}"}
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # bug cards overflow on purpose
        exec(compile(blocks[0], card_id, "exec"), namespace)  # noqa: S102 - our own decks
    return namespace


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(2024)


def test_scratch_softmax_matches_scipy(rng):
    from scipy.special import softmax as scipy_softmax

    softmax = scratch_card("scratch-softmax-stable")["softmax"]
    for z in (rng.normal(size=6), rng.normal(size=(4, 5)) * 30 + 1000, [-1000.0, 0.0, 1000.0]):
        assert softmax(z) == pytest.approx(scipy_softmax(z, axis=-1), abs=1e-12)


def test_scratch_logistic_regression_matches_sklearn():
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    fit = scratch_card("scratch-logreg-gd")["fit_logreg"]
    X, y = make_classification(n_samples=300, n_features=3, n_informative=2, n_redundant=0,
                               class_sep=0.5, flip_y=0.1, random_state=0)
    X = StandardScaler().fit_transform(X)
    w, b = fit(X, y, lr=0.5, n_iter=5000)
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(X, y)  # no penalty
    assert np.asarray(w).ravel() == pytest.approx(ref.coef_.ravel(), abs=1e-4)
    assert float(np.ravel(b)[0]) == pytest.approx(ref.intercept_[0], abs=1e-4)


def test_scratch_kmeans_matches_sklearn_lloyd_on_the_same_init(rng):
    import numpy as np
    from sklearn.cluster import KMeans

    kmeans = scratch_card("scratch-kmeans-lloyd")["kmeans"]
    X = np.vstack([rng.normal(loc, 1.0, size=(40, 2)) for loc in ([0, 0], [6, 0], [0, 6])])
    init = X[[0, 1, 2]].copy()  # all three from the first blob: it takes a few iterations
    for n_iter in (1, 2, 3, 50):
        centers, labels = kmeans(X, init.copy(), n_iter)
        ref = KMeans(n_clusters=3, init=init, n_init=1, max_iter=n_iter, tol=0,
                     algorithm="lloyd").fit(X)
        assert np.asarray(centers) == pytest.approx(ref.cluster_centers_, abs=1e-9), n_iter
    assert list(labels) == list(ref.labels_)  # converged: the labels agree as well


def test_scratch_split_is_a_shuffled_partition_sized_like_sklearn():
    import numpy as np
    from sklearn.model_selection import train_test_split

    split = scratch_card("scratch-train-test-split")["split_indices"]
    for n, test_size in [(10, 0.3), (100, 0.2), (101, 0.25), (7, 0.5)]:
        train, test = split(n, test_size, seed=0)
        ref_train, ref_test = train_test_split(np.arange(n), test_size=test_size,
                                               random_state=0)
        assert (len(train), len(test)) == (len(ref_train), len(ref_test)), (n, test_size)
        assert sorted([*train, *test]) == list(range(n))
    train, test = split(100, 0.2, seed=0)
    again, _ = split(100, 0.2, seed=0)
    assert list(train) == list(again)  # seeded
    assert sorted(test) not in (list(range(20)), list(range(80, 100)))  # shuffled


@pytest.mark.parametrize(("card_id", "name"), [("scratch-auc-pairwise", "auc_pairwise"),
                                               ("scratch-auc-rank", "auc_rank")])
def test_scratch_auc_matches_roc_auc_score(card_id, name, rng):
    from sklearn.metrics import roc_auc_score

    auc = scratch_card(card_id)[name]
    for _ in range(5):
        y = rng.integers(0, 2, size=40)
        scores = rng.normal(size=40).round(1) + y * 0.5  # rounded: ties on purpose
        assert auc(y, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)


def test_scratch_cross_entropy_matches_log_loss(rng):
    import numpy as np
    from sklearn.metrics import log_loss

    cross_entropy = scratch_card("scratch-cross-entropy")["cross_entropy"]
    y = rng.integers(0, 2, size=50)
    p = rng.uniform(0.01, 0.99, size=50)
    assert cross_entropy(y, p) == pytest.approx(log_loss(y, p), abs=1e-12)
    assert np.isfinite(cross_entropy(np.array([1, 0]), np.array([0.0, 1.0])))  # clipped


def test_scratch_cross_entropy_from_logits_matches_log_loss(rng):
    from scipy.special import softmax
    from sklearn.metrics import log_loss

    from_logits = scratch_card("scratch-cross-entropy-logits")["cross_entropy_logits"]
    z = rng.normal(size=(30, 4)) * 3
    y = rng.integers(0, 4, size=30)
    assert from_logits(z, y) == pytest.approx(log_loss(y, softmax(z, axis=1), labels=range(4)),
                                              abs=1e-12)


def test_scratch_attention_matches_the_formula(rng):
    import numpy as np
    from scipy.special import softmax

    attention = scratch_card("scratch-attention")["attention"]
    Q, K, V = rng.normal(size=(3, 5)), rng.normal(size=(4, 5)), rng.normal(size=(4, 2))
    expected = softmax(Q @ K.T / np.sqrt(5), axis=-1) @ V
    assert np.asarray(attention(Q, K, V)) == pytest.approx(expected, abs=1e-12)


def test_scratch_ndcg_matches_ndcg_score(rng):
    from sklearn.metrics import ndcg_score

    ndcg = scratch_card("scratch-ndcg")["ndcg"]
    for k in (None, 1, 3, 5):
        rel = rng.integers(0, 4, size=8)
        rel[0] = 3  # at least one relevant item
        scores = rng.normal(size=8)  # continuous: no ties
        assert ndcg(rel, scores, k) == pytest.approx(ndcg_score([rel], [scores], k=k),
                                                     abs=1e-12), k


def test_readme_deck_table_is_current():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import update_readme_decks
    finally:
        sys.path.pop(0)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert update_readme_decks.updated_readme(readme) == readme, \
        "README deck table is stale: run python scripts/update_readme_decks.py"
