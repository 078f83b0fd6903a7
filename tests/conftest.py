"""Fixtures and helpers shared by several test modules."""

from __future__ import annotations

import pytest

from flashcards.store import Store


@pytest.fixture
def store(tmp_path):
    """A real, empty store file in the test's temporary folder."""
    s = Store.open(tmp_path / "store.db")
    yield s
    s.close()

