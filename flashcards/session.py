"""The daily review: settings, the queue and the answer logic. No terminal I/O.

``build_queue`` picks today's cards; a ``ReviewSession`` walks them, writes every
answer to the store in its own transaction the moment it is given, and can undo
it. ``ui.run_review`` drives a session from the keyboard. docs/review.md has the
rules (limits, siblings, same-day repeats, the study day).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from flashcards.model import FlashcardsError
from flashcards.scheduler import (
    PASSING_GRADE,
    SM2State,
    due_date,
    needs_repeat,
    review,
    study_day,
)
from flashcards.settings import (
    CONFIG_PREFIX,
    DEFAULT_SETTINGS,
    SETTING_RULES,
    Settings,
    from_meta,
    parse_setting,
)
from flashcards.store import Store

Clock = Callable[[], datetime]

# -- settings -------------------------------------------------------------------


def load_settings(store: Store) -> Settings:
    return from_meta(store.meta_items(CONFIG_PREFIX))


def get_setting(store: Store, key: str) -> int:
    if key not in SETTING_RULES:
        parse_setting(key, "")  # raises the "unknown setting" error
    return getattr(load_settings(store), key)


def save_setting(store: Store, key: str, value: str) -> int:
    number = parse_setting(key, value)
    with store.transaction():
        store.set_meta(CONFIG_PREFIX + key, str(number))
    return number


def describe_settings(store: Store) -> list[dict]:
    """Every setting with its current value, default and meaning, for `flashcards config`."""
    current, default = load_settings(store), DEFAULT_SETTINGS
    return [{"key": key, "value": getattr(current, key), "default": getattr(default, key),
             "description": rule[2]} for key, rule in SETTING_RULES.items()]


# -- time -------------------------------------------------------------------------


def utc_iso(moment: datetime) -> str:
    """The form of ``reviews.reviewed_at``: fixed width, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def day_window(day: date, day_start_hour: int) -> tuple[str, str]:
    """The UTC bounds [start, end) of a study day in the local calendar (DST-aware)."""
    start = datetime.combine(day, time(day_start_hour)).astimezone()
    end = datetime.combine(day + timedelta(days=1), time(day_start_hour)).astimezone()
    return utc_iso(start), utc_iso(end)


# -- cards ------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """A card as the session shows it: its note's text and its schedule."""

    id: int
    note_id: int
    ord: int
    kind: str
    deck: str
    path: str
    line: int
    question: str
    answer: str
    state: SM2State = field(default_factory=SM2State)
    due: date | None = None
    lapses: int = 0

    @classmethod
    def from_row(cls, row: dict) -> Card:
        state = SM2State(repetitions=row["repetitions"], easiness=row["easiness"],
                         interval=row["interval"])
        due = date.fromisoformat(row["due"]) if row["due"] else None
        return cls(id=row["id"], note_id=row["note_id"], ord=row["ord"], kind=row["kind"],
                   deck=row["deck"], path=row["path"], line=row["line"],
                   question=row["question"], answer=row["answer"], state=state, due=due,
                   lapses=row["lapses"])

    @property
    def is_new(self) -> bool:
        return self.due is None

    def front(self) -> str:
        """The prompt, as Markdown."""
        if self.kind == "cloze":
            from flashcards.parser import cloze_front  # with YAML: 0.02 s for cloze cards only

            return cloze_front(self._full_text(), self.ord)
        if self.kind == "reversed" and self.ord == 2:
            return self.answer
        return f"## {self.question}"

    def back(self) -> str:
        """The whole revealed card, as Markdown: prompt, a rule, the answer."""
        if self.kind == "cloze":
            from flashcards.parser import cloze_back

            return cloze_back(self._full_text(), self.ord)
        if self.kind == "reversed" and self.ord == 2:
            return f"{self.answer}\n\n---\n\n## {self.question}"
        return f"## {self.question}\n\n---\n\n{self.answer}"

    def _full_text(self) -> str:
        return f"## {self.question}\n\n{self.answer}".rstrip()


# -- the queue --------------------------------------------------------------------


