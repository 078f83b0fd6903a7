"""`flashcards stats` drawn for the terminal: calendar, forecast, retention, cards,
time and leeches (flashcards/stats/ computes them, docs/stats.md defines them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from rich.console import Console
from rich.table import Table
from rich.text import Text

from flashcards.model import plural
from flashcards.stats import Stats
from flashcards.ui.tables import console

# Shades for 1-4 quarters of the busiest day; "·" marks a day without answers.
HEAT_CHARS = "·░▒▓█"
HEAT_STYLES = ("grey35", "green4", "green3", "green1", "bold bright_green")
HEAT_WEEKS = 53  # a year of weeks: with the 4-column day labels, 57 columns
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BAR_WIDTH = 50
SMALL_BAR_WIDTH = 30
TIME_DAYS = 7


def print_stats(stats: Stats, *, out: Console | None = None,
                show_path: Callable[[str], str] = str, full: bool = True) -> None:
    """Draw ``flashcards stats``; fits 80 columns, plain without colour.

    ``full``: every section. Otherwise the view `flashcards stats` opens with,
    about two screens: the calendar, the forecast as one chart, retention, the
    card counts and the worst leeches.
    """
    out = out or console()
    if full:
        sections = (_heatmap(stats), _forecast(stats), _retention(stats), _cards(stats),
                    _time(stats), _leeches(stats, show_path))
    else:
        sections = (_heatmap(stats), _forecast_chart(stats), _retention(stats),
                    [_cards(stats)[0]], _leeches(stats, show_path, limit=SHORT_LEECHES))
    for index, section in enumerate(sections):
        if index:
            out.print()
        for part in section:
            out.print(part)


def _title(text: str) -> Text:
    return Text(text, style="bold")


def _heatmap(stats: Stats) -> list:
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
    legend.append(f" more  (busiest day: {plural(busiest, 'answer')})")
    head = (f"Reviews, last {stats.days} days: {plural(stats.window_answers, 'answer')} on "
            f"{plural(stats.study_days, 'day')}")
    streak = (f"Streak: {plural(stats.current_streak, 'day')} "
              f"(longest {plural(stats.longest_streak, 'day')})")
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


def _forecast(stats: Stats) -> list:
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


CHART_ROWS = 4
CHART_BLOCKS = " ▁▂▃▄▅▆▇█"
SHORT_LEECHES = 5


def _forecast_chart(stats: Stats) -> list:
    """The forecast as columns, one a day: 30 days in a few lines, not 30 rows."""
    counts = [n for _, n in stats.forecast]
    total, top = sum(counts), max(counts, default=0)
    head = _title(f"Forecast: {stats.overdue} overdue, {total} due in the next "
                  f"{len(counts)} days (busiest day: {top})")
    rows = []
    for level in range(CHART_ROWS, 0, -1):  # top row first
        line = Text("    ")
        for count in counts:
            eighths = round(8 * CHART_ROWS * count / top) if top else 0
            if count and not eighths:
                eighths = 1  # a day with cards always shows
            filled = eighths - 8 * (level - 1)
            line.append(CHART_BLOCKS[max(0, min(8, filled))], style="cyan")
        rows.append(line)
    last = stats.forecast[-1][0].strftime("%d %b") if counts else ""
    axis = Text("    " + "today".ljust(max(0, len(counts) - len(last))) + last, style="dim")
    return [head, *rows, axis]


def _percent(rate) -> str:
    return "-" if rate.rate is None else f"{rate.rate:.0%} ({rate.passed}/{rate.total})"


def _retention(stats: Stats) -> list:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("window", "young", "mature", "all"):
        table.add_column(name, justify="left" if name == "window" else "right")
    for item in stats.retention:
        table.add_row(f"{item.days} days", _percent(item.young), _percent(item.mature),
                      _percent(item.all))
    note = Text("young: interval under 21 days before the answer; passed: grade 3 or more",
                style="dim")
    return [_title("Retention (scheduled reviews of cards seen before)"), table, note]


def _cards(stats: Stats) -> list:
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


def _time(stats: Stats) -> list:
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


def _leeches(stats: Stats, show_path: Callable[[str], str], limit: int | None = None) -> list:
    threshold = stats.settings.leech_threshold
    head = _title(f"Leeches ({threshold} or more lapses): {len(stats.leeches)}")
    if not stats.leeches:
        return [head]
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("lapses", justify="right", no_wrap=True)
    table.add_column("source", no_wrap=True)
    table.add_column("question", no_wrap=True, overflow="ellipsis", ratio=1)
    for leech in stats.leeches[:limit]:
        question = " ".join(leech.question.split())
        if leech.suspended:
            question = f"(suspended) {question}"
        table.add_row(str(leech.lapses), Text(f"{show_path(leech.path)}:{leech.line}"),
                      Text(question))
    more = len(stats.leeches) - len(stats.leeches[:limit])
    if more:
        return [head, table, Text(f"... and {more} more: `flashcards stats --full`",
                                  style="dim")]
    return [head, table]


