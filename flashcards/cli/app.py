"""The `flashcards` group: its options, the store it opens, the clock read once, and how
errors are shown (a clear message and exit status, never a traceback)."""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Iterable
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
    text = str(message)
    # Printable text holds no escape sequence or control character: the sanitizer would
    # give it back as it is, and a one-line summary need not load it (a command's 1 ms).
    if not text.isprintable():
        from flashcards.render.sanitize import strip_control

        text = strip_control(text)
    click.echo(text, err=err, nl=nl)


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
