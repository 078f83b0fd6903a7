"""The documentation matches the code: CLI reference, schema, examples, README."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import raw

from flashcards.cli import cli
from flashcards.parser import parse
from flashcards.store import Store

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def load_generator():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_cli_docs
    finally:
        sys.path.pop(0)
    return gen_cli_docs


def test_cli_reference_is_generated_from_help():
    expected = load_generator().render()
    actual = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run python scripts/gen_cli_docs.py"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(name):
    command = cli.commands[name]
    assert command.help and "Example:" in command.help, f"{name} needs help with an example"


def test_store_schema_is_documented(tmp_path):
    store = Store.open(tmp_path / "s.db")
    documented = (DOCS / "store.md").read_text(encoding="utf-8")
    conn: sqlite3.Connection = raw(store).conn
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    for table in tables:
        assert f"### `{table}`" in documented, f"table {table} missing from docs/store.md"
        section = documented.split(f"### `{table}`", 1)[1].split("### ", 1)[0]
        for (_, column, *_rest) in conn.execute(f"PRAGMA table_info([{table}])"):
            assert f"`{column}`" in section, f"{table}.{column} missing from docs/store.md"
    store.close()


def test_the_store_page_gives_the_current_schema_version_and_its_history():
    from flashcards.store.migrations import SCHEMA_VERSION

    documented = (DOCS / "store.md").read_text(encoding="utf-8")
    assert f"(now {SCHEMA_VERSION})" in documented
    history = documented.split("## Schema history", 1)[1]
    versions = [int(v) for v in re.findall(r"^\| (\d+) \|", history, re.M)]
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    schema = (ROOT / "flashcards" / "store" / "schema.sql").read_text(encoding="utf-8")
    assert schema.startswith(f"-- The schema of a new store, version {SCHEMA_VERSION}:")


def test_format_examples_parse_cleanly():
    text = (DOCS / "format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```markdown\n(.*?)\n```\n", text, re.S)
    assert len(blocks) >= 3
    for block in blocks:
        if block.lstrip().startswith("<!--"):
            block = "## Q\n" + block + "\nA\n"
        result = parse(block, "format.md")
        assert result.notes and not result.has_errors, result.problems


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"<!-- (?:review|test)-command -->\n```(?:bash|sh)\n(.*?)\n```", readme)


def test_ci_runs_the_readme_test_command():
    review, test = readme_commands()
    assert "flashcards review" in review and "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_ruff_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "flashcards", "tests",
                             "scripts"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_api_example_runs_and_prints_what_its_comments_say(tmp_path):
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    expected = [line.split("#", 1)[1].strip() for line in code.splitlines()
                if line.strip().startswith("print(") and "#" in line]
    assert result.stdout.splitlines() == expected


def test_the_api_names_every_public_name_and_each_one_loads():
    import flashcards

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in flashcards.__all__:
        assert getattr(flashcards, name) is not None
        assert f"`{name}" in text or name in {"DeckFile", "Note", "NoteKind", "Problem",
                                               "Severity", "ReviewSession"}, name


def test_the_docs_never_send_users_to_private_modules():
    for page in (ROOT / "docs").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from flashcards\.\w+|import flashcards\.)", text, re.M), \
            f"{page.name} imports a submodule: use `import flashcards` (docs/api.md)"
