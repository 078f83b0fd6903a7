"""The fast lane (`pytest -m "not slow"`) keeps a test of every test module.

Slow tests carry `@pytest.mark.slow` (docs/testing.md). A module whose every
test is slow would drop out of the fast lane silently; only the modules in
ALL_SLOW may, each with its reason.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import COLLECTED

TESTS = Path(__file__).resolve().parent
ALL_SLOW: dict[str, str] = {
    # module: why none of its tests can be fast
    "test_anki_import.py": "every test builds, exports or imports with the real Anki (seconds "
                           "each); test_anki_hostile.py and test_journal_schedule.py import "
                           "forged packages in the fast lane",
    "test_fuzz.py": "fuzzing with a time budget per input is long by nature; the parser's "
                    "and loader's own fast tests cover the same functions",
    "test_reliability.py": "each test kills or races whole processes for seconds; a failed "
                           "transaction is tested in-process in test_store.py and test_sync.py",
}


def module_names() -> set[str]:
    return {path.name for path in TESTS.glob("test_*.py")}


def fast_modules(config: pytest.Config) -> set[str]:
    """Modules with at least one test not marked slow."""
    items = config.stash.get(COLLECTED, [])
    if {item.path.name for item in items} >= module_names():
        return {item.path.name for item in items if item.get_closest_marker("slow") is None}
    # Run on its own (or with -k): collect the fast lane of the whole suite.
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "-m", "not slow", str(TESTS)],
                          capture_output=True, text=True, cwd=TESTS.parent, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {Path(line.split("::", 1)[0]).name for line in proc.stdout.splitlines()
            if "::" in line}


def test_every_test_module_has_tests_in_the_fast_lane(request):
    fast = fast_modules(request.config)
    missing = sorted(module_names() - fast - set(ALL_SLOW))
    assert not missing, (f"{missing}: every test is marked slow, so `pytest -m \"not slow\"` "
                         "skips the module; keep a quick test of its essence unmarked "
                         "(or name it in ALL_SLOW with the reason)")
    stale = sorted(set(ALL_SLOW) & fast)
    assert not stale, f"{stale} have fast tests now: remove them from ALL_SLOW"
    assert set(ALL_SLOW) <= module_names(), "ALL_SLOW names a module that does not exist"


def test_the_slow_marker_is_registered(pytestconfig):
    markers = pytestconfig.getini("markers")
    assert any(line.split(":", 1)[0].strip() == "slow" for line in markers)
