"""The agent both crash-test workers run (tests/durable/worker.py on DBOS and
tests/durable_temporal/worker.py on Temporal): its swords write each call to the worker's log
(one JSON line per event), and `hang` blocks until the test kills the process
(WORKER_HANG=1), after saying so on the log."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from drusilla import Agent, sword
from drusilla.models.openai.chat import OpenAIChatModel

__all__ = ["build_agent", "log"]

_log_path = ""
"""The worker's log file (`build_agent` sets it: one worker, one log)."""


def log(event: str, **data: Any) -> None:
    with open(_log_path, "a") as handle:
        handle.write(json.dumps({"event": event, **data}) + "\n")


@sword
def record(note: str) -> str:
    """Write a note down."""
    log("record", note=note)
    return f"noted {note}"


@sword
def hang(note: str) -> str:
    """Take a long time."""
    log("hang", note=note)
    if os.environ.get("WORKER_HANG") == "1":
        threading.Event().wait()
    return f"finished {note}"


@sword(needs_approval=True)
def send_money(amount: int) -> str:
    """Send money (a person approves first)."""
    log("send_money", amount=amount)
    return f"sent {amount}"


def build_agent(base_url: str, log_path: str) -> Agent[Any]:
    """The agent `Clerk` on the test server at `base_url`, logging to `log_path`."""
    global _log_path
    _log_path = log_path
    model = OpenAIChatModel("durable", base_url=base_url, api_key="sk-test")
    return Agent(name="Clerk", model=model, swords=[record, hang, send_money])
