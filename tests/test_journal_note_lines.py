"""The NOTE lines a sync makes in bulk (`journal.note_lines`) are the lines
`journal.Event.to_line` writes for the same note events, on any text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards import journal
from flashcards.journal.note_lines import note_lines
from flashcards.journal_records import NoteIdentity

# Any text: quotes, backslashes, control characters, non-ASCII (no lone surrogates,
# which a note's text, read as UTF-8, cannot hold).
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
OPTIONAL = st.none() | TEXT
IDENTITIES = st.builds(NoteIdentity, guid=TEXT, path=OPTIONAL, deck=OPTIONAL, kind=TEXT,
                       question_hash=OPTIONAL, answer_hash=OPTIONAL, content_hash=OPTIONAL,
                       explicit_id=OPTIONAL)
MOMENTS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30),
                       timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]))


@settings(max_examples=150, deadline=None)
@given(device=TEXT, moment=MOMENTS,
       numbered=st.lists(st.tuples(st.integers(1, 2**53), IDENTITIES), min_size=1, max_size=2))
def test_a_note_line_is_the_event_s_line(device, moment, numbered):
    made = list(note_lines(device, moment, ((seq, note.guid, note.identity())
                                             for seq, note in numbered)))
    assert made == [journal.Event(journal.NOTE, device, seq, moment, guid=note.guid,
                                  identity=note.identity()).to_line()
                    for seq, note in numbered]


def test_any_identity_value_is_written_as_json_writes_it():
    moment = datetime(2026, 1, 5, 10, 0, 0, 123456, tzinfo=UTC)
    identity = {"deck": "a \"b\"\n", "n": 3, "f": 0.5, "ok": True, "no": None,
                "nested": {"x": [1, "é"]}}
    made = list(note_lines("dev-1", moment, [(7, "g", identity)]))
    assert made == [journal.Event(journal.NOTE, "dev-1", 7, moment, guid="g",
                                  identity=identity).to_line()]
