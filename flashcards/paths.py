"""How paths are shown to the user, which folder a deck file belongs to, and whether a
temporary file named after a process is stale."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path | str) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    path = Path(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def deck_folder(root: Path | str) -> Path:
    """The folder a synced root stands for: itself, or a deck file's own folder.

    A root that no longer exists still names a folder unless it is a ``.md`` file.
    Images must stay inside it, and a note's source is shown relative to it.
    """
    root = Path(root)
    return root if root.is_dir() or root.suffix.lower() != ".md" else root.parent


# How the store remembers the bundled decks: by name, not by the folder of one
# installation, so a reinstall, a new Python or pipx finds them (and their history).
BUNDLED_ROOT = "bundled:"


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs: a temporary file named after it is not stale."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True
