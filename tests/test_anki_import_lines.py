"""The journal lines an import writes itself, for speed, are the lines
`journal.Event.to_line` writes for the same answers; and a package imported
twice writes none twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards import journal
from flashcards.anki_import import journal_lines
from flashcards.scheduler import BUTTON_GRADES

# A GUID is the package's: any text, quotes, backslashes and controls included.
GUIDS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
MOMENTS = st.integers(0, journal_lines._MAX_MS)


@settings(max_examples=300, deadline=None)
@given(seq=MOMENTS, guid=GUIDS, ord_=st.integers(1, 500), button=st.sampled_from([1, 2, 3, 4]),
       duration=st.integers(0, 10**9), offset=st.integers(-1439, 1439),
       hour=st.integers(0, 23))
def test_an_imported_answer_s_line_is_the_event_s_line(seq, guid, ord_, button, duration,
                                                          offset, hour):
    moment = datetime.fromtimestamp(seq / 1000, UTC)
    event = journal.Event(journal.ANSWER, journal_lines.ANSWERS_DEVICE, seq, moment, guid=guid,
                          ord=ord_, button=button, grade=BUTTON_GRADES[button],
                          duration_ms=duration, utc_offset_minutes=offset, day_start_hour=hour)
    line = journal_lines._answer_line(seq, moment, json.dumps(guid, ensure_ascii=False), ord_,
                                      button, duration, offset, hour)
    assert line == event.to_line()


def test_lines_already_in_the_journal_are_not_written_again(tmp_path, monkeypatch):
    folder = tmp_path / "journal"
    moment = datetime(2026, 1, 5, tzinfo=UTC)

    def lines(seqs):
        return [(seq, journal_lines._answer_line(seq, moment, '"g"', 1, 3, 0, 0, 4))
                for seq in seqs]
    monkeypatch.setattr(journal_lines._NewLines, "CHUNK", 2)  # several writes
    first = journal_lines._NewLines(folder)
    first.append(journal_lines.ANSWERS_DEVICE, lines([1, 2, 3]))
    assert first.written == 3
    again = journal_lines._NewLines(folder)
    again.append(journal_lines.ANSWERS_DEVICE, lines([1, 2, 3, 4, 5]))
    assert again.written == 2
    written = (folder / f"{journal_lines.ANSWERS_DEVICE}.jsonl").read_text().splitlines()
    assert [journal.parse_line(line).seq for line in written] == [1, 2, 3, 4, 5]
