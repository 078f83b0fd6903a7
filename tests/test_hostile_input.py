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
    """`check` and `sync` on the path; a failing sync must leave every row of data unchanged.

    The one row it may add is the path in `roots`: which folders to sync is
    configuration, not data, and a folder whose every file has errors is still
    remembered, so a later bare `sync` reports them again instead of quietly
    syncing the bundled decks (tests/test_sync.py).
    """
    checked = run("check", str(path), db=db, cwd=cwd)
    assert_handled(checked)
    before = rows(db)
    synced = run("sync", str(path), db=db, cwd=cwd)
    assert_handled(synced)
    if synced.returncode == 1:
        assert LOCATION.search(synced.stderr) or "error" in synced.stderr.lower(), synced.stderr
        after = rows(db)
        assert set(after.pop("roots")) <= set(before.pop("roots")) | {(str(path),)}
        assert after == before
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


# The fast lane refuses one file for its bytes and one for an image path.
FAST_REFUSED = {REFUSED[0], REFUSED[4]}


@pytest.mark.slow
@pytest.mark.parametrize(("name", "line", "words"), [
    pytest.param(*case, marks=() if case in FAST_REFUSED else pytest.mark.slow)
    for case in REFUSED])
def test_refused_files_name_the_file_and_line(tmp_path, store_db, name, line, words):
    shutil.copy(HOSTILE / name, tmp_path / name)
    checked, synced = check_then_sync(tmp_path / name, store_db, tmp_path)
    assert checked.returncode == 1 and synced.returncode == 1
    expected = f"{name}:{line}:"
    assert any(m.group(0).startswith(expected) and words in text
               for text in checked.stdout.splitlines() if (m := LOCATION.match(text))), \
        checked.stdout
    assert expected in synced.stderr and words in synced.stderr


@pytest.mark.slow
def test_yaml_tags_never_construct_objects(tmp_path, store_db):
    shutil.copy(HOSTILE / "yaml-object-tag.md", tmp_path / "y.md")
    check_then_sync(tmp_path / "y.md", store_db, tmp_path)
    assert not (tmp_path / "HOSTILE-PWNED").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ansi-escapes.md", *(
    pytest.param(name, marks=pytest.mark.slow)
    for name in ("terminal-markup.md", "script-links.md", "unterminated-fence.md"))])
def test_accepted_hostile_files_sync_and_stay_text(tmp_path, store_db, name):
    shutil.copy(HOSTILE / name, tmp_path / name)
    _, synced = check_then_sync(tmp_path / name, store_db, tmp_path)
    assert synced.returncode == 0, synced.stderr


@pytest.mark.slow
def test_an_unterminated_code_fence_is_reported_where_it_opens(tmp_path, store_db):
    """It swallows every card after it; say so instead of losing them silently."""
    shutil.copy(HOSTILE / "unterminated-fence.md", tmp_path / "fence.md")
    checked, _ = check_then_sync(tmp_path / "fence.md", store_db, tmp_path)
    assert "fence.md:3:1: warning: code fence ``` is never closed" in checked.stdout


