"""`flashcards list` streams its rows; its output is that of the one-piece code it replaced.

The references below are the list output as first written: every row held, one
rich table on a terminal, one ``json.dumps`` of the whole list. The streaming
code must print exactly the same, on a terminal at several widths too.
"""

from __future__ import annotations

import io
import json
import random

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flashcards import ui
from flashcards.cli import app as cli
from flashcards.model import show_invisible
from flashcards.render import strip_control
from flashcards.ui import tables

TRICKY = ["plain", "", "   ", "two  spaces\tand tab", "new\nline", "\x1b[31mred\x1b[0m",
          "\x1b]0;title\x07x", "bell\x07", "c1 \x9b2J", "crlf\r\nend", "nbsp\xa0here",
          "wide 漢字 かな", "emoji 🙂", "zero\u200bwidth", "line\u2028sep", "[bold]no[/]",
          "a" * 90, "word " * 30, "ünïcödé"]


def old_cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    # Invisible characters are shown as escapes (issue 18): look-alike cards differ.
    return " ".join(show_invisible(strip_control(str(value))).split())


def old_lines(rows: list[dict]) -> str:
    lines = ["\t".join(ui.CARD_COLUMNS)]
    lines += ["\t".join(old_cell(row[name]) for name in ui.CARD_COLUMNS) for row in rows]
    return "".join(line + "\n" for line in lines)


def old_table(rows: list[dict], out: Console) -> None:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for name in ui.CARD_COLUMNS:
        table.add_column(name, no_wrap=name != "question", overflow="ellipsis",
                         max_width=ui.QUESTION_WIDTH if name == "question" else None)
    for row in rows:
        table.add_row(*(Text(old_cell(row[name])) for name in ui.CARD_COLUMNS))
    out.print(table if rows else "No cards.")


def make_rows(rng: random.Random, count: int) -> list[dict]:
    rows = []
    for card_id in range(1, count + 1):
        due = rng.choice([None, "2026-01-05", "2027-12-31"])
        rows.append({
            "id": card_id * rng.choice([1, 1, 997]),
            "deck": rng.choice(["Demo", "ML::Coding", "Ünï::漢字", "a" * 40, "x\x1b[2Jy"]),
            "question": rng.choice(TRICKY) + rng.choice(["", f" card {card_id}?"]),
            "source": rng.choice(["demo.md:4", "/abs/path/to/deck-00001.md:1234",
                                  "dir with space/ä.md:7"]),
            "status": rng.choice(["new", "review", "suspended", "orphaned"]),
            "reviews": rng.choice([0, 3, 12345]),
            "due": due,
            "repetitions": rng.choice([0, 1, 17]),
            "easiness": rng.choice([2.5, 1.3, 2.675, 2.345000001]),
            "interval": rng.choice([0, 1, 365, 12000]),
            "kind": "basic", "ord": 1,  # in the rows, not in the table
        })
    return rows


def terminal(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=True,
                   color_system="truecolor", highlight=False, emoji=False, markup=False)


@pytest.mark.parametrize("width", [30, 80, 120, 170, 250])
@pytest.mark.parametrize("seed", [0, *(pytest.param(seed, marks=pytest.mark.slow)
                                      for seed in (1, 2))])
def test_the_terminal_table_in_parts_is_the_one_table(monkeypatch, width, seed):
    monkeypatch.setattr(tables, "TABLE_PART_ROWS", 7)  # several parts, one of them short
    rows = make_rows(random.Random(seed), 45)
    expected, got = terminal(width), terminal(width)
    old_table(rows, expected)
    ui.print_card_table(lambda: iter(rows), out=got)
    assert got.file.getvalue() == expected.file.getvalue()


def test_the_terminal_table_is_printed_in_parts_of_at_most_so_many_rows(monkeypatch):
    # Memory stays flat: rich lays out one part at a time, never the whole table.
    monkeypatch.setattr(tables, "TABLE_PART_ROWS", 7)
    printed = []
    out = terminal(120)
    monkeypatch.setattr(out, "print", lambda table: printed.append(table.row_count))
    ui.print_card_table(lambda: iter(make_rows(random.Random(0), 45)), out=out)
    assert printed == [7, 7, 7, 7, 7, 7, 3]


def test_an_empty_terminal_table_says_so():
    expected, got = terminal(100), terminal(100)
    old_table([], expected)
    ui.print_card_table(lambda: iter(()), out=got)
    assert got.file.getvalue() == expected.file.getvalue() == "No cards.\n"


@pytest.mark.parametrize("count", [0, 1, 40])
def test_piped_lines_are_the_old_lines(monkeypatch, capsys, count):
    monkeypatch.setattr(tables, "LINES_PER_WRITE", 3)
    rows = make_rows(random.Random(count), count)
    ui.print_card_table(lambda: iter(rows))
    assert capsys.readouterr().out == old_lines(rows)


@pytest.mark.parametrize("count", [0, 1, 40])
def test_streamed_json_is_one_dump_of_the_list(monkeypatch, capsys, count):
    monkeypatch.setattr(cli, "JSON_ROWS_PER_WRITE", 3)
    rows = make_rows(random.Random(count), count)
    cli.echo_json_rows(iter(rows))
    # Through the one sanitizer, as every line a command prints (a raw C1 CSI would act).
    expected = strip_control(json.dumps(rows, indent=2, ensure_ascii=False))
    assert capsys.readouterr().out == expected + "\n"


@pytest.mark.parametrize("width", [80, 120, 160])
def test_paged_lines_fit_the_terminal(width):
    from rich.cells import cell_len

    rows = make_rows(random.Random(width), 30)
    lines = list(tables.paged_lines(iter(rows), width))
    assert len(lines) == 31 and lines[0].split()[:3] == ["id", "deck", "question"]
    assert all(cell_len(line) <= width for line in lines)  # columns on screen
