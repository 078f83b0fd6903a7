"""The command line: parse options, call the library, print. The only click owner.

Each command is a thin client of the library. The clock and the time zone are
read here, once per command (``FLASHCARDS_NOW`` and ``FLASHCARDS_TZ`` override
them), and passed down. Heavy modules are imported inside the commands that
need them, so ``flashcards --help`` stays fast.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path

import click

from flashcards.clock import NOW_ENV, TZ_ENV, current_time
from flashcards.model import FlashcardsError, Problem, ProblemsError, Severity

DB_ENV = "FLASHCARDS_DB"
# A century of history: more reaches back past the calendar's first year.
MAX_STATS_DAYS = 36_500
# Card ids are SQLite integers (64 bits); a larger number names no card.
card_id_argument = click.argument("card_id", metavar="ID",
                                  type=click.IntRange(min=-(2**63), max=2**63 - 1))
DEBUG_ENV = "FLASHCARDS_DEBUG"
# Failures the user causes, not bugs: a path that is missing, forbidden, read-only,
# a folder or not one, a full disk or quota, a file over the size limit.
USER_OS_ERRORS = frozenset({errno.ENOENT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC,
                            errno.EDQUOT, errno.EFBIG, errno.EISDIR, errno.ENOTDIR, errno.EEXIST,
                            errno.ENAMETOOLONG, errno.ELOOP, errno.EIO})
# SQLite's primary result codes for the same: SQLITE_PERM, BUSY, LOCKED, READONLY,
# IOERR, CORRUPT, FULL, CANTOPEN, NOTADB.
USER_SQLITE_ERRORS = frozenset({3, 5, 6, 8, 10, 11, 13, 14, 26})
SQLITE_IOERR, SQLITE_FULL = 10, 13


class App:
    """What every command shares: where the store is and what time it is."""

    def __init__(self, db: Path | None):
        self.db_path = db or default_db_path()
        self._store = None

    def store(self, *, create: bool = False):
        """The store; only the commands that fill it (sync, review) may create it."""
        from flashcards.store import Store

        if self._store is None:
            self._store = Store.open(self.db_path, create=create)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("flashcards", appauthor=False) / "flashcards.db"


def now() -> datetime:
    """The current time in the study zone: the machine's, or ``FLASHCARDS_TZ`` (an IANA
    name); ``FLASHCARDS_NOW`` (ISO 8601) overrides the clock."""
    return current_time(os.environ.get(NOW_ENV), os.environ.get(TZ_ENV))


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` through the one sanitizer: a deck, file or folder name can hold
    escape sequences (OSC 52 clipboard writes, title changes, screen clears), and
    every line a command prints may quote one (docs/security.md)."""
    from flashcards.render.sanitize import strip_control

    click.echo(strip_control(str(message)), err=err, nl=nl)


def echo_problems(problems: Iterable[Problem]) -> None:
    """Checker findings on standard error, one ``file:line:col: ...`` line each."""
    for problem in problems:
        echo(str(problem), err=True)


