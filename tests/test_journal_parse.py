"""journal.parse_line: answer lines as Event.to_line writes them take a quicker path
than json.loads; on every line, that path must give what JSON gives (or fail as it does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards import journal
from flashcards.journal import ANSWER, Event

# Device names and GUIDs with the characters that could trip a hand-written match:
# quotes, backslashes, control characters, dashes, digits and non-ASCII.
TEXT = st.text(alphabet=st.sampled_from('ab-09"\\\x00\x1f é€/'), max_size=8)
SMALL = st.integers(min_value=-3, max_value=12) | st.integers()


@st.composite
def answers(draw) -> Event:
    moment = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(
        milliseconds=draw(st.integers(0, 10**11)))
    return Event(ANSWER, draw(TEXT), draw(st.integers(0, 10**12)), moment,
                 guid=draw(TEXT), ord=draw(SMALL),
                 button=draw(st.none() | st.integers(0, 5)), grade=draw(st.integers(-1, 9)),
                 duration_ms=draw(st.none() | SMALL),
                 utc_offset_minutes=draw(st.none() | SMALL),
                 day_start_hour=draw(st.none() | SMALL))


def parsed(parse, line: str):
    try:
        return parse(line)
    except Exception as exc:  # noqa: BLE001 - the kind of failure is what is compared
        return type(exc)


def assert_same_as_json(line: str) -> None:
    assert parsed(journal.parse_line, line) == parsed(journal.events._parse_json, line), line


@pytest.mark.slow
@settings(max_examples=400)
@given(answers())
def test_a_written_answer_line_reads_as_json_reads_it(event):
    assert_same_as_json(event.to_line().rstrip("\n"))


@settings(max_examples=40)
@given(answers())
def test_a_written_answer_line_reads_as_json_reads_it_sample(event):
    assert_same_as_json(event.to_line().rstrip("\n"))


@pytest.mark.slow
@settings(max_examples=400)
@given(answers(), st.data())
def test_any_edit_of_an_answer_line_reads_as_json_reads_it(event, data):
    assert_edited_line_reads_as_json_reads_it(event, data)


@settings(max_examples=40)
@given(answers(), st.data())
def test_any_edit_of_an_answer_line_reads_as_json_reads_it_sample(event, data):
    assert_edited_line_reads_as_json_reads_it(event, data)


def assert_edited_line_reads_as_json_reads_it(event, data) -> None:
    line = event.to_line().rstrip("\n")
    at = data.draw(st.integers(0, len(line)))
    cut = data.draw(st.integers(0, 3))
    inserted = data.draw(st.text(alphabet=st.sampled_from('0-1"\\:,{} .Z+aé'), max_size=3))
    assert_same_as_json(line[:at] + inserted + line[at + cut:])


@pytest.mark.parametrize("line", [
    # the common line, and each optional key left out or given
    '{"v":1,"id":"desk-5eed-12","type":"answer","t":"2025-01-06T08:00:00.000Z",'
    '"guid":"fc2227f1","ord":1,"button":3,"ms":4000,"off":60}',
    '{"v":1,"id":"desk-12","type":"answer","t":"2025-01-06T08:00:00.000Z",'
    '"guid":"g","ord":2,"button":1,"grade":2,"ms":0,"off":-300,"dsh":0}',
    '{"v":1,"id":"d-1","type":"answer","t":"2025-01-06T08:00:00+02:00","guid":"g","ord":1,'
    '"button":4}',
    # what JSON reads differently from a naive match: leading zeros, escapes, a
    # repeated key, a button that gives no grade, another version, spaces
    '{"v":1,"id":"d-1","type":"answer","t":"2025-01-06T08:00:00.000Z","guid":"g","ord":01,'
    '"button":3}',
    '{"v":1,"id":"d-1","type":"answer","t":"2025-01-06T08:00:00.000Z","guid":"g\\u0041",'
    '"ord":1,"button":3}',
    '{"v":1,"id":"d-1","type":"answer","t":"2025-01-06T08:00:00.000Z","guid":"g","ord":1,'
    '"button":3,"ms":1,"ms":2}',
    '{"v":1,"id":"d-1","type":"answer","t":"2025-01-06T08:00:00.000Z","guid":"g","ord":1,'
    '"button":0}',
    '{"v":2,"id":"d-1","type":"answer","t":"2025-01-06T08:00:00.000Z","guid":"g","ord":1,'
    '"button":3}',
    '{"v":1, "id":"d-1","type":"answer","t":"2025-01-06T08:00:00.000Z","guid":"g","ord":1,'
    '"button":3}',
])
def test_lines_at_the_edge_of_the_quick_path_read_as_json_reads_them(line):
    assert_same_as_json(line)


def test_the_quick_path_is_taken_for_the_lines_the_session_writes():
    event = Event(ANSWER, "laptop-0b1e", 7, datetime(2025, 1, 6, 8, tzinfo=UTC),
                  guid="fc01", ord=1, button=3, grade=4, duration_ms=3000,
                  utc_offset_minutes=60, day_start_hour=4)
    assert journal.events._ANSWER_LINE.fullmatch(event.to_line().rstrip("\n"))
    assert journal.parse_line(event.to_line().rstrip("\n")) == event


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from("ab\nxy"), max_size=60),
       st.lists(st.sampled_from([b"ab", b"xy", b"a", b"yx"]), min_size=1, max_size=3))
def test_the_lines_holding_a_needle_are_those_a_split_would_find(text, needles):
    """journal.read_matching finds its lines by searching the bytes: the same lines, in
    order, as splitting every complete line would (a torn last line left out)."""
    from flashcards.journal.files import _lines_holding

    data = text.encode()
    expected, start = [], 0
    for line in data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]:
        if any(needle in line for needle in needles):
            expected.append((start, start + len(line)))
        start += len(line) + 1
    assert _lines_holding(data, needles) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), max_size=30),
       st.integers(min_value=1, max_value=50), st.booleans())
def test_a_journal_read_in_chunks_gives_its_whole_lines_and_line_numbers(
        lengths, chunk, torn):
    """A large journal is searched a chunk at a time (never held whole): the chunks
    join to its complete lines, whatever the chunk size, and a line's number counted
    in chunks is the number counted at once."""
    import tempfile
    from pathlib import Path

    from flashcards.journal import files

    data = b"".join(b"x" * n + b"\n" for n in lengths) + (b"torn" if torn else b"")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dev.jsonl"
        path.write_bytes(data)
        old, files._READ_CHUNK = files._READ_CHUNK, chunk
        try:
            chunks = list(journal.whole_lines(path))
            starts = [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
            numbers = [journal.line_number(path, start, 1) for start in starts]
        finally:
            files._READ_CHUNK = old
    assert all(c.endswith(b"\n") for c in chunks)
    assert b"".join(chunks) == data[:data.rfind(b"\n") + 1]
    assert numbers == [n + 2 for n in range(len(starts))]
