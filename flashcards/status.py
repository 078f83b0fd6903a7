"""`flashcards status`: per deck, what today's queue holds and when cards fall due next."""

from __future__ import annotations

from datetime import datetime

from flashcards.clock import zone_of
from flashcards.daily_queue import done_today, left_today, repeats_today, steps_today
from flashcards.scheduler import study_day
from flashcards.settings import load_settings
from flashcards.store import Store


def status(store: Store, now: datetime) -> dict:
    """Per deck: cards due today, new cards available today, the next due date after today.

    The counts are what `flashcards review --deck` would show (siblings left out,
    new cards within what remains of the day's new limit); the total applies the
    day's limits once, to all decks together. ``now`` is aware, in the study zone.
    """
    settings = load_settings(store)
    today = study_day(now, settings.day_start_hour)
    done = done_today(store, today, settings, zone_of(now))
    new_left = left_today(settings.new_per_day, done.new_done)
    reviews_left = left_today(settings.reviews_per_day, done.reviews_done)
    # The store counts the due and new part of the queue per deck without building
    # it (100k cards were a second); today's few repeats are added as build_queue
    # adds them, duplicates included, so the counts stay those of the queue.
    extra: dict[str, list[int]] = {}
    # Under FSRS, cards on a step of minutes answered today: the store's counts leave
    # out notes seen today, and the queue takes these all the same.
    steps = [c for c in steps_today(store, today, None) if c.note_guid in done.notes_seen] \
        if settings.uses_fsrs else []
    for card in repeats_today(store, done, None) + steps:
        counts = extra.setdefault(card.deck, [0, 0])
        counts[0] += card.schedule.due is not None and card.schedule.due <= today
        counts[1] += card.schedule.is_new
    decks, new_total = [], 0
    for row in store.status_counts(today, done.notes_seen):
        more_due, more_new = extra.get(row.deck, (0, 0))
        due, new = row.due + more_due, row.new + more_new
        new_total += new
        decks.append({"deck": row.deck, "due_today": due, "new_today": min(new_left, new),
                      "next_due": row.next_due.isoformat() if row.next_due else None})
    next_dues = [d["next_due"] for d in decks if d["next_due"]]
    total = {"due_today": min(reviews_left, sum(d["due_today"] for d in decks)),
             "new_today": min(new_left, new_total),
             "next_due": min(next_dues) if next_dues else None}
    return {"today": today.isoformat(), "decks": decks, "total": total}


def deck_tree(report: dict) -> list[dict]:
    """The report's decks as a tree, parents first, as Anki's deck list shows them.

    Each row has the deck's full name, its ``depth`` (0 at the top) and the counts
    of the deck with all its subdecks: what `review --deck` on it would take. A
    parent that holds no card itself gets a row too. The new cards of a subtree
    are capped as the total is: within what remains of the day's new limit.
    """
    rows: dict[str, dict] = {}
    for deck in report["decks"]:
        parts = deck["deck"].split("::")
        for depth in range(len(parts)):
            name = "::".join(parts[:depth + 1])
            row = rows.setdefault(name, {"deck": name, "depth": depth, "due_today": 0,
                                         "new_today": 0, "next_due": None})
            row["due_today"] += deck["due_today"]
            row["new_today"] += deck["new_today"]
            if deck["next_due"] and (row["next_due"] is None or deck["next_due"] < row["next_due"]):
                row["next_due"] = deck["next_due"]
    cap = report["total"]["new_today"]
    for row in rows.values():
        row["new_today"] = min(cap, row["new_today"])
    return [rows[name] for name in sorted(rows, key=lambda name: name.split("::"))]
