"""Identity matching: the notes a sync parsed, paired with the notes the store holds
(and the orphans and the journal's ghosts), by the identity rules of docs/format.md
("Card identity"), strongest first:
1. the explicit id (``<!-- id: x -->``) always wins;
2. identical content (a moved, reordered or renamed card);
3. the same question (the answer was edited);
4. the same answer (the question was reworded);
5. a near match on either side (typos fixed on both sides).
Only a note rewritten on both sides at once starts over as new.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from flashcards.model import (
    Note,
    NoteKind,
    normalized,
)
from flashcards.store import StoredNote

# Near-match threshold for rule 5: a typo fix keeps a side above it, a rewrite
# falls far below it ("What is precision?" vs "What is recall?" is about 0.6).
SIMILARITY = 0.85
# A cloze note edited to keep at least half of its hidden parts is the same note.
CLOZE_OVERLAP = 0.5
# Fuzzy matching compares every leftover pair; past this many pairs a sync
# that rewrote most of a collection would crawl, so the leftovers start over.
MAX_FUZZY_PAIRS = 250_000


@dataclass(frozen=True, slots=True)
class Placed:
    """A parsed note with the absolute path of its file, as the store keys it."""

    note: Note
    path: str


def match(new: list[Placed], old: list[StoredNote]) -> dict[int, StoredNote]:
    """Pair parsed notes (by index) with stored notes, by the identity rules."""
    if not old:  # a first sync: nothing to pair, and 10k notes cost each rule 5 ms
        return {}
    pairs: dict[int, StoredNote] = {}
    taken: set[int] = set()

    def pair_by(key_new: Callable[[Note], str | None],
                key_old: Callable[[StoredNote], str | None]) -> None:
        groups: dict[str, list[StoredNote]] = defaultdict(list)
        for stored in old:
            if stored.id not in taken and key_old(stored):
                groups[key_old(stored)].append(stored)
        for index, item in enumerate(new):
            key = key_new(item.note) if index not in pairs else None
            candidates = [s for s in groups.get(key, ()) if s.id not in taken] if key else []
            stored = _best(item, [s for s in candidates if _compatible(item.note, s)])
            if stored:
                pairs[index] = stored
                taken.add(stored.id)

    pair_by(lambda n: n.explicit_id, lambda s: s.explicit_id)
    pair_by(lambda n: n.content_hash, lambda s: s.content_hash)
    pair_by(lambda n: n.question_hash, lambda s: s.question_hash)
    pair_by(lambda n: n.answer_hash if n.answer.strip() else None,
            lambda s: s.answer_hash if s.answer.strip() else None)
    _pair_similar(new, [s for s in old if s.id not in taken], pairs)
    return pairs


def _compatible(note: Note, stored: StoredNote) -> bool:
    """Two different explicit ids never match: the explicit id always wins."""
    return not (note.explicit_id and stored.explicit_id
                and note.explicit_id != stored.explicit_id)


def _best(item: Placed, candidates: list[StoredNote]) -> StoredNote | None:
    """Among equal candidates, prefer the same file, then the nearest line."""
    if not candidates:
        return None
    line = item.note.line
    return min(candidates,
               key=lambda s: (s.path != item.path, abs((s.line or 0) - line), s.id))


def _pair_similar(new: list[Placed], old: list[StoredNote],
                  pairs: dict[int, StoredNote]) -> None:
    left = [i for i in range(len(new)) if i not in pairs]
    if not left or not old or len(left) * len(old) > MAX_FUZZY_PAIRS:
        return
    scored = []
    for index in left:
        note = new[index].note
        for stored in old:
            if _compatible(note, stored):
                score = _similarity(note, stored)
                if score >= SIMILARITY:
                    scored.append((-score, index, stored.id, stored))
    used: set[int] = set()
    for _, index, stored_id, stored in sorted(scored, key=lambda s: s[:3]):
        if index not in pairs and stored_id not in used:
            pairs[index] = stored
            used.add(stored_id)


def _similarity(note: Note, stored: StoredNote) -> float:
    """How alike two notes are on their closest side (question, answer or cloze parts)."""
    score = max(_ratio(note.question, stored.question), _ratio(note.answer, stored.answer))
    if note.kind is NoteKind.CLOZE and stored.kind == NoteKind.CLOZE:
        from flashcards.parser import cloze_answers  # markdown-it: only when parsing

        # A cloze note is one side of text; its hidden parts are what it asks, so
        # keeping most of them (adding or fixing a cloze) is an edit, not a new note.
        new = cloze_answers(note.question + "\n" + note.answer)
        old = cloze_answers(stored.question + "\n" + stored.answer)
        overlap = len(new & old) / len(new | old) if new | old else 0.0
        if overlap >= CLOZE_OVERLAP:
            score = max(score, SIMILARITY)
    return score


def _ratio(a: str, b: str) -> float:
    a, b = normalized(a), normalized(b)
    if not a or not b:
        return 0.0
    import difflib  # only when notes are matched by likeness, never on a no-change sync

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SIMILARITY or matcher.quick_ratio() < SIMILARITY:
        return 0.0
    return matcher.ratio()
