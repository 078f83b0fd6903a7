"""Terminal drawing: the only rich owner.

- ``tables``: the console, progress bars, the `list` and `status` tables;
- ``stats_view``: `flashcards stats`;
- ``review_screen``: the review session's loop (what each key does), with
  ``review_keys`` (reading keys) and ``review_drawing`` (a card's frame, the end screen);
- ``fitting_view``: `optimize`, `evaluate` (the calibration chart) and `simulate`.

The names below load their module on first use, so `flashcards list` never
loads the review screen and `review` never loads the statistics view.
"""

from __future__ import annotations

from importlib import import_module

__all__ = [
    "CARD_COLUMNS",
    "QUESTION_WIDTH",
    "console",
    "duration_text",
    "print_card_table",
    "print_evaluation",
    "print_optimize",
    "print_simulation",
    "print_stats",
    "print_status",
    "progress",
    "run_review",
    "spinner",
]

_HOME = {"run_review": "review_screen", "duration_text": "stats_view",
         "print_stats": "stats_view", "print_optimize": "fitting_view",
         "print_evaluation": "fitting_view", "print_simulation": "fitting_view",
         "spinner": "fitting_view"}


def __getattr__(name: str):
    if name in __all__:
        return getattr(import_module(f"flashcards.ui.{_HOME.get(name, 'tables')}"), name)
    raise AttributeError(f"module 'flashcards.ui' has no attribute {name!r}")
