"""Rewrite the bundled-decks table in README.md from the decks themselves.

Run it after editing decks: ``python scripts/update_readme_decks.py``.
tests/test_decks.py fails when the README's table is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flashcards.loader import discover, load_file

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- decks:start -->", "<!-- decks:end -->"


def deck_table(folder: Path = ROOT / "decks") -> str:
    rows = ["| deck | purpose | notes | cards |", "| --- | --- | ---: | ---: |"]
    total_notes = total_cards = 0
    for source in discover([folder]):
        deck = load_file(source).deck
        notes = len(deck.notes)
        cards = sum(len(n.ordinals) for n in deck.notes)
        total_notes, total_cards = total_notes + notes, total_cards + cards
        rows.append(f"| {deck.deck} | {deck.description} | {notes} | {cards} |")
    rows.append(f"| **all** | | **{total_notes}** | **{total_cards}** |")
    return "\n".join(rows)


def updated_readme(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{deck_table()}\n{END}{tail}"


def main() -> int:
    README.write_text(updated_readme(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
