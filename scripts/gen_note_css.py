"""Write flashcards/note.css, the note types' CSS, from `render.note_css()`.

The export reads the file rather than asking Pygments for its styles, so an
export whose sides are all cached never loads the renderer. Run it after
changing the card CSS or the code styles: ``python scripts/gen_note_css.py``.
tests/test_render.py fails when the file differs from what this writes.
"""

from __future__ import annotations

from pathlib import Path

from flashcards.render import note_css

CSS = Path(__file__).resolve().parent.parent / "flashcards" / "note.css"


def main() -> None:
    CSS.write_text(note_css(), encoding="utf-8")
    print(f"wrote {CSS}")


if __name__ == "__main__":
    main()
