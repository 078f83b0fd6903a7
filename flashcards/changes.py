"""What a user changes outside a review: a card suspended or reset, and a setting
(one that changes what the scheduler schedules replays every card's history).
Each writes the journal and the store together, as an answer does.
"""

from __future__ import annotations

from datetime import datetime

from flashcards import journal_settings
from flashcards.history import History
from flashcards.journal import SUSPEND, UNSUSPEND
from flashcards.model import FlashcardsError
from flashcards.settings import (
    changes_schedules,
    load_settings,
    parse_setting,
    save_setting,
    setting_text,
)
from flashcards.store import Store, StoredCard


def set_suspended(store: Store, card_id: int, suspended: bool, *, now: datetime) -> None:
    """`flashcards suspend` / `unsuspend`: a suspended card is never queued."""
    card = _card(store, card_id)
    history = History.of(store)
    with store.transaction():
        event = history.next_event(SUSPEND if suspended else UNSUSPEND, now,
                                   guid=card.note_guid, ord=card.ord)
        history.write(card.path, [event])
        store.set_suspended(card_id, suspended)


def reset(store: Store, card_ids: list[int], *, now: datetime) -> int:
    """`flashcards reset`: cards new again, as if never answered; their answers stay in
    the history (the journal keeps a `reset` line). How many answers they keep."""
    cards = [_card(store, card_id) for card_id in card_ids]
    with store.transaction():
        History.of(store).reset(cards, now)
    return sum(len(store.reviews_of_card(card.id)) for card in cards)


def _card(store: Store, card_id: int) -> StoredCard:
    card = store.card(card_id)
    if card is None:
        raise FlashcardsError(f"no card with id {card_id}; `flashcards list` shows the ids")
    return card


def configure(store: Store, key: str, value: str, *, now: datetime) -> tuple[str, int]:
    """`flashcards config KEY VALUE`: validate and save a setting; its value as text,
    and how many cards were replayed.

    The setting is a `config` line in every journal of the store (written even when
    the value is the one in force: the user's latest choice is what another machine
    must take), then the store's. A change that alters what the active scheduler
    schedules (the scheduler itself, or an FSRS setting under FSRS) replays every
    card's whole history under the new rules, in the same transaction as the
    setting: no answer is lost, and switching back to SM-2 gives exactly SM-2's
    schedules again. A wrong value changes nothing.
    """
    text = setting_text(key, parse_setting(key, value))
    before = load_settings(store)
    history = History.of(store)
    replayed = 0
    with store.transaction():
        journal_settings.record(history, {key: text}, now)
        save_setting(store, key, value)
        after = load_settings(store)
        if changes_schedules(before, after):
            history.settings = after
            replayed = history.replay_all()
    return text, replayed
