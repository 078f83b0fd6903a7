"""Imports flow one way, and each third-party library has one owner module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "flashcards"

# A module may import only modules of a lower rank: the data flow of the
# style guide, cli -> sync/session/export/ui -> parser/render/store/scheduler -> model.
RANK = {
    "model": 0, "mdit": 0, "scheduler": 0, "htmlcache": 0, "paths": 0, "child_process": 0,
    "gcpause": 0,
    "clock": 1, "cards": 1, "images": 1, "fsrs": 1, "anki_package": 1, "html_markdown": 1,
    "parser": 2, "store": 2, "highlight": 2, "anki_collection": 2,
    "render": 3, "loader": 3, "settings": 3, "journal": 3, "fsrs_rules": 3, "matching": 3,
    "anki_progress": 3,
    "journal_buckets": 3.5,  # journal, read in buckets: between journal and history
    "journal_records": 3.6,  # store records as journal events: below history
    "history_rebuild": 3.7,  # a rebuild's replay: below history, which writes what it makes
    "rescheduling": 3.75,  # every card replayed under new rules: below history too
    "second_process": 1,  # a large replay shared with a second process
    "replay_worker": 3.8,  # a large replay's second process, run by name: the replay alone
    "history": 4, "anki_import": 4, "journal_upgrade": 4.5, "journal_settings": 4.5,
    "sync_writes": 4.8,  # a sync's writes (matching, store): below sync, which checks first
    "sync": 5,
    "daily_queue": 5.5,  # today's queue: below the session and status that use it
    "session": 6, "changes": 6, "export": 6, "stats": 6, "maintenance": 6, "fitting_report": 6,
    "adopt": 6,
    "status": 7,
    "ui": 8,
    "cli": 9, "__main__": 10, "__init__": 10,
}
OWNERS = {
    "click": {"cli"},
    "rich": {"ui"},
    "sqlite_utils": {"store/migrations"},
    "tzlocal": {"clock"},
    "platformdirs": {"cli"},  # the default store's folder
    "genanki": {"export"},
    "markdown_it": {"mdit", "parser", "render"},
    "mdit_py_plugins": {"mdit"},
    "pygments": {"highlight"},
    "nh3": {"render/html"},
    "pylatexenc": {"render/latex"},
    "fsrs_rs_python": {"fsrs"},
    "yaml": {"parser"},
    "zstandard": {"anki_package"},
    "markdownify": {"html_markdown"},
    "bs4": set(),  # markdownify's own: nothing here uses BeautifulSoup directly
    "textual_image": {"ui/inline_images"},
    "PIL": {"ui/inline_images"},
}


def imports(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions (lazily)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if _is_import_module_call(node):  # importlib.import_module("name")
            names.add(node.args[0].value)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "flashcards":
                names.update(f"flashcards.{alias.name}" for alias in node.names)
    return names


def _is_import_module_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module" and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))


# Every source file: a module (flashcards/x.py) or a file of a package
# (flashcards/store/x.py), which takes its package's rank and may import its
# own package's other files.
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def module_of(path: Path) -> str:
    """The top-level name a file counts as: ``store`` for flashcards/store/records.py."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def file_id(path: Path) -> str:
    return str(path.relative_to(PACKAGE).with_suffix(""))


def our_modules(path: Path) -> set[str]:
    """The modules of ours (the names of `RANK`) that a file imports."""
    found = set()
    for name in imports(path):
        parts = name.split(".")
        if parts[0] == "flashcards" and len(parts) > 1 and parts[1] in RANK:
            found.add(parts[1])
    return found


@pytest.mark.parametrize("path", MODULES, ids=file_id)
def test_imports_flow_one_way(path):
    module = module_of(path)
    assert module in RANK, f"give flashcards/{module} a rank in this test"
    for other in our_modules(path) - {module}:  # a package's files use each other
        assert RANK[other] < RANK[module], f"{module} must not import {other}"


@pytest.mark.parametrize("path", MODULES, ids=file_id)
def test_third_party_libraries_have_one_owner(path):
    for name in imports(path):
        owners = OWNERS.get(name.split(".")[0])
        if owners is not None:
            # An owner is a module (all its files) or one file of a package.
            assert {file_id(path), module_of(path)} & owners, \
                f"{file_id(path)} imports {name}; only {owners} may"


def test_lazy_imports_are_seen(tmp_path):
    # A module may load a library lazily, inside a function or with importlib; the owner
    # check must still see such imports, or any module could load a library that way.
    module = tmp_path / "lazy.py"
    module.write_text("import importlib\n\n\ndef load():\n"
                      "    import rich\n    return importlib.import_module('genanki')\n")
    assert {"rich", "genanki"} <= imports(module)


def our_imports(module: str) -> set[str]:
    """The modules of ours that a module (all its files) imports, but itself and model."""
    found = set().union(*(our_modules(path) for path in MODULES if module_of(path) == module))
    return found - {module, "model"}


def documented_imports() -> dict[str, set[str] | None]:
    """docs/architecture.md's module map: each module's "imports" cell (None: everything)."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    cells = {}
    for module, cell in re.findall(r"^\| [\d.]+ \| `([a-z_]+)(?:\.py|/)?` \| .*? \| (.*?) \|",
                                   text, re.M):
        if cell.startswith("everything"):
            cells[module] = None
        else:  # "store records": the module's records alone, still the store
            cells[module] = {name.split()[0] for name in cell.split(", ") if name != "-"}
    return cells


def test_the_module_map_names_every_module_and_what_it_imports():
    documented = documented_imports()
    assert set(documented) == set(RANK), "docs/architecture.md's module map: rows to add or drop"
    wrong = {module: (sorted(cell), sorted(our_imports(module)))
             for module, cell in documented.items()
             if cell is not None and cell != our_imports(module)}
    assert not wrong, f"docs/architecture.md's imports column (documented, actual): {wrong}"


UI_FILES = sorted((PACKAGE / "ui").glob("*.py"))


@pytest.mark.parametrize("path", UI_FILES, ids=file_id)
def test_the_ui_asks_the_session_not_its_store_or_clock(path):
    # The session is the ui's one way to the data: the ui draws what it is given and
    # never reads the store or the clock behind the session's back (issue 13).
    reached = sorted({f"{ast.unparse(node)} (line {node.lineno})"
                      for node in ast.walk(ast.parse(path.read_text()))
                      if isinstance(node, ast.Attribute) and node.attr in ("store", "clock")})
    assert not reached, f"{file_id(path)} reaches into {reached}"
