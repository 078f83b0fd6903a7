"""The review screen's drawing: a card's frame (header, scrolled text, image, keys)
and the end screen.

What the keys do is flashcards/ui/review_screen.py. Card text reaching this
module is Markdown that came through ``render.terminal.to_terminal_markdown``;
it is drawn with ``rich.markdown.Markdown`` or ``rich.text.Text`` and never
passed to rich's ``[markup]`` parser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from rich.console import Console
from rich.text import Text

from flashcards.scheduler import BUTTON_NAMES
from flashcards.session import Card, ReviewSession, card_back, card_front, card_rest, card_side

BUTTON_HINT = " · ".join(f"{button} {name}" for button, name in BUTTON_NAMES.items())
FULL_SCALE_HINT = "0-5: SM-2 grade (0 blackout … 3 hard recall, 4 hesitation, 5 perfect)"
# The alternate screen (the shell's text comes back on exit, as with less), no
# cursor, and xterm's alternate scroll mode: the wheel sends arrow keys.
SCREEN_ON = "\x1b[?1049h\x1b[?25l\x1b[?1007h"
SCREEN_OFF = "\x1b[?1007l\x1b[?25h\x1b[?1049l"


class ReviewDrawing:
    """The drawing part of the review screen (a mixin of ui.review_screen's screen):
    the frame of a card, scrolled by ``scroll``, and the end screen."""

    image_protocol: str | None = None  # inline_images.detect(), on a full screen only
    notice = ""
    review: ReviewSession
    out: Console
    line_mode: bool
    full_scale: bool
    started: float
    day_summary: Callable[[], str] | None
    message: str
    scroll: int
    page: int  # rows of the answer area in the last drawing

    @contextmanager
    def full_screen(self) -> Iterator[None]:
        if self.line_mode:
            yield
            return
        self.out.file.write(SCREEN_ON)
        try:
            yield
        finally:
            self.out.file.write(SCREEN_OFF)
            self.out.file.flush()

    def _buttons(self) -> str:
        """The grade keys, each with the interval it would give (Anki's button labels)."""
        if self.full_scale:
            return FULL_SCALE_HINT
        preview = self.review.preview()
        return " · ".join(f"{button} {name}{_interval_text(preview[button], self.review.today)}"
                          for button, name in BUTTON_NAMES.items())

    def _prompt(self, revealed: bool) -> str:
        if revealed:
            return f"{self._buttons()} · u undo · s suspend · e edit · f flag · q quit "
        reveal = "Enter" if self.line_mode else "Space"
        return f"{reveal} show answer · u undo · s suspend · e edit · f flag · q quit "

    def draw(self, card: Card, revealed: bool) -> None:
        if self.line_mode:
            self._draw_lines(card, revealed)
        else:
            self._draw_screen(card, revealed)
        self.out.file.flush()

    def _draw_lines(self, card: Card, revealed: bool) -> None:
        """For scripts: the whole card, one line after another (the prompt says the keys)."""
        from rich.markdown import Markdown
        from rich.rule import Rule

        from flashcards.render.terminal import to_terminal_markdown

        self.out.print(self._header(card))
        if self.message:
            self.out.print(Text(self.message))
            self.message = ""
        text = card_back(card) if revealed else card_front(card)
        self.out.print(Markdown(to_terminal_markdown(text)))
        self.out.print(Rule(style="dim"))
        self.out.print(self._footer(), style="dim")

    def _draw_screen(self, card: Card, revealed: bool) -> None:
        """One frame that fits the terminal: the header and the question stay at the top,
        the answer scrolls in the rows left between them and the keys at the bottom."""
        width, height = self.out.size
        # What the last key did goes under the header, above the card it left on screen.
        head = [self._header(card), Text(self.message)]
        self.message = ""
        foot = self._footer_lines(revealed)
        room = max(2, height - len(head) - len(foot) - 1)
        front = self._markdown_lines(card_front(card), width)
        if revealed:
            # The question keeps its place; the answer gets at least a few rows.
            pinned = front[:max(1, min(len(front), room - 4))]
            body = self._markdown_lines(card_rest(card), width)
            area = room - len(pinned) - 1
            top = [*pinned, self._plain_line(Text("─" * width, style="dim"), width)]
        else:
            body, area, top = front, room, []
        self.scroll = min(self.scroll, max(0, len(body) - area))
        shown = body[self.scroll:self.scroll + area]
        self.page = area
        marker = self._more_marker(self.scroll, len(body) - self.scroll - len(shown), width)
        rows = [self._plain_line(line, width) for line in head] + top + shown
        image = self._image_below(card, revealed, len(rows), height - len(foot) - 1,
                                  width) if len(shown) + self.scroll == len(body) else ""
        rows += [""] * (height - len(foot) - 1 - len(rows))
        rows += [marker] + [self._plain_line(line, width) for line in foot]
        frame = "".join(f"\x1b[{n};1H\x1b[2K{row}" for n, row in enumerate(rows[:height], 1))
        self.out.file.write(frame + image)

    def _image_below(self, card: Card, revealed: bool, used: int, last: int,
                     width: int) -> str:
        """The first image of the side on screen, drawn in the free rows under the
        text (when the whole text is shown and the terminal draws images), as what
        to write after the frame; "" otherwise: the text names the image."""
        from flashcards.ui.inline_images import MAX_ROWS, MIN_ROWS, drawing

        free = last - used - 1  # a blank row between the text and the image
        if self.image_protocol is None or free < MIN_ROWS:
            return ""
        side = card_rest(card) if revealed else card_front(card)
        files = self.review.image_files(card, side)
        if not files:
            return ""
        drawn = drawing(files[0][1], self.image_protocol, columns=min(width, 80),
                        rows=min(MAX_ROWS, free))
        return f"\x1b[{used + 2};1H{drawn[0]}" if drawn else ""

    def _more_marker(self, above: int, below: int, width: int) -> str:
        if not above and not below:
            return ""
        parts = ([f"↑ {above} more above"] if above else []) + \
            ([f"↓ {below} more below"] if below else [])
        text = Text(" · ".join(parts) + " (↑↓ j k PgUp PgDn)", style="reverse")
        return self._plain_line(text, width)

    def _markdown_lines(self, markdown: str, width: int) -> list[str]:
        from rich.markdown import Markdown

        from flashcards.render.terminal import to_terminal_markdown

        with self.out.capture() as captured:
            self.out.print(Markdown(to_terminal_markdown(markdown)), width=width)
        lines = captured.get().rstrip("\n").split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        return lines

    def _plain_line(self, text: Text | str, width: int) -> str:
        """One row, cut to the width (never wrapped: the frame's rows are counted)."""
        text = Text(text) if isinstance(text, str) else text.copy()
        text.truncate(width, overflow="ellipsis")
        with self.out.capture() as captured:
            self.out.print(text, width=width, no_wrap=True, crop=True, end="")
        return captured.get()

    def _footer_lines(self, revealed: bool) -> list[Text]:
        if revealed:
            keys = Text(self._buttons(), style="bold")
        else:
            keys = Text("Space show answer", style="bold")
        return [Text(self._footer(), style="dim"), keys,
                Text("u undo · s suspend · e edit · f flag · q quit", style="dim")]

    def _header(self, card: Card) -> Text:
        kind = "again" if card.id in self.review.again else \
            "new" if card.schedule.is_new else "review"
        where = f"{self.review.position + 1}/{len(self.review.cards)}"
        side = card_side(card)
        header = Text(" · ".join(p for p in (card.deck, where, kind, side) if p), style="dim")
        if self.review.is_flagged(card):
            header.append("  flagged", style="bold yellow")
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

        from flashcards.model import plural

        summary = self.review.summary()
        spent = _clock_text(time.monotonic() - self.started)
        if summary.reviewed:
            share = round(100 * summary.correct_share)
            line = (f"Reviewed {plural(summary.reviewed, 'card')} "
                    f"({plural(summary.answers, 'answer')}), {share}% correct, in {spent}.")
        else:
            line = "No cards reviewed."
        # What is next on a line of its own: one line with both was cut by an
        # 80-column terminal in the middle of a phrase.
        next_parts = []
        left = sum(self.review.remaining().values())
        if left:
            next_parts.append(f"{left} left for today.")
        if summary.next_due:
            next_parts.append(f"Next due: {summary.next_due.isoformat()} "
                              f"({plural(summary.next_due_count, 'card')}).")
        # soft_wrap: whole lines, for scripts reading them; a terminal wraps them itself.
        self.out.print(Text(line), soft_wrap=True)
        if next_parts:
            self.out.print(Text(" ".join(next_parts)), soft_wrap=True)
        if self.day_summary is not None:  # the whole study day, earlier sessions too
            self.out.print(Text(self.day_summary()), soft_wrap=True)
        if self.notice:
            self.out.print(Text(self.notice, style="bold"), soft_wrap=True)
        self.out.file.flush()


def _interval_text(due: date | timedelta | None, today: date) -> str:
    """" 6d", " 2.1mo", " 1.5y" after a button's name; " 10m" for an FSRS step of
    minutes (a wait); nothing for a same-day repeat."""
    if due is None:
        return ""
    if isinstance(due, timedelta):
        minutes = round(due.total_seconds() / 60)
        return f" {minutes}m" if minutes < 60 else f" {minutes / 60:.1f}h".replace(".0h", "h")
    days = (due - today).days
    if days < 1:
        return " <1d"
    if days < 30:
        return f" {days}d"
    if days < 365:
        return f" {days / 30:.1f}mo"
    return f" {days / 365:.1f}y"


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
