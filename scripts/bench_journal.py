"""Benchmarks of the review journal (docs/benchmarks.md, "The journal").

    python scripts/bench_journal.py --cards 100000 --reviews 1000000

1. A synthetic collection: ``--cards`` basic cards with explicit ids in 100
   files, and a journal of ``--reviews`` answers spread over a year (written
   directly as journal lines, as another device would have).
2. Rebuild: ``flashcards sync`` into a new store, as a whole process: wall
   time and peak memory (the goal: under 20 s and 200 MB at 100k cards and 1M
   reviews).
3. Answering with the journal: the real review session, in process, answering
   ``--answers`` cards: p50 and p95 per answer (goal: p95 under 5 ms).
4. Catching up: 1,000 new answer lines from another device, read and replayed
   in process (goal: under 0.5 s).
5. Size: the average bytes of the answer lines the session wrote (goal: at most 150).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flashcards import journal
from flashcards.history import History
from flashcards.journal import ANSWER, Event
from flashcards.model import digest
from flashcards.session import start
from flashcards.store import Store

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
FILES = 100


def guid_of(card: int) -> str:
    return "fc" + digest("id", f"c{card}")[:16]  # sync's GUID for an explicit id


def write_collection(folder: Path, cards: int) -> None:
    per_file = -(-cards // FILES)
    for number in range(FILES):
        lines = []
        for card in range(number * per_file, min(cards, (number + 1) * per_file)):
            lines.append(f"## Question {card}?\n<!-- id: c{card} -->\n\nAnswer {card}.\n")
        (folder / f"deck{number:03}.md").write_text("\n".join(lines), encoding="utf-8")


def write_journal(folder: Path, cards: int, reviews: int, device: str) -> None:
    rng = random.Random(0)
    cards = cards * 9 // 10  # a tenth stays new, for the answers to time
    per_card = max(1, reviews // cards)
    target = folder / journal.FOLDER_NAME / journal.JOURNAL_DIR
    target.mkdir(parents=True, exist_ok=True)
    seq = 0
    with (target / f"{device}{journal.SUFFIX}").open("w", encoding="utf-8") as out:
        for day in range(per_card):
            batch = []
            for card in range(cards):
                seq += 1
                moment = START + timedelta(days=day * 36, minutes=card % 600)
                batch.append(Event(ANSWER, device, seq, moment, guid=guid_of(card), ord=1,
                                   button=rng.choice((2, 3, 3, 4)), grade=0, duration_ms=4000,
                                   utc_offset_minutes=60, day_start_hour=4).to_line())
            out.write("".join(batch).replace('"grade":0,', ""))


def rebuild(folder: Path, db: Path) -> tuple[float, float]:
    env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_TZ": "Europe/Paris",
           "FLASHCARDS_NOW": (START + timedelta(days=400)).isoformat()}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flashcards", "sync", str(folder)], env=env,
                   check=True, capture_output=True)
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def answer_times(db: Path, answers: int) -> list[float]:
    store = Store.open(db)
    moment = START + timedelta(days=400)
    session = start(store, moment, clock=lambda: moment, new_limit=answers,
                    review_limit=answers)
    times = []
    while session.current is not None and len(times) < answers:
        began = time.perf_counter()
        session.press(3, duration_ms=3000)
        times.append(time.perf_counter() - began)
    store.close()
    return times


def catch_up_time(folder: Path, db: Path, cards: int) -> float:
    store = Store.open(db)
    history = History.of(store)
    history.catch_up()
    other = journal.Appender(folder / journal.FOLDER_NAME / journal.JOURNAL_DIR, "laptop-0b1e")
    moment = START + timedelta(days=401)
    other.append(Event(ANSWER, "laptop-0b1e", n + 1, moment + timedelta(seconds=n),
                       guid=guid_of(n * 7 % cards), ord=1, button=3, grade=4,
                       duration_ms=3000, utc_offset_minutes=60, day_start_hour=4)
                 for n in range(1000))
    began = time.perf_counter()
    caught = history.catch_up()
    seconds = time.perf_counter() - began
    store.close()
    assert sum(caught.answers_from.values()) == 1000, caught.summary()
    return seconds


def answer_line_bytes(folder: Path, db: Path) -> float:
    device = journal.device_id(db)
    path = folder / journal.FOLDER_NAME / journal.JOURNAL_DIR / f"{device}{journal.SUFFIX}"
    sizes = [len(line) + 1 for line in path.read_bytes().split(b"\n")
             if line and json.loads(line)["type"] == ANSWER]
    return sum(sizes) / len(sizes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        folder, db = Path(work) / "notes", Path(work) / "data" / "fc.db"
        folder.mkdir()
        write_collection(folder, args.cards)
        write_journal(folder, args.cards, args.reviews, "desktop-5eed00")
        seconds, megabytes = rebuild(folder, db)
        times = answer_times(db, args.answers)
        catch_up = catch_up_time(folder, db, args.cards)
        figures = {
            "cards": args.cards, "reviews": args.reviews,
            "rebuild_s": round(seconds, 2), "rebuild_peak_mb": round(megabytes),
            "answer_p50_ms": round(1000 * statistics.median(times), 2),
            "answer_p95_ms": round(1000 * statistics.quantiles(times, n=20)[18], 2),
            "catch_up_1000_s": round(catch_up, 3),
            "answer_line_bytes": round(answer_line_bytes(folder, db), 1),
        }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
