"""Every answered card replayed under the rules now in force, after a change of
scheduler or of its settings: the answers stay (a change of rules changes no
answer), and their rows and the cards' schedules are rewritten in place.

A large store's cards are cut into ranges of about as many answers each; a second
process replays the last ranges while this one replays the first and writes every
row (second_process.share). The second reads the store with a connection of its
own: the writer holds the store's write transaction from before it starts, and has
rewritten no answer of those ranges, so it reads the answers this one would.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from flashcards import journal, second_process
from flashcards.journal import Event
from flashcards.journal_records import event_of_row
from flashcards.store import Store, replayed_values, schedule_values

# From this many answers a second process takes some of the cards: its start (about
# 0.3 s) is the replay of some 10k answers.
SECOND_PROCESS_FROM = 50_000
# Ranges of cards (about as many answers each) the replay is cut into.
PARTS = 16
# The ranges this process replays itself: it also writes every row, the second's
# included (docs/benchmarks.md, "Switching scheduler on two cores").
OWN_SHARE = 0.4
# Answers per batch of rows written (and per frame from the second process).
BATCH = 50_000


@dataclass
class Replayed:
    """A batch of replayed cards as the store's rows."""

    answers: list[tuple] = field(default_factory=list)  # store.replayed_values rows
    schedules: list[list] = field(default_factory=list)  # store.schedule_values rows


@dataclass
class _Cards:
    """Ranges of cards replayed (``second_process.Work``), from ``store`` here or, in the
    second process, from a connection of its own that only reads."""

    path: Path
    rules: Mapping[str, journal.Rules]  # by deck
    schedules: Mapping[tuple[str, int], list[Event]] | None  # an Anki import's, by card
    store: Store | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "store": None}  # a connection never crosses processes

    def replay(self, cards: tuple[int, int] | None) -> Iterator[Replayed]:
        if self.store is None:
            self.store = Store.reader(self.path)
        batch = Replayed()
        for _, group in groupby(self.store.answers_by_card(cards), key=itemgetter(0)):
            _replay_card(list(group), self.rules, self.schedules, batch)
            if len(batch.answers) >= BATCH:
                yield batch
                batch = Replayed()
        yield batch

    def ended(self) -> None:
        return None


def _replay_card(rows: list[tuple], rules: Mapping[str, journal.Rules],
                 schedules: Mapping[tuple[str, int], list[Event]] | None,
                 batch: Replayed) -> None:
    """One card's stored answers (``Store.answers_by_card`` rows) replayed into ``batch``."""
    card_id, guid, ordinal, deck = rows[0][:4]
    events = [event_of_row(row) for row in rows]
    # (device, seq) is the event's id without making its string.
    review_of = {(event.device, event.seq): row[4] for event, row in zip(events, rows, strict=True)}
    if schedules is not None:
        events += schedules.get((guid, ordinal), [])
    history = journal.replay(events, rules[deck])
    batch.answers += [replayed_values(review_of[a.event.device, a.event.seq], a.scheduled,
                                      a.before, a.after) for a in history.answers]
    batch.schedules.append(schedule_values(card_id, history.schedule, history.lapses))


def replay_all(store: Store, rules: Mapping[str, journal.Rules],
               schedules: Mapping[tuple[str, int], list[Event]] | None) -> Iterator[Replayed]:
    """Every answered card of ``store`` replayed under ``rules`` (by deck, every deck with
    answers), in batches to write. ``schedules``: the journal's schedule and reset events
    by card, if any was ever applied. Call inside the store's write transaction."""
    here = _Cards(store.path, rules, schedules, store)
    if store.count_answers() < SECOND_PROCESS_FROM:
        yield from here.replay(None)
        return
    there = _Cards(store.path, rules, schedules)
    with tempfile.TemporaryDirectory(prefix=".replay-", dir=store.path.parent) as folder:
        yield from second_process.share(here, there, store.answered_card_ranges(PARTS),
                                        OWN_SHARE, Path(folder) / "second.batches",
                                        ended=lambda _: None)
