"""Imports flow one way, and each third-party library has one owner module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "flashcards"

# A module may import only modules of a lower rank: the data flow of the
# style guide, cli -> sync/session/export/ui -> parser/render/store/scheduler -> model.
RANK = {
    "model": 0, "mdit": 0, "scheduler": 0, "htmlcache": 0,
    "parser": 1, "store": 1, "settings": 1, "highlight": 1,
    "render": 2, "loader": 2,
    "sync": 3,
    "session": 4, "export": 4, "stats": 4, "maintenance": 4,
    "ui": 5,
    "cli": 6, "__main__": 7, "__init__": 7,
}
OWNERS = {
    "click": {"cli"},
    "rich": {"ui"},
    "sqlite_utils": {"store"},
    "genanki": {"export"},
    "markdown_it": {"mdit", "parser", "render"},
    "mdit_py_plugins": {"mdit"},
    "pygments": {"highlight"},
    "nh3": {"render"},
    "pylatexenc": {"render"},
    "yaml": {"parser"},
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


MODULES = sorted(p for p in PACKAGE.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_imports_flow_one_way(path):
    assert path.stem in RANK, f"give flashcards/{path.name} a rank in this test"
    for name in imports(path):
        parts = name.split(".")
        if parts[0] == "flashcards" and len(parts) > 1 and parts[1] in RANK:
            assert RANK[parts[1]] < RANK[path.stem], f"{path.stem} must not import {parts[1]}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_third_party_libraries_have_one_owner(path):
    for name in imports(path):
        owners = OWNERS.get(name.split(".")[0])
        if owners is not None:
            assert path.stem in owners, f"{path.stem} imports {name}; only {owners} may"


def test_lazy_imports_are_seen(tmp_path):
    # A module may load a library lazily, inside a function or with importlib; the owner
    # check must still see such imports, or any module could load a library that way.
    module = tmp_path / "lazy.py"
    module.write_text("import importlib\n\n\ndef load():\n"
                      "    import rich\n    return importlib.import_module('genanki')\n")
    assert {"rich", "genanki"} <= imports(module)
