"""A Temporal worker process for the crash tests: `python worker.py ADDRESS QUEUE BASE_URL LOG`.

It serves runs of the agent `Clerk` (tests/durable/crash_clerk.py: its swords write to LOG)
until killed. Its heartbeat timeout is short, so a step of a killed worker is soon run again.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository: `tests` imports

from drusilla.durable.temporal import TemporalRunner
from tests.durable.crash_clerk import build_agent, log

ADDRESS, QUEUE, BASE_URL, LOG = sys.argv[1:5]
HEARTBEAT_TIMEOUT = 2.0


async def main() -> None:
    runner = TemporalRunner(
        [build_agent(BASE_URL, LOG)],
        address=ADDRESS,
        task_queue=QUEUE,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
    )
    async with runner, runner.worker():
        log("serving")
        await asyncio.Event().wait()


asyncio.run(main())
