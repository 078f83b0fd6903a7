"""The collector's pause: off inside the block, as it was after it, errors or not."""

from __future__ import annotations

import gc

import pytest

from flashcards.gcpause import no_collections


@pytest.fixture
def collector():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_off_inside_and_as_it_was_after(collector, enabled):
    (gc.enable if enabled else gc.disable)()
    with no_collections():
        assert not gc.isenabled()
    assert gc.isenabled() is enabled


def test_an_error_inside_leaves_the_collector_on(collector):
    gc.enable()
    with pytest.raises(ZeroDivisionError), no_collections():
        1 / 0  # noqa: B018
    assert gc.isenabled()
