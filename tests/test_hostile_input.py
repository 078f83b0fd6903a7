"""Broken and hostile deck files: a clear file:line message or harmless output, never a
traceback, and a failed sync leaves the store exactly as it was.

The small cases live in tests/hostile/; the huge, deep, looping and crowded ones are
made in tmp_path at test time. docs/security.md explains what is trusted where.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashcards.loader import MAX_FILE_BYTES, SourceFile, load_file
from flashcards.model import Severity
from flashcards.parser import parse

HOSTILE = Path(__file__).parent / "hostile"
NOW = "2026-01-05T10:00:00+00:00"
GOOD_DECK = "## What is a tensor?\n\nAn n-dimensional array.\n"
ESC = "\x1b"
LOCATION = re.compile(r"^(?P<file>[^:\n]+\.md):(?P<line>\d+):(?P<col>\d+): (error|warning): ",
                      re.M)


def run(*args: str, db: Path, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_NOW": NOW, "FLASHCARDS_TZ": "UTC",
           "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "flashcards", *args], capture_output=True,
                          text=True, errors="replace", env=env, cwd=cwd, input=stdin,
                          timeout=300)


def rows(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'table' ORDER BY name")]
        return {t: conn.execute(f"SELECT * FROM [{t}] ORDER BY 1").fetchall() for t in tables}
    finally:
        conn.close()


@pytest.fixture
def store_db(tmp_path) -> Path:
    """A store that already holds a good deck, so a failed sync has something to spoil."""
    good = tmp_path / "good"
    good.mkdir()
    (good / "tensor.md").write_text(GOOD_DECK)
    db = tmp_path / "s.db"
    assert run("sync", str(good), db=db, cwd=tmp_path).returncode == 0
    return db


def assert_handled(result: subprocess.CompletedProcess) -> None:
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, \
        result.stderr


def check_then_sync(path: Path, db: Path, cwd: Path) -> tuple[subprocess.CompletedProcess, ...]:
    """`check` and `sync` on the path; a failing sync must leave every row unchanged."""
    checked = run("check", str(path), db=db, cwd=cwd)
    assert_handled(checked)
    before = rows(db)
    synced = run("sync", str(path), db=db, cwd=cwd)
    assert_handled(synced)
    if synced.returncode == 1:
        assert LOCATION.search(synced.stderr) or "error" in synced.stderr.lower(), synced.stderr
        assert rows(db) == before
    return checked, synced


# (file, expected line, words of the message) for files that must be refused.
REFUSED = [
    ("invalid-utf8.md", 7, "not valid UTF-8"),
    ("nul-byte.md", 3, "NUL byte"),
    ("front-matter-list.md", 1, "front matter must be a mapping"),
    ("yaml-object-tag.md", 2, "malformed front matter"),
    ("image-escape.md", 3, "points outside the deck folder"),
    ("image-escape.md", 7, "must be a path relative to the deck file"),
]


@pytest.mark.parametrize(("name", "line", "words"), REFUSED)
def test_refused_files_name_the_file_and_line(tmp_path, store_db, name, line, words):
    shutil.copy(HOSTILE / name, tmp_path / name)
    checked, synced = check_then_sync(tmp_path / name, store_db, tmp_path)
    assert checked.returncode == 1 and synced.returncode == 1
    expected = f"{name}:{line}:"
    assert any(m.group(0).startswith(expected) and words in text
               for text in checked.stdout.splitlines() if (m := LOCATION.match(text))), \
        checked.stdout
    assert expected in synced.stderr and words in synced.stderr


def test_yaml_tags_never_construct_objects(tmp_path, store_db):
    shutil.copy(HOSTILE / "yaml-object-tag.md", tmp_path / "y.md")
    check_then_sync(tmp_path / "y.md", store_db, tmp_path)
    assert not (tmp_path / "HOSTILE-PWNED").exists()


@pytest.mark.parametrize("name", ["ansi-escapes.md", "terminal-markup.md", "script-links.md",
                                  "unterminated-fence.md"])
def test_accepted_hostile_files_sync_and_stay_text(tmp_path, store_db, name):
    shutil.copy(HOSTILE / name, tmp_path / name)
    _, synced = check_then_sync(tmp_path / name, store_db, tmp_path)
    assert synced.returncode == 0, synced.stderr


def test_an_unterminated_code_fence_is_reported_where_it_opens(tmp_path, store_db):
    """It swallows every card after it; say so instead of losing them silently."""
    shutil.copy(HOSTILE / "unterminated-fence.md", tmp_path / "fence.md")
    checked, _ = check_then_sync(tmp_path / "fence.md", store_db, tmp_path)
    assert "fence.md:3:1: warning: code fence ``` is never closed" in checked.stdout


def test_closed_fences_give_no_warning():
    text = "## Q\n\n```python\nx = 1\n```\n\n## R\n\n~~~~\n```\n~~~~\n"
    assert [p.message for p in parse(text).problems] == []


def test_card_text_never_reaches_the_terminal_as_escape_sequences(tmp_path, store_db):
    """The review screen (line mode) and `list` show no ESC, BEL or C1 byte from a card."""
    for name in ("ansi-escapes.md", "terminal-markup.md"):
        shutil.copy(HOSTILE / name, tmp_path / name)
    assert run("sync", str(tmp_path / "ansi-escapes.md"), str(tmp_path / "terminal-markup.md"),
               db=store_db, cwd=tmp_path).returncode == 0
    review = run("review", "--new", "99", db=store_db, cwd=tmp_path,
                 stdin="\n3\n\n3\n\n3\nq\n")
    assert_handled(review)
    assert review.stdout.count("Answered ") >= 2, review.stdout
    assert "Title" in review.stdout and "Colour red" in review.stdout
    assert "[bold red]Markup[/bold red]" in review.stdout, "rich markup is shown as text"
    listed = run("list", db=store_db, cwd=tmp_path)
    for output in (review.stdout, review.stderr, listed.stdout):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]", output), repr(output)


def test_script_and_javascript_links_are_removed_from_exported_html():
    from flashcards.render import to_html

    text = (HOSTILE / "script-links.md").read_text()
    html = to_html(text).lower()
    assert "<script" not in html and "onerror" not in html and "<iframe" not in html
    # The link may stay as visible text, never as a target.
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*javascript:", html), html


# -- generated at test time --------------------------------------------------------------


def test_a_20_mb_file_is_refused_with_a_message(tmp_path, store_db):
    huge = tmp_path / "huge.md"
    card = "## Question?\n\n" + "word " * 200 + "\n\n"
    huge.write_text(card * (20 * 2**20 // len(card) + 1))
    assert huge.stat().st_size > MAX_FILE_BYTES
    checked, synced = check_then_sync(huge, store_db, tmp_path)
    assert "huge.md:1:1: error: file is larger than 8 MiB" in checked.stdout
    assert synced.returncode == 1


@pytest.mark.parametrize("shape", ["lists", "quotes", "lists-and-quotes"])
def test_ten_thousand_nesting_levels_are_handled(tmp_path, store_db, shape):
    depth = 10_000
    body = {
        "lists": "- " * depth + "deep\n",
        "quotes": ">" * depth + " deep\n",
        "lists-and-quotes": "- > " * (depth // 2) + "deep\n",
    }[shape]
    deep = tmp_path / "deep.md"
    deep.write_text("## How deep does it go?\n\n" + body)
    _, synced = check_then_sync(deep, store_db, tmp_path)
    review = run("review", db=store_db, cwd=tmp_path, stdin="\n3\nq\n")
    assert_handled(review)


def test_a_symlink_loop_is_not_followed(tmp_path, store_db):
    folder = tmp_path / "loop"
    folder.mkdir()
    (folder / "a.md").write_text(GOOD_DECK.replace("tensor", "loop"))
    (folder / "self").symlink_to(folder, target_is_directory=True)
    (folder / "x.md").symlink_to(folder / "y.md")
    (folder / "y.md").symlink_to(folder / "x.md")
    checked, synced = check_then_sync(folder, store_db, tmp_path)
    assert "x.md: cannot read: Too many levels of symbolic links" in synced.stderr


def test_a_folder_of_ten_thousand_empty_files(tmp_path, store_db):
    folder = tmp_path / "crowd"
    folder.mkdir()
    for n in range(10_000):
        (folder / f"{n:05}.md").touch()
    checked, synced = check_then_sync(folder, store_db, tmp_path)
    assert checked.stdout.count("no cards found") == 10_000
    assert synced.returncode == 0


# -- property-based: the parser only ever reports problems ---------------------------


MARKDOWN_PIECES = st.sampled_from([
    "## ", "# ", "\n", "\n\n", "- ", "> ", "```", "```python\n", "~~~", "$$", "$", "`",
    "{{c1::", "{{c2::", "::", "}}", "{{c1:", "<!-- id: x -->", "<!--", "-->", "---\n",
    "deck: a\n", "tags: [", "![i](", ")", "[", "](", "<script>", "|a|b|\n|-|-|\n", "\t",
    "\\", "*", "_", "\r\n", "\x1b[31m", "é", "\u202e", "0", "word ", "<!-- reverse -->",
])
MARKDOWN = st.lists(st.one_of(MARKDOWN_PIECES, st.text(max_size=8)), max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=MARKDOWN)
def test_parse_never_raises_and_every_problem_has_a_place(text):
    deck = parse(text, "fuzz.md")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    for problem in deck.problems:
        assert problem.path == "fuzz.md"
        assert 1 <= problem.line <= lines + 1 and problem.column >= 1
        assert problem.severity in (Severity.ERROR, Severity.WARNING)
    for note in deck.notes:
        assert 1 <= note.line <= lines and note.question


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), seed=st.sampled_from(sorted(HOSTILE.glob("*.md"))))
def test_loading_mutated_bytes_only_reports_problems(tmp_path_factory, data, seed):
    """Fuzz the loader: real deck bytes with random bytes spliced in."""
    folder = tmp_path_factory.mktemp("fuzz")
    original = seed.read_bytes()
    cut = len(data) % (len(original) + 1)
    path = folder / "f.md"
    path.write_bytes(original[:cut] + data + original[cut:])
    loaded = load_file(SourceFile(path, folder))
    assert all(p.line >= 1 for p in loaded.deck.problems)


# -- front matter that expands or cannot be stored ------------------------------------

BILLION_LAUGHS = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]\n"
              for n in range(8))
    + "deck: *i\n---\n\n" + GOOD_DECK
)


def test_yaml_aliases_are_refused_before_they_expand(tmp_path, store_db):
    """412 bytes that expand to 9**9 strings once a value is walked."""
    (tmp_path / "laughs.md").write_text(BILLION_LAUGHS)
    checked, synced = check_then_sync(tmp_path / "laughs.md", store_db, tmp_path)
    assert checked.returncode == 1
    assert "laughs.md:3:" in checked.stdout and "aliases (`*name`) are not allowed" \
        in checked.stdout, checked.stdout
    assert synced.returncode == 1


SURROGATE_DECK = '---\ndeck: "X\\ud800Y"\ntags: ["ok"]\n---\n\n' + GOOD_DECK


def test_an_unpaired_surrogate_in_front_matter_is_reported(tmp_path, store_db):
    (tmp_path / "good" / "surrogate.md").write_text(SURROGATE_DECK)  # beside a synced deck
    before = rows(store_db)
    checked = run("check", str(tmp_path / "good"), db=store_db, cwd=tmp_path)
    assert_handled(checked)
    assert "surrogate.md:1:1: error: front matter holds an unpaired surrogate" in checked.stdout
    synced = run("sync", db=store_db, cwd=tmp_path)
    assert_handled(synced)
    assert synced.returncode == 1 and rows(store_db) == before
    # The review goes on with the cards already synced; the export too.
    reviewed = run("review", db=store_db, cwd=tmp_path, stdin="\n3\n")
    assert_handled(reviewed)
    assert reviewed.returncode == 0 and "unpaired surrogate" in reviewed.stderr
    assert "Reviewed 1 cards" in reviewed.stdout
    exported = run("export", "-o", str(tmp_path / "o.apkg"), db=store_db, cwd=tmp_path)
    assert_handled(exported)
    assert exported.returncode == 0, exported.stderr


def test_a_surrogate_in_tags_is_reported_by_the_parser():
    deck = parse('---\ntags: ["a\\udc80"]\n---\n\n' + GOOD_DECK, "t.md")
    assert [(p.line, p.severity) for p in deck.problems] == [(1, Severity.ERROR)]


# -- invisible characters ----------------------------------------------------------


def test_invisible_characters_in_a_question_are_warned_and_listed_escaped(tmp_path, store_db):
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "look.md").write_text("## What is a tensor\u200b?\n\nA look-alike.\n\n"
                                    "## Pay \u202eredaolnwod\u202c now?\n\nNo.\n")
    checked = run("check", str(folder), db=store_db, cwd=tmp_path)
    assert checked.returncode == 0
    assert "look.md:1:1: warning: question holds invisible characters: " \
           "'What is a tensor\\\\u200b?'" in checked.stdout, checked.stdout
    assert "look.md:5:1: warning:" in checked.stdout and "\\\\u202e" in checked.stdout
    assert run("sync", str(folder), db=store_db, cwd=tmp_path).returncode == 0
    listed = run("list", db=store_db, cwd=tmp_path).stdout
    assert "What is a tensor\\u200b?" in listed and "Pay \\u202eredaolnwod\\u202c now?" in listed
    assert "\u200b" not in listed and "\u202e" not in listed
