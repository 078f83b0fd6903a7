"""The daily review: the answer logic over today's queue. No terminal I/O.

``daily_queue.build_queue`` picks today's cards; a ``ReviewSession`` walks them, writes every
answer to the store in its own transaction the moment it is given, and can undo
it. ``ui.run_review`` drives a session from the keyboard. docs/review.md has the
rules (limits, siblings, same-day repeats, the study day).

Time comes in from the caller: ``start`` takes the moment the command began,
and the session asks its ``clock`` for the moment of each answer. Both are
aware times in the study zone (``clock.current_time``); their zone decides
the study day, never the machine's.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flashcards.clock import day_window, utc_offset_minutes, zone_of
from flashcards.daily_queue import build_queue, done_today
from flashcards.fsrs.scheduler import REVIEW, FSRSConfig, FSRSState, retrievability
from flashcards.history import History
from flashcards.journal import ANSWER, SUSPEND, UNDO, UNSUSPEND, Event, Rules
from flashcards.model import FlashcardsError
from flashcards.scheduler import (
    BUTTON_GRADES,
    PASSING_GRADE,
    due_date,
    needs_repeat,
    review,
    study_day,
)
from flashcards.settings import Settings, load_settings, parameters_for
from flashcards.store import CardSchedule, ListedCard, ReviewRecord, Store, StoredCard

Clock = Callable[[], datetime]
Card = StoredCard  # a card as the session shows and schedules it
# Anki's learn-ahead limit: with nothing else left, a card on a step of minutes
# due within this long is shown now rather than ending the session.
LEARN_AHEAD = timedelta(minutes=20)


# -- what a card shows ------------------------------------------------------------


def card_front(card: Card) -> str:
    """The prompt, as Markdown."""
    if card.kind == "cloze":
        from flashcards.parser import cloze_front  # with YAML: 0.02 s for cloze cards only

        return cloze_front(_full_text(card), card.ord)
    if card.kind == "reversed" and card.ord == 2:
        return card.answer
    return f"## {card.question}"


def card_back(card: Card) -> str:
    """The whole revealed card, as Markdown: prompt, a rule, the answer."""
    if card.kind == "cloze":
        from flashcards.parser import cloze_back

        return cloze_back(_full_text(card), card.ord)
    if card.kind == "reversed" and card.ord == 2:
        return f"{card.answer}\n\n---\n\n## {card.question}"
    return f"## {card.question}\n\n---\n\n{card.answer}"


def card_rest(card: Card) -> str:
    """What the answer adds below the prompt, as Markdown: the other side, or the
    cloze revealed. The review screen keeps ``card_front`` in view above it."""
    if card.kind == "cloze":
        from flashcards.parser import cloze_back

        return cloze_back(_full_text(card), card.ord)
    if card.kind == "reversed" and card.ord == 2:
        return f"## {card.question}"
    return card.answer


def card_side(card: Card) -> str:
    """Which card of its note this is, for the header: "" for a lone basic card."""
    if card.kind == "cloze":
        return f"cloze {card.ord}"
    if card.kind == "reversed":
        return "reversed side" if card.ord == 2 else "front side"
    return ""


def _full_text(card: Card) -> str:
    return f"## {card.question}\n\n{card.answer}".rstrip()


# -- what each button would do ------------------------------------------------------


def preview_buttons(schedule: CardSchedule, day: date, *,
                    scheduled: bool = True) -> dict[int, date | None]:
    """The due day each button (1-4) would give a card answered on study day ``day``.

    Pure: the same ``scheduler.review`` and ``due_date`` as an answer, nothing
    written. None for every button when the answer would be a same-day repeat,
    which leaves the schedule as it is.
    """
    if not scheduled:
        return dict.fromkeys(BUTTON_GRADES)
    return {button: due_date(day, review(schedule.sm2, grade))
            for button, grade in BUTTON_GRADES.items()}


# -- the session ------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What one answer did: the card after it, and whether it changed the schedule."""

    card: Card
    grade: int
    button: int | None
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
    event_id: str | None = None


