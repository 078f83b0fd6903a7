"""What the store gives and takes: small frozen records, defined once.

Every module above the store speaks in these; only the store knows the tables
and columns behind them (docs/store.md). They are NamedTuples: as typed and
immutable as a frozen dataclass, at a sixth of the cost to define (every command
defines them all as it starts) and a third of the cost to build (statistics,
listing and the export make them by the hundred thousand). Their annotations are
evaluated, not kept as strings (no ``from __future__ import annotations``): a
NamedTuple compiles every string annotation as it is defined.
"""

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, NamedTuple

from flashcards.scheduler import INITIAL_EASINESS, SM2State

if TYPE_CHECKING:
    from flashcards.fsrs.scheduler import FSRSState


def utc_iso(moment: datetime) -> str:
    """How the store writes a time: UTC, fixed width, so text order is time order."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")


class CardSchedule(NamedTuple):
    """A card's schedule: its state and the study day it is due (None: new).

    Under SM-2, ``repetitions``, ``easiness`` and ``interval`` are SM-2's state.
    Under FSRS, ``fsrs`` holds FSRS's state, ``repetitions`` counts its answers,
    ``interval`` is the days scheduled and ``easiness`` stays at its default; a
    card in a step of minutes is due on the study day of ``fsrs.due_at``.
    """

    repetitions: int = 0
    easiness: float = INITIAL_EASINESS
    interval: int = 0
    due: date | None = None
    fsrs: "FSRSState | None" = None

    @property
    def is_new(self) -> bool:
        return self.due is None

    @property
    def due_at(self) -> datetime | None:
        """The moment a card in a step of minutes is due (UTC); None for a due day."""
        return self.fsrs.due_at if self.fsrs is not None else None

    @property
    def sm2(self) -> SM2State:
        return SM2State(self.repetitions, self.easiness, self.interval)

    @classmethod
    def of(cls, state: SM2State, due: date | None) -> "CardSchedule":
        return cls(state.repetitions, state.easiness, state.interval, due)


NEW_CARD = CardSchedule()


class ReviewRecord(NamedTuple):
    """One answer, with everything needed to replay it on another machine.

    The card is named twice: by ``card_id`` in this store, and by the note's
    GUID and the card's ordinal, which are the same in every store. The time
    is UTC; ``utc_offset_minutes`` and ``day_start_hour`` are the ones in force
    when the answer was given, so its study day can be worked out anywhere.
    ``button`` is the key pressed (1-4, None on SM-2's full 0-5 scale) and
    ``grade`` the SM-2 grade it gave. A same-day repeat has ``scheduled``
    False and the same schedule before and after.

    A NamedTuple (see above): a rebuild makes one per journaled answer.
    """

    card_id: int
    note_guid: str
    ordinal: int
    reviewed_at: datetime
    grade: int
    scheduled: bool
    before: CardSchedule
    after: CardSchedule
    button: int | None = None
    duration_ms: int | None = None
    utc_offset_minutes: int | None = None
    day_start_hour: int | None = None
    event_id: str | None = None  # its line in the journal (docs/journal.md)
    id: int | None = None  # the store's row id, once written


class ReplayCard(NamedTuple):
    """What a replay of a card's journal events needs of it: its row, its note's GUID
    and ordinal (the events' names for it), its deck (whose rules apply) and whether
    it is suspended. ``StoredCard`` has the same fields."""

    id: int
    note_guid: str
    ord: int
    deck: str
    suspended: bool


class StoredNote(NamedTuple):
    """A note as the store keeps it. ``id`` is None for a note not yet written."""

    guid: str
    kind: str
    deck_id: int
    path: str | None
    line: int | None
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    explicit_id: str | None = None
    question_hash: str | None = None
    answer_hash: str | None = None
    content_hash: str | None = None
    modified: int = 0
    orphaned: bool = False
    id: int | None = None
    deck: str | None = None  # the deck's name, when read


class StoredCard(NamedTuple):
    """A card with its note's text, as the review session shows and schedules it."""

    id: int
    note_id: int
    note_guid: str
    ord: int
    kind: str
    deck: str
    path: str
    line: int
    question: str
    answer: str
    schedule: CardSchedule = NEW_CARD
    lapses: int = 0
    suspended: bool = False
    orphaned: bool = False  # the card, or its note

    @property
    def active(self) -> bool:
        return not (self.suspended or self.orphaned)


class CardState(NamedTuple):
    """A card's stored schedule and lapses, where the doctor compares it with its log."""

    id: int
    path: str | None
    line: int | None
    schedule: CardSchedule
    lapses: int


class SourceRecord(NamedTuple):
    """A deck file as last synced: its root and the hash of its bytes."""

    path: str
    root: str
    hash: str


class DeckCounts(NamedTuple):
    """One deck's share of an unlimited queue for a day (``Store.status_counts``)."""

    deck: str
    due: int
    new: int
    next_due: date | None


class ExportNote(NamedTuple):
    """An active note with the ordinals of its active cards, for the Anki export.

    A NamedTuple (see above): an export makes one per note, 100k at 100k cards.
    """

    id: int
    guid: str
    kind: str
    path: str
    line: int
    question: str
    answer: str
    tags: tuple[str, ...]
    modified: int
    deck: str
    deck_description: str | None
    root: str | None
    ords: tuple[int, ...]


class ExportCard(NamedTuple):
    """An exported card's schedule, for an export with scheduling (anki_progress.py)."""

    id: int
    note_id: int
    ord: int
    schedule: CardSchedule
    lapses: int
    suspended: bool


class ExportAnswer(NamedTuple):
    """One answer of an exported card, as Anki's review log needs it (100k per export)."""

    card_id: int
    reviewed_at: str  # UTC ISO, as utc_iso writes it
    grade: int
    button: int | None
    duration_ms: int | None
    scheduled: bool
    repetitions_before: int | None
    interval_before: int | None
    due_before: str | None
    repetitions_after: int | None
    easiness_after: float | None
    interval_after: int | None


# The states a card is in, in the order `flashcards stats` shows them; the store's
# SQL decides which (stats_queries.card_state(), docs/stats.md "Card states").
CARD_STATES = ("new", "learning", "young", "mature", "suspended", "orphaned")


class ListedCard(NamedTuple):
    """One card for `flashcards list`. ``status``: one of ``CARD_STATES``."""

    id: int
    deck: str
    question: str
    path: str
    line: int
    status: str
    reviews: int
    due: str | None
    repetitions: int
    easiness: float
    interval: int
    kind: str
    ord: int
    # FSRS's memory of the card (None under SM-2) and the study day of its last answer.
    stability: float | None = None
    difficulty: float | None = None
    last_review: str | None = None


class StatsCard(NamedTuple):
    """A card as the statistics count it, with its note's deck and source."""

    id: int
    deck: str
    question: str
    path: str
    line: int
    suspended: int
    orphaned: int
    repetitions: int
    easiness: float
    interval: int
    due: str | None
    lapses: int
    fsrs_phase: int | None = None  # FSRS's phase (1 learning, 2 review, 3 relearning)


class CardCounts(NamedTuple):
    """Cards counted as the statistics count them (``Store.stats_card_counts``): per
    state of ``CARD_STATES`` (every one, 0 if none), and the cards in play (learning,
    young, mature) per due date, per interval in days and per E-Factor as stored.

    The E-Factor is the stored float, not hundredths: rounding it is the statistics'
    rule (Python's ``round``, which SQLite's ``round`` does not match on .5).
    """

    states: dict[str, int]
    due: dict[str, int]
    intervals: dict[int, int]
    easiness: dict[float, int]


class AnswerMark(NamedTuple):
    """Where one stored answer stands in its card's replay: what a catch-up needs to
    resume the replay after it (its id, time, study day and whether it scheduled)."""

    card_id: int
    event_id: str
    reviewed_at: datetime
    scheduled: bool
    utc_offset_minutes: int | None
    day_start_hour: int | None


class StatsReview(NamedTuple):
    """One answer as the statistics total it (a million of them at 100k cards)."""

    reviewed_at: str  # UTC ISO, as utc_iso writes it
    grade: int
    duration_ms: int | None
    scheduled: int
    interval_before: int | None
    due_before: str | None


class FitAnswer(NamedTuple):
    """One answer as FSRS fitting reads it (``Store.fit_answers``): its card, study
    day number (in its own zone and day-start hour, as a day count), and the
    button and SM-2 grade given."""

    card_id: int
    day: int
    button: int | None
    grade: int


class HourTotals(NamedTuple):
    """The answers of one UTC hour as the statistics total them (table review_hours).

    ``hour`` is "YYYY-MM-DDTHH" of UTC times in utc_iso's form; a time stored in
    any other form has a row of its own, ``hour`` being "=" and that time.
    """

    hour: str
    answers: int
    scheduled: int
    duration_ms: int
    young_passed: int
    young_total: int
    mature_passed: int
    mature_total: int