@dataclass(frozen=True)
class Today:
    """What was already done in this study day, read from the reviews table."""

    new_done: int = 0
    reviews_done: int = 0
    notes_seen: frozenset[int] = frozenset()
    cards_scheduled: frozenset[int] = frozenset()
    # Cards whose last answer today was below 4: SM-2 asks them again today.
    unfinished: tuple[int, ...] = ()


def done_today(store: Store, today: date, settings: Settings) -> Today:
    start, end = day_window(today, settings.day_start_hour)
    rows = store.reviews_between(start, end)
    scheduled = [r for r in rows if r["scheduled"]]
    last_grade = {r["card_id"]: r["grade"] for r in rows}
    return Today(
        new_done=sum(r["due_before"] is None for r in scheduled),
        reviews_done=sum(r["due_before"] is not None for r in scheduled),
        notes_seen=frozenset(r["note_id"] for r in scheduled),
        cards_scheduled=frozenset(r["card_id"] for r in scheduled),
        unfinished=tuple(c for c, g in last_grade.items() if needs_repeat(g)),
    )


def build_queue(
    store: Store,
    today: date,
    settings: Settings,
    deck: str | None = None,
    new_limit: int | None = None,
    review_limit: int | None = None,
) -> list[Card]:
    """Today's cards in order: due (most overdue first), new, then unfinished repeats.

    The limits are totals for the study day (default: the settings), so what was
    answered earlier today counts. A card is left for another day when a sibling
    (a card of the same note) was answered today or is already in the queue.
    """
    if deck is not None and not store.deck_exists(deck):
        raise FlashcardsError(f"no deck named {deck!r}; `flashcards status` lists the decks")
    done = done_today(store, today, settings)
    reviews_left = _left(settings.reviews_per_day if review_limit is None else review_limit,
                         done.reviews_done)
    new_left = _left(settings.new_per_day if new_limit is None else new_limit, done.new_done)
    taken_notes = set(done.notes_seen)
    # Due before new: taking due cards marks their notes, which buries new siblings.
    with closing(store.due_cards(today.isoformat(), deck=deck)) as rows:
        due = _take(rows, reviews_left, taken_notes)
    with closing(store.new_cards(deck=deck)) as rows:
        new = _take(rows, new_left, taken_notes)
    return due + new + _repeats(store, done, deck)


def _left(limit: int, done: int) -> int:
    if limit < 0:
        raise FlashcardsError(f"a limit must be 0 or more, got {limit}")
    return max(0, limit - done)


def _repeats(store: Store, done: Today, deck: str | None) -> list[Card]:
    """Today's unfinished cards that are still active (and in ``deck``)."""
    rows = (store.review_card(card_id) for card_id in done.unfinished)
    return [Card.from_row(r) for r in rows
            if r is not None and _active(r) and (deck is None or _in_deck(r["deck"], deck))]


def _take(rows: Iterable[dict], limit: int, taken_notes: set[int]) -> list[Card]:
    """Up to ``limit`` cards, skipping (burying) siblings of cards already taken.

    Reads ``rows`` only as far as it needs: a store with 90k cards due gives the
    day's 200 without the rest being read.
    """
    cards: list[Card] = []
    if limit <= 0:
        return cards
    for row in rows:
        if row["note_id"] in taken_notes:
            continue
        taken_notes.add(row["note_id"])
        cards.append(Card.from_row(row))
        if len(cards) == limit:
            break
    return cards


def _active(row: dict) -> bool:
    return not (row["suspended"] or row["orphaned"] or row["note_orphaned"])


def _in_deck(name: str, deck: str) -> bool:
    return name == deck or name.startswith(deck + "::")


# -- the session ------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What one answer did: the card after it, and whether it changed the schedule."""

    card: Card
    grade: int
    scheduled: bool
    again: bool
    review_id: int


@dataclass(frozen=True)
class Summary:
    reviewed: int
    answers: int
    correct: int
    next_due: date | None
    next_due_count: int

    @property
    def correct_share(self) -> float:
        return self.correct / self.reviewed if self.reviewed else 0.0