class ReviewSession:
    """Walks a queue. Every answer is committed at once; ``undo`` takes the last one back."""

    def __init__(self, store: Store, cards: list[Card], *, settings: Settings, clock: Clock,
                 today: date, deck: str | None = None, history: History | None = None):
        self.store = store
        self.history = history or History.of(store)
        self.history.settings = settings  # one reading of the settings for the session
        self.settings = settings
        self.clock = clock
        self.zone = zone_of(clock())  # the study zone, in which the ui shows times
        self.today = today
        self.deck = deck
        self.cards = {card.id: card for card in cards}
        self.queue = [card.id for card in cards]
        done = done_today(store, today, settings, self.zone)
        # Cards already answered in this study day: further answers are repeats.
        self.again = set(done.cards_scheduled)
        self.log: list[Answer] = []
        self._undo: list[_Undo] = []
        self._shown: int | None = None  # the card on screen, answered as shown
        self._index_steps()

    def _index_steps(self) -> None:
        """The queue's cards on an FSRS step, soonest first (a heap, checked lazily):
        a queue may hold thousands of them, and the next card must come at once."""
        self._stepping = {i for i in self.queue if self.cards[i].schedule.due_at is not None}
        self._steps = [(self.cards[i].schedule.due_at, i) for i in self._stepping]
        heapq.heapify(self._steps)
        self._plain_gone = False  # no card left in the queue that is not on a step

    @property
    def current(self) -> Card | None:
        if self._shown is None:
            self._shown = self._next_card()
        return None if self._shown is None else self.cards[self._shown]

    def _next_card(self) -> int | None:
        """The card to show: a card on a step whose moment has come, else the queue's
        next, else a card on a step due within ``LEARN_AHEAD`` (Anki's order)."""
        if not self.settings.uses_fsrs:
            return self.queue[0] if self.queue else None
        plain = None
        if not self._plain_gone:  # steps are queued last: the first plain card is near
            plain = next((i for i in self.queue if i not in self._stepping), None)
            self._plain_gone = plain is None
        steps = self._steps
        while steps and (steps[0][1] not in self._stepping
                         or self.cards[steps[0][1]].schedule.due_at != steps[0][0]):
            heapq.heappop(steps)  # answered, suspended or moved since it was pushed
        if not steps:
            return plain
        now = self.clock()
        at, first = steps[0]
        if at <= now or plain is None and at <= now + LEARN_AHEAD:
            return first
        return plain

    @property
    def position(self) -> int:
        """How many cards of the queue were answered or left, for "12/40"."""
        return len(self.cards) - len(set(self.queue))

    def remaining(self) -> dict[str, int]:
        counts = {"new": 0, "review": 0, "again": 0}
        for card_id in self.queue:
            card = self.cards[card_id]
            kind = "again" if card_id in self.again else "new" if card.schedule.is_new \
                else "review"
            counts[kind] += 1
        return counts

    def preview(self) -> dict[int, date | timedelta | None]:
        """What each button would schedule for the current card (see ``preview_buttons``):
        under FSRS, the wait (a timedelta) for a step of minutes, else the due day."""
        card = self._require_current()
        moment = self.clock()
        rules = self.history.rules_for(card.deck)
        if self.settings.uses_fsrs:
            after = rules.preview(card.schedule, self._event(card, 0, moment))
            return {button: (s.due_at - moment if s.due_at is not None else s.due)
                    for button, s in ((b, after[b]) for b in BUTTON_GRADES)}
        day = study_day(moment, self.settings.day_start_hour)
        return preview_buttons(card.schedule, day, scheduled=card.id not in self.again)

    def is_leech(self, card: Card) -> bool:
        return self.settings.is_leech(card.lapses)

    def press(self, button: int, duration_ms: int | None = None) -> Answer:
        """Answer the current card with one of the four buttons (1 Again ... 4 Easy)."""
        if button not in BUTTON_GRADES:
            raise FlashcardsError(f"no button {button!r}: the buttons are 1 to 4")
        return self.answer(BUTTON_GRADES[button], duration_ms, button=button)

    def answer(self, grade: int, duration_ms: int | None = None, *,
               button: int | None = None) -> Answer:
        """Record ``grade`` (0-5) for the current card in one transaction.

        The card is scheduled from its state in the store, read inside that
        transaction, so another session's answer is never overwritten; an answer
        to a card already scheduled today (here or elsewhere) is a same-day repeat.
        """
        card = self._require_current()
        moment = self.clock()
        with self.store.transaction():
            stored = self.store.card(card.id) or card
            # The journal's rule (docs/journal.md): the first answer of the answer's own
            # study day schedules the card, whichever session or machine gave it; a new
            # card's answer (one reset since) always does.
            day = day_window(study_day(moment, self.settings.day_start_hour),
                             self.settings.day_start_hour, zone_of(moment))
            repeat = not stored.schedule.is_new and \
                self.store.was_scheduled_between(card.id, *day)
            rules = self.history.rules_for(stored.deck)
            given = self._event(stored, grade, moment)
            schedule = rules.answer(stored.schedule, given, given.study_day(), repeat)
            scheduled = schedule is not None
            after = stored._replace(schedule=schedule,
                                    lapses=stored.lapses + rules.lapse(stored.schedule, grade)) \
                if scheduled else stored
            record = ReviewRecord(
                card_id=card.id, note_guid=stored.note_guid, ordinal=stored.ord,
                reviewed_at=moment, grade=grade, scheduled=scheduled,
                before=stored.schedule, after=after.schedule, button=button,
                duration_ms=duration_ms, utc_offset_minutes=utc_offset_minutes(moment),
                day_start_hour=self.settings.day_start_hour)
            event = self.history.answer_event(stored, record)
            # The journal line first: a crash before the commit leaves an answer the
            # next run replays into the store, never one the journal lacks.
            self.history.write(stored.path, [event])
            review_id = self.store.insert_review(record._replace(event_id=event.id))
            if scheduled:
                self.store.set_card_schedule(card.id, after.schedule, after.lapses)
        self._undo.append(_Undo("answer", stored, list(self.queue), set(self.again),
                                review_id, event.id))
        self.cards[card.id] = after
        self.again.add(card.id)
        self.queue.remove(card.id)
        self._shown = None
        self._stepping.discard(card.id)
        again = self._again_today(after, grade, rules)
        if again:
            self.queue.append(card.id)
            if after.schedule.due_at is not None:
                self._stepping.add(card.id)
                heapq.heappush(self._steps, (after.schedule.due_at, card.id))
        result = Answer(after, grade, button, scheduled, again, review_id)
        self.log.append(result)
        return result

    def _event(self, card: Card, grade: int, moment: datetime) -> Event:
        """An answer as the rules read it (the journal's line has the same fields)."""
        return Event(ANSWER, self.history.device, 0, moment.astimezone(UTC),
                     guid=card.note_guid, ord=card.ord, grade=grade,
                     utc_offset_minutes=utc_offset_minutes(moment),
                     day_start_hour=self.settings.day_start_hour)

    def _again_today(self, card: Card, grade: int, rules: Rules) -> bool:
        """SM-2: a grade below 4 is asked again today. FSRS: a card on a step of
        minutes due today comes back when its moment comes."""
        if not self.settings.uses_fsrs:
            return needs_repeat(grade)
        return card.schedule.due_at is not None and card.schedule.due <= self.today

    def undo(self) -> Card | None:
        """Take back the last answer or suspension; the card is shown again. None if none."""
        if not self._undo:
            return None
        entry = self._undo.pop()
        card = entry.card
        with self.store.transaction():
            if entry.kind == "answer":
                self._write_event(UNDO, card, ref=entry.event_id)
                self.store.delete_review_event(entry.event_id)
                # The card as its remaining answers say (another terminal may have
                # answered or reset it since): the journal's replay, on the store's rows.
                self.history.forget_read_events()
                self.history.replay_card(self.store.card(card.id) or card, [])
                card = self.store.card(card.id) or card
                self.log.pop()
            else:
                self._write_event(UNSUSPEND, card)
                self.store.set_suspended(card.id, False)
        self.cards[card.id] = entry.card._replace(schedule=card.schedule, lapses=card.lapses)
        self.queue, self.again = entry.queue, entry.again
        self._index_steps()
        self._shown = card.id
        return entry.card

    def suspend(self) -> Card:
        """Suspend the current card: it leaves the queue and every later one."""
        card = self._require_current()
        with self.store.transaction():
            self._write_event(SUSPEND, card)
            self.store.set_suspended(card.id, True)
        self._undo.append(_Undo("suspend", card, list(self.queue), set(self.again)))
        self.queue = [card_id for card_id in self.queue if card_id != card.id]
        self._shown = None
        self._stepping.discard(card.id)
        return card

    def _write_event(self, kind: str, card: Card, **fields) -> None:
        event = self.history.next_event(kind, self.clock(), guid=card.note_guid, ord=card.ord,
                                        **fields)
        self.history.write(card.path, [event])

    def toggle_flag(self) -> bool:
        """Flag the current card to fix it later (`flashcards list --flagged`), or unflag it."""
        card = self._require_current()
        with self.store.transaction():
            return bool(self.store.toggle_flag(card.id))

    def is_flagged(self, card: Card) -> bool:
        return bool(self.store.is_flagged(card.id))

    def reload(self, card_id: int) -> Card | None:
        """Re-read a card's text after an edit; None (and dropped) if it is gone."""
        fresh = self.store.card(card_id)
        if fresh is None or not fresh.active:
            self.queue = [i for i in self.queue if i != card_id]
            self._stepping.discard(card_id)
            if self._shown == card_id:
                self._shown = None
            return None
        old = self.cards[card_id]
        # The text comes from the file; the schedule the session holds is the same as stored.
        self.cards[card_id] = old._replace(question=fresh.question, answer=fresh.answer,
                                           kind=fresh.kind, deck=fresh.deck, path=fresh.path,
                                           line=fresh.line)
        return self.cards[card_id]

    def image_files(self, card: Card, markdown: str) -> list[tuple[str, Path]]:
        """(alt text, file) of the local images ``markdown`` (a side of ``card``) shows
        that pass images.locate now: inside the deck's folder, regular, of an
        accepted type. A file changed since the sync is checked again here."""
        from flashcards import images
        from flashcards.paths import BUNDLED_ROOT, deck_folder
        from flashcards.sync import bundled_decks

        root = self.store.root_of(card.path) if card.path else None
        if root is None:
            return []
        folder = deck_folder(bundled_decks() if root == BUNDLED_ROOT else root)
        found = []
        for alt, src in images.sources(markdown):
            if images.is_local(src):
                path, problem = images.locate(src, card.path, folder)
                if problem is None:
                    found.append((alt, path))
        return found

    def summary(self) -> Summary:
        first: dict[int, Answer] = {}
        for item in self.log:
            first.setdefault(item.card.id, item)
        correct = sum(item.grade >= PASSING_GRADE for item in first.values())
        next_due = self.store.next_due_after(self.today, deck=self.deck)
        day, count = next_due if next_due else (None, 0)
        return Summary(reviewed=len(first), answers=len(self.log), correct=correct,
                       next_due=day, next_due_count=count)

    def _require_current(self) -> Card:
        card = self.current
        if card is None:
            raise FlashcardsError("no card to answer: the session is over")
        return card


