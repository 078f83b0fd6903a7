"""No module uses a dependency's private names, except the guarded uses listed here.

A private name (``_x``, not a dunder) of a third-party library may change or go in
any release. Where a speed-up truly needs one, the use is guarded: on any mismatch
it falls back to the public path with the same output, and a test runs that
fallback. docs/dependencies.md lists the guarded uses and the tested versions.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "flashcards"

# (file, private name): why the use is allowed. Each one is guarded, and a test
# runs its fallback.
ALLOWED = {
    ("flashcards/highlight.py", "_TokenType"):
        "guarded fast lexer loop; falls back to Pygments' public loop, "
        "tests/test_highlight.py runs the fallback",
}
# Reading or writing a module's attribute by a name given as a string.
ATTRIBUTE_CALLS = {"getattr", "hasattr", "setattr"}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_third_party(module: str) -> bool:
    top = module.split(".")[0]
    return top != "flashcards" and top not in sys.stdlib_module_names


def _private_parts(dotted: str) -> list[str]:
    return [part for part in dotted.split(".") if is_private(part)]


def _root_name(node: ast.AST) -> str | None:
    """``a`` for ``a``, ``a.b`` or ``a.b.c``; None where the chain starts elsewhere
    (a call, a subscript): that is an object's attribute, not a module's."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _imported_module(node: ast.Call) -> str | None:
    """NAME of ``importlib.import_module("NAME")`` or ``import_module("NAME")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if (name == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)):
        return node.args[0].value
    return None


def private_uses(source: str) -> list[tuple[int, str, str]]:
    """(line, private name, the code) for each private name of a third-party module
    the source imports, reads through a name an import bound, or asks `getattr` for."""
    tree = ast.parse(source)
    found: list[tuple[int, str, str]] = []
    bound: set[str] = set()  # names an import in this file bound to a third-party thing
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_third_party(alias.name):
                    found += [(node.lineno, part, f"import {alias.name}")
                              for part in _private_parts(alias.name)]
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
              and is_third_party(node.module)):
            found += [(node.lineno, part, f"from {node.module} import ...")
                      for part in _private_parts(node.module)]
            for alias in node.names:
                if is_private(alias.name):
                    found.append((node.lineno, alias.name,
                                  f"from {node.module} import {alias.name}"))
                bound.add(alias.asname or alias.name)
        elif (isinstance(node, ast.Call) and (module := _imported_module(node))
              and is_third_party(module)):
            found += [(node.lineno, part, f"import_module({module!r})")
                      for part in _private_parts(module)]
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and is_private(node.attr)
                and _root_name(node.value) in bound):
            found.append((node.lineno, node.attr, ast.unparse(node)))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ATTRIBUTE_CALLS and len(node.args) >= 2
              and _root_name(node.args[0]) in bound
              and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str) and is_private(node.args[1].value)):
            found.append((node.lineno, node.args[1].value, ast.unparse(node)))
    return sorted(found)


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def file_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=file_id)
def test_no_module_uses_a_private_name_of_a_dependency(path):
    name = file_id(path)
    unguarded = [f"{name}:{line}: {code} (private name {private})"
                 for line, private, code in private_uses(path.read_text(encoding="utf-8"))
                 if (name, private) not in ALLOWED]
    assert not unguarded, (
        "a dependency's private name may change in any release: use its public API, or "
        "guard the use (a fallback to the public path with the same output, and a test "
        "that runs it) and add it to ALLOWED with why (docs/dependencies.md)\n"
        + "\n".join(unguarded))


def test_every_allowed_use_names_a_file_and_a_reason_and_is_still_made():
    for (name, private), why in ALLOWED.items():
        assert (ROOT / name).is_file(), name
        assert is_private(private) and why.strip(), (name, private)
        used = {found for _, found, _ in private_uses((ROOT / name).read_text(encoding="utf-8"))}
        assert private in used, f"{name} no longer uses {private}: remove it from ALLOWED"


def test_private_uses_are_seen():
    # What the check must catch, however the name is reached; and what it must not.
    source = "\n".join([
        "import click._compat",                          # 1 a private module
        "from rich.table import _Something",             # 2 a private name imported
        "from rich._loop import loop_last",              # 3 from a private module
        "import pygments.token",                         # 4
        "kind = pygments.token._TokenType",              # 5 through the module
        "import genanki as g",                           # 6
        "ids = g._ids",                                  # 7 through an alias
        "getattr(pygments.token, '_TokenType', None)",   # 8 by name
        "from rich.console import Console",              # 9
        "Console._environ",                              # 10 a class's private name
        "import importlib",                              # 11
        "importlib.import_module('yaml._yaml')",         # 12 loaded by name
        "def f(self):",                                  # 13
        "    import click",                              # 14 lazily
        "    return click._compat, self._own, click.__version__",  # 15
        "import os",                                     # 16
        "os._exit, pygments.__file__",                   # 17 the standard library, dunders
        "Console()._file",                               # 18 an object's, not the module's
        "from flashcards.model import _private",         # 19 our own
    ])
    assert [(line, name) for line, name, _code in private_uses(source)] == [
        (1, "_compat"), (2, "_Something"), (3, "_loop"), (5, "_TokenType"), (7, "_ids"),
        (8, "_TokenType"), (10, "_environ"), (12, "_yaml"), (15, "_compat")]
