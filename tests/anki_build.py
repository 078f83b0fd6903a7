"""Anki collections built with the real `anki` package, for the import tests.

Reviews are written as Anki writes them (a revlog row per answer, the card's
state set as Anki's scheduler leaves it): driving Anki's scheduler over
simulated days would need its clock patched.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from tests.anki_helpers import collection

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
DAY_MS = 86_400_000


@dataclass
class Built:
    """What a test expects back: GUIDs, card counts, reviews, due offsets."""

    guids: dict[str, str] = field(default_factory=dict)  # label -> GUID
    cards: int = 0
    reviews: int = 0
    due_in: dict[tuple[str, int], int] = field(default_factory=dict)  # (GUID, ord) -> days
    suspended: set[tuple[str, int]] = field(default_factory=set)
    per_card_reviews: dict[tuple[str, int], int] = field(default_factory=dict)
    interval_ease: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)


def build(folder: Path, *, reviews_per_card: int = 30, seed: int = 7) -> Built:
    """A collection with every stock note type, clozes with hints, tags, media and
    a few hundred reviews over simulated days; returns what it holds."""
    rng = random.Random(seed)
    built = Built()
    with collection(folder) as col:
        (folder / "plot one.png").write_bytes(PNG)
        col.media.add_file(str(folder / "plot one.png"))
        french = col.decks.id("Languages::French")
        maths = col.decks.id("Maths")

        def add(label, notetype, fields, deck, tags=()):
            note = col.new_note(col.models.by_name(notetype))
            for name, value in fields.items():
                note[name] = value
            note.tags = list(tags)
            col.add_note(note, deck)
            built.guids[label] = note.guid
            return note

        add("basic", "Basic", {"Front": "What is <b>2+2</b>?", "Back": "4"}, maths,
            ["arith", "level::one"])
        add("math", "Basic", {"Front": "Derivative of \\(x^2\\)?",
                              "Back": "\\(2x\\), and \\[\\int 2x\\,dx = x^2\\]"}, maths)
        add("image", "Basic", {"Front": "Which plot?",
                               "Back": 'This one: <img src="plot one.png">'}, maths)
        add("code", "Basic", {"Front": "Print in Python?",
                              "Back": '<pre><code class="language-python">print("hi")\n'
                                      "</code></pre>"}, maths, ["code"])
        add("reversed", "Basic (and reversed card)", {"Front": "chat", "Back": "cat"}, french)
        add("optional", "Basic (optional reversed card)",
            {"Front": "chien", "Back": "dog", "Add Reverse": "y"}, french)
        add("optional-one", "Basic (optional reversed card)",
            {"Front": "oiseau", "Back": "bird"}, french)
        add("typed", "Basic (type in the answer)", {"Front": "maison", "Back": "house"}, french)
        add("cloze", "Cloze", {"Text": "{{c1::Paris::city}} is the capital of "
                                       "{{c2::France}}", "Back Extra": "Since 987."}, french,
            ["geo"])
        add("cloze-gap", "Cloze", {"Text": "{{c2::Rome}} is in {{c3::Italy::country}}"},
            french)
        for i in range(20):
            add(f"bulk{i}", "Basic", {"Front": f"Question {i}?", "Back": f"Answer {i}"}, maths)
        cards = [col.get_card(cid) for cid in col.find_cards("")]
        built.cards = len(cards)
        today = col.sched.today
        now_ms = col.crt * 1000 + today * DAY_MS + DAY_MS // 2
        guid_of = {n: col.get_note(n).guid for n in {c.nid for c in cards}}
        revlog_id = now_ms - 200 * DAY_MS
        ords: dict[int, list[int]] = {}
        for card in cards:
            ords.setdefault(card.nid, []).append(card.ord)
        for index, card in enumerate(cards):
            # Cloze numbers are renumbered from 1 without gaps (c2, c3 -> c1, c2)
            key = (guid_of[card.nid], sorted(ords[card.nid]).index(card.ord) + 1)
            if index % 5 == 4:
                continue  # stays new
            count = rng.randint(1, reviews_per_card)
            day_ms = now_ms - 180 * DAY_MS + index * 1000
            lapses = 0
            for _ in range(count):
                ease = rng.choice([1, 2, 3, 3, 3, 4])
                lapses += ease == 1
                revlog_id += 1
                col.db.execute(
                    "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
                    " VALUES (?, ?, -1, ?, ?, ?, 2500, ?, 1)",
                    day_ms + rng.randint(0, 3_600_000), card.id, ease, 3, 1,
                    rng.randint(1000, 20000))
                day_ms += rng.randint(1, 5) * DAY_MS
                built.reviews += 1
            built.per_card_reviews[key] = count
            due_in = rng.randint(-3, 40)
            card.type, card.queue = 2, 2
            card.ivl = rng.randint(1, 60)
            card.due = today + due_in
            card.factor = rng.choice([1300, 2050, 2500, 2650, 3100])
            card.reps, card.lapses = count, lapses
            if index % 7 == 3:
                card.queue = -1
                built.suspended.add(key)
            col.update_card(card)
            built.due_in[key] = due_in
            built.interval_ease[key] = (card.ivl, card.factor)
    return built


def export(folder: Path, out: Path, *, legacy: bool, with_scheduling: bool) -> Path:
    from anki.collection import ExportAnkiPackageOptions

    with collection(folder) as col:
        options = ExportAnkiPackageOptions(with_scheduling=with_scheduling,
                                           with_deck_configs=with_scheduling,
                                           with_media=True, legacy=legacy)
        col.export_anki_package(out_path=str(out), options=options, limit=None)
    return out


def export_colpkg(folder: Path, out: Path, *, legacy: bool) -> Path:
    with collection(folder) as col:
        col.export_collection_package(str(out), include_media=True, legacy=legacy)
    return out