@dataclass
class _Undo:
    kind: str  # "answer" or "suspend"
    card: Card
    queue: list[int]
    again: set[int]
    review_id: int | None = None


class ReviewSession:
    """Walks a queue. Every answer is committed at once; ``undo`` takes the last one back."""

    def __init__(self, store: Store, cards: list[Card], *, settings: Settings, clock: Clock,
                 today: date):
        self.store = store
        self.settings = settings
        self.clock = clock
        self.today = today
        self.cards = {card.id: card for card in cards}
        self.queue = [card.id for card in cards]
        done = done_today(store, today, settings)
        # Cards already answered in this study day: further answers are repeats.
        self.again = set(done.cards_scheduled)
        self.log: list[Answer] = []
        self._undo: list[_Undo] = []

    @property
    def current(self) -> Card | None:
        return self.cards[self.queue[0]] if self.queue else None

    def remaining(self) -> dict[str, int]:
        counts = {"new": 0, "review": 0, "again": 0}
        for card_id in self.queue:
            card = self.cards[card_id]
            kind = "again" if card_id in self.again else "new" if card.is_new else "review"
            counts[kind] += 1
        return counts

    def is_leech(self, card: Card) -> bool:
        return card.lapses >= self.settings.leech_threshold

    def answer(self, grade: int, duration_ms: int | None = None) -> Answer:
        """Record ``grade`` (0-5) for the current card in one transaction."""
        card = self._require_current()
        moment = self.clock()
        scheduled = card.id not in self.again
        after = self._after(card, grade, moment) if scheduled else card
        row = _review_row(card, after, grade, moment, duration_ms, scheduled)
        with self.store.transaction():
            review_id = self.store.insert_review(row)
            if scheduled:
                self.store.set_card_schedule(card.id, **_schedule(after))
        self._undo.append(_Undo("answer", card, list(self.queue), set(self.again), review_id))
        self.cards[card.id] = after
        self.again.add(card.id)
        self.queue.pop(0)
        again = needs_repeat(grade)
        if again:
            self.queue.append(card.id)
        result = Answer(after, grade, scheduled, again, review_id)
        self.log.append(result)
        return result

    def _after(self, card: Card, grade: int, moment: datetime) -> Card:
        state = review(card.state, grade)
        day = study_day(moment.astimezone(), self.settings.day_start_hour)
        lapses = card.lapses + (grade < PASSING_GRADE)
        return replace(card, state=state, due=due_date(day, state), lapses=lapses)

    def undo(self) -> Card | None:
        """Take back the last answer or suspension; the card is shown again. None if none."""
        if not self._undo:
            return None
        entry = self._undo.pop()
        with self.store.transaction():
            if entry.kind == "answer":
                self.store.delete_review(entry.review_id)
                self.store.set_card_schedule(entry.card.id, **_schedule(entry.card))
                self.log.pop()
            else:
                self.store.set_suspended(entry.card.id, False)
        self.cards[entry.card.id] = entry.card
        self.queue, self.again = entry.queue, entry.again
        return entry.card

    def suspend(self) -> Card:
        """Suspend the current card: it leaves the queue and every later one."""
        card = self._require_current()
        with self.store.transaction():
            self.store.set_suspended(card.id, True)
        self._undo.append(_Undo("suspend", card, list(self.queue), set(self.again)))
        self.queue = [card_id for card_id in self.queue if card_id != card.id]
        return card

    def reload(self, card_id: int) -> Card | None:
        """Re-read a card's text after an edit; None (and dropped) if it is gone."""
        row = self.store.review_card(card_id)
        if row is None or not _active(row):
            self.queue = [i for i in self.queue if i != card_id]
            return None
        old = self.cards[card_id]
        fresh = Card.from_row(row)
        # The text comes from the file; the schedule the session holds is the same as stored.
        self.cards[card_id] = replace(old, question=fresh.question, answer=fresh.answer,
                                      kind=fresh.kind, deck=fresh.deck, path=fresh.path,
                                      line=fresh.line)
        return self.cards[card_id]

    def summary(self) -> Summary:
        first = {}
        for item in self.log:
            first.setdefault(item.card.id, item)
        correct = sum(item.grade >= PASSING_GRADE for item in first.values())
        next_due = self.store.next_due_after(self.today.isoformat())
        day, count = next_due if next_due else (None, 0)
        return Summary(reviewed=len(first), answers=len(self.log), correct=correct,
                       next_due=date.fromisoformat(day) if day else None, next_due_count=count)

    def _require_current(self) -> Card:
        card = self.current
        if card is None:
            raise FlashcardsError("no card to answer: the session is over")
        return card