class FlashcardsGroup(click.Group):
    """Turns library errors into messages and exit codes: never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ProblemsError as exc:
            echo_problems(exc.problems)
            errors = sum(p.severity is Severity.ERROR for p in exc.problems)
            echo(f"{errors} error(s): nothing was changed", err=True)
            ctx.exit(1)
        except FlashcardsError as exc:
            from flashcards.render.sanitize import strip_control

            raise click.ClickException(strip_control(str(exc))) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`flashcards list | head`): stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except KeyboardInterrupt:
            echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as exc:
            raise _user_error(ctx, exc) or _internal_error(exc) from exc


def _user_error(ctx: click.Context, exc: Exception) -> click.ClickException | None:
    """A failure the user caused (a path that cannot be written, a read-only or full
    store, a file that is not SQLite): what and where, in one line. None for a bug."""
    import sqlite3  # here: most commands never fail

    store = ctx.obj.db_path if isinstance(ctx.obj, App) else "the store"
    if isinstance(exc, OSError) and exc.errno in USER_OS_ERRORS:
        return click.ClickException(f"{exc.filename or store}: {exc.strerror}")
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in USER_SQLITE_ERRORS:
        # A full disk often reaches SQLite as an I/O error (EFBIG, ENOSPC on a write).
        hint = " (is the disk full?)" if code & 0xFF in (SQLITE_IOERR, SQLITE_FULL) else ""
        return click.ClickException(f"{store}: {exc}{hint}")
    return None


def _internal_error(exc: Exception) -> click.ClickException:
    """A bug: say so plainly, keep the traceback for debugging."""
    if os.environ.get(DEBUG_ENV):
        raise exc
    return click.ClickException(
        f"internal error: {exc!r}. Set {DEBUG_ENV}=1 for details and please report it.")


def _db_after_command(ctx: click.Context, _param: click.Parameter, db: Path | None) -> None:
    if db is not None:
        ctx.find_object(App).db_path = db


# `--db` after the command name too (`flashcards status --db FILE`), as users type it.
db_option = click.option(
    "--db", type=click.Path(path_type=Path), expose_value=False, is_eager=True,
    callback=_db_after_command, help="The SQLite store (as before the command).")


@click.group(cls=FlashcardsGroup, context_settings={"help_option_names": ["-h", "--help"]},
             invoke_without_command=True)
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    envvar=DB_ENV,
    help=f"The SQLite store. Default: ${DB_ENV}, else the user data folder.",
)
@click.version_option(package_name="flashcards")
@click.pass_context
def cli(ctx: click.Context, db: Path | None) -> None:
    """Spaced-repetition flashcards written in Markdown.

    Write cards in Markdown, review them every day in the terminal on an SM-2
    schedule, and export them to Anki.

    \b
    Example:
      flashcards sync decks/          # import or update cards
      flashcards review               # today's review session
      flashcards export -o ml.apkg    # take them into Anki
    """
    if ctx.invoked_subcommand is None:  # no command: the help, as asked for
        click.echo(ctx.get_help())
        ctx.exit(0)
    app = App(db)
    ctx.obj = app
    ctx.call_on_close(app.close)


def _progress(label: str):
    """A progress bar on a terminal; nothing (and no rich import) otherwise."""
    if not sys.stderr.isatty():
        return nullcontext(None)
    from flashcards import ui

    return ui.progress(label)


paths_argument = click.argument(
    "paths", nargs=-1, type=click.Path(exists=True, path_type=Path)
)


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
    from flashcards.scheduler import LEARNED_REPETITIONS, MATURE_INTERVAL

    due_by = None
    if due:
        from flashcards.scheduler import study_day
        from flashcards.settings import load_settings

        due_by = study_day(now(), load_settings(store).day_start_hour)
    filters = {"deck": deck, "orphans": orphans, "flagged": flagged, "suspended": suspended,
               "due_by": due_by, "search": search,
               "states": (LEARNED_REPETITIONS, MATURE_INTERVAL),
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


EMPTY_STORE_HINT = (
    "No cards yet. Add your own Markdown cards with `flashcards sync PATH` (a file or a "
    "folder),\nor the bundled decks with `flashcards sync --bundled` (the first "
    "`flashcards review` adds them too).")


def _says_how_to_start(store) -> bool:
    """On a store without a card: say how to start instead of an empty table."""
    if store.has_notes():
        return False
    click.echo(EMPTY_STORE_HINT)
    return True


# Rows of a JSON list echoed at a time.
JSON_ROWS_PER_WRITE = 1000


def echo_json_rows(rows: Iterable[dict]) -> None:
    """Echo ``json.dumps(list(rows), indent=2)`` row by row, never holding the list.

    The rows are flat (every value a number, a string or None): each is encoded by
    json's C encoder with the separators of the indented form, which is twice as
    fast as ``indent=2`` (pure Python) and gives the same text; tests compare.
    """
    batch, count = [], 0
    for count, row in enumerate(rows, start=1):  # noqa: B007  (the count is wanted)
        body = json.dumps(row, ensure_ascii=False, separators=(",\n    ", ": "))[1:-1]
        batch.append(("[\n  {\n    " if count == 1 else ",\n  {\n    ") + body + "\n  }")
        if len(batch) == JSON_ROWS_PER_WRITE:
            echo("".join(batch), nl=False)
            batch.clear()
    batch.append("\n]" if count else "[]")
    echo("".join(batch))


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
    """Check the store: integrity, orphaned rows, missing source files, and
    cards whose schedule disagrees with their review log.

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


