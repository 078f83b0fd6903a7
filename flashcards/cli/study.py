"""The daily commands: review, status, stats, config."""

from __future__ import annotations

import json
from datetime import datetime

import click

from flashcards.cli.app import (
    MAX_STATS_DAYS,
    App,
    _says_how_to_start,
    cli,
    db_option,
    echo,
    echo_problems,
    now,
)
from flashcards.model import Problem, ProblemsError, Severity, plural

# -- review, status (flashcards/session.py), config (flashcards/changes.py) -------------


def _resync(store, moment: datetime) -> list[Problem]:
    """Pick up edits before a review; a file with errors must not block reviewing.

    Returns the problems, for the session to show: on a terminal, anything
    printed now would be hidden by the review screen at once.
    """
    from flashcards import ui
    from flashcards.sync import sync as run_sync

    try:
        with ui.progress("Syncing") as progress:
            report = run_sync(store, None, now=moment, progress=progress, render_html=False)
    except ProblemsError as exc:
        return exc.problems
    if report.from_journal:  # shown again when the review screen gives the terminal back
        echo(f"From the journal: {report.from_journal}.", err=True)
    return sorted(report.errors + report.warnings)


def problems_line(problems: list[Problem]) -> str:
    """"2 files have errors: run `flashcards check`", or "" when none has."""
    bad = len({p.path for p in problems if p.severity is Severity.ERROR})
    if not bad:
        return ""
    verb = "has" if bad == 1 else "have"
    return f"{plural(bad, 'file')} {verb} errors (kept as last synced): run `flashcards check`"


@cli.command()
@click.option("--deck", help="Only this deck and its subdecks.")
@click.option("--new", "new_limit", type=click.IntRange(min=0),
              help="New cards allowed today, instead of config new_per_day (20).")
@click.option("--limit", "review_limit", type=click.IntRange(min=0),
              help="Reviews allowed today, instead of config reviews_per_day (200).")
@click.option("--full-scale", is_flag=True,
              help="Grade with SM-2's keys 0-5 instead of the buttons 1-4.")
@db_option
@click.pass_obj
def review(app: App, deck: str | None, new_limit: int | None, review_limit: int | None,
           full_scale: bool) -> None:
    """Review today's cards: due cards first, then new ones.

    Space or Enter shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy grade it
    (SM-2 grades 1, 3, 4, 5). u undoes, s suspends, e edits the card in $EDITOR,
    q quits. Each answer is saved at once. Without a terminal, one line per
    step is read: empty shows the answer, a digit grades, q quits.
    docs/review.md has the details.

    \b
    Example:
      flashcards review --deck "ML Interview" --new 10
      printf '\\n3\\n\\n4\\nq\\n' | flashcards review
    """
    from flashcards import session, ui
    from flashcards.adopt import copy_bundled_decks, default_folder
    from flashcards.stats import session_summary_line
    from flashcards.sync import bundled_decks

    store, moment = app.store(create=True), now()
    problems = _resync(store, moment)
    run = session.start(store, moment, clock=now, deck=deck, new_limit=new_limit,
                        review_limit=review_limit)
    try:
        ui.run_review(run, full_scale=full_scale, resync=lambda: _resync_strict(store),
                      day_summary=lambda: session_summary_line(store, now=now(), deck=deck),
                      read_only=bundled_decks(), notice=problems_line(problems),
                      copy_read_only=lambda folder: copy_bundled_decks(store, folder, now=now()),
                      copy_default=default_folder())
    finally:  # the full list once the screen is back, also after Ctrl-C
        echo_problems(problems)


def _resync_strict(store) -> None:
    """The sync after an edit: errors (in any file) are the editor's to hear about."""
    from flashcards.sync import sync as run_sync

    report = run_sync(store, None, now=now(), render_html=False)
    if report.errors:
        raise ProblemsError(report.errors)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@db_option
@click.pass_obj
def status(app: App, as_json: bool) -> None:
    """Show, per deck, the cards due today, the new cards available today and
    the next due date. The total applies today's limits once.

    \b
    Example:
      flashcards status
      flashcards status --json
    """
    from flashcards import ui
    from flashcards.status import status as deck_status

    store = app.store()
    if not as_json and _says_how_to_start(store):
        return
    report = deck_status(store, now())
    if as_json:
        echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        ui.print_status(report)


@cli.command()
@click.argument("key", required=False)
@click.argument("value", required=False)
@db_option
@click.pass_obj
def config(app: App, key: str | None, value: str | None) -> None:
    """Show or set settings: new_per_day (20), reviews_per_day (200),
    day_start_hour (4), leech_threshold (8), scheduler (sm2 or fsrs),
    desired_retention (0.9), learning_steps (1m 10m), relearning_steps (10m),
    maximum_interval (36500) and fuzz (true).

    With no KEY, lists every setting; with KEY, prints its value; with KEY
    and VALUE, sets it. Switching the scheduler (or changing an FSRS setting
    under FSRS) replays every card's history under the new rules. A setting
    set is a line of the review journal too, so a rebuilt store and your
    other machines take it.

    \b
    Example:
      flashcards config
      flashcards config new_per_day 10
      flashcards config scheduler fsrs
      flashcards config learning_steps "1m 10m"
    """
    from flashcards import settings

    if value is not None:
        from flashcards.changes import configure

        text, replayed = configure(app.store(), key, value, now=now())
        echo(f"{key} = {text}" + (f" ({replayed} cards rescheduled)" if replayed else ""))
        return
    if key is not None:
        echo(settings.setting_text(key, settings.get_setting(app.store(), key)))
        return
    for item in settings.describe_settings(app.store()):
        echo(f"{item['key']} = {item['value']}  # {item['description']}, "
                   f"default {item['default']}")


# -- stats (flashcards/stats/) ----------------------------------------------


@cli.command()
@click.option("--deck", help="Only this deck and its subdecks.")
@click.option("--days", type=click.IntRange(min=1, max=MAX_STATS_DAYS), default=365,
              show_default=True,
              help="Days of history for the calendar, time and retention.")
@click.option("--full", is_flag=True,
              help="Every section: daily forecast rows, intervals, easiness, time, all leeches.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON for scripts.")
@db_option
@click.pass_obj
def stats(app: App, deck: str | None, days: int, full: bool, as_json: bool) -> None:
    """Show study statistics: review calendar and streaks, a 30-day forecast,
    retention of young and mature cards, card counts, time spent and leeches.

    docs/stats.md defines every figure. Colours are off when NO_COLOR is set
    or the output is not a terminal.

    \b
    Example:
      flashcards stats
      flashcards stats --deck "ML Interview" --days 30 --json
    """
    from flashcards import ui
    from flashcards.paths import display_path
    from flashcards.stats import collect

    store = app.store()
    if not as_json and _says_how_to_start(store):
        return
    figures = collect(store, now=now(), deck=deck, days=days)
    if as_json:
        echo(json.dumps(figures.to_dict(), indent=2, ensure_ascii=False))
    else:
        ui.print_stats(figures, show_path=display_path, full=full)