def _schedule(card: Card) -> dict:
    return {"repetitions": card.state.repetitions, "easiness": card.state.easiness,
            "interval": card.state.interval, "due": card.due.isoformat() if card.due else None,
            "lapses": card.lapses}


def _review_row(before: Card, after: Card, grade: int, moment: datetime,
                duration_ms: int | None, scheduled: bool) -> dict:
    row = {"card_id": before.id, "reviewed_at": utc_iso(moment), "grade": grade,
           "duration_ms": duration_ms, "scheduled": int(scheduled)}
    for suffix, card in (("before", before), ("after", after)):
        row[f"repetitions_{suffix}"] = card.state.repetitions
        row[f"easiness_{suffix}"] = card.state.easiness
        row[f"interval_{suffix}"] = card.state.interval
        row[f"due_{suffix}"] = card.due.isoformat() if card.due else None
    return row


def start(store: Store, now: datetime, *, clock: Clock, deck: str | None = None,
          new_limit: int | None = None, review_limit: int | None = None) -> ReviewSession:
    """Build today's queue and a session over it: what `flashcards review` runs."""
    settings = load_settings(store)
    today = study_day(now.astimezone(), settings.day_start_hour)
    cards = build_queue(store, today, settings, deck, new_limit, review_limit)
    return ReviewSession(store, cards, settings=settings, clock=clock, today=today)


# -- status -----------------------------------------------------------------------


def status(store: Store, now: datetime) -> dict:
    """Per deck: cards due today, new cards available today, the next due date after today.

    The counts are what `flashcards review --deck` would show (siblings left out,
    new cards within what remains of the day's new limit); the total applies the
    day's limits once, to all decks together.
    """
    settings = load_settings(store)
    today = study_day(now.astimezone(), settings.day_start_hour)
    done = done_today(store, today, settings)
    new_left = _left(settings.new_per_day, done.new_done)
    reviews_left = _left(settings.reviews_per_day, done.reviews_done)
    # The store counts the due and new part of the queue per deck without building
    # it (100k cards were a second); today's few repeats are added as build_queue
    # adds them, duplicates included, so the counts stay those of the queue.
    extra: dict[str, list[int]] = {}
    for card in _repeats(store, done, None):
        counts = extra.setdefault(card.deck, [0, 0])
        counts[0] += card.due is not None and card.due <= today
        counts[1] += card.is_new
    decks, new_total = [], 0
    for row in store.status_counts(today.isoformat(), done.notes_seen):
        more_due, more_new = extra.get(row["deck"], (0, 0))
        due, new = row["due"] + more_due, row["new"] + more_new
        new_total += new
        decks.append({"deck": row["deck"], "due_today": due, "new_today": min(new_left, new),
                      "next_due": row["next_due"]})
    next_dues = [d["next_due"] for d in decks if d["next_due"]]
    total = {"due_today": min(reviews_left, sum(d["due_today"] for d in decks)),
             "new_today": min(new_left, new_total),
             "next_due": min(next_dues) if next_dues else None}
    return {"today": today.isoformat(), "decks": decks, "total": total}


def set_suspended(store: Store, card_id: int, suspended: bool) -> None:
    """`flashcards suspend` / `unsuspend`: a suspended card is never queued."""
    with store.transaction():
        if not store.set_suspended(card_id, suspended):
            raise FlashcardsError(f"no card with id {card_id}; `flashcards list` shows the ids")
