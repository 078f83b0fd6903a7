"""`flashcards optimize`, `evaluate` and `simulate`: FSRS against the store's review log.

Reads the answers through the store (the log equals the replay of the journal),
hands them to the pure code of fsrs/fitting.py, and saves fitted parameters
through settings.py. No terminal I/O and no clock: the caller passes ``now`` in
(its zone and the day-start hour date answers logged without their own).

The fit of `optimize` runs in a worker process: fsrs-rs holds the interpreter
while it works, so in-process a Ctrl-C (and the progress display) would wait
for it. The parent only waits, and the parameters are saved after the worker
has answered, in one transaction: an interrupted optimize saves nothing.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flashcards.clock import utc_offset_minutes
from flashcards.fsrs import fitting
from flashcards.model import FlashcardsError, plural
from flashcards.settings import fsrs_parameters, load_settings, save_fsrs_parameters
from flashcards.store import Store

# The desired retentions `simulate` accepts: those of the desired_retention setting.
RETENTION_RANGE = (0.70, 0.97)
DEFAULT_RETENTIONS = (0.80, 0.85, 0.90, 0.95)
MAX_SIMULATED_DAYS = 3650
# How often the parent looks at the worker (and redraws the spinner), in seconds.
POLL_SECONDS = 0.1

Tick = Callable[[], None]
Progress = Callable[[int, int], None]


def load_history(store: Store, *, now: datetime, deck: str | None = None,
                 cap: int = fitting.MAX_FIT_REVIEWS) -> fitting.Dataset:
    """The answers of a deck (and subdecks; None: all cards) ready for fitting; with
    each card's sample key when a fit may read a sample of it (more than ``cap``
    reviews that count)."""
    if deck:
        store.require_deck(deck)
    rows = store.fit_answers(deck=deck, utc_offset_minutes=utc_offset_minutes(now),
                             day_start_hour=load_settings(store).day_start_hour)
    card_ids = array("q")  # each card's id, in the dataset's card order

    def cards():
        # Plain tuples in Answer's order: a million of them on a large history.
        card, answers, of_grade = None, [], fitting.RATING_OF_GRADE
        for card_id, day, button, grade in rows:
            if card_id != card and answers:
                yield answers
                answers = []
            if card_id != card:
                card_ids.append(card_id)
            card = card_id
            # fitting.rating_of, inline: a button 1-4 is the rating, else the grade's.
            answers.append((day, button or of_grade[grade], grade))
        if answers:
            yield answers

    data = fitting.prepare(cards())
    if data.size > cap:  # below it no fit samples: no keys, no hashing
        data.card_key = fitting.card_keys(_sample_keys(store, card_ids, deck))
    return data


def _sample_keys(store: Store, card_ids: array, deck: str | None):
    """Each card's sample key (fitting.card_key of its note's GUID and ordinal), in
    ``card_ids``' order (ascending, as the store's cards are read)."""
    guids = store.fit_card_guids(deck=deck)
    try:
        row = next(guids, None)
        for card_id in card_ids:
            while row is not None and row[0] < card_id:
                row = next(guids, None)
            if row is not None and row[0] == card_id:
                yield fitting.card_key(row[1], row[2])
            else:  # answers of a card the store lacks: keyed by its id, as a GUID
                yield fitting.card_key(f"card {card_id}", 0)
    finally:
        guids.close()


def require_enough(data: fitting.Dataset, deck: str | None) -> None:
    """FlashcardsError saying how much more history is needed, unless there is enough."""
    where = f" in {deck!r}" if deck else ""
    if not data.answers:
        raise FlashcardsError(
            f"no reviews yet{where}: FSRS is fitted on your own answers. Review for a few "
            f"weeks (`flashcards review`); fitting needs {fitting.MIN_REVIEWS} reviews that "
            "count (a card answered again on a later day).")
    cards = plural(data.card_count, 'card')
    if data.needed() or data.card_count < 2:
        more = (f"{data.needed()} more" if data.needed()
                else "answers on more than one card")
        raise FlashcardsError(
            f"not enough history{where} to fit FSRS: {data.answers} answers on {cards}, of "
            f"which {data.size} count (a card answered again on a later day); fitting needs "
            f"{fitting.MIN_REVIEWS} that count: {more}. Nothing was changed.")


# -- optimize -------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizeReport:
    deck: str | None
    answers: int
    cards: int
    reviews: int  # the reviews that count, all scored
    previous: str  # "default" or "fitted": the parameters compared with
    log_loss_before: float
    log_loss_after: float
    rmse_bins_before: float
    rmse_bins_after: float
    parameters: list[float]  # those in force now
    saved: bool  # False: the fit did no better than the parameters before, kept
    rescheduled: int = 0  # cards replayed with the new parameters (FSRS active)
    fitted_reviews: int | None = None  # those the fit read (a sample of whole cards if fewer)

    @property
    def sampled(self) -> bool:
        return self.fitted_reviews is not None and self.fitted_reviews < self.reviews

    def to_dict(self) -> dict:
        return {"deck": self.deck, "answers": self.answers, "cards": self.cards,
                "reviews": self.reviews,
                "fitted_reviews": self.reviews if self.fitted_reviews is None
                else self.fitted_reviews,
                "sampled": self.sampled, "previous": self.previous,
                "log_loss_before": round(self.log_loss_before, 4),
                "log_loss_after": round(self.log_loss_after, 4),
                "rmse_bins_before": round(self.rmse_bins_before, 4),
                "rmse_bins_after": round(self.rmse_bins_after, 4),
                "parameters": [round(x, 4) for x in self.parameters], "saved": self.saved,
                "rescheduled": self.rescheduled}


def optimize(store: Store, *, now: datetime, deck: str | None = None,
             tick: Tick | None = None, cap: int = fitting.MAX_FIT_REVIEWS) -> OptimizeReport:
    """Fit FSRS on the history and save the parameters if they predict it better
    than those in force (a deck's own when ``deck``). ``tick`` is called while
    the fit runs (a spinner); Ctrl-C stops it and saves nothing. Above ``cap``
    reviews the fit reads a sample of whole cards (fitting.fit_rows); both sets
    of parameters are scored on every review."""
    data = load_history(store, now=now, deck=deck, cap=cap)
    require_enough(data, deck)
    current = fsrs_parameters(store, deck)
    before = fitting.check_parameters(current) if current else fitting.DEFAULT_PARAMETERS
    fit_rows = fitting.fit_rows(data, cap=cap)
    fitted_reviews = len(fit_rows)
    fitted = fit_in_worker(data, fit_rows, tick or (lambda: None))
    del fit_rows
    rows = range(data.size)
    old, new = fitting.predict_fsrs(data, before), fitting.predict_fsrs(data, fitted)
    recalled = data.recalled
    loss_before, loss_after = fitting.log_loss(recalled, old), fitting.log_loss(recalled, new)
    better = loss_after <= loss_before
    rescheduled = 0
    if better:
        rescheduled = save_parameters(store, fitted, deck, now=now)
    return OptimizeReport(deck, data.answers, data.card_count, data.size,
                          "fitted" if current else "default", loss_before,
                          loss_after if better else loss_before,
                          fitting.rmse_bins(data, rows, old),
                          fitting.rmse_bins(data, rows, new if better else old),
                          fitted if better else before, better, rescheduled, fitted_reviews)


def save_parameters(store: Store, parameters: list[float], deck: str | None, *,
                    now: datetime) -> int:
    """Fitted parameters saved to the store and, as a `config` line, to its journals, in
    one transaction; under FSRS every card is replayed with them. How many cards."""
    # Imported here: evaluate and simulate need neither (2 MB held beside their fits).
    from flashcards import journal_settings
    from flashcards.history import History

    history = History.of(store)
    with store.transaction():
        key, text = save_fsrs_parameters(store, parameters, deck)
        journal_settings.record(history, {key: text}, now)
        if not load_settings(store).uses_fsrs:
            return 0
        return history.replay_all()  # FSRS schedules now: its cards follow the fit


def fit_in_worker(data: fitting.Dataset, rows, tick: Tick) -> list[float]:
    """``fitting.fit(data, rows)`` in a child process (fsrs/fit_worker.py), calling
    ``tick`` while it works.

    The child runs in a session of its own, so Ctrl-C at the terminal reaches only
    this process, which decides: a KeyboardInterrupt here kills the child at once.
    """
    import pickle  # only optimize's
    import subprocess

    from flashcards import child_process

    # Killed if interrupted, its pipes closed, however the block ends.
    with child_process.running("flashcards.fsrs.fit_worker", stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE) as worker:
        try:
            pickle.dump(data, worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(rows, worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            worker.stdin.close()
            while not _ended(worker, POLL_SECONDS):  # the answer is small: it ends first
                tick()
            ok, value = pickle.load(worker.stdout)
        except (BrokenPipeError, EOFError):  # the child ended before it answered
            raise FlashcardsError(f"the FSRS fit stopped (exit code {worker.wait()}); "
                                  "nothing was changed") from None
    if not ok:
        raise FlashcardsError(f"the FSRS fit failed: {value}; nothing was changed")
    return value


def _ended(process, seconds: float) -> bool:
    import subprocess

    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


# -- evaluate -------------------------------------------------------------------------


def evaluate(store: Store, *, now: datetime, deck: str | None = None,
             progress: Progress | None = None,
             cap: int = fitting.MAX_FIT_REVIEWS) -> fitting.Evaluation:
    """SM-2, FSRS with default parameters and FSRS fitted on the past, scored on
    the later reviews of the history (a time-series split); each fold's fit reads
    what `optimize` would (above ``cap`` reviews, a sample of whole cards)."""
    data = load_history(store, now=now, deck=deck, cap=cap)
    require_enough(data, deck)
    try:
        return fitting.evaluate(data, progress, cap=cap)
    except fitting.FitError as exc:
        raise FlashcardsError(f"the FSRS fit failed: {exc}") from exc


# -- simulate -------------------------------------------------------------------------


def parse_retentions(text: str) -> list[float]:
    """``0.8,0.85,0.9`` as numbers; FlashcardsError naming the bad value."""
    low, high = RETENTION_RANGE
    values = []
    for part in text.split(","):
        part = part.strip()
        try:
            value = float(part)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise FlashcardsError(f"--retention: {part!r} is not a desired retention; give "
                                  f"numbers from {low:.2f} to {high:.2f} separated by commas, "
                                  "such as 0.8,0.85,0.9,0.95")
        values.append(value)
    return sorted(set(values))


@dataclass(frozen=True)
class SimulationReport:
    deck: str | None
    parameters: str  # "fitted" or "default"
    deck_size: int
    new_per_day: int
    reviews_per_day: int
    days: int
    workloads: list[fitting.Workload]

    def to_dict(self) -> dict:
        return {"deck": self.deck, "parameters": self.parameters, "deck_size": self.deck_size,
                "new_per_day": self.new_per_day, "reviews_per_day": self.reviews_per_day,
                "days": self.days, "retentions": [w.to_dict() for w in self.workloads]}


def simulate(store: Store, *, retentions: list[float], days: int, deck: str | None = None,
             progress: Progress | None = None) -> SimulationReport:
    """The workload and the cards remembered at each desired retention, for a deck of
    this collection's size with its limits and its FSRS parameters."""
    if not 1 <= days <= MAX_SIMULATED_DAYS:
        raise FlashcardsError(f"--days must be from 1 to {MAX_SIMULATED_DAYS}, got {days}")
    if deck:
        store.require_deck(deck)
    size = store.active_card_count(deck=deck)
    if not size:
        raise FlashcardsError("no cards to simulate: add some with `flashcards sync PATH`")
    settings, saved = load_settings(store), fsrs_parameters(store, deck)
    parameters = fitting.check_parameters(saved) if saved else fitting.DEFAULT_PARAMETERS
    workloads = fitting.simulate(parameters, retentions, deck_size=size,
                                 new_per_day=settings.new_per_day,
                                 reviews_per_day=settings.reviews_per_day, days=days,
                                 progress=progress)
    return SimulationReport(deck, "fitted" if saved else "default", size, settings.new_per_day,
                            settings.reviews_per_day, days, workloads)
