"""The SQLite store: one file that caches the Markdown and keeps the review log.

``Store.open(path)`` opens (creating or upgrading) a store. Its methods come in
groups, one module per client, so each client's queries sit together:

- ``connection``: the file, transactions, backups, settings;
- ``sync_queries``: roots, files, decks, notes and cards (sync.py);
- ``review_queries``: the queue, answers and status (session.py, status.py);
- ``export_queries``: notes for Anki and the HTML cache (export/);
- ``maintenance_queries``: the doctor's checks and repairs (maintenance.py);
- ``stats_queries``: statistics and `flashcards list` (stats/, cli/);
- ``history_queries``: keeping the store equal to the journal (history.py);
- ``fitting_queries``: the review log as FSRS fitting reads it (fitting_report.py).

Rows cross this boundary only as the records of ``records.py``: no module
above the store knows a table or a column. ``schema.sql`` is the schema and
``migrations.py`` upgrades older files; docs/store.md documents both.
"""

from flashcards.store.export_queries import ExportQueries
from flashcards.store.fitting_queries import FittingQueries
from flashcards.store.history_queries import HistoryQueries, replayed_values
from flashcards.store.maintenance_queries import MaintenanceQueries
from flashcards.store.migrations import SCHEMA_VERSION, backup_path
from flashcards.store.records import (
    CARD_STATES,
    NEW_CARD,
    AnswerMark,
    CardCounts,
    CardSchedule,
    CardState,
    DeckCounts,
    ExportAnswer,
    ExportCard,
    ExportNote,
    FitAnswer,
    HourTotals,
    ListedCard,
    ReplayCard,
    ReviewRecord,
    SourceRecord,
    StatsCard,
    StatsReview,
    StoredCard,
    StoredNote,
    utc_iso,
)
from flashcards.store.review_queries import (
    ReviewQueries,
    answer_values,
    review_values,
    schedule_values,
)
from flashcards.store.stats_queries import StatsQueries
from flashcards.store.sync_queries import SyncQueries

__all__ = [
    "CARD_STATES",
    "NEW_CARD",
    "AnswerMark",
    "CardCounts",
    "SCHEMA_VERSION",
    "CardSchedule",
    "CardState",
    "DeckCounts",
    "ExportAnswer",
    "ExportCard",
    "ExportNote",
    "FitAnswer",
    "HourTotals",
    "ListedCard",
    "ReplayCard",
    "ReviewRecord",
    "SourceRecord",
    "StatsCard",
    "StatsReview",
    "Store",
    "StoredCard",
    "StoredNote",
    "backup_path",
    "answer_values",
    "replayed_values",
    "review_values",
    "schedule_values",
    "utc_iso",
]


class Store(SyncQueries, ReviewQueries, ExportQueries, MaintenanceQueries, StatsQueries,
            HistoryQueries, FittingQueries):
    """A flashcards database file, with every client's queries."""
