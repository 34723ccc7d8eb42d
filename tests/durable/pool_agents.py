"""The agents of the worker-pool test, for `drusilla worker tests/durable/pool_agents.py`.

`forge(item)` writes a `start` and a `done` line (with the process id) to POOL_LOG, so the test
counts side effects per worker. In a process started with POOL_HOLD=ITEM, forging ITEM blocks
until the file POOL_RELEASE exists: the test kills that worker while it waits.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from drusilla import Agent, sword
from drusilla.models.openai.chat import OpenAIChatModel

RELEASE_POLL_SECONDS = 0.05


def log(event: str, item: str) -> None:
    line = json.dumps({"event": event, "item": item, "pid": os.getpid()}) + "\n"
    with open(os.environ["POOL_LOG"], "a") as handle:  # one short append: lines never mix
        handle.write(line)


@sword
def forge(item: str) -> str:
    """Forge an item."""
    log("start", item)
    if item == os.environ.get("POOL_HOLD"):
        released = threading.Event()
        while not os.path.exists(os.environ["POOL_RELEASE"]):  # until the test says so
            released.wait(RELEASE_POLL_SECONDS)
    log("done", item)
    return f"forged {item}"


def build_agent() -> Agent[Any]:
    model = OpenAIChatModel("pool", base_url=os.environ["POOL_BASE_URL"], api_key="sk-test")
    return Agent(name="Smith", model=model, swords=[forge])


smith = build_agent()
