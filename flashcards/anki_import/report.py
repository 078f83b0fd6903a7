"""What an import reports: its counts and files, and its warnings counted by kind."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from flashcards.loader import LoadedFile
from flashcards.paths import display_path


@dataclass
class ImportReport:
    folder: Path
    files: list[Path] = field(default_factory=list)
    decks: int = 0
    notes: int = 0
    cards: int = 0
    reviews: int = 0
    scheduled: int = 0
    suspended: int = 0
    media: int = 0
    journal_lines: int = 0
    warnings: list[str] = field(default_factory=list)
    # The written files as the check parsed them (`loader.load_file`), for the
    # sync that follows (`sync(..., parsed=...)`) not to parse them again.
    parsed: list[LoadedFile] = field(default_factory=list, repr=False)

    def hand_over(self) -> list[LoadedFile]:
        """The parsed files, given up here: the sync that takes them lets them go
        before its journal replay, which needs the memory more."""
        parsed, self.parsed = self.parsed, []
        return parsed

    def summary(self) -> str:
        return (f"Imported into {display_path(self.folder)}: {self.decks} decks "
                f"({len(self.files)} files), {self.notes} notes, {self.cards} cards, "
                f"{self.reviews} reviews, {self.scheduled} schedules, "
                f"{self.suspended} suspended, {self.media} media files; "
                f"{self.journal_lines} new journal lines")


class _Warnings:
    """Warnings counted by kind, each printed once with its count and examples."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = defaultdict(list)

    def add(self, kind: str, example: str = "") -> None:
        self.counts[kind] += 1
        if example and len(self.examples[kind]) < 3:
            self.examples[kind].append(example)

    def lines(self) -> list[str]:
        out = []
        for kind, count in self.counts.items():
            shown = f" (e.g. {', '.join(self.examples[kind])})" if self.examples[kind] else ""
            out.append(f"{kind}: {count}{shown}")
        return out
