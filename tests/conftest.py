"""Fixtures shared by several test modules, and the record of what was collected."""

from __future__ import annotations

import pytest
from hypothesis import settings

from flashcards.store import Store

# No deadline on a generated example: a deadline is a wall-clock limit, which no test
# here asserts, and beside another pytest worker (-n) on a loaded machine a slow
# example would fail as "unreliable timings", not as a wrong result.
settings.register_profile("flashcards", deadline=None)
settings.load_profile("flashcards")

# Every test collected in this run, before -m, -k or --deselect leave any out:
# tests/test_fast_lane.py checks that the fast lane keeps every module.
COLLECTED = pytest.StashKey[list]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[COLLECTED] = list(items)


@pytest.fixture
def store(tmp_path):
    """A real, empty store file in the test's temporary folder."""
    s = Store.open(tmp_path / "store.db")
    yield s
    s.close()

