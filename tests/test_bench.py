"""scripts/bench.py works end to end at its smallest size. Times are never asserted."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flashcards.loader import check

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "bench.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_corpus_is_deterministic_and_clean(tmp_path):
    bench = _bench()
    first = bench.write_corpus(tmp_path / "a", 250)
    second = bench.write_corpus(tmp_path / "b", 250)
    names = sorted(p.name for p in first.glob("*.md"))
    assert names == ["deck-00000.md", "deck-00001.md", "deck-00002.md"]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    text = (first / "deck-00000.md").read_text()
    assert text.startswith("# Benchmark deck 00000\n")
    assert text.count("\n## ") == 100
    assert "```python" in text and "\n- " in text and "$" in text
    assert check([first]) == []  # no errors and no warnings: both tools read it as written


@pytest.mark.slow
def test_smallest_run_measures_everything_and_rewrites_the_table(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n<!-- bench:start -->\nstale table\n"
                   "<!-- bench:end -->\n\nAfter.\n")
    raw = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "200", "--runs", "1", "--no-peer", "--quick",
         "--out", str(tmp_path / "work"), "--markdown", str(doc), "--json", str(raw)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = {(r["name"], r["cards"]): r for r in json.loads(raw.read_text())}
    for name in ("cold sync", "no-change re-sync", "re-sync, one file changed",
                 "first export to .apkg", "export to .apkg", "export --with-scheduling",
                 "sync + export from scratch",
                 "build today's queue (in-process)", "next card + answer (in-process)",
                 "status (whole process)", "list (whole process)", "stats (whole process)",
                 "review start-up, q (whole process)", "optimize (whole process)",
                 "evaluate (whole process)", "switch scheduler to FSRS (in-process)",
                 "next card + answer under FSRS (in-process)",
                 "switch scheduler back to SM-2 (in-process)"):
        assert results[(name, 200)]["seconds"], name
        assert not results[(name, 200)]["note"].startswith("failed"), name
    for name in ("list (whole process)", "review start-up, q (whole process)"):
        assert results[(name, 200)]["peak_kib"][0] > 0, name
    assert results[("flashcards --help", None)]["peak_kib"][0] > 0
    # Start-up on the bundled decks: what a test of each command's imports once pinned.
    for name in ("status (bundled decks)", "no-change sync (bundled decks)",
                 "export, warm cache (bundled decks)",
                 'python -c "import click", again at the end'):
        assert results[(name, None)]["seconds"], name
        assert not results[(name, None)]["note"].startswith("failed"), name
    text = doc.read_text()
    assert "stale table" not in text and text.endswith("<!-- bench:end -->\n\nAfter.\n")
    assert "| cold sync | 200 |" in text and "| goal | measured | met |" in text
    assert "| no-change sync (bundled decks) <= 2 x import click | " in text
    assert (tmp_path / "work" / "corpus-200" / "deck-00001.md").exists()


def test_the_memory_goal_counts_the_daily_commands_at_100k():
    bench = _bench()

    def result(name, cards, mb):
        return bench.Result(name, cards, seconds=[1.0], peak_kib=[mb * 1024])

    results = [result("cold sync", 100_000, 140), result("list (whole process)", 100_000, 30),
               result("review start-up, q (whole process)", 100_000, 160),
               result("stats (whole process)", 10_000, 900),  # not at 100k
               result("markdown-anki-decks to .apkg", 100_000, 500)]  # not ours
    row = next(line for line in bench.goals(results).splitlines() if "peak memory" in line)
    assert "160 MB (review start-up, q (whole process); the most of 3 commands)" in row
    assert row.endswith("| **no** |")


def test_a_commands_peak_memory_is_its_own_not_the_scripts():
    # A child's ru_maxrss starts from the size of the process that spawned it: the
    # script, grown by its in-process rows, must not be the floor of every figure.
    bench = _bench()
    ballast = bytearray(300 * 2**20)
    ballast[::4096] = b"\1" * (len(ballast) // 4096)  # resident, not just mapped
    _, peak_kib = bench.run_process([sys.executable, "-c", "pass"], {})
    assert peak_kib < 100 * 1024, f"{peak_kib // 1024} MB for python -c pass"
    del ballast
