"""Terminal drawing: tables, progress bars and the review screen. The only rich owner.

Card text reaching this module is Markdown that came through
``render.to_terminal_markdown``; it is drawn with ``rich.markdown.Markdown`` or
``rich.text.Text`` and never passed to rich's ``[markup]`` parser.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import starmap

from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
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
    _print_table_in_parts(read_rows, out or console())


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
        from flashcards.render import strip_control

        text = strip_control(text)
    return " ".join(text.split())


# -- statistics (flashcards stats) -----------------------------------------------------

# Shades for 1-4 quarters of the busiest day; "·" marks a day without answers.
HEAT_CHARS = "·░▒▓█"
HEAT_STYLES = ("grey35", "green4", "green3", "green1", "bold bright_green")
HEAT_WEEKS = 53  # a year of weeks: with the 4-column day labels, 57 columns
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BAR_WIDTH = 50
SMALL_BAR_WIDTH = 30
TIME_DAYS = 7


def print_stats(stats, *, out: Console | None = None,
                show_path: Callable[[str], str] = str) -> None:
    """Draw every section of ``flashcards stats``; fits 80 columns, plain without colour."""
    out = out or console()
    sections = (_heatmap(stats), _forecast(stats), _retention(stats), _cards(stats),
                _time(stats), _leeches(stats, show_path))
    for index, section in enumerate(sections):
        if index:
            out.print()
        for part in section:
            out.print(part)


def _title(text: str) -> Text:
    return Text(text, style="bold")


def _heatmap(stats) -> list:
    by_day = {day.date: day.answers for day in stats.daily}
    busiest = max(by_day.values(), default=0)
    last_monday = stats.today - timedelta(days=stats.today.weekday())
    weeks = min(HEAT_WEEKS, (stats.today - stats.daily[0].date).days // 7 + 1)
    first_monday = last_monday - timedelta(weeks=weeks - 1)
    rows = [_heat_months(first_monday, weeks)]
    for weekday, name in enumerate(WEEKDAYS):
        row = Text(f"{name} ")
        for week in range(weeks):
            day = first_monday + timedelta(weeks=week, days=weekday)
            if day not in by_day:
                row.append(" ")
                continue
            level = -(-4 * by_day[day] // busiest) if by_day[day] else 0
            row.append(HEAT_CHARS[level], style=HEAT_STYLES[level])
        rows.append(row)
    legend = Text("    less ")
    for char, style in zip(HEAT_CHARS, HEAT_STYLES, strict=True):
        legend.append(char, style=style)
    legend.append(f" more  (busiest day: {busiest} answers)")
    head = (f"Reviews, last {stats.days} days: {stats.window_answers} answers on "
            f"{_days(stats.study_days)}")
    streak = (f"Streak: {_days(stats.current_streak)} "
              f"(longest {_days(stats.longest_streak)})")
    return [_title(head), *rows, legend, Text(streak)]


def _heat_months(first_monday, weeks: int) -> Text:
    """Month names over the week columns that hold the 1st of a month."""
    line = [" "] * (4 + weeks + 3)
    for week in range(weeks):
        sunday = first_monday + timedelta(weeks=week, days=6)
        column = 4 + week
        if sunday.day <= 7 and line[column - 1:column + 3] == [" "] * 4:
            line[column:column + 3] = sunday.strftime("%b")
    return Text("".join(line).rstrip())


def _bar(value: int, top: int, width: int) -> str:
    """A horizontal bar in eighths of a character, so small counts still show."""
    if not value or not top:
        return ""
    eighths = max(1, round(8 * width * value / top))
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def _forecast(stats) -> list:
    total = sum(n for _, n in stats.forecast)
    lines = [_title(f"Forecast: {stats.overdue} overdue, {total} due in the next "
                    f"{len(stats.forecast)} days")]
    top = max((n for _, n in stats.forecast), default=0)
    for day, count in stats.forecast:
        label = "today     " if day == stats.today else day.strftime("%a %d %b")
        line = Text(f"{label}  {count:>4} ")
        line.append(_bar(count, top, BAR_WIDTH), style="cyan")
        lines.append(line)
    return lines


def _percent(rate) -> str:
    return "-" if rate.rate is None else f"{rate.rate:.0%} ({rate.passed}/{rate.total})"


def _retention(stats) -> list:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("window", "young", "mature", "all"):
        table.add_column(name, justify="left" if name == "window" else "right")
    for item in stats.retention:
        table.add_row(f"{item.days} days", _percent(item.young), _percent(item.mature),
                      _percent(item.all))
    note = Text("young: interval under 21 days before the answer; passed: grade 3 or more",
                style="dim")
    return [_title("Retention (scheduled reviews of cards seen before)"), table, note]


def _cards(stats) -> list:
    counts = stats.card_counts
    line = ", ".join(f"{n} {state}" for state, n in counts.items())
    head = _title(f"Cards: {sum(counts.values())} ({line})")
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("interval (days)")
    table.add_column("cards", justify="right")
    table.add_column("")
    table.add_column("easiness")
    table.add_column("cards", justify="right")
    table.add_column("")
    top = max([b.cards for b in stats.intervals + stats.easiness], default=0)
    for i in range(max(len(stats.intervals), len(stats.easiness))):
        cells = []
        for buckets in (stats.intervals, stats.easiness):
            if i < len(buckets):
                bucket = buckets[i]
                cells += [bucket.label, str(bucket.cards),
                          Text(_bar(bucket.cards, top, SMALL_BAR_WIDTH // 2), style="cyan")]
            else:
                cells += ["", "", ""]
        table.add_row(*cells)
    return [head, table]


def duration_text(ms: int) -> str:
    """Milliseconds as 1h 05m, 12m 03s or 45s."""
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def _time(stats) -> list:
    per_day = stats.window_ms // stats.study_days if stats.study_days else 0
    head = _title(f"Time: {duration_text(stats.window_ms)} in the last {stats.days} days "
                  f"({duration_text(per_day)} per study day), "
                  f"{duration_text(stats.total_ms)} in total")
    recent = stats.daily[-TIME_DAYS:]
    top = max((d.duration_ms for d in recent), default=0)
    lines = [head]
    for day in reversed(recent):
        label = "today     " if day.date == stats.today else day.date.strftime("%a %d %b")
        line = Text(f"{label}  {duration_text(day.duration_ms):>7} {day.answers:>4} answers ")
        line.append(_bar(day.duration_ms, top, SMALL_BAR_WIDTH), style="cyan")
        lines.append(line)
    return lines


def _leeches(stats, show_path: Callable[[str], str]) -> list:
    threshold = stats.settings.leech_threshold
    head = _title(f"Leeches ({threshold} or more lapses): {len(stats.leeches)}")
    if not stats.leeches:
        return [head]
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("lapses", justify="right", no_wrap=True)
    table.add_column("source", no_wrap=True)
    table.add_column("question", no_wrap=True, overflow="ellipsis", ratio=1)
    for leech in stats.leeches:
        question = " ".join(leech.question.split())
        if leech.suspended:
            question = f"(suspended) {question}"
        table.add_row(str(leech.lapses), Text(f"{show_path(leech.path)}:{leech.line}"),
                      Text(question))
    return [head, table]


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


# -- the review screen (flashcards review) -------------------------------------------
# The session logic is flashcards/session.py; this part only reads keys and draws.

REVEAL_KEYS = (" ", "\r", "\n")
QUIT_KEYS = ("q", "\x04")  # q, or Ctrl-D in cbreak mode
BUTTON_KEYS = {"1": 1, "2": 3, "3": 4, "4": 5}  # scheduler.BUTTON_GRADES, keyed by key
FULL_SCALE_KEYS = {str(grade): grade for grade in range(6)}
BUTTON_HINT = "1 Again · 2 Hard · 3 Good · 4 Easy"
FULL_SCALE_HINT = "0-5: SM-2 grade (0 blackout … 3 hard recall, 4 hesitation, 5 perfect)"


class _RawKeys:
    """Single keys from a terminal in cbreak mode; the mode is restored on any exit."""

    line_mode = False

    def __init__(self) -> None:
        self.fd = sys.stdin.fileno()
        self.saved = None

    def __enter__(self) -> _RawKeys:
        import termios
        import tty

        self.saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc: object) -> None:
        import termios

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    @contextmanager
    def cooked(self) -> Iterator[None]:
        """The terminal as the editor expects it, then cbreak again."""
        import termios
        import tty

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        try:
            yield
        finally:
            tty.setcbreak(self.fd)

    def read(self, prompt: str) -> str | None:
        data = os.read(self.fd, 1)
        if not data:
            return None
        key = data.decode("utf-8", errors="ignore")
        return "reveal" if key in REVEAL_KEYS else key.lower()


class _Lines:
    """One line per step from a pipe or file, for scripts: empty line = reveal."""

    line_mode = True

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    @contextmanager
    def cooked(self) -> Iterator[None]:
        yield

    def read(self, prompt: str) -> str | None:
        sys.stdout.write(prompt + "> ")
        sys.stdout.flush()
        line = sys.stdin.readline()
        sys.stdout.write("\n")  # the input is not echoed: end the prompt's line
        if not line:
            return None
        text = line.strip().lower()
        return text or "reveal"


def run_review(review, *, full_scale: bool = False,
               resync: Callable[[], object] | None = None):
    """Drive a session.ReviewSession until it is done or the user quits; return its summary.

    On a terminal, single keys; otherwise one line per step (see docs/review.md).
    """
    import time

    reader = _RawKeys() if sys.stdin.isatty() else _Lines()
    screen = _ReviewScreen(review, reader.line_mode, full_scale, time.monotonic())
    try:
        with reader:
            while review.current is not None:
                if not screen.card_step(reader, resync):
                    break
    except KeyboardInterrupt:
        screen.finish()
        raise
    screen.finish()
    return review.summary()


class _ReviewScreen:
    """The state of the screen for one session: messages, timers and the drawing."""

    def __init__(self, review, line_mode: bool, full_scale: bool, started: float):
        self.review = review
        self.line_mode = line_mode
        self.keys = FULL_SCALE_KEYS if full_scale else BUTTON_KEYS
        self.grade_hint = FULL_SCALE_HINT if full_scale else BUTTON_HINT
        self.started = started
        self.message = ""
        self.out = console()

    def card_step(self, reader, resync) -> bool:
        """Show the current card until it is answered, undone or suspended; False to quit."""
        import time

        card, revealed, shown_at = self.review.current, False, time.monotonic()
        self.draw(card, revealed)
        while True:
            key = reader.read(self._prompt(revealed))
            if key is None or key in QUIT_KEYS or key == "quit":
                return False
            if key == "reveal" and not revealed:
                revealed = True
            elif revealed and key in self.keys:
                duration = int((time.monotonic() - shown_at) * 1000)
                self._say_answer(self.review.answer(self.keys[key], duration))
                return True
            elif key == "u":
                undone = self.review.undo()
                self.message = "Undone." if undone else "Nothing to undo."
                if undone:
                    return True
            elif key == "s":
                self.message = f"Suspended card {self.review.suspend().id}."
                return True
            elif key == "e":
                card = self._edit(card, reader, resync)
                if card is None:
                    return True
            else:
                self._hint(card, revealed, key)
                continue
            self.draw(card, revealed)

    def _hint(self, card, revealed: bool, key: str) -> None:
        hint = "Answer with " + self.grade_hint if revealed else "First show the answer."
        if self.line_mode:  # no redraw: a script sees one line per unknown input
            unknown = "" if key == "reveal" else f"Unknown input {key!r}. "
            self.out.print(Text(unknown + hint))
            return
        self.message = hint
        self.draw(card, revealed)

    def _say_answer(self, result) -> None:
        again = " It comes back later in this session." if result.again else ""
        due = f" Next review {result.card.due.isoformat()}." if result.scheduled else ""
        self.message = f"Answered {result.grade}.{due}{again}"

    def _prompt(self, revealed: bool) -> str:
        if revealed:
            return f"{self.grade_hint} · u undo · s suspend · e edit · q quit "
        reveal = "Enter" if self.line_mode else "Space"
        return f"{reveal} show answer · u undo · s suspend · e edit · q quit "

    def _edit(self, card, reader, resync):
        """$EDITOR at the card's line, then a sync and the card's new text."""
        import shlex
        import subprocess

        from flashcards.model import FlashcardsError

        command = [*shlex.split(os.environ.get("EDITOR") or "vi"), f"+{card.line}", card.path]
        try:
            with reader.cooked():
                subprocess.run(command, check=False)
        except OSError as exc:
            self.message = f"Cannot run the editor {command[0]!r}: {exc.strerror or exc}"
            return card
        try:
            if resync is not None:
                resync()
        except FlashcardsError as exc:
            self.message = f"The file has errors, the card is unchanged: {exc}"
            return card
        fresh = self.review.reload(card.id)
        self.message = "Card updated." if fresh else "The card is gone from the file; skipped."
        return fresh

    def draw(self, card, revealed: bool) -> None:
        from rich.markdown import Markdown
        from rich.rule import Rule

        from flashcards.render import to_terminal_markdown

        if not self.line_mode:
            self.out.clear()
        self.out.print(self._header(card))
        if self.message:  # what the last key did, above the card it left on screen
            self.out.print(Text(self.message))
            self.message = ""
        text = card.back() if revealed else card.front()
        self.out.print(Markdown(to_terminal_markdown(text)))
        self.out.print(Rule(style="dim"))
        self.out.print(self._footer(), style="dim")
        if not self.line_mode:  # in line mode the prompt says it
            self.out.print(self._prompt(revealed))
        self.out.file.flush()

    def _header(self, card) -> Text:
        kind = "again" if card.id in self.review.again else "new" if card.is_new else "review"
        header = Text(f"{card.deck} · {kind} · card {card.id}", style="dim")
        if self.review.is_leech(card):
            header.append(f"  leech ({card.lapses} lapses)", style="bold red")
        return header

    def _footer(self) -> str:
        import time

        left = self.review.remaining()
        spent = _clock_text(time.monotonic() - self.started)
        return (f"Remaining: {left['new']} new · {left['review']} review · {left['again']} again"
                f" · time {spent}")

    def finish(self) -> None:
        import time

        summary = self.review.summary()
        spent = _clock_text(time.monotonic() - self.started)
        if summary.reviewed:
            share = round(100 * summary.correct_share)
            line = (f"Reviewed {summary.reviewed} cards ({summary.answers} answers), "
                    f"{share}% correct, in {spent}.")
        else:
            line = "No cards reviewed."
        left = sum(self.review.remaining().values())
        if left:
            line += f" {left} left for today."
        if summary.next_due:
            line += (f" Next due: {summary.next_due.isoformat()} "
                     f"({summary.next_due_count} cards).")
        self.out.print(Text(line))
        self.out.print(Text(self._stats_line()))
        self.out.file.flush()

    def _stats_line(self) -> str:
        """The whole study day (earlier sessions too), from stats.py: count, retention, week."""
        from flashcards.stats import session_summary_line

        return session_summary_line(self.review.store, now=self.review.clock())


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def print_status(report: dict) -> None:
    """The `flashcards status` table: per deck, then the total within today's limits."""
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for name in ("deck", "due today", "new today", "next due"):
        table.add_column(name, justify="left" if name == "deck" else "right")
    for row in report["decks"]:
        table.add_row(Text(row["deck"]), str(row["due_today"]), str(row["new_today"]),
                      row["next_due"] or "-")
    total = report["total"]
    table.add_row(Text("total (within today's limits)", style="bold"), str(total["due_today"]),
                  str(total["new_today"]), total["next_due"] or "-")
    console().print(table)
