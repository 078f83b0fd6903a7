"""Child processes of a real command: run it as pip's console script runs it, with every
process's imports recorded, and find its children by the module they run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

# Run by every Python process of the command (PYTHONPATH): each module it imports, as
# it imports it, a line in a file named after its process id.
_RECORD_IMPORTS = """
import os, sys

_out = open(os.path.join(os.environ["RECORD_IMPORTS_IN"], str(os.getpid())), "a", buffering=1)
sys.addaudithook(lambda event, args: event == "import" and _out.write(args[0] + "\\n"))
"""


def imports_of_an_installed_run(tmp_path: Path, args: list[str], env: dict[str, str],
                                *, timeout: float
                                ) -> tuple[dict[int, set[str]], subprocess.Popen, str, str]:
    """Run ``flashcards ARGS`` through a script like pip's (it imports the command line
    above its ``__main__`` guard); return each process's imports by process id, the
    finished command, and its output and errors."""
    script, hooks, records = tmp_path / "flashcards", tmp_path / "hooks", tmp_path / "records"
    script.write_text("import sys\nfrom flashcards.cli import main\n"
                      "if __name__ == '__main__':\n    sys.exit(main())\n")
    hooks.mkdir()
    records.mkdir()
    (hooks / "sitecustomize.py").write_text(_RECORD_IMPORTS)
    path = os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")])
    command = subprocess.Popen([sys.executable, str(script), *args], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**env, "PYTHONPATH": path,
                                    "RECORD_IMPORTS_IN": str(records)})
    out, err = command.communicate(timeout=timeout)
    imports = {int(file.name): set(file.read_text().split()) for file in records.iterdir()}
    return imports, command, out, err


def children_running(pid: int, module: bytes) -> list[int]:
    """The child processes of ``pid`` whose command line names ``module``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and module in cmdline:
            found.append(int(entry.name))
    return found


def ctrl_c_reaches_it() -> None:
    """A child's ``preexec_fn``: Ctrl-C (SIGINT) interrupts it, as in a terminal.

    A suite started in the background by a shell without job control (``pytest &``,
    ``nohup``) inherits SIGINT ignored, and Python then installs no KeyboardInterrupt
    handler: a test of Ctrl-C would see the signal do nothing.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