def test_closed_fences_give_no_warning():
    text = "## Q\n\n```python\nx = 1\n```\n\n## R\n\n~~~~\n```\n~~~~\n"
    assert [p.message for p in parse(text).problems] == []


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_20_mb_file_is_refused_with_a_message(tmp_path, store_db):
    huge = tmp_path / "huge.md"
    card = "## Question?\n\n" + "word " * 200 + "\n\n"
    huge.write_text(card * (20 * 2**20 // len(card) + 1))
    assert huge.stat().st_size > MAX_FILE_BYTES
    checked, synced = check_then_sync(huge, store_db, tmp_path)
    assert "huge.md:1:1: error: file is larger than 8 MiB" in checked.stdout
    assert synced.returncode == 1


DEPTH = 10_000
DEEP = {
    "lists": "- " * DEPTH + "deep\n",
    "quotes": ">" * DEPTH + " deep\n",
    "lists-and-quotes": "- > " * (DEPTH // 2) + "deep\n",
}


@pytest.mark.parametrize("shape", DEEP)
def test_ten_thousand_nesting_levels_parse_and_render(shape):
    """In-process, what the whole commands below do with the same text."""
    from flashcards.render import to_html, to_terminal_markdown

    deck = parse("## How deep does it go?\n\n" + DEEP[shape], "deep.md")
    assert [note.question for note in deck.notes] == ["How deep does it go?"]
    answer = deck.notes[0].answer
    # markdown-it stops nesting at its limit; what matters is an answer, not a crash.
    assert to_html(answer).startswith(("<ul>", "<blockquote>"))
    assert to_terminal_markdown(answer).strip()


@pytest.mark.slow
@pytest.mark.parametrize("shape", DEEP)
def test_ten_thousand_nesting_levels_are_handled(tmp_path, store_db, shape):
    body = DEEP[shape]
    deep = tmp_path / "deep.md"
    deep.write_text("## How deep does it go?\n\n" + body)
    _, synced = check_then_sync(deep, store_db, tmp_path)
    review = run("review", db=store_db, cwd=tmp_path, stdin="\n3\nq\n")
    assert_handled(review)


@pytest.mark.slow
def test_a_symlink_loop_is_not_followed(tmp_path, store_db):
    folder = tmp_path / "loop"
    folder.mkdir()
    (folder / "a.md").write_text(GOOD_DECK.replace("tensor", "loop"))
    (folder / "self").symlink_to(folder, target_is_directory=True)
    (folder / "x.md").symlink_to(folder / "y.md")
    (folder / "y.md").symlink_to(folder / "x.md")
    checked, synced = check_then_sync(folder, store_db, tmp_path)
    assert "x.md: cannot read: Too many levels of symbolic links" in synced.stderr


@pytest.mark.slow
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


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(text=MARKDOWN)
def test_parse_never_raises_and_every_problem_has_a_place(text):
    assert_parse_only_reports_problems(text)


@settings(max_examples=50, deadline=None)
@given(text=MARKDOWN)
def test_parse_never_raises_and_every_problem_has_a_place_sample(text):
    """The fast lane's share of the 400 examples above."""
    assert_parse_only_reports_problems(text)


def assert_parse_only_reports_problems(text: str) -> None:
    deck = parse(text, "fuzz.md")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    for problem in deck.problems:
        assert problem.path == "fuzz.md"
        assert 1 <= problem.line <= lines + 1 and problem.column >= 1
        assert problem.severity in (Severity.ERROR, Severity.WARNING)
    for note in deck.notes:
        assert 1 <= note.line <= lines and note.question


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), seed=st.sampled_from(sorted(HOSTILE.glob("*.md"))))
def test_loading_mutated_bytes_only_reports_problems(tmp_path_factory, data, seed):
    assert_mutated_bytes_only_report_problems(tmp_path_factory, data, seed)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), seed=st.sampled_from(sorted(HOSTILE.glob("*.md"))))
def test_loading_mutated_bytes_only_reports_problems_sample(tmp_path_factory, data, seed):
    """The fast lane's share of the 200 examples above."""
    assert_mutated_bytes_only_report_problems(tmp_path_factory, data, seed)


def assert_mutated_bytes_only_report_problems(tmp_path_factory, data, seed) -> None:
    """Fuzz the loader: real deck bytes with random bytes spliced in."""
    folder = tmp_path_factory.mktemp("fuzz")
    original = seed.read_bytes()
    cut = len(data) % (len(original) + 1)
    path = folder / "f.md"
    path.write_bytes(original[:cut] + data + original[cut:])
    loaded = load_file(SourceFile(path, folder))
    assert all(p.line >= 1 for p in loaded.deck.problems)


# -- a store or an output the user made unusable (issue 20) --------------------------

# Every command, with what it needs; {out} is a folder it may write its output to.
EVERY_COMMAND = [
    ("sync", "{deck}"), ("review",), ("status",), ("list",), ("stats",),
    ("export", "-o", "{out}/x.apkg"), ("doctor",), ("doctor", "--fix"),
    ("backup", "{out}/copy.db"), ("suspend", "1"), ("unsuspend", "1"), ("config",),
    ("config", "new_per_day", "5"),
]


def _good_store(folder: Path) -> tuple[Path, Path]:
    deck = folder / "deck.md"
    deck.write_text(GOOD_DECK)
    db = folder / "s.db"
    assert run("sync", str(deck), db=db, cwd=folder).returncode == 0
    return db, deck


