"""flashcards/child_process.py: a child of ours never outlives its block, nor a Ctrl-C,
whenever it comes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_helpers import children_running, hook_every_child

from flashcards import child_process, fitting_report
from flashcards.model import FlashcardsError

_MODULE = "flashcards.replay_worker"  # waits for its job on standard input

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"),
                                reason="finds the child in /proc")


def _ours_running() -> list[int]:
    """Our children running _MODULE, once a killed one has had time to go."""
    deadline = time.monotonic() + 5
    while (found := children_running(os.getpid(), _MODULE.encode())) \
            and time.monotonic() < deadline:
        time.sleep(0.01)
    return found


@pytest.fixture
def stdin():
    """A pipe the child waits on: it ends only if it is ended."""
    read, write = os.pipe()
    yield read
    os.close(read)
    os.close(write)


@pytest.fixture
def ctrl_c_raises():
    """SIGINT raises KeyboardInterrupt, as in a terminal (a suite started in the
    background inherits it ignored); put back afterwards."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_the_child_runs_in_the_block_and_is_gone_after_it(stdin):
    with child_process.running(_MODULE, stdin=stdin, stdout=subprocess.DEVNULL) as child:
        assert child.poll() is None
        assert children_running(os.getpid(), _MODULE.encode()) == [child.pid]
    assert child.returncode == -signal.SIGKILL
    assert _ours_running() == []


def test_an_error_in_the_block_ends_the_child(stdin):
    with pytest.raises(ZeroDivisionError), \
            child_process.running(_MODULE, stdin=stdin, stdout=subprocess.DEVNULL):
        1 / 0  # noqa: B018
    assert _ours_running() == []


sent: list[bool] = []


def _interrupt_once_forked(frame, event, arg):
    """A trace function: Ctrl-C at the worst moment of starting a child, once it is
    forked and before ``Popen`` has handed it back (its exec not yet confirmed)."""
    if frame.f_code.co_name != "_execute_child":
        return None

    def local(frame, event, arg):
        if getattr(frame.f_locals.get("self"), "pid", None) and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return local

    return local


def test_a_ctrl_c_while_a_child_starts_ends_the_child_too(stdin, ctrl_c_raises):
    sent.clear()
    tracer = sys.gettrace()  # a debugger's or coverage's, put back after
    sys.settrace(_interrupt_once_forked)
    try:
        with pytest.raises(KeyboardInterrupt), \
                child_process.running(_MODULE, stdin=stdin, stdout=subprocess.DEVNULL):
            pytest.fail("the block ran: the Ctrl-C should have ended the start")
    finally:
        sys.settrace(tracer)
    assert sent, "the interrupt was never sent: subprocess starts children otherwise now"
    assert _ours_running() == [], "the child outlived Ctrl-C"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_ctrl_c_ignored_here_is_ignored_by_the_child_too(stdin):
    # Held, it would meet a handler of ours at the fork, which exec resets to the
    # default: the child would take a Ctrl-C this process ignores.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with child_process.running(_MODULE, stdin=stdin, stdout=subprocess.DEVNULL) as child:
            assert _ignores_ctrl_c(child.pid)
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def _ignores_ctrl_c(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & 1 << (signal.SIGINT - 1))
    raise AssertionError("no SigIgn line")


# A child that sleeps before it runs its module: time for the test to end it first.
_SLOW_START = 'import sys, time\nif sys.argv == ["-m"]:\n    time.sleep(30)\n'


def test_a_fit_whose_child_dies_before_it_answers_says_so_and_leaves_nothing(
        tmp_path, monkeypatch):
    hook_every_child(tmp_path, monkeypatch, _SLOW_START)
    fit_worker = b"flashcards.fsrs.fit_worker"

    def kill_the_child() -> None:  # the fit's tick, while it waits for the answer
        for pid in children_running(os.getpid(), fit_worker):
            os.kill(pid, signal.SIGKILL)

    with pytest.raises(FlashcardsError, match=r"the FSRS fit stopped \(exit code -9\); "
                                              "nothing was changed"):
        fitting_report.fit_in_worker(None, [], kill_the_child)
    assert children_running(os.getpid(), fit_worker) == []
