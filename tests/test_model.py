"""The nouns' helpers (flashcards/model.py) that every layer shares."""

from flashcards.model import plural


def test_plural():
    assert [plural(n, "card") for n in (0, 1, 2)] == ["0 cards", "1 card", "2 cards"]
