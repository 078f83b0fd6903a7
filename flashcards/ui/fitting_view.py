"""`flashcards optimize`, `evaluate` and `simulate` drawn for the terminal, with the
calibration chart (fitting_report.py computes, docs/scheduler.md explains)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from flashcards.fitting_report import OptimizeReport, SimulationReport
from flashcards.fsrs.fitting import MAX_FIT_REVIEWS, Evaluation, Score
from flashcards.ui.tables import console

CHART_WIDTH = 28  # columns for recall 0 to 1: a row fits 80 columns


@contextmanager
def spinner(label: str) -> Iterator[Callable[[], None]]:
    """A callback that keeps a spinner and the elapsed time turning on stderr (a
    terminal only) while a job of unknown length runs."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    bar = Progress(SpinnerColumn(), TextColumn(label), TimeElapsedColumn(),
                   console=console(stderr=True), transient=True)
    task = bar.add_task(label, total=None)
    bar.start()
    try:
        yield lambda: bar.update(task)
    finally:
        bar.stop()


def print_optimize(report: OptimizeReport, *, out: Console | None = None) -> None:
    out = out or console()
    where = f"deck {report.deck}" if report.deck else "all decks"
    if report.sampled:  # never let a sample pass for the whole history
        fitted = (f"FSRS fitted on {report.fitted_reviews:,} of {report.reviews:,} reviews "
                  f"(a sample of whole cards), scored on all ({report.answers:,} answers, "
                  f"{report.cards:,} cards, {where}).")
    else:
        fitted = (f"FSRS fitted on {report.reviews:,} reviews ({report.answers:,} answers, "
                  f"{report.cards:,} cards, {where}).")
    out.print(Text(fitted, style="bold"))
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("", "log loss", "RMSE(bins)"):
        table.add_column(name, justify="left" if not name else "right")
    table.add_row(f"before ({report.previous} parameters)", f"{report.log_loss_before:.4f}",
                  f"{report.rmse_bins_before:.4f}")
    table.add_row("after", f"{report.log_loss_after:.4f}", f"{report.rmse_bins_after:.4f}")
    out.print(table)
    if report.saved:
        out.print("Saved: FSRS uses these parameters from now on (lower is better for both).")
        if report.rescheduled:
            out.print(f"Rescheduled {report.rescheduled:,} cards with them.")
    else:
        out.print(f"Kept the {report.previous} parameters: the fit predicted your answers "
                  "no better.")


def print_evaluation(evaluation: Evaluation, *, out: Console | None = None) -> None:
    out = out or console()
    out.print(Text(f"Scored on your {evaluation.scored:,} later reviews (of {evaluation.reviews:,} "
                   f"on {evaluation.cards:,} cards), each model fitted only on the reviews "
                   f"before them ({evaluation.splits} folds).", style="bold"))
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("model")
    for name in ("log loss", "RMSE(bins)", "AUC"):
        table.add_column(name, justify="right")
    best = min(evaluation.scores, key=lambda s: s.log_loss).model
    for item in evaluation.scores:
        table.add_row(Text(item.model, style="bold green" if item.model == best else ""),
                      f"{item.log_loss:.4f}", f"{item.rmse_bins:.4f}",
                      "-" if item.auc is None else f"{item.auc:.4f}")
    out.print(table)
    out.print(Text("log loss and RMSE(bins): lower is better; AUC: higher is better "
                   "(docs/scheduler.md)", style="dim"))
    if evaluation.sampled_folds:
        out.print(Text(f"The fits of {evaluation.sampled_folds} of {evaluation.splits} folds "
                       "read a sample of whole cards, as optimize does above "
                       f"{MAX_FIT_REVIEWS:,} reviews (docs/scheduler.md).", style="dim"))
    for item in evaluation.scores:
        out.print()
        for line in calibration_chart(item):
            out.print(line)


def calibration_chart(score: Score) -> list:
    """Observed recall as a bar for each bin of predicted recall, with a ┃ where the
    prediction was: a calibrated model's bars end at their marks."""
    lines: list = [Text(f"Calibration: {score.model} (predicted vs observed recall)",
                        style="bold")]
    for cell in score.calibration:
        filled = round(cell.observed * CHART_WIDTH)
        mark = min(CHART_WIDTH - 1, int(cell.predicted * CHART_WIDTH))
        bar = Text()
        for column in range(CHART_WIDTH):
            if column == mark:
                bar.append("┃", style="bold yellow")
            else:
                bar.append("█" if column < filled else "·",
                           style="cyan" if column < filled else "grey35")
        line = Text(f"{cell.low:.2f}-{cell.high:.2f} {cell.count:>7,} ")
        line.append_text(bar)
        line.append(f" {cell.observed:.2f} observed, {cell.predicted:.2f} predicted")
        lines.append(line)
    lines.append(Text("row: predicted recall, reviews; bar: share recalled; ┃: mean prediction",
                      style="dim"))
    return lines


def print_simulation(report: SimulationReport, *, out: Console | None = None) -> None:
    out = out or console()
    where = f"deck {report.deck}" if report.deck else "the collection"
    out.print(Text(f"Simulated {report.days} days of {where}: {report.deck_size:,} cards, "
                   f"{report.new_per_day} new and up to {report.reviews_per_day} reviews a day, "
                   f"{report.parameters} FSRS parameters.", style="bold"))
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("desired retention", "reviews/day", "new/day", "remembered at the end",
                 "total reviews"):
        table.add_column(name, justify="right")
    for item in report.workloads:
        table.add_row(f"{item.retention:.2f}", f"{item.reviews_per_day:,.1f}",
                      f"{item.learned_per_day:,.1f}", f"{item.remembered:,.0f}",
                      f"{item.total_reviews:,}")
    out.print(table)
    out.print(Text("remembered: the cards you would recall on the last day, expected count",
                   style="dim"))
