"""Tables and progress on the terminal: `list`, `status`, and bars for long jobs.

Card text reaching these tables passes ``render.sanitize.strip_control`` and is
drawn as ``rich.text.Text``, never through rich's ``[markup]`` parser.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from itertools import starmap

from rich.console import Console, ConsoleOptions, RenderableType
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

# Below this many files a progress bar would only flicker.
PROGRESS_MIN_ITEMS = 50
QUESTION_WIDTH = 60


def console(*, stderr: bool = False) -> Console:
    """A console that honours NO_COLOR and drops colour when not writing to a terminal."""
    return _SafeConsole(stderr=stderr, no_color="NO_COLOR" in os.environ, highlight=False,
                        emoji=False, markup=False)


class _SafeConsole(Console):
    """A console whose text passes ``strip_control`` on its way out, whatever drew it.

    rich keeps text and style apart in segments until they are written: every
    segment that ``print``, ``log``, ``Live`` and ``Progress`` write comes out of
    ``Console.render``, the public step "for extending the library", so that is
    where a deck's escape sequences are dropped, while rich's own styles and
    cursor controls (``control`` segments) pass. One place for every table, the
    statistics and the review screen, instead of a call at each ``Text``.
    ``render`` calls itself for nested renderables, so text is checked at each
    level; ``strip_control`` returns clean text at the cost of one regex search.
    tests/test_terminal_escapes.py runs every command in a pseudo-terminal and
    looks for escapes.
    """

    def render(self, renderable: RenderableType,
               options: ConsoleOptions | None = None) -> Iterable[Segment]:
        from flashcards.render.sanitize import strip_control

        for segment in super().render(renderable, options):
            if segment.control:
                yield segment
            else:
                text = strip_control(segment.text)
                yield segment if text is segment.text else Segment(text, segment.style)


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A callback ``(done, total)`` drawing a bar on stderr for long jobs only."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    # Here, not at the top: rich.progress costs every command a tenth of its start-up.
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=console(stderr=True), transient=True)
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if total < PROGRESS_MIN_ITEMS:
            return
        if task is None:
            bar.start()
            task = bar.add_task(label, total=total)
        bar.update(task, completed=done)

    try:
        yield update
    finally:
        bar.stop()


CARD_COLUMNS = ("id", "deck", "question", "source", "status", "reviews", "due",
                "repetitions", "easiness", "interval")
# Piped `list` lines are written this many at a time, not with a write each.
LINES_PER_WRITE = 1000
# On a terminal, `list` prints its table in parts of this many rows: rich lays a
# whole table out in memory (100k cards: 1 GB, 54 s).
TABLE_PART_ROWS = 500


def print_card_table(read_rows: Callable[[], Iterable[dict]], *,
                     out: Console | None = None) -> None:
    """`flashcards list`: a table on a terminal; tab-separated lines with a header when piped.

    ``read_rows`` gives the rows afresh on each call: the table reads them twice
    (once for the column widths), and neither way holds them all.
    """
    if out is None and not sys.stdout.isatty():
        _print_card_lines(read_rows())
        return
    if out is None:
        _page_card_lines(read_rows(), os.get_terminal_size().columns)
        return
    _print_table_in_parts(read_rows, out)


# On a terminal, `list` fits these columns to its width, the question taking what is
# left: (name, header, width, right-aligned). Narrow terminals (80 columns) get fewer
# and narrower columns, wide ones the schedule too.
NARROW_COLUMNS = (("id", "id", 6, True), ("deck", "deck", 14, False),
                  ("question", "question", 0, False), ("source", "source", 16, False),
                  ("status", "status", 9, False), ("due", "due", 10, False))
NARROW_BELOW = 104
PAGED_COLUMNS = (("id", "id", 6, True), ("deck", "deck", 22, False),
                 ("question", "question", 0, False), ("source", "source", 26, False),
                 ("status", "status", 9, False), ("reviews", "revs", 4, True),
                 ("due", "due", 10, False))
WIDE_COLUMNS = (("repetitions", "reps", 4, True), ("easiness", "ease", 4, True),
                ("interval", "ivl", 5, True))
WIDE_FROM = 140
QUESTION_MIN = 20


def paged_lines(rows: Iterable[dict], width: int) -> Iterator[str]:
    """The `list` table as lines of at most ``width`` cells, header first, one row at
    a time: the pager shows the first screen before the last row is read."""
    from rich.cells import cell_len, set_cell_size

    columns = NARROW_COLUMNS if width < NARROW_BELOW else \
        PAGED_COLUMNS + (WIDE_COLUMNS if width >= WIDE_FROM else ())
    fixed = sum(size for _, _, size, _ in columns) + len(columns) - 1
    flexible = max(QUESTION_MIN, width - fixed)

    def cell(text: str, size: int, right: bool) -> str:
        if cell_len(text) > size:
            return set_cell_size(text, size - 1) + "…"
        pad = " " * (size - cell_len(text))
        return pad + text if right else text + pad

    sizes = [(name, size or flexible, right) for name, _, size, right in columns]
    yield " ".join(cell(header, size or flexible, right)
                   for _, header, size, right in columns).rstrip()[:width]
    for row in rows:
        yield " ".join(cell(_cell(row[name]), size, right)
                       for name, size, right in sizes).rstrip()


def _page_card_lines(rows: Iterable[dict], width: int) -> None:
    """Into $PAGER (default `less -FRX`), streamed, as `git log` does."""
    import shlex
    import subprocess

    lines = paged_lines(rows, width)
    env = {**os.environ, "LESS": os.environ.get("LESS", "FRX")}
    try:
        if os.environ.get("TERM", "dumb") == "dumb":
            raise OSError("a dumb terminal: less cannot page on it")
        pager = subprocess.Popen(shlex.split(os.environ.get("PAGER") or "less"),
                                 stdin=subprocess.PIPE, env=env, encoding="utf-8")
    except OSError:  # no pager: print, as when piped
        for line in lines:
            sys.stdout.write(line + "\n")
        return
    try:
        batch = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 200:
                pager.stdin.write("\n".join(batch) + "\n")
                batch.clear()
        pager.stdin.write("\n".join(batch) + "\n" if batch else "")
        pager.stdin.close()
    except (BrokenPipeError, KeyboardInterrupt):  # the reader quit early
        pass
    finally:
        with suppress(BrokenPipeError):
            pager.stdin.close()
        pager.wait()


def _print_card_lines(rows: Iterable[dict]) -> None:
    write = sys.stdout.write
    batch = ["\t".join(CARD_COLUMNS)]
    for row in rows:
        batch.append("\t".join([_cell(row[name]) for name in CARD_COLUMNS]))
        if len(batch) >= LINES_PER_WRITE:
            write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        write("\n".join(batch) + "\n")


def _card_table(*, header: bool = True) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold",
                  show_header=header)
    for name in CARD_COLUMNS:
        table.add_column(name, no_wrap=name != "question", overflow="ellipsis",
                         max_width=QUESTION_WIDTH if name == "question" else None)
    return table


class _MeasuredAs:
    """A cell drawn as its own text and measured as the widest cell of its column.

    rich works a table's column widths out from the measurements of each column's
    cells and the console width, and only the widest cell (the header's included)
    counts. Each part of a long table has one row of these: rich then lays every
    part out as it would the whole table. Only rich's public protocol for
    renderables (``__rich_measure__``, ``__rich_console__``) is used.
    """

    def __init__(self, text: str, widest: Text) -> None:
        self.text, self.widest = Text(text), widest

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        own = Measurement.get(console, options, self.text)
        widest = Measurement.get(console, options, self.widest)
        return Measurement(max(own.minimum, widest.minimum), max(own.maximum, widest.maximum))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        yield self.text


def _print_table_in_parts(read_rows: Callable[[], Iterable[dict]], out: Console) -> None:
    """One table of every row, drawn in parts of `TABLE_PART_ROWS` rows.

    A first pass finds each column's widest cell; the first row of each part
    is measured as those (`_MeasuredAs`), so each part has the widths of the
    whole table and each row is drawn as in one table. tests/test_list_output.py
    compares the output with one table.
    """
    from rich.cells import cell_len

    widest = list(CARD_COLUMNS)  # the headers, shown only above the first part
    sizes = [cell_len(name) for name in CARD_COLUMNS]
    count = 0
    for count, row in enumerate(read_rows(), start=1):  # noqa: B007  (the count is wanted)
        for column, name in enumerate(CARD_COLUMNS):
            text = _cell(row[name])
            size = cell_len(text)
            if size > sizes[column]:
                widest[column], sizes[column] = text, size
    if not count:
        out.print("No cards.")
        return
    widest_texts = [Text(text) for text in widest]
    part = _card_table()
    for index, row in enumerate(read_rows()):
        cells = [_cell(row[name]) for name in CARD_COLUMNS]
        if not index % TABLE_PART_ROWS:
            if index:
                out.print(part)
                part = _card_table(header=False)
            part.add_row(*starmap(_MeasuredAs, zip(cells, widest_texts, strict=True)))
        else:
            part.add_row(*map(Text, cells))
    out.print(part)


def _cell(value: object) -> str:
    if type(value) is int:  # most cells: ids, counts and days, nothing to clean
        return str(value)
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    text = str(value)
    # Piped lines reach a terminal too (`| less -R`): card text must not carry escapes.
    # Printable text has none (nor \t or \n), so it skips the regular expressions.
    if not text.isprintable():
        from flashcards.model import show_invisible
        from flashcards.render.sanitize import strip_control

        # Bidi overrides and zero-width characters are shown as escapes: two cards
        # that look alike must not look the same in the list.
        text = show_invisible(strip_control(text))
    return " ".join(text.split())



def print_status(report: dict) -> None:
    """The `flashcards status` table: per deck, then the total within today's limits."""
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for name in ("deck", "due today", "new today", "next due"):
        table.add_column(name, justify="left" if name == "deck" else "right")
    from flashcards.status import deck_tree

    for row in deck_tree(report):  # subdecks indented under their parent's totals
        name = "  " * row["depth"] + row["deck"].rsplit("::", 1)[-1]
        table.add_row(Text(name, style="bold" if row["depth"] == 0 else ""),
                      str(row["due_today"]), str(row["new_today"]), row["next_due"] or "-")
    total = report["total"]
    table.add_row(Text("total (within today's limits)", style="bold"), str(total["due_today"]),
                  str(total["new_today"]), total["next_due"] or "-")
    console().print(table)
