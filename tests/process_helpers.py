"""Child processes of a real command: run it as pip's console script runs it, with every
process's imports recorded, and find its children by the module they run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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


def ctrl_c_while_its_child_runs(args: list[str], env: dict[str, str], module: bytes,
                                *, wait: float) -> None:
    """Run ``flashcards ARGS``, press Ctrl-C once its child running ``module`` is up
    (within ``wait`` seconds), and check the command stops as a Ctrl-C should: exit
    130, "Interrupted.", no traceback, and the child gone with it."""
    proc = subprocess.Popen([sys.executable, "-m", "flashcards", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_reaches_it)
    deadline, children = time.monotonic() + wait, []
    while not children and proc.poll() is None and time.monotonic() < deadline:
        children = children_running(proc.pid, module)
        time.sleep(0.005)
    assert children, f"no child process seen; the command ended with {proc.poll()}"
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends (the child has a session of its own)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Interrupted." in err and "Traceback" not in err
    time.sleep(0.2)  # a killed child's /proc entry may outlast its parent briefly
    assert not any(_runs(child, module) for child in children), "the child outlived the command"


def _runs(pid: int, module: bytes) -> bool:
    try:
        return module in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def hook_every_child(folder: Path, monkeypatch, hook: str, **env: str):
    """Run ``hook`` (Python, as a sitecustomize) in every process started from now on,
    with ``env`` set and ``RECORDS_IN`` naming a folder for what it writes there (a
    file per process id); returns a reader of that folder: pid -> lines."""
    hooks, records = folder / "hooks", folder / "records"
    hooks.mkdir(parents=True)
    records.mkdir()
    (hooks / "sitecustomize.py").write_text(hook)
    # No empty entry: it would put the working directory on the path, as -P does not.
    path = [str(hooks), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(path))
    monkeypatch.setenv("RECORDS_IN", str(records))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return lambda: {int(f.name): f.read_text().splitlines() for f in records.iterdir()}
