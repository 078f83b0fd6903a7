"""Benchmarks: whole-process times and peak memory of flashcards at scale.

Generates a seeded corpus (100 cards per file) at each size, runs every command
as its own process several times and reports medians and peak memory, next to
markdown-anki-decks on the same files and Python's own start-up as the floor.
docs/benchmarks.md holds the latest table and the goals; rewrite it with

    python scripts/bench.py --sizes 1000,10000,50000,100000 --runs 3 \
        --markdown docs/benchmarks.md

The smallest smoke run (what tests/test_bench.py does):

    python scripts/bench.py --sizes 200 --runs 1 --no-peer --quick

Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

CARDS_PER_FILE = 100
SEED = 20260105
NOW = "2026-01-05T10:00:00+00:00"
TODAY = date(2026, 1, 5)
# The review history at the queue measurement: this many logged reviews per card
# (1M reviews at 100k cards, as the goal states).
REVIEWS_PER_CARD = 10
# The deck `review --deck` is timed on: one file's 100 cards.
QUEUE_DECK = "deck-00000"
# The size whose fitting commands a goal names (optimize on 100k reviews: 10k cards);
# the queue and fitting figures are otherwise taken at the largest size only.
FITTING_GOAL_CARDS = 10_000
# Runs of each start-up figure (python, import click, --help, the daily commands on
# the bundled decks), whatever --runs says; --quick runs each once.
STARTUP_RUNS = 15
# The start-up floor the goals in multiples are measured against.
CLICK_FLOOR = 'python -c "import click"'
# Sizes from here on take minutes per figure; --runs-large may run them fewer times.
LARGE = 50_000
PEER_PACKAGES = ["markdown-anki-decks==1.1.1", "click<8.2"]
# markdown-anki-decks highlights code with Pygments, as its README says, but does
# not require it: installed alone it skips highlighting and does less than we do
# (highlighting is a third of its time). The goals compare with the peer doing
# the same work; the bare install is measured too, and both ratios are reported.
PEER = "markdown-anki-decks to .apkg"
BARE_PEER = "markdown-anki-decks to .apkg, no Pygments"
PEERS = {PEER: ("peer-venv-pygments", [*PEER_PACKAGES, "pygments"]),
         BARE_PEER: ("peer-venv", PEER_PACKAGES)}
MARK_START = "<!-- bench:start -->"
MARK_END = "<!-- bench:end -->"
ROOT = Path(__file__).resolve().parent.parent

# -- the corpus -------------------------------------------------------------------

WORDS = """
gradient model loss tensor feature label batch epoch kernel vector matrix weight
bias variance sample prior posterior entropy margin layer neuron dropout norm
embedding token attention softmax logit ensemble forest boosting split node leaf
cluster centroid distance metric recall precision score threshold curve error
signal noise window stride filter channel pooling residual encoder decoder
sequence state policy reward agent value return discount horizon estimate
""".split()  # noqa: SIM905  (a word list reads better as prose)
TOPICS = ["regularisation", "optimisation", "evaluation", "sampling", "inference",
          "calibration", "retrieval", "compression", "alignment", "generalisation"]
MATH = [r"$\alpha x + \beta$", r"$\sum_i w_i x_i$", r"$p(y \mid x)$", r"$\lVert w \rVert_2^2$",
        r"$\frac{a}{b}$", r"$e^{-\lambda t}$", r"$\sigma(z)$", r"$\hat{y} - y$"]


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def _card(rng: random.Random, number: int) -> str:
    """One `##` card: a one-sentence question, one to three short paragraphs."""
    topic = rng.choice(TOPICS)
    question = (f"How does the {rng.choice(WORDS)} {rng.choice(WORDS)} affect {topic} "
                f"in case {number}?")
    paragraphs = [_sentence(rng, 6, 12) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.2:  # a fifth with inline math
        paragraphs[0] = paragraphs[0][:-1] + f" when {rng.choice(MATH)} grows."
    if rng.random() < 0.2:  # a fifth with lists
        paragraphs.append("\n".join(f"- {rng.choice(WORDS)} {rng.choice(WORDS)}"
                                    for _ in range(rng.randint(2, 4))))
    if rng.random() < 0.25:  # a quarter with fenced Python code
        name, factor = f"{rng.choice(WORDS)}_{number}", rng.randint(2, 9)
        paragraphs.append(textwrap.dedent(f"""\
            ```python
            def {name}(x):
                y = x * {factor}
                return y + {rng.randint(0, 99)}
            ```"""))
    return f"## {question}\n\n" + "\n\n".join(paragraphs) + "\n"


def deck_text(index: int, cards: int, rng: random.Random) -> str:
    first = index * CARDS_PER_FILE
    body = "\n".join(_card(rng, first + n) for n in range(cards))
    return f"# Benchmark deck {index:05d}\n\n{body}"


def write_corpus(folder: Path, total: int, seed: int = SEED) -> Path:
    """``total`` cards in files of 100 under folder/corpus-<total>; reused if complete."""
    target = folder / f"corpus-{total}"
    stamp = target / ".complete"
    if stamp.exists() and stamp.read_text() == f"{seed}":
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    rng = random.Random(f"{seed}:{total}")
    files = -(-total // CARDS_PER_FILE)
    for index in range(files):
        count = min(CARDS_PER_FILE, total - index * CARDS_PER_FILE)
        (target / f"deck-{index:05d}.md").write_text(deck_text(index, count, rng))
    stamp.write_text(f"{seed}")
    return target


def change_one_file(corpus: Path, variant: int) -> None:
    """Edit one answer in the first file, differently each time, so a sync sees a change."""
    path = corpus / "deck-00000.md"
    lines = path.read_text().split("\n")
    answer = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    lines[answer] = lines[answer].split(" [edit")[0] + f" [edit {variant}]"
    path.write_text("\n".join(lines))


# -- running processes --------------------------------------------------------------


class BenchError(Exception):
    pass


@dataclass
class Result:
    name: str
    cards: int | None
    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def peak_mb(self) -> float | None:
        return max(self.peak_kib) / 1024 if self.peak_kib else None


# Every measured command is started by this small process, not by the script. A
# child's ru_maxrss starts from the size of the process that spawned it (Linux keeps
# the high-water mark of the memory it had before exec, and a vfork'd child has its
# parent's): spawned by the script, grown to 55 MB by its in-process rows at 100k,
# every later command read 55 MB at least. The spawner stays at a bare Python's size.
_SPAWNER = """
import json, os, subprocess, sys, tempfile, time
for line in sys.stdin:
    cmd, env, cwd, stdin = json.loads(line)
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                                    stderr=err, stdin=subprocess.DEVNULL if stdin is None
                                    else subprocess.PIPE)
        except OSError as exc:  # no such command: as a shell says it
            print(json.dumps([0.0, 0, 127, str(exc)]), flush=True)
            continue
        if stdin is not None:
            proc.stdin.write(stdin.encode("latin-1"))
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    print(json.dumps([elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status), tail]),
          flush=True)
