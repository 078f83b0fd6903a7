"""flashcards/child_process.py: a child of ours never outlives a Ctrl-C, whenever it comes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from process_helpers import children_running

from flashcards import child_process

_MODULE = "flashcards.replay_worker"  # waits for its job on standard input


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


sent: list[bool] = []


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="finds the child in /proc")
def test_a_ctrl_c_while_a_child_starts_ends_the_child_too():
    sent.clear()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    read, write = os.pipe()
    try:
        sys.settrace(_interrupt_once_forked)
        try:
            with pytest.raises(KeyboardInterrupt):
                child_process.start(_MODULE, stdin=read, stdout=subprocess.DEVNULL)
        finally:
            sys.settrace(None)
        assert sent, "the interrupt was never sent: subprocess starts children otherwise now"
        deadline = time.monotonic() + 5
        while children_running(os.getpid(), _MODULE.encode()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not children_running(os.getpid(), _MODULE.encode()), "the child outlived Ctrl-C"
    finally:
        signal.signal(signal.SIGINT, previous)
        os.close(read)
        os.close(write)
