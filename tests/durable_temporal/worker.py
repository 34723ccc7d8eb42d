"""A Temporal worker process for the crash tests: `python worker.py ADDRESS QUEUE BASE_URL LOG`.

It serves runs of the agent `Clerk` until killed. The swords write to LOG (one JSON line per
event), and `hang` blocks until the test kills the process (WORKER_HANG=1), after saying so on
the log. Its heartbeat timeout is short, so a step of a killed worker is soon run again.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from typing import Any

from drusilla import Agent, sword
from drusilla.durable.temporal import TemporalRunner
from drusilla.models.openai.chat import OpenAIChatModel

ADDRESS, QUEUE, BASE_URL, LOG = sys.argv[1:5]
HEARTBEAT_TIMEOUT = 2.0


def log(event: str, **data: Any) -> None:
    with open(LOG, "a") as handle:
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


def build_agent() -> Agent[Any]:
    model = OpenAIChatModel("durable", base_url=BASE_URL, api_key="sk-test")
    return Agent(name="Clerk", model=model, swords=[record, hang, send_money])


async def main() -> None:
    runner = TemporalRunner(
        [build_agent()], address=ADDRESS, task_queue=QUEUE, heartbeat_timeout=HEARTBEAT_TIMEOUT
    )
    async with runner, runner.worker():
        log("serving")
        await asyncio.Event().wait()


asyncio.run(main())