"""
_spawner: subprocess.Popen | None = None


def run_process(cmd: list[str], env: dict[str, str], cwd: Path | None = None,
                stdin: bytes | None = None) -> tuple[float, int]:
    """Wall time and peak resident memory (KiB) of one process, started by the spawner.

    os.wait4 gives the rusage of exactly this child; its ru_maxrss is the largest of
    the child and the children it waited for (sync's worker processes), not a sum.
    ``stdin`` (a few bytes, well under a pipe's buffer) is what the process reads.
    """
    global _spawner
    if _spawner is None or _spawner.poll() is not None:
        _spawner = subprocess.Popen([sys.executable, "-c", _SPAWNER], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True, env={})
    job = [cmd, env, None if cwd is None else str(cwd),
           None if stdin is None else stdin.decode("latin-1")]
    _spawner.stdin.write(json.dumps(job) + "\n")
    _spawner.stdin.flush()
    answer = _spawner.stdout.readline()
    if not answer:
        raise BenchError(f"{' '.join(cmd)}: the spawner stopped")
    elapsed, peak_kib, returncode, tail = json.loads(answer)
    if returncode:
        raise BenchError(f"{' '.join(cmd)} exited {returncode}:\n{tail}")
    return elapsed, peak_kib


def measure(result: Result, runs: int, steps: Callable[[int], list[tuple[list[str], dict]]],
            setup: Callable[[int], None] | None = None, stdin: bytes | None = None) -> Result:
    """Run the steps (one or more processes, timed together) ``runs`` times."""
    for run in range(runs):
        if setup:
            setup(run)
        total, peak = 0.0, 0
        for cmd, env in steps(run):
            seconds, kib = run_process(cmd, env, stdin=stdin)
            total, peak = total + seconds, max(peak, kib)
        result.seconds.append(total)
        result.peak_kib.append(peak)
    return result


def guarded(results: list[Result], result: Result, action: Callable[[], Result]) -> None:
    """Record a measurement; a failing command becomes a note, not a crash."""
    try:
        results.append(action())
    except BenchError as exc:
        result.note = f"failed: {str(exc).splitlines()[0]}"
        print(f"  ! {result.name}: {exc}", file=sys.stderr)
        results.append(result)
    report_line(results[-1])


def report_line(result: Result) -> None:
    median = "-" if result.median is None else f"{result.median:.3f} s"
    peak = "-" if result.peak_mb is None else f"{result.peak_mb:.0f} MB"
    size = f"{result.cards:>7}" if result.cards else "      -"
    print(f"  {result.name:<34} {size} {median:>10} {peak:>8} {result.note}", flush=True)


# -- flashcards and the peer ----------------------------------------------------------


def flashcards_cmd() -> list[str]:
    script = Path(sys.executable).parent / "flashcards"
    return [str(script)] if script.exists() else [sys.executable, "-m", "flashcards"]


def base_env(db: Path) -> dict[str, str]:
    env = dict(os.environ, FLASHCARDS_DB=str(db), FLASHCARDS_NOW=NOW, FLASHCARDS_TZ="UTC",
               NO_COLOR="1")
    # Bytecode cached as after a user's install ("0" would turn caching off too: any
    # non-empty value does).
    for name in ("FLASHCARDS_DEBUG", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    return env


def remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".device"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def remove_journal(corpus: Path) -> None:
    """A corpus as a new user's notes: no journal yet (a sync writes one inside it)."""
    shutil.rmtree(corpus / ".flashcards", ignore_errors=True)


def has_command(name: str) -> bool:
    probe = subprocess.run([*flashcards_cmd(), name, "--help"], capture_output=True)
    return probe.returncode == 0


def peer_cli(out: Path, name: str) -> tuple[Path | None, str]:
    """markdown-anki-decks as `PEERS` names it, in its own venv under ``out``."""
    folder, packages = PEERS[name]
    venv = out / folder
    cli = venv / "bin" / "mdankideck"
    if cli.exists():
        return cli, ""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                       capture_output=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *packages],
                       check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        reason = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        return None, f"cannot install markdown-anki-decks: {reason[0]}"
    return (cli, "") if cli.exists() else (None, "markdown-anki-decks has no mdankideck")


# -- the scenarios ---------------------------------------------------------------------


def bench_size(cards: int, out: Path, runs: int, peers: dict[str, Path], results: list[Result],
               commands: set[str]) -> Path:
    """Every per-size measurement; returns the synced store of this size."""
    corpus = write_corpus(out, cards)
    fc = flashcards_cmd()
    db = out / f"sync-{cards}.db"
    env = base_env(db)
    sync = [*fc, "sync", str(corpus)]

    def cold(_run: int) -> None:
        remove_db(db)
        remove_journal(corpus)

    r = Result("cold sync", cards)
    guarded(results, r, lambda: measure(r, runs, lambda _: [(sync, env)], cold))
    r = Result("no-change re-sync", cards)
    guarded(results, r, lambda: measure(r, runs, lambda _: [([*fc, "sync"], env)]))
    r = Result("re-sync, one file changed", cards)
    guarded(results, r, lambda: measure(r, runs, lambda _: [([*fc, "sync"], env)],
                                        lambda run: change_one_file(corpus, run)))
    r = Result("check", cards, note="every file parsed; no store")
    guarded(results, r, lambda: measure(r, runs, lambda _: [([*fc, "check", str(corpus)], env)]))
    apkg = out / f"export-{cards}.apkg"
    export = [*fc, "export", "-o", str(apkg)]
    if "export" in commands:
        # The export keeps rendered HTML in the store: the first export of a store
        # renders every note, later ones only what changed. Measure both.
        first_db = out / f"first-export-{cards}.db"

        def fresh_copy(_run: int) -> None:
            remove_db(first_db)
            for suffix in ("", "-wal"):
                if Path(f"{db}{suffix}").exists():
                    shutil.copy(f"{db}{suffix}", f"{first_db}{suffix}")

        r = Result("first export to .apkg", cards)
        guarded(results, r, lambda: measure(r, runs, lambda _: [(export, base_env(first_db))],
                                            fresh_copy))
        run_process(export, env)  # fills the synced store's HTML cache, if it keeps one
        r = Result("export to .apkg", cards, note="again, nothing changed")
        guarded(results, r, lambda: measure(r, runs, lambda _: [(export, env)]))
        bench_export_with_scheduling(db, cards, out, runs, results)
        scratch_db = out / f"scratch-{cards}.db"
        scratch_env = base_env(scratch_db)
        r = Result("sync + export from scratch", cards)
        guarded(results, r, lambda: measure(
            r, runs, lambda _: [(sync, scratch_env), (export, scratch_env)],
            lambda _: (remove_db(scratch_db), remove_journal(corpus),
                       apkg.unlink(missing_ok=True))))
    else:
        results.append(Result("export to .apkg", cards, note="no `export` command yet"))
    for name, peer in peers.items():
        bench_peer(name, peer, corpus, cards, out, runs, results)
    return db


def bench_export_with_scheduling(synced: Path, cards: int, out: Path, runs: int,
                                  results: list[Result]) -> None:
    """`export --with-scheduling` of a copy of the synced store (its HTML cached) with
    `REVIEWS_PER_CARD` logged reviews per card: 100k reviews at 10k cards."""
    db = out / f"scheduled-{cards}.db"
    remove_db(db)
    with sqlite3.connect(synced) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    reviews = fill_history(db, REVIEWS_PER_CARD)
    command = [*flashcards_cmd(), "export", "--with-scheduling", "-o",
               str(out / f"scheduled-{cards}.apkg")]
    r = Result("export --with-scheduling", cards, note=f"{reviews:,} reviews logged")
    guarded(results, r, lambda: measure(r, runs, lambda _: [(command, base_env(db))]))


def bench_peer(name: str, peer: Path, corpus: Path, cards: int, out: Path, runs: int,
               results: list[Result]) -> None:
    peer_out = out / f"peer-{cards}"

    def fresh(_run: int) -> None:
        shutil.rmtree(peer_out, ignore_errors=True)
        peer_out.mkdir()

    r = Result(name, cards)
    guarded(results, r, lambda: measure(
        r, runs, lambda _: [([str(peer), str(corpus), str(peer_out)], dict(os.environ))], fresh))


# The daily commands on a small store (the bundled decks, a few hundred cards),
# where start-up is most of the time: whole processes, next to the floor. These
# figures watch what once was pinned by a test of which modules a command
# imports: a no-change sync and status need Python, click and sqlite3 only, and
# an export whose sides are all cached needs no renderer (markdown-it, Pygments,
# nh3). A library loaded that need not be shows here as time. Each has a goal:
# at most this many times `python -c "import click"` (docs/benchmarks.md).
STARTUP_COMMANDS = (
    ("status (bundled decks)", "status", ["status"], 3.0),
    ("no-change sync (bundled decks)", "sync", ["sync"], 2.0),
    ("export, warm cache (bundled decks)", "export", ["export", "-o", "{out}/bundled.apkg"],
     5.0),
)
STARTUP_NAMES = {name for name, *_ in STARTUP_COMMANDS}


def bench_startup(out: Path, runs: int, results: list[Result], commands: set[str]) -> None:
    env = dict(os.environ)
    python = sys.executable
    fc = flashcards_cmd()
    steps = {"python -c pass": ([python, "-c", "pass"], env),
             CLICK_FLOOR: (click_floor_cmd(), env),
             "flashcards --help": ([*fc, "--help"], env)}
    db = out / "bundled.db"
    bundled = base_env(db)
    del bundled["FLASHCARDS_TZ"]  # as a user runs them: each reads the machine's zone
    if "sync" in commands:
        remove_db(db)
        run_process([*fc, "sync"], bundled)  # a new store syncs the bundled decks
        if "export" in commands:  # fills the HTML cache, as a first export does
            run_process([*fc, "export", "-o", str(out / "bundled.apkg")], bundled)
    skipped = []
    for name, needs, args, _goal in STARTUP_COMMANDS:
        if needs in commands:
            steps[name] = ([*fc, *(arg.format(out=out) for arg in args)], bundled)
        else:
            skipped.append(Result(name, None, note=f"no `{needs}` command yet"))
    # Tens of milliseconds each, so noise from other processes weighs heavily:
    # many runs, taken in turns so that a busy moment hits every command alike.
    rows = {name: Result(name, None) for name in steps}
    try:
        for _ in range(runs):
            for name, (cmd, cmd_env) in steps.items():
                seconds, kib = run_process(cmd, cmd_env)
                rows[name].seconds.append(seconds)
                rows[name].peak_kib.append(kib)
    except BenchError as exc:
        print(f"  ! start-up: {exc}", file=sys.stderr)
        for row in rows.values():
            row.note = row.note or f"failed: {str(exc).splitlines()[0]}"
    for result in [*rows.values(), *skipped]:
        results.append(result)
        report_line(result)


def bench_floor_again(runs: int, results: list[Result]) -> None:
    """`import click` once more at the end: on a shared host the floor moves during a
    run, and the figures in between are read against both ends."""
    r = Result(f"{CLICK_FLOOR}, again at the end", None)
    guarded(results, r, lambda: measure(r, runs, lambda _: [(click_floor_cmd(), dict(os.environ))]))


def click_floor_cmd() -> list[str]:
    return [sys.executable, "-c", "import click"]


# -- the review queue at scale -----------------------------------------------------------


def fill_history(db: Path, reviews_per_card: int, seed: int = SEED) -> int:
    """Give most cards a schedule and log ``reviews_per_card`` reviews per card.

    A synthetic fill straight into SQLite (not through the library, whose one
    transaction per answer would take an hour for a million rows): 90% of cards get
    a due date within 60 days either side of today, the reviews spread over the
    year before today, so today's queue starts empty.
    """
    rng = random.Random(seed)
    conn = sqlite3.connect(db, isolation_level=None)
    card_ids = [row[0] for row in conn.execute("SELECT id FROM cards ORDER BY id")]
    conn.execute("BEGIN")
    schedule = []
    for card_id in card_ids:
        if rng.random() < 0.9:
            due = (TODAY + timedelta(days=rng.randint(-60, 60))).isoformat()
            schedule.append((rng.randint(1, 8), round(rng.uniform(1.3, 2.8), 2),
                             rng.randint(1, 120), due, rng.randint(0, 3), card_id))
    conn.executemany("UPDATE cards SET repetitions = ?, easiness = ?, interval = ?, due = ?, "
                     "lapses = ? WHERE id = ?", schedule)
    start = datetime(2025, 1, 5, tzinfo=UTC)

    def rows():
        for n in range(len(card_ids) * reviews_per_card):
            moment = start + timedelta(seconds=rng.randrange(364 * 86400))
            due = (moment.date() + timedelta(days=3)).isoformat()
            yield (rng.choice(card_ids), moment.isoformat(timespec="seconds"),
                   rng.choice((1, 3, 4, 5)), 4000 + n % 9000, 1, 2, 2.5, 1, None, 3, 2.5, 3, due)

    conn.executemany(
        "INSERT INTO reviews (card_id, reviewed_at, grade, duration_ms, scheduled, "
        "repetitions_before, easiness_before, interval_before, due_before, repetitions_after, "
        "easiness_after, interval_after, due_after) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows())
    conn.execute("COMMIT")
    count = conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return count


def queue_worker(db: Path, answers: int, scheduler: str = "sm2") -> None:
    """In-process: build today's queue, then answer cards one by one; print JSON timings.

    ``scheduler`` fsrs: first switch the store to FSRS (every card's history
    replayed), timed, and switch back to SM-2 at the end, timed too.
    """
    from flashcards import changes, session
    from flashcards.status import status as deck_status
    from flashcards.store import Store

    moment = datetime.fromisoformat(NOW)
    store = Store.open(db)
    # `review --deck` of one file's deck (100 of the 100k cards), before any answer.
    start = time.perf_counter()
    session.start(store, moment, clock=lambda: moment, deck=QUEUE_DECK)
    deck_build = time.perf_counter() - start
    switch = _timed(lambda: changes.configure(store, "scheduler", scheduler, now=moment)) \
        if scheduler != "sm2" else None
    start = time.perf_counter()
    review = session.start(store, moment, clock=lambda: moment)
    build = time.perf_counter() - start
    per_card = []
    for _ in range(answers):
        start = time.perf_counter()
        card = review.current
        if card is None:
            break
        session.card_front(card), session.card_back(card)  # what the terminal shows
        review.press(3, duration_ms=5000)
        per_card.append(time.perf_counter() - start)
    start = time.perf_counter()
    deck_status(store, moment)
    status = time.perf_counter() - start
    back = _timed(lambda: changes.configure(store, "scheduler", "sm2", now=moment)) \
        if switch else None
    store.close()
    print(json.dumps({"build": build, "per_card": per_card, "queue": len(review.cards),
                      "status": status, "deck_build": deck_build, "switch": switch,
                      "back": back}))


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bench_queue(synced: Path, cards: int, out: Path, runs: int, answers: int,
                results: list[Result]) -> None:
    base = out / f"queue-{cards}.db"
    if not base.exists():
        shutil.copy(synced, base)
        print(f"  filling {cards * REVIEWS_PER_CARD} reviews ...", flush=True)
        fill_history(base, REVIEWS_PER_CARD)
    label = f"{cards * REVIEWS_PER_CARD:,} reviews logged"
    build = Result("build today's queue (in-process)", cards, note=label)
    deck_build = Result("review --deck queue (in-process)", cards,
                        note=f"{QUEUE_DECK}, 100 cards; {label}")
    answer = Result("next card + answer (in-process)", cards)
    status = Result("status (in-process)", cards, note=label)
    work = out / "queue-run.db"
    cmd = [sys.executable, __file__, "--queue-worker", str(work), "--answers", str(answers)]
    try:
        for data in worker_runs(cmd, base, work, runs):
            build.seconds.append(data["build"])
            deck_build.seconds.append(data["deck_build"])
            answer.seconds.extend(data["per_card"])
            status.seconds.append(data["status"])
        answer.note = p95_note(answer.seconds)
    except BenchError as exc:
        build.note = f"failed: {str(exc).splitlines()[-1]}"
        print(f"  ! queue: {exc}", file=sys.stderr)
    for result in (build, deck_build, answer, status):
        results.append(result)
        report_line(result)
    bench_daily_commands(base, cards, runs, label, results)
    bench_fitting(base, cards, runs, results)
    if "list" in set_commands() and shutil.which("script"):
        r = Result("list on a terminal, first screen (whole process)", cards,
                   note=f"PAGER='head -40' under script(1); {label}")
        guarded(results, r, lambda: measure_first_screen(r, base, runs))


def worker_runs(cmd: list[str], base: Path, work: Path, runs: int) -> Iterator[dict]:
    """Each run of a queue worker on a fresh copy of ``base``: the figures it printed."""
    for _ in range(runs):
        remove_db(work)
        shutil.copy(base, work)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=base_env(work))
        if proc.returncode:
            raise BenchError(proc.stderr.strip()[-2000:])
        yield json.loads(proc.stdout)


def p95(seconds: list[float]) -> float | None:
    ordered = sorted(seconds)
    return ordered[int(len(ordered) * 0.95)] if ordered else None


def p95_note(seconds: list[float]) -> str:
    high = p95(seconds)
    return (f"median of {len(seconds)} answers (p95 {high * 1000:.2f} ms)" if high is not None
            else "no cards due")


def bench_fsrs(base: Path, cards: int, out: Path, runs: int, answers: int,
               results: list[Result]) -> None:
    """FSRS on the history store: switching to it (every card's history replayed, in
    one transaction), next card + answer under it, and switching back to SM-2."""
    label = f"{cards * REVIEWS_PER_CARD:,} reviews logged"
    switch = Result("switch scheduler to FSRS (in-process)", cards, note=label)
    answer = Result("next card + answer under FSRS (in-process)", cards)
    back = Result("switch scheduler back to SM-2 (in-process)", cards, note=label)
    work = out / "fsrs-run.db"
    cmd = [sys.executable, __file__, "--queue-worker", str(work), "--answers", str(answers),
           "--scheduler", "fsrs"]
    try:
        for data in worker_runs(cmd, base, work, runs):
            switch.seconds.append(data["switch"])
            answer.seconds.extend(data["per_card"])
            back.seconds.append(data["back"])
        answer.note = p95_note(answer.seconds)
    except BenchError as exc:
        switch.note = f"failed: {str(exc).splitlines()[-1]}"
        print(f"  ! fsrs: {exc}", file=sys.stderr)
    for result in (switch, answer, back):
        results.append(result)
        report_line(result)


# The daily commands as a user runs them on the history store, each a whole
# process: (row name, arguments, what it reads on stdin). Output goes to
# /dev/null, so `list` prints its piped form; `review` runs in line mode and
# `q` quits at the first card: the start-up (a sync that finds nothing changed,
# today's queue, the first card drawn) and the end screen.
DAILY_COMMANDS = (
    ("status (whole process)", ["status"], None),
    ("list (whole process)", ["list"], None),
    ("stats (whole process)", ["stats"], None),
    ("review start-up, q (whole process)", ["review"], b"q\n"),
)


def bench_daily_commands(db: Path, cards: int, runs: int, label: str,
                         results: list[Result]) -> None:
    commands = set_commands()
    for name, args, stdin in DAILY_COMMANDS:
        if args[0] not in commands:
            results.append(Result(name, cards, note=f"no `{args[0]}` command yet"))
            continue
        r = Result(name, cards, note=label)
        # Once untimed: a first `stats` totals the whole log per hour (review_hours),
        # once per store; the figure is the daily one after it.
        run_process([*flashcards_cmd(), *args], base_env(db), stdin=stdin)
        guarded(results, r, lambda r=r, args=args, stdin=stdin: measure(
            r, runs, lambda _: [([*flashcards_cmd(), *args], base_env(db))], stdin=stdin))


def measure_first_screen(result: Result, db: Path, runs: int) -> Result:
    """`flashcards list` on a terminal (script(1) gives it one) with a pager that
    ends after one screen: the time until the user sees it, and the list stops."""
    env = dict(base_env(db), PAGER="head -40", TERM="xterm")
    command = " ".join([*flashcards_cmd(), "list"])
    return measure(result, runs, lambda _: [(["script", "-qec", command, "/dev/null"], env)])


def set_commands() -> set[str]:
    return {name for name in ("sync", "export", "status", "review", "list", "stats",
                              "optimize", "evaluate") if has_command(name)}


# -- FSRS fitting on the history store ------------------------------------------------


def bench_fitting(base: Path, cards: int, runs: int, results: list[Result]) -> None:
    """`optimize` (on a fresh copy each run: it saves parameters) and `evaluate` (five
    fits and three models scored) as whole processes on the synthetic history: at 10k
    cards that is 100k reviews, at 100k cards 1M. The fill's grades are random, so
    these are timings, not fits worth reading."""
    commands, label = set_commands(), f"{cards * REVIEWS_PER_CARD:,} reviews logged"
    work = base.with_name(f"fitting-run-{cards}.db")

    def fresh(_run: int) -> None:
        remove_db(work)
        shutil.copy(base, work)

    for name, args, setup, db in (("optimize (whole process)", ["optimize"], fresh, work),
                                  ("evaluate (whole process)", ["evaluate"], None, base)):
        if args[0] not in commands:
            results.append(Result(name, cards, note=f"no `{args[0]}` command yet"))
            continue
        r = Result(name, cards, note=label)
        guarded(results, r, lambda r=r, args=args, setup=setup, db=db: measure(
            r, runs, lambda _: [([*flashcards_cmd(), *args], base_env(db))], setup))
    remove_db(work)


def bench_fitting_only(sizes: list[int], out: Path, runs: int, results: list[Result]) -> None:
    """--fitting-only: per size, a synced corpus with its synthetic history, then
    ``bench_fitting``, without the other figures (minutes instead of an hour)."""
    for cards in sizes:
        base = out / f"queue-{cards}.db"
        if not base.exists():
            corpus = write_corpus(out, cards)
            remove_db(base)
            remove_journal(corpus)
            run_process([*flashcards_cmd(), "sync", str(corpus)], base_env(base))
            print(f"  filling {cards * REVIEWS_PER_CARD} reviews ...", flush=True)
            fill_history(base, REVIEWS_PER_CARD)
        bench_fitting(base, cards, runs, results)


# -- the report ----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    if hasattr(os, "sysconf"):
        memory = f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB"
    return {"cores": str(os.cpu_count()), "cpu": cpu, "memory": memory,
            "python": platform.python_version(), "system": platform.platform(terse=True)}


def find(results: list[Result], name: str, cards: int | None = None) -> Result | None:
    return next((r for r in results if r.name == name and r.cards == cards and r.seconds), None)


def peer_results(results: list[Result], cards: int | None) -> list[Result]:
    """The peer's figures at a size: the like-for-like one first."""
    return [r for name in PEERS if (r := find(results, name, cards))]


def ratio_note(results: list[Result], result: Result) -> str:
    """Ratios the goals are stated in, next to the figures they compare."""
    if result.name == "sync + export from scratch":
        return "; ".join(
            f"{result.median / peer.median:.2f} x markdown-anki-decks"
            + ("" if peer.name == PEER else " without Pygments")
            for peer in peer_results(results, result.cards))
    if result.name == "flashcards --help" or result.name in STARTUP_NAMES:
        click = find(results, CLICK_FLOOR)
        if click and result.median is not None:
            return f"{result.median / click.median:.2f} x import click"
    return result.note


def table(results: list[Result]) -> str:
    lines = ["| measurement | cards | median | peak memory | runs | note |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        if r.median is None:
            median = "-"
        elif r.name.startswith("next card"):
            median = f"{r.median * 1000:.2f} ms"
        else:
            median = f"{r.median:.3f} s"
        peak = f"{r.peak_mb:.0f} MB" if r.peak_mb is not None else "-"
        cards = f"{r.cards:,}" if r.cards else "-"
        count = str(len(r.seconds)) if not r.name.startswith("next card") else "-"
        lines.append(f"| {r.name} | {cards} | {median} | {peak} | {count} | "
                     f"{ratio_note(results, r)} |")
    return "\n".join(lines)


def goals(results: list[Result]) -> str:
    rows = ["| goal | measured | met |", "| --- | --- | --- |"]

    def add(goal: str, measured: str | None, met: bool | None) -> None:
        verdict = "not measured" if met is None else ("yes" if met else "**no**")
        rows.append(f"| {goal} | {measured or '-'} | {verdict} |")

    for cards in (10_000, 50_000):
        ours = find(results, "sync + export from scratch", cards)
        peer, bare = find(results, PEER, cards), find(results, BARE_PEER, cards)
        ratio = ours.median / peer.median if ours and peer else None
        measured = f"{ours.median:.2f} s / {peer.median:.2f} s = {ratio:.2f}" if ratio else None
        if measured and bare:
            measured += f" ({ours.median / bare.median:.2f} x the peer without Pygments)"
        add(f"sync + export at {cards // 1000}k <= 0.2 x markdown-anki-decks", measured,
            None if ratio is None else ratio <= 0.2)
    r = find(results, "no-change re-sync", 10_000)
    add("no-change re-sync of 10k <= 0.1 s", r and f"{r.median:.3f} s",
        None if not r else r.median <= 0.1)
    r = find(results, "export to .apkg", 10_000)  # from the store, after a first export
    add("export of 10k <= 0.5 s", r and f"{r.median:.3f} s", None if not r else r.median <= 0.5)
    r = find(results, "export --with-scheduling", 10_000)
    add("export --with-scheduling of 10k cards, 100k reviews < 2 s",
        r and r.median is not None and f"{r.median:.3f} s",
        None if not r or r.median is None else r.median < 2)
    helped, click = find(results, "flashcards --help"), find(results, CLICK_FLOOR)
    ratio = helped.median / click.median if helped and click else None
    add("--help <= 1.5 x import click",
        ratio and f"{helped.median:.3f} s / {click.median:.3f} s = {ratio:.2f}",
        None if ratio is None else ratio <= 1.5)
    for name, _needs, _args, limit in STARTUP_COMMANDS:
        r = find(results, name)
        ratio = r.median / click.median if r and click else None
        add(f"{name} <= {limit:g} x import click",
            ratio and f"{r.median:.3f} s / {click.median:.3f} s = {ratio:.2f}",
            None if ratio is None else ratio <= limit)
    for name, cards, limit, what in (("optimize (whole process)", FITTING_GOAL_CARDS, 10, "100k"),
                                     ("evaluate (whole process)", 100_000, 60, "1M")):
        r = find(results, name, cards)
        add(f"{name.split()[0]} on {what} reviews < {limit} s", r and f"{r.median:.2f} s",
            None if not r else r.median < limit)
    r = next((r for r in results if r.name.startswith("next card") and r.seconds), None)
    add("next card at 100k cards, 1M reviews < 5 ms",
        r and f"{r.median * 1000:.2f} ms at {r.cards:,} cards",
        None if not r or r.cards < 100_000 else r.median < 0.005)
    # Issue 17's goals at 100k cards and 1M reviews.
    for name, limit, goal in (
            ("stats (whole process)", 0.5, "stats at 100k cards, 1M reviews < 0.5 s"),
            ("review --deck queue (in-process)", 0.05,
             "review --deck queue at 100k cards < 0.05 s"),
            ("list on a terminal, first screen (whole process)", 1.0,
             "list's first screen on a terminal at 100k cards < 1 s")):
        r = next((r for r in results if r.name == name and r.seconds), None)
        add(goal, r and f"{r.median:.3f} s at {r.cards:,} cards",
            None if not r or r.cards < 100_000 else r.median < limit)
    r = next((r for r in results if r.name.endswith("under FSRS (in-process)") and r.seconds),
             None)
    high = p95(r.seconds) if r else None
    add("next card + answer under FSRS, p95 at 100k cards, 1M reviews < 5 ms",
        high and f"{high * 1000:.2f} ms at {r.cards:,} cards",
        None if high is None or r.cards < 100_000 else high < 0.005)
    r = next((r for r in results if r.name.startswith("switch scheduler to FSRS")
              and r.seconds), None)
    add("switching scheduler at 100k cards, 1M reviews < 30 s",
        r and r.median and f"{r.median:.1f} s at {r.cards:,} cards",
        None if not r or not r.median or r.cards < 100_000 else r.median < 30)
    # Every whole process at 100k: sync and export, and the daily commands on the
    # 1M-review store (status, list, stats, review start-up); the in-process
    # figures have no peak of their own.
    peaks = [r for r in results if r.peak_mb is not None and (r.cards or 0) >= 100_000
             and not r.name.startswith("markdown-anki")]
    worst = max(peaks, key=lambda r: r.peak_mb, default=None)
    add("peak memory of any command at 100k < 150 MB",
        worst and f"{worst.peak_mb:.0f} MB ({worst.name}; the most of {len(peaks)} commands)",
        None if not worst else worst.peak_mb < 150)
    return "\n".join(rows)


def render(results: list[Result], info: dict[str, str]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    head = (f"Run on {when}: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, "
            f"Python {info['python']}, {info['system']}; medians of the runs shown; "
            "peak memory is the largest resident set of one process.")
    return f"{head}\n\n{table(results)}\n\nGoals:\n\n{goals(results)}\n"


def rewrite_markdown(path: Path, text: str) -> None:
    doc = path.read_text()
    if MARK_START not in doc or MARK_END not in doc:
        raise SystemExit(f"{path}: no {MARK_START} ... {MARK_END} markers to replace between")
    before, rest = doc.split(MARK_START, 1)
    _, after = rest.split(MARK_END, 1)
    path.write_text(f"{before}{MARK_START}\n{text}{MARK_END}{after}")


# -- import of an Anki package (issue 16) ------------------------------------------------

ANKI_CREATED = 1_767_585_600  # 2026-01-05 04:00 UTC
ANKI_MODELS = {
    "1001": {"id": 1001, "name": "Basic", "type": 0,
             "flds": [{"name": "Front", "ord": 0}, {"name": "Back", "ord": 1}],
             "tmpls": [{"name": "Card 1", "ord": 0, "qfmt": "{{Front}}", "afmt": "{{Back}}"}]},
    "1002": {"id": 1002, "name": "Cloze", "type": 1,
             "flds": [{"name": "Text", "ord": 0}, {"name": "Back Extra", "ord": 1}],
             "tmpls": [{"name": "Cloze", "ord": 0, "qfmt": "{{cloze:Text}}",
                        "afmt": "{{cloze:Text}}"}]},
}


def _anki_fields(rng: random.Random, index: int) -> tuple[int, list[str]]:
    """A note's fields as Anki's editor writes them: divs, bold, breaks, MathJax, code."""
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
    if index % 5 == 0:
        return 1002, [f"The {{{{c1::{rng.choice(WORDS)}}}}} of <b>{words}</b> is "
                      f"{{{{c2::\\(x_{index}\\)::math}}}}", ""]
    back = rng.choice([
        f"<div>{words}</div><div><br></div><div>and <i>{rng.choice(WORDS)}</i></div>",
        f"{words} \\(\\sum_i w_i x_i\\)",
        f"<ul><li>{words}</li><li>{rng.choice(WORDS)}</li></ul>",
        f'<pre><code class="language-python">y = {rng.choice(WORDS)}(x)\n</code></pre>',
        words])
    return 1001, [f"What is the {rng.choice(WORDS)} of {words} ({index})?", back]


def write_anki_package(path: Path, notes: int, reviews: int, seed: int = SEED) -> Path:
    """A legacy-layout package (schema 11, JSON media map) of ``notes`` notes in 10
    decks, one card each, every card in review, and ``reviews`` review log rows."""
    import zipfile

    rng = random.Random(seed)
    work = path.with_suffix(".anki21")
    work.unlink(missing_ok=True)
    conn = sqlite3.connect(work)
    conn.executescript("""
        CREATE TABLE col (id integer primary key, crt integer, mod integer, scm integer,
            ver integer, dty integer, usn integer, ls integer, conf text, models text,
            decks text, dconf text, tags text);
        CREATE TABLE notes (id integer primary key, guid text, mid integer, mod integer,
            usn integer, tags text, flds text, sfld integer, csum integer, flags integer,
            data text);
        CREATE TABLE cards (id integer primary key, nid integer, did integer, ord integer,
            mod integer, usn integer, type integer, queue integer, due integer,
            ivl integer, factor integer, reps integer, lapses integer, left integer,
            odue integer, odid integer, flags integer, data text);
        CREATE TABLE revlog (id integer primary key, cid integer, usn integer,
            ease integer, ivl integer, lastIvl integer, factor integer, time integer,
            type integer);
    """)
    decks = {str(i): {"id": i, "name": f"Bench::{TOPICS[i - 1]}"} for i in range(1, 11)}
    conn.execute("INSERT INTO col VALUES (1, ?, 0, 0, 11, 0, 0, 0, ?, ?, ?, '{}', '{}')",
                 [ANKI_CREATED, json.dumps({"schedVer": 2}), json.dumps(ANKI_MODELS),
                  json.dumps(decks)])
    note_rows, card_rows = [], []
    for index in range(notes):
        model, fields = _anki_fields(rng, index)
        note_rows.append((index + 1, f"bench{index:07d}", model, " bench ", "\x1f".join(fields)))
        card_rows.append((index + 1, index + 1, 1 + index % 10, rng.randint(1, 60),
                          rng.choice([2050, 2500, 2650]), 100 + index % 40))
    conn.executemany("INSERT INTO notes VALUES (?, ?, ?, 0, 0, ?, ?, '', 0, 0, '')", note_rows)
    conn.executemany("INSERT INTO cards VALUES (?, ?, ?, 0, 0, 0, 2, 2, ?, ?, ?, 0, 0, 0, 0, 0,"
                     " 0, '')", [(c, n, d, due, ivl, f) for c, n, d, ivl, f, due in card_rows])
    moment = ANKI_CREATED * 1000 - 400 * 86_400_000
    revlog = []
    for _ in range(reviews):
        moment += rng.randint(1, 300_000)
        revlog.append((moment, rng.randint(1, notes), rng.choice([1, 3, 3, 3, 4])))
    conn.executemany("INSERT INTO revlog VALUES (?, ?, 0, ?, 1, 0, 2500, 6000, 1)", revlog)
    conn.commit()
    conn.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(work, "collection.anki21")
        archive.writestr("media", "{}")
    work.unlink()
    return path


def bench_anki_import(notes: int, reviews: int, out: Path, runs: int,
                      results: list[Result]) -> None:
    """`flashcards import` of an Anki package into a new folder and an empty store:
    the Markdown, the journal and the sync that brings it into the store."""
    package = write_anki_package(out / f"anki-{notes}.apkg", notes, reviews)
    folder, db = out / f"anki-import-{notes}", out / f"anki-import-{notes}.db"

    def setup(run: int) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        remove_db(db)

    result = Result(f"import Anki ({reviews // 1000}k reviews)", notes)
    guarded(results, result, lambda: measure(
        result, runs,
        lambda run: [([*flashcards_cmd(), "import", str(package), "--to", str(folder)],
                      base_env(db))], setup=setup))


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000",
                        help="Corpus sizes in cards, comma-separated (default: 1000,10000).")
    parser.add_argument("--runs", type=int, default=3, help="Runs per figure (default: 3).")
    parser.add_argument("--runs-large", type=int,
                        help="Runs per figure at 50k cards and more (default: --runs).")
    parser.add_argument("--out", type=Path,
                        help="Work folder for corpora, stores and the peer (default: a temp one).")
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                        help="Also run markdown-anki-decks (default: yes).")
    parser.add_argument("--queue", action=argparse.BooleanOptionalAction, default=True,
                        help="Measure the review queue at the largest size (default: yes).")
    parser.add_argument("--answers", type=int, default=200,
                        help="Cards answered per queue run (default: 200).")
    parser.add_argument("--quick", action="store_true",
                        help="Smoke test: few answers, no start-up figures beyond one run.")
    parser.add_argument("--markdown", type=Path,
                        help="Rewrite the results between the bench markers of this file.")
    parser.add_argument("--json", type=Path, help="Also write the raw results as JSON.")
    parser.add_argument("--fitting-only", action="store_true",
                        help="Only optimize and evaluate on each size's synthetic history.")
    parser.add_argument("--anki-import", type=int, default=0, metavar="NOTES",
                        help="Also time `flashcards import` of an Anki package of NOTES notes "
                             "(with --anki-reviews review log rows); default: not run.")
    parser.add_argument("--anki-reviews", type=int, default=100_000,
                        help="Review log rows of the --anki-import package (default: 100000).")
    parser.add_argument("--fsrs", action=argparse.BooleanOptionalAction, default=True,
                        help="Measure FSRS on the history store: switching, next card "
                             "(default: on, with --queue).")
    parser.add_argument("--queue-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scheduler", default="sm2", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.queue_worker:
        queue_worker(args.queue_worker, args.answers, args.scheduler)
        return 0
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    answers = 5 if args.quick else args.answers
    out = args.out or Path(tempfile.mkdtemp(prefix="flashcards-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(f"flashcards bench in {out}: {info}", flush=True)
    commands = set_commands()
    results: list[Result] = []
    if args.fitting_only:
        bench_fitting_only(sizes, out, args.runs, results)
        print("\n" + render(results, info))
        return 1 if any(r.note.startswith("failed") for r in results) else 0
    peers: dict[str, Path] = {}
    for name in PEERS if args.peer else ():
        peer, why = peer_cli(out, name)
        if peer:
            peers[name] = peer
        else:
            print(f"  ! {why}", file=sys.stderr)
            results.append(Result(name, None, note=why))
    bench_startup(out, 1 if args.quick else max(args.runs, STARTUP_RUNS), results,
                  commands)
    synced = None
    large = args.runs_large or args.runs
    for cards in sizes:
        runs = large if cards >= LARGE else args.runs
        synced = bench_size(cards, out, runs, peers, results, commands)
    if args.queue and synced:
        bench_queue(synced, sizes[-1], out, large if sizes[-1] >= LARGE else args.runs,
                    answers, results)
        if args.fsrs:
            bench_fsrs(out / f"queue-{sizes[-1]}.db", sizes[-1], out,
                       large if sizes[-1] >= LARGE else args.runs, answers, results)
        if FITTING_GOAL_CARDS in sizes[:-1]:  # the goal "optimize on 100k reviews"
            bench_fitting_only([FITTING_GOAL_CARDS], out, args.runs, results)
    if args.anki_import:
        bench_anki_import(args.anki_import, args.anki_reviews, out, args.runs, results)
    bench_floor_again(1 if args.quick else max(args.runs, STARTUP_RUNS), results)
    text = render(results, info)
    print("\n" + text)
    if args.markdown:
        rewrite_markdown(args.markdown, text)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2))
    return 1 if any(r.note.startswith("failed") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
