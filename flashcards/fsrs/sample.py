"""Which reviews an FSRS fit reads: all of them up to ``MAX_FIT_REVIEWS``; above
it, a sample of whole cards holding about that many, the same on every machine.

fsrs-rs's memory grows with the items it fits (every review that counts is one,
carrying its card's answers so far): about 160 bytes an item at its peak, so a
fit of 900k reviews took 150 MB by itself (docs/benchmarks.md, "Fitting on a
sample of cards"). A sample of whole cards keeps each card's history as it was
(an item with half its card's answers would be another person's history), and
a card's place in the sample order is a hash of its note's GUID and its ordinal,
which the journal carries: a store rebuilt from it, on any machine, fits on the
same cards. Both `optimize` and each fold of `evaluate` take their rows here.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterable, Sequence

from flashcards.fsrs.dataset import Dataset

# The most reviews a fit reads. Measured at the bench's 100k cards (886,508 reviews):
# `optimize`'s largest process, its fit worker, is about 18 MB plus fsrs-rs's
# ~160 bytes an item: 160 MB on all of them, 116 MB at 600,000, 132 MB at 700,000
# (the goal is 150 MB for any command; 700,000 leaves too little room for cards
# with longer histories than the bench's 10 answers). On a simulated learner of
# 925k reviews, the sample's parameters predict the whole history within 0.002 %
# of the full fit's log loss (docs/benchmarks.md, "Fitting on a sample of cards").
MAX_FIT_REVIEWS = 600_000


def card_key(guid: str, ordinal: int) -> int:
    """A card's place in the sample order, from its note's GUID and its ordinal:
    stable across stores, machines and Python runs (``hash()`` is salted per
    process). Two CRC-32s (of the text and of it reversed: 64 bits, so two cards
    of a collection tie next to never) mixed by splitmix64's finalizer, a
    bijection that breaks CRC's linearity; not hashlib, whose OpenSSL would add
    4 MB to `evaluate`, at its limit of memory."""
    text = f"{guid}\x00{ordinal}".encode()
    return _mix64(zlib.crc32(text) << 32 | zlib.crc32(text[::-1]))


def _mix64(value: int) -> int:
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
    value = (value ^ (value >> 27)) * 0x94D049BB133111EB & _MASK64
    return value ^ (value >> 31)


_MASK64 = (1 << 64) - 1


def card_keys(keys: Iterable[int]) -> array:
    """Cards' keys as the dataset holds them, one 8-byte number a card."""
    return array("Q", keys)


def fit_rows(data: Dataset, rows: Sequence[int] | None = None, *,
             cap: int = MAX_FIT_REVIEWS) -> Sequence[int]:
    """The reviews a fit on ``rows`` (default: all) reads: ``rows`` itself when it
    holds at most ``cap`` (the fit is then the one of the whole history, to the
    last bit); else the rows of the cards first in key order, as many cards as
    hold at most ``cap`` of ``rows`` together, in ``rows``' order.

    The cards are taken in key order up to the first that would pass the cap: the
    sample is the cards whose key is below a threshold, so a larger history's
    sample holds a smaller one's cards (a new card enters only if its key is low).
    """
    rows = range(data.size) if rows is None else rows
    if len(rows) <= cap:
        return rows
    card = data.card
    counts = array("i", bytes(4 * data.card_count))
    for row in rows:
        counts[card[row]] += 1
    chosen = _first_cards(_keys(data), counts, cap)
    return array("i", (row for row in rows if chosen[card[row]]))  # no list of ints


# The sample order is first by a key's top 16 bits: a bucket of cards.
_BUCKET_SHIFT = 48


def _first_cards(keys: array, counts: array, cap: int) -> bytearray:
    """A flag for each card taken: in key order, up to the first card whose
    reviews (``counts``) would take the total past ``cap``.

    The same as walking every card sorted by key, without the sort: the buckets
    of the keys' top 16 bits that fit whole are taken, and only the cards of the
    bucket where the cap falls are sorted (the sorted list of 100k cards and their
    keys took 9 MB, held in `evaluate` beside its dataset, and 1 s)."""
    reviews = array("q", bytes(8 << (64 - _BUCKET_SHIFT)))
    for key, count in zip(keys, counts, strict=True):
        reviews[key >> _BUCKET_SHIFT] += count
    edge, total = 0, 0
    while edge < len(reviews) and total + reviews[edge] <= cap:
        total, edge = total + reviews[edge], edge + 1
    chosen, last = bytearray(len(keys)), []
    for index, key in enumerate(keys):
        if key >> _BUCKET_SHIFT < edge:
            chosen[index] = 1
        elif key >> _BUCKET_SHIFT == edge:
            last.append(index)
    for index in sorted(last, key=keys.__getitem__):
        if total + counts[index] > cap:
            break
        chosen[index], total = 1, total + counts[index]
    return chosen


def is_sample(rows: Sequence[int], of: Sequence[int]) -> bool:
    """Whether ``fit_rows`` gave a sample of ``of`` (else ``of`` itself)."""
    return len(rows) != len(of)


def _keys(data: Dataset) -> array:
    """The dataset's card keys; a dataset made without them (``prepare`` on bare
    answers, as in tests and scripts) orders its cards by a hash of their index."""
    if len(data.card_key) == data.card_count:
        return data.card_key
    return card_keys(card_key("", index) for index in range(data.card_count))
