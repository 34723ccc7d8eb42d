"""A durable-run process for the crash tests: `python worker.py DB_URL BASE_URL LOG CMD ...`.

CMD `start RUN_ID INPUT`: start a run and wait for it; `resume RUN_ID`: launch (DBOS recovers
the unfinished runs of this process's executor id, the same on every start) and wait for that
run. The swords write to LOG (one JSON line per event), and
`hang` blocks until the test kills the process (WORKER_HANG=1), after saying so on the log.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from typing import Any

from drusilla import Agent, sword
from drusilla.durable import DurableRunner
from drusilla.models.openai.chat import OpenAIChatModel

DB, BASE_URL, LOG = sys.argv[1], sys.argv[2], sys.argv[3]


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
    command, run_id = sys.argv[4], sys.argv[5]
    runner = DurableRunner([build_agent()], database_url=DB, executor_id="crash-test")
    async with runner:
        if command == "start":
            handle = await runner.start("Clerk", sys.argv[6], run_id=run_id)
        else:
            handle = runner.handle(run_id)
        log("started", run_id=run_id, command=command)
        output = await handle.result()
        log("output", output=output)


asyncio.run(main())
