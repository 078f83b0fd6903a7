"""Commands on the cards and their files: check, sync, list, suspend, unsuspend,
reset; backup and doctor."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from flashcards.cli.app import (
    App,
    _progress,
    _says_how_to_start,
    card_id_argument,
    cli,
    db_option,
    echo,
    echo_json_rows,
    echo_problems,
    now,
    paths_argument,
)
from flashcards.model import FlashcardsError, Severity


@cli.command()
@paths_argument
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def check(paths: tuple[Path, ...], strict: bool, fmt: str) -> None:
    """Check deck files for mistakes without touching the store.

    Prints one line per problem as FILE:LINE:COL: error|warning: MESSAGE and
    exits 1 if there are errors (or warnings, with --strict). With no PATH,
    checks the current folder.

    \b
    Example:
      flashcards check --strict decks/
    """
    from flashcards.loader import check as check_paths

    problems = check_paths(paths or [Path.cwd()])
    if fmt == "json":
        echo(json.dumps([p.to_dict() for p in problems], indent=2))
    else:
        for problem in problems:
            echo(str(problem))
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    if fmt == "text":
        echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@cli.command()
@paths_argument
@click.option("--bundled", is_flag=True, help="Add the decks that come with flashcards.")
@click.option("--forget", "forget_path", type=click.Path(path_type=Path), metavar="PATH",
              help="Stop syncing PATH; its cards are orphaned (kept with their history).")
@db_option
@click.pass_obj
def sync(app: App, paths: tuple[Path, ...], bundled: bool, forget_path: Path | None) -> None:
    """Import Markdown files and folders into the store.

    PATHs are remembered; with none, every remembered path is synced again (on
    first use: the bundled decks). Unchanged files are skipped. Cards removed
    from the Markdown become orphaned, never deleted, and come back with their
    history if the card returns. A file with errors is left out (the store keeps
    its last good version) and reported with file:line; the others are synced,
    and the exit status is 1.

    \b
    Example:
      flashcards sync ~/notes/cards
      flashcards sync
      flashcards sync --bundled
      flashcards sync --forget ~/notes/old-cards
    """
    from flashcards.sync import bundled_decks, forget
    from flashcards.sync import sync as run_sync

    if forget_path is not None:
        count = forget(app.store(), forget_path)
        echo(f"{forget_path} is no longer synced; {count} notes orphaned "
                   "(sync it again to bring them back with their history).")
        return
    if bundled:
        paths = (*paths, bundled_decks())
    with _progress("Syncing") as progress:
        report = run_sync(app.store(create=True), paths or None, now=now(), progress=progress)
    echo_problems(sorted(report.errors + report.warnings))
    echo(report.summary())
    if report.errors:  # the other files are synced; scripts must still notice
        sys.exit(1)


@cli.command("list")
@click.option("--deck", help="Only this deck and its subdecks.")
@click.option("--orphans", is_flag=True, help="Only cards removed from the Markdown.")
@click.option("--flagged", is_flag=True, help="Only cards flagged (f) in a review.")
@click.option("--due", is_flag=True, help="Only cards due today (or overdue).")
@click.option("--suspended", is_flag=True, help="Only suspended cards.")
@click.option("--search", metavar="TEXT", help="Only cards whose question or answer has TEXT.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@db_option
@click.pass_obj
def list_cards(app: App, deck: str | None, orphans: bool, flagged: bool, due: bool,
               suspended: bool, search: str | None, as_json: bool) -> None:
    """List cards: id, deck, question, source, status, reviews and schedule.

    \b
    Example:
      flashcards list --deck "ML Interview::Coding"
      flashcards list --orphans --json
      flashcards list --flagged
      flashcards list --due --search "learning rate"

    The status is one of new, learning, young, mature, suspended, orphaned,
    the names `flashcards stats` counts. On a terminal the list opens in a
    pager (less), as `git log` does.
    """
    from flashcards import ui
    from flashcards.paths import display_path

    store = app.store()
    if not as_json and _says_how_to_start(store):
        return
    due_by = None
    if due:
        from flashcards.scheduler import study_day
        from flashcards.settings import load_settings

        due_by = study_day(now(), load_settings(store).day_start_hour)
    filters = {"deck": deck, "orphans": orphans, "flagged": flagged, "suspended": suspended,
               "due_by": due_by, "search": search,
               # A pager shows the first screen at once; piped, the whole list is faster.
               "first_rows_fast": not as_json and sys.stdout.isatty()}
    shown = functools.cache(display_path)  # a file holds many cards: work its path out once

    from flashcards.session import memory_today

    memory = memory_today(store, now())

    def rows() -> Iterator[dict]:
        # One row at a time, never all of them (100k cards: 136 MB before).
        for card in store.listed_cards(**filters):
            row = card._asdict()
            row["source"] = f"{shown(row.pop('path'))}:{row.pop('line')}"
            row.update(memory(card, row))
            yield row

    if as_json:
        echo_json_rows(rows())
    else:
        ui.print_card_table(rows)






@cli.command()
@card_id_argument
@db_option
@click.pass_obj
def suspend(app: App, card_id: int) -> None:
    """Suspend a card: it is not reviewed until unsuspended (`flashcards list` shows ids).

    \b
    Example:
      flashcards suspend 42
    """
    from flashcards.changes import set_suspended

    set_suspended(app.store(), card_id, True, now=now())
    echo(f"Card {card_id} suspended.")


@cli.command()
@card_id_argument
@db_option
@click.pass_obj
def unsuspend(app: App, card_id: int) -> None:
    """Unsuspend a card: it is reviewed again on its schedule.

    \b
    Example:
      flashcards unsuspend 42
    """
    from flashcards.changes import set_suspended

    set_suspended(app.store(), card_id, False, now=now())
    echo(f"Card {card_id} unsuspended.")


@cli.command()
@click.argument("card_ids", metavar="ID...", nargs=-1, required=True,
                type=click.IntRange(min=-(2**63), max=2**63 - 1))
@db_option
@click.pass_obj
def reset(app: App, card_ids: tuple[int, ...]) -> None:
    """Make cards new again, as if never answered (Anki's "Forget").

    Their answers stay in the history and in the journal, which records the
    reset, so every machine and a rebuilt store agree. `flashcards list` shows
    the ids.

    \b
    Example:
      flashcards reset 42 43
    """
    from flashcards.changes import reset as reset_cards

    kept = reset_cards(app.store(), list(dict.fromkeys(card_ids)), now=now())
    count = len(set(card_ids))
    echo(f"Reset {count} card{'s' if count != 1 else ''} to new; "
         f"{kept} answer{'s stay' if kept != 1 else ' stays'} in the history.")


# -- backup and doctor (flashcards/maintenance.py) ----------------------------


@cli.command()
@click.argument("file", required=False, type=click.Path(path_type=Path))
@db_option
@click.pass_obj
def backup(app: App, file: Path | None) -> None:
    """Copy the store to FILE, safely even while a review or sync is writing.

    Uses SQLite's backup API and writes to a temporary file renamed into place.
    Without FILE the copy goes beside the store, named after the current time.
    The copy is a plain SQLite file: use it with --db, or copy it back.

    \b
    Example:
      flashcards backup ~/flashcards-2026-01-05.db
      flashcards --db ~/flashcards-2026-01-05.db list
    """
    from flashcards.maintenance import backup as run_backup
    from flashcards.store import backup_path

    target = run_backup(app.store(), file or backup_path(app.db_path, "backup", now()))
    echo(f"Backed up {app.db_path} to {target}")


@cli.command()
@click.option("--fix", is_flag=True, help="Repair what can be repaired, after a backup.")
@db_option
@click.pass_obj
def doctor(app: App, fix: bool) -> None:
    """Check the store: integrity, orphaned rows, missing source files, cards
    whose schedule disagrees with their review log, and settings that differ
    from the journal's.

    Prints one line per problem and exits 1 if any remain. --fix first backs
    the store up beside it, then repairs (a card's schedule is rebuilt from
    its review log) and checks again.

    \b
    Example:
      flashcards doctor
      flashcards doctor --fix
    """
    from flashcards.maintenance import doctor as run_doctor

    if not app.db_path.exists():
        app.store()  # "no store at PATH": nothing to repair, no backup to advise
    try:
        store = app.store()
    except FlashcardsError as exc:  # too damaged to open: the advice is all it can give
        if "newer flashcards" in str(exc):
            raise
        raise FlashcardsError(f"{exc}; restore a backup (`flashcards backup` copies and "
                              f"`*.bak` files beside the store are plain SQLite files: copy "
                              f"one over {app.db_path})") from exc
    report = run_doctor(store, fix=fix, now=now())
    for line in report.lines():
        echo(line)
    if report.remaining:
        sys.exit(1)
