"""The package's three note types: ids, names, fields, templates and CSS (docs/anki.md)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import genanki

from flashcards.model import NoteKind

# -- the note types: never change ids, names, fields, field order or template
# names without a migration documented in docs/anki.md. Anki matches note types
# by id; a changed one is imported as a second type ("Name+") and every existing
# note is reported as conflicting and no longer updated.

BASIC_MODEL_ID = 1836189779
REVERSED_MODEL_ID = 1108444273
CLOZE_MODEL_ID = 1158026485
BASIC_MODEL_NAME = "flashcards Basic"
REVERSED_MODEL_NAME = "flashcards Basic+Reverse"
CLOZE_MODEL_NAME = "flashcards Cloze"
BASIC_FIELDS = ("Front", "Back", "Source")
REVERSED_FIELDS = ("Front", "Back", "Source")
CLOZE_FIELDS = ("Text", "Back Extra", "Source")

_SOURCE = '\n<div class="flashcards-source">{{Source}}</div>'
_BASIC_TEMPLATES = (
    ("Card 1", "{{Front}}", "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}" + _SOURCE),
)
_REVERSED_TEMPLATES = (
    *_BASIC_TEMPLATES,
    ("Card 2", "{{Back}}", "{{FrontSide}}\n\n<hr id=answer>\n\n{{Front}}" + _SOURCE),
)
_CLOZE_TEMPLATES = (
    ("Cloze", "{{cloze:Text}}", "{{cloze:Text}}\n<br>\n{{Back Extra}}" + _SOURCE),
)
_EXTRA_CSS = ".flashcards-source { margin-top: 1.5em; font-size: 0.6em; opacity: 0.6; }\n"


def _shipped_note_css() -> str:
    """`render.note_css()` as shipped in flashcards/note.css, read without Pygments.

    Written by scripts/gen_note_css.py; tests/test_render.py checks it is current.
    Found beside the package's modules, as importlib.resources.files() finds it for a
    package on disk, without importing importlib.resources (3 ms of an export; the
    bundled decks are found the same way, `sync.bundled_decks`).
    """
    import flashcards

    return (Path(flashcards.__file__).parent / "note.css").read_text(encoding="utf-8")


@cache
def _models() -> dict[NoteKind, genanki.Model]:
    css = _shipped_note_css() + _EXTRA_CSS
    return {
        NoteKind.BASIC: _model(BASIC_MODEL_ID, BASIC_MODEL_NAME, BASIC_FIELDS,
                               _BASIC_TEMPLATES, css),
        NoteKind.REVERSED: _model(REVERSED_MODEL_ID, REVERSED_MODEL_NAME, REVERSED_FIELDS,
                                  _REVERSED_TEMPLATES, css),
        NoteKind.CLOZE: _model(CLOZE_MODEL_ID, CLOZE_MODEL_NAME, CLOZE_FIELDS,
                               _CLOZE_TEMPLATES, css, genanki.Model.CLOZE),
    }


def _model(model_id: int, name: str, fields: tuple[str, ...], templates: tuple, css: str,
           model_type: int = genanki.Model.FRONT_BACK) -> genanki.Model:
    return genanki.Model(
        model_id, name, fields=[{"name": field} for field in fields],
        templates=[{"name": t, "qfmt": q, "afmt": a} for t, q, a in templates],
        css=css, model_type=model_type)
