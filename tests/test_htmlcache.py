"""The HTML cache's keys: the same for the same text and version in every release."""

from __future__ import annotations

import hashlib

import pytest

from flashcards.htmlcache import HTML_VERSION, cache_key


@pytest.mark.parametrize("text", ["Just an answer.", "Ünïcode — 😀", "", "a\0b", "x" * 100_000])
def test_a_key_is_the_hash_of_the_version_and_the_text(text):
    # Keys already in users' stores were made so: a new derivation would render everything anew.
    expected = hashlib.sha256(f"{HTML_VERSION}\0{text}".encode()).hexdigest()[:32]
    assert cache_key(text) == expected


def test_keys_of_version_2_are_pinned():
    assert HTML_VERSION == 2  # a new version changes every key; re-pin then
    assert cache_key("Just an answer.") == "654399290e9e869fcfd086109ad78c2a"
    assert cache_key("Ünïcode — 😀") == "6f0ef9029fe733f8251a3ead153a5d0e"


def test_keys_do_not_leak_between_texts():
    # The prefix's hash is shared: one key's text must not reach the next key.
    first, second = cache_key("one"), cache_key("two")
    assert cache_key("one") == first and cache_key("two") == second and first != second