def _read_only(folder: Path) -> list[str]:
    """A command prefix that runs the command with ``folder`` read-only.

    As root, permissions do not bind: the folder is bind-mounted read-only in a
    mount namespace of the command's own (EROFS, as on a read-only disk).
    """
    if os.geteuid() != 0:
        folder.chmod(0o555)
        for path in folder.iterdir():
            path.chmod(0o444)
        return []
    if not shutil.which("unshare"):
        pytest.skip("root without unshare: no way to make a folder read-only")
    mount = f'mount --bind -o ro "{folder}" "{folder}" && exec "$@"'
    probe = subprocess.run(["unshare", "-m", "sh", "-c", mount, "sh", "true"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here: {probe.stderr!r}")
    return ["unshare", "-m", "sh", "-c", mount, "sh"]


def _disk_limit(size: int):
    def limit() -> None:
        import resource

        # Python ignores SIGXFSZ: a write past `size` bytes fails with EFBIG, as on a full
        # disk. SQLite's shared-memory file is 32 KiB: at that limit the store opens, and
        # then runs out of room.
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def _fault(name: str, folder: Path) -> tuple[Path, Path, dict, object, list[str]]:
    """(store, deck, extra environment, preexec function, command prefix) for one fault."""
    db, deck = _good_store(folder)
    if name == "store is a folder":
        db = folder / "a-folder"
        db.mkdir()
    elif name == "not SQLite":
        db = folder / "text.db"
        db.write_text("not a database\n" * 200)
    elif name == "newer version":
        conn = sqlite3.connect(db)
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        conn.commit()
        conn.close()
    elif name == "read-only store":
        return db, deck, {}, None, _read_only(folder)
    elif name == "full disk":
        return db, deck, {}, _disk_limit(0), []
    elif name == "disk fills up":
        deck.write_text("".join(f"## Question {n}?\n\nAnswer {n} " + "word " * 30 + "\n\n"
                                for n in range(400)))
        return db, deck, {}, _disk_limit(32 * 1024), []
    elif name == "unusable HOME":
        return db, deck, {"HOME": "/proc", "XDG_DATA_HOME": "", "FLASHCARDS_DB": ""}, None, []
    return db, deck, {}, None, []


# Each fault, and the commands that may still succeed despite it (reading needs no room).
FAULTS = {"store is a folder": (), "not SQLite": (), "newer version": (),
          "read-only store": ("status", "list", "stats"), "full disk": (),
          "disk fills up": ("status", "list", "stats", "export", "doctor", "backup", "suspend",
                            "unsuspend", "config"),
          "unusable HOME": ()}


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS)
def test_every_command_answers_a_broken_store_with_one_plain_line(tmp_path, fault):
    folder, out = tmp_path / "store", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    try:
        db, deck, env, preexec, prefix = _fault(fault, folder)
        before = rows(db) if db.is_file() and fault != "not SQLite" else None
        for command in EVERY_COMMAND:
            args = [arg.format(deck=deck, out=out) for arg in command]
            result = _run_with(prefix, args, db, env, preexec, cwd=out)
            lines = result.stderr.strip().splitlines()
            assert_handled(result)
            if command[0] not in FAULTS[fault]:
                assert result.returncode == 1, (command, result.stdout)
            if result.returncode == 1:
                assert len(lines) == 1 and lines[0].startswith("Error: "), (command, lines)
            if command[0] == "sync" and before is not None:
                assert rows(db) == before, "a failed sync must change nothing"
    finally:
        folder.chmod(0o755)


@pytest.mark.slow
@pytest.mark.parametrize("command", [("export", "-o", "{out}/x.apkg"),
                                     ("backup", "{out}/copy.db")], ids=lambda c: c[0])
@pytest.mark.parametrize("out", ["/proc", "/proc/nodir", "{folder}/a-folder", "{folder}/file"])
def test_an_output_that_cannot_be_written_is_one_plain_line(tmp_path, command, out):
    db, _ = _good_store(tmp_path)
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "file").write_text("a file, not a folder")
    before = rows(db)
    args = [arg.format(out=out.format(folder=tmp_path)) for arg in command]
    if out.endswith("a-folder"):
        args[-1] = str(tmp_path / "a-folder")  # the output itself is a folder
    result = run(*args, db=db, cwd=tmp_path)
    assert_handled(result)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and args[-1] in line, line
    assert rows(db) == before


def _run_with(prefix: list[str], args: list[str], db: Path, env: dict, preexec, cwd: Path):
    full_env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_NOW": NOW,
                "FLASHCARDS_TZ": "UTC", "NO_COLOR": "1", **env}
    full_env = {key: value for key, value in full_env.items() if value != ""}
    return subprocess.run([*prefix, sys.executable, "-m", "flashcards", *args],
                          capture_output=True, text=True, errors="replace", env=full_env,
                          cwd=cwd, input="q\n", timeout=300, preexec_fn=preexec)


# -- front matter that expands or cannot be stored ------------------------------------

BILLION_LAUGHS = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]\n"
              for n in range(8))
    + "deck: *i\n---\n\n" + GOOD_DECK
)


@pytest.mark.slow
def test_yaml_aliases_are_refused_before_they_expand(tmp_path, store_db):
    """412 bytes that expand to 9**9 strings once a value is walked."""
    (tmp_path / "laughs.md").write_text(BILLION_LAUGHS)
    checked, synced = check_then_sync(tmp_path / "laughs.md", store_db, tmp_path)
    assert checked.returncode == 1
    assert "laughs.md:3:" in checked.stdout and "aliases (`*name`) are not allowed" \
        in checked.stdout, checked.stdout
    assert synced.returncode == 1


SURROGATE_DECK = '---\ndeck: "X\\ud800Y"\ntags: ["ok"]\n---\n\n' + GOOD_DECK


@pytest.mark.slow
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
    assert "Reviewed 1 card" in reviewed.stdout
    exported = run("export", "-o", str(tmp_path / "o.apkg"), db=store_db, cwd=tmp_path)
    assert_handled(exported)
    assert exported.returncode == 0, exported.stderr


def test_a_surrogate_in_tags_is_reported_by_the_parser():
    deck = parse('---\ntags: ["a\\udc80"]\n---\n\n' + GOOD_DECK, "t.md")
    assert [(p.line, p.severity) for p in deck.problems] == [(1, Severity.ERROR)]


# -- invisible characters ----------------------------------------------------------


@pytest.mark.slow
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
