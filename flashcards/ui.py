"""Terminal drawing: tables, progress bars and the review screen. The only rich owner.

Card text reaching this module is Markdown that came through
``render.to_terminal_markdown``; it is drawn with ``rich.markdown.Markdown`` or
``rich.text.Text`` and never passed to rich's ``[markup]`` parser.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

# Below this many files a progress bar would only flicker.
PROGRESS_MIN_ITEMS = 50
QUESTION_WIDTH = 60


def console(*, stderr: bool = False) -> Console:
    """A console that honours NO_COLOR and drops colour when not writing to a terminal."""
    return Console(stderr=stderr, no_color="NO_COLOR" in os.environ, highlight=False,
                   emoji=False, markup=False)


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A callback ``(done, total)`` drawing a bar on stderr for long jobs only."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
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


def print_card_table(rows: list[dict]) -> None:
    """A table on a terminal; tab-separated lines with a header when piped."""
    if not sys.stdout.isatty():
        sys.stdout.write("\t".join(CARD_COLUMNS) + "\n")
        for row in rows:
            sys.stdout.write("\t".join(_cell(row[name]) for name in CARD_COLUMNS) + "\n")
        return
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for name in CARD_COLUMNS:
        table.add_column(name, no_wrap=name != "question", overflow="ellipsis",
                         max_width=QUESTION_WIDTH if name == "question" else None)
    for row in rows:
        table.add_row(*(Text(_cell(row[name])) for name in CARD_COLUMNS))
    console().print(table if rows else "No cards.")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return " ".join(str(value).split())