# -- stats (flashcards/stats.py) ---------------------------------------------


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


# -- optimize, evaluate, simulate (flashcards/fitting_report.py) ----------------------


@cli.command()
@click.option("--deck", help="Fit on this deck (and subdecks) alone, for it alone.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@db_option
@click.pass_obj
def optimize(app: App, deck: str | None, as_json: bool) -> None:
    """Fit FSRS's parameters to your own review history and save them.

    Says how many reviews it used and the log loss before and after (lower:
    the parameters predict your answers better). It needs 400 reviews that
    count (a card answered again on a later day) and says how many more
    otherwise. Ctrl-C stops it and keeps the parameters before.

    \b
    Example:
      flashcards optimize
      flashcards optimize --deck "ML Interview" --json
    """
    from flashcards import fitting_report, ui

    with ui.spinner("Fitting FSRS") as tick:
        report = fitting_report.optimize(app.store(), now=now(), deck=deck, tick=tick)
    if as_json:
        echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        ui.print_optimize(report)


@cli.command()
@click.option("--deck", help="Only this deck and its subdecks.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON for scripts.")
@db_option
@click.pass_obj
def evaluate(app: App, deck: str | None, as_json: bool) -> None:
    """Compare how well SM-2, FSRS with default parameters and FSRS fitted to
    you predict your own answers: log loss, RMSE(bins), AUC and a calibration
    chart, on later reviews with each model fitted only on earlier ones.

    docs/scheduler.md explains every figure.

    \b
    Example:
      flashcards evaluate
      flashcards evaluate --json
    """
    from flashcards import fitting_report, ui

    with _progress("Evaluating") as progress:
        result = fitting_report.evaluate(app.store(), now=now(), deck=deck, progress=progress)
    if as_json:
        echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        ui.print_evaluation(result)


@cli.command()
@click.option("--retention", "retentions", default="0.8,0.85,0.9,0.95", show_default=True,
              help="Desired retentions to compare, from 0.70 to 0.97, separated by commas.")
@click.option("--days", type=int, default=365, show_default=True,
              help="Days to simulate (1 to 3650).")
@click.option("--deck", help="Only this deck and its subdecks.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@db_option
@click.pass_obj
def simulate(app: App, retentions: str, days: int, deck: str | None, as_json: bool) -> None:
    """Simulate the reviews per day and the cards remembered at each desired
    retention, for this collection's size, limits and FSRS parameters.

    \b
    Example:
      flashcards simulate
      flashcards simulate --retention 0.85,0.9 --days 730 --json
    """
    from flashcards import fitting_report, ui

    wanted = fitting_report.parse_retentions(retentions)
    with _progress("Simulating") as progress:
        report = fitting_report.simulate(app.store(), retentions=wanted, days=days, deck=deck,
                                         progress=progress)
    if as_json:
        echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        ui.print_simulation(report)


# -- export (flashcards/export/) -----------------------------------------------


@cli.command()
@paths_argument
@click.option("--deck", "decks", multiple=True,
              help="Only this deck and its subdecks (repeatable).")
@click.option("-o", "--output", required=True,
              type=click.Path(path_type=Path),
              help="The .apkg file to write (replaced if it exists).")
@click.option("--with-scheduling", is_flag=True,
              help="Carry each card's schedule and review history, and suspended cards"
                   " (suspended). Anki applies it only to cards it does not have yet.")
@db_option
@click.pass_obj
def export(app: App, paths: tuple[Path, ...], decks: tuple[str, ...], output: Path,
           with_scheduling: bool) -> None:
    """Export cards to one Anki package (.apkg) to import in Anki.

    Exports every active card in the store, or only those in the PATHs (synced
    first, creating the store if there is none) and --deck decks. Orphaned
    and suspended cards are left out.
    Importing again updates exactly the notes whose Markdown changed and keeps
    your Anki review history; docs/anki.md explains the note types and tags.

    --with-scheduling also writes each card's state, due date, interval, ease,
    counts and every answer (Anki's review log), and takes suspended cards
    along, suspended. Import it with "Import any learning progress" checked:
    Anki then applies it only to cards it does not have yet.

    \b
    Example:
      flashcards export -o ml.apkg
      flashcards export decks/ --deck "ML Interview::Coding" -o coding.apkg
      flashcards export --with-scheduling -o progress.apkg
    """
    from flashcards.export import export_apkg
    from flashcards.scheduler import DAY_START_HOUR
    from flashcards.sync import sync as run_sync

    moment = now()
    if paths:  # a sync first, which may create the store as `sync` does
        synced = run_sync(app.store(create=True), paths, now=moment)
        echo_problems(sorted(synced.errors + synced.warnings))
        if synced.errors:  # a package without the broken files would look complete
            echo(f"{len(synced.errors)} error(s): nothing was exported", err=True)
            sys.exit(1)
    store = app.store()
    day_start_hour, memory = DAY_START_HOUR, None
    if with_scheduling:
        from flashcards.export import fsrs_memory
        from flashcards.settings import load_settings

        settings = load_settings(store)
        day_start_hour, memory = settings.day_start_hour, fsrs_memory(settings)
    report = export_apkg(store, output, now=moment, decks=decks, paths=paths,
                         with_scheduling=with_scheduling, day_start_hour=day_start_hour,
                         memory=memory)
    echo(report.summary())


@cli.command("import")
@click.argument("package", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--to", "folder", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The folder to write the Markdown, media and journal into.")
@click.option("--force", is_flag=True, help="Overwrite deck files that exist.")
@db_option
@click.pass_obj
def import_(app: App, package: Path, folder: Path, force: bool) -> None:
    """Import an Anki package (.apkg or .colpkg) as Markdown, with its history.

    Writes one Markdown file per Anki deck into FOLDER, copies the media into
    FOLDER/media, writes the review history to FOLDER's journal, then syncs
    FOLDER so the store has the cards and their schedules. Each note keeps its
    Anki GUID (`<!-- id: anki:... -->`), so a later export updates the same
    notes in Anki. docs/anki.md, "Import from Anki", has the details.

    \b
    Example:
      flashcards import ~/Downloads/Japanese.apkg --to ~/notes/japanese
    """
    from flashcards.anki_import import import_package
    from flashcards.settings import load_settings
    from flashcards.sync import sync as run_sync

    moment = now()
    store = app.store(create=True)
    report = import_package(package, folder, now=moment, force=force,
                            day_start_hour=load_settings(store).day_start_hour)
    for warning in report.warnings:
        echo(f"warning: {warning}", err=True)
    for path in report.files:
        echo(f"wrote {path}")
    echo(report.summary())
    # No HTML for the export's cache: an import is not an export (the first export
    # renders what the cache lacks), and rendering is most of a cold sync. The files
    # the import parsed to check them are not parsed again.
    synced = run_sync(store, [folder], now=moment, render_html=False, parsed=report.hand_over())
    echo_problems(sorted(synced.errors + synced.warnings))
    echo(f"Synced: {synced.summary()}")
    if synced.errors:
        sys.exit(1)


# -- review, status, suspend, config (flashcards/session.py) ----------------------


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
    files = "1 file has" if bad == 1 else f"{bad} files have"
    return f"{files} errors (kept as last synced): run `flashcards check`"


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
    under FSRS) replays every card's history under the new rules.

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

        text, replayed = configure(app.store(), key, value)
        echo(f"{key} = {text}" + (f" ({replayed} cards rescheduled)" if replayed else ""))
        return
    if key is not None:
        echo(settings.setting_text(key, settings.get_setting(app.store(), key)))
        return
    for item in settings.describe_settings(app.store()):
        echo(f"{item['key']} = {item['value']}  # {item['description']}, "
                   f"default {item['default']}")


def main() -> None:
    cli(prog_name="flashcards")
