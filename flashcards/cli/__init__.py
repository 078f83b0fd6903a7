"""The command line: parse options, call the library, print. The only click owner.

Each command is a thin client of the library. The clock and the time zone are
read here, once per command (``FLASHCARDS_NOW`` and ``FLASHCARDS_TZ`` override
them), and passed down. Heavy modules are imported inside the commands that
need them, so ``flashcards --help`` stays fast.

The package: ``app`` (the group, its options and error handling), and one module
per group of commands (``cards``, ``study``, ``fitting``, ``anki``); importing it
registers every command.
"""

from __future__ import annotations

import gc

from flashcards.cli import anki, cards, fitting, study  # noqa: F401 - they register commands
from flashcards.cli.app import cli, echo_json_rows

__all__ = ["cli", "echo_json_rows", "main"]


def main() -> None:
    try:
        cli(prog_name="flashcards")
    finally:
        # The process ends here, and Python's exit would walk every object still alive
        # (each module, class and function a command loaded) for cycles to free, memory
        # the system takes back anyway: a tenth of a no-change sync. Frozen, they are
        # left to the exit. Nothing is lost: the store is closed by then (App.close),
        # files are closed by their `with` blocks, and buffered output and atexit
        # handlers still run; only garbage cycles go unfinalized.
        gc.freeze()
