"""Anki both ways: export to a package, import a package into Markdown."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from flashcards.cli.app import (
    App,
    cli,
    db_option,
    echo,
    echo_problems,
    now,
    paths_argument,
)

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

    moment = now()
    if paths:  # a sync first, which may create the store as `sync` does
        from flashcards.sync import sync as run_sync  # only then: a fifth of export's imports

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
