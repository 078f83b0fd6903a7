"""FSRS fitted to the user's history: optimize, evaluate, simulate."""

from __future__ import annotations

import json

import click

from flashcards.cli.app import (
    App,
    _progress,
    cli,
    db_option,
    echo,
    now,
)

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
    otherwise. Above 600,000 it fits on a sample of whole cards, the same on
    every machine, and says so. Ctrl-C stops it and keeps the parameters before.

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
