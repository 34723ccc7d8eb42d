"""What both engines' crash tests do with their worker subprocess (tests/durable/test_crash.py,
tests/durable_temporal/test_crash.py): read its log, wait for a line in it, kill it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drusilla.testing import OpenAIServer

READY_TIMEOUT = 120.0  # a backstop only: the tests wait for lines in the log, not for time

Events = list[dict[str, Any]]


def named(events: Events, name: str) -> Events:
    return [event for event in events if event["event"] == name]


def assert_in_flight_sword_ran_again(events: Events, server: OpenAIServer) -> None:
    """After a kill while `hang` ran (with `record` done before it), and a restart: `record`
    ran once, `hang` twice, and the model was asked once per turn, `hang`'s result once."""
    assert [e["note"] for e in named(events, "record")] == ["first"]  # done once, not again
    assert len(named(events, "hang")) == 2  # in flight at the kill, so run again
    assert len(server.requests_for("durable")) == 3  # one per turn, none repeated
    third_turn = server.requests_for("durable")[2]
    assert third_turn.input[-1]["type"] == "function_call_output"  # hang's result, once


class WorkerProcess:
    """A crash-test worker (its engine's test says how to start it) and its log."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def events(self) -> Events:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def deadline(self) -> float:
        return time.monotonic() + READY_TIMEOUT

    def got_there(self, check: Callable[[Events], bool], deadline: float) -> bool:
        """Whether the log passes `check` yet; fails once the worker exited or time is up."""
        if check(self.events()):
            return True
        assert self.process is not None
        if self.process.poll() is not None:
            error = self.process.stderr.read().decode() if self.process.stderr else ""
            raise AssertionError(f"the worker exited ({self.process.returncode}):\n{error}")
        assert time.monotonic() < deadline, f"worker never got there: {self.events()}"
        return False

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def kill_if_running(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()