def start(store: Store, now: datetime, *, clock: Clock, deck: str | None = None,
          new_limit: int | None = None, review_limit: int | None = None) -> ReviewSession:
    """Build today's queue and a session over it: what `flashcards review` runs.

    ``now`` (aware, in the study zone) decides the study day.
    """
    settings = load_settings(store)
    today = study_day(now, settings.day_start_hour)
    cards = build_queue(store, today, settings, zone_of(now), deck, new_limit, review_limit)
    return ReviewSession(store, cards, settings=settings, clock=clock, today=today, deck=deck)


def memory_today(store: Store, now: datetime) -> Callable[[ListedCard, dict], dict]:
    """For `flashcards list`: a function giving a card's FSRS ``stability``,
    ``difficulty`` and ``retrievability`` on ``now``'s study day (cards under FSRS
    only), and taking the store's ``last_review`` out of its row."""
    settings = load_settings(store)
    today = study_day(now, settings.day_start_hour)
    configs: dict[str, FSRSConfig] = {}

    def memory(card: ListedCard, row: dict) -> dict:
        row.pop("last_review", None)
        if card.stability is None:
            row.pop("stability", None)
            row.pop("difficulty", None)
            return {}
        if card.deck not in configs:
            configs[card.deck] = settings.fsrs_config(parameters_for(store, card.deck))
        state = FSRSState(REVIEW, None, card.stability, card.difficulty, card.repetitions,
                          date.fromisoformat(card.last_review))
        return {"retrievability": round(retrievability(state, today, configs[card.deck]), 4)}
    return memory
