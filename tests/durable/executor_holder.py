"""A process that runs as one executor id until its stdin closes (or it is killed):
`python tests/durable/executor_holder.py DATABASE_URL EXECUTOR_ID`; prints "ready" once launched."""

from __future__ import annotations

import asyncio
import sys

from drusilla import Agent
from drusilla.durable import DurableRunner
from drusilla.testing import ScriptedModel


async def main(database_url: str, executor_id: str) -> None:
    agent = Agent("holder", model=ScriptedModel(["unused"]))
    async with DurableRunner([agent], database_url=database_url, executor_id=executor_id):
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
