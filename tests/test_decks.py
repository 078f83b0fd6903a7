"""The bundled decks: lint-clean, big enough, runnable code, README table in sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flashcards.loader import check, discover, load_file
from flashcards.parser import NORUN_MARKERS, fenced_code

ROOT = Path(__file__).resolve().parent.parent
DECKS = ROOT / "decks"
DECK_FILES = [s for s in discover([DECKS])]


def loaded():
    return [load_file(source).deck for source in DECK_FILES]


def test_bundled_decks_pass_check_strict():
    problems = check([DECKS])
    assert problems == [], "\n".join(map(str, problems))


def test_every_deck_has_a_name_description_and_enough_cards():
    decks = loaded()
    assert len(decks) >= 8
    for deck in decks:
        assert deck.deck.startswith("ML Interview::"), deck.path
        assert deck.description, f"{deck.path}: add a one-line description"
        assert len(deck.notes) >= 25, f"{deck.path}: {len(deck.notes)} cards, want 25+"
    assert sum(len(d.notes) for d in decks) >= 250


def test_every_card_is_tagged_with_its_topic_and_has_an_id():
    for deck in loaded():
        for note in deck.notes:
            deck_tags = {"ml-interview"}
            assert set(note.tags) - deck_tags - {t for t in note.tags if t == deck.deck}, \
                f"{note.location}: tag the card with its topic"
            assert note.explicit_id, f"{note.location}: bundled cards need an explicit id"


def python_blocks():
    for source in DECK_FILES:
        text = source.path.read_text(encoding="utf-8")
        for info, code, line in fenced_code(text):
            words = info.split()
            if words and words[0] == "python" and not NORUN_MARKERS & set(words[1:]):
                yield pytest.param(code, id=f"{source.path.name}:{line}")


@pytest.mark.parametrize("code", list(python_blocks()))
def test_deck_python_blocks_run(code, tmp_path):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr


def test_readme_deck_table_is_current():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import update_readme_decks
    finally:
        sys.path.pop(0)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert update_readme_decks.updated_readme(readme) == readme, \
        "README deck table is stale: run python scripts/update_readme_decks.py"
