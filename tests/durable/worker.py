"""A durable-run process for the crash tests: `python worker.py DB_URL BASE_URL LOG CMD ...`.

CMD `start RUN_ID INPUT`: start a run and wait for it; `start-streamed RUN_ID INPUT`: the same
with `stream=True`, logging each published event as it reads it (`published`, with the run id
and the command); `resume RUN_ID`: launch (DBOS recovers the unfinished runs of this process's
executor id, the same on every start) and wait for that run; `resume-streamed RUN_ID`: the same,
logging every event of the run's stream, read from its start. The agent and its logging swords
are tests/durable/crash_clerk.py's.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository: `tests` imports

from drusilla.durable import DurableRunner
from tests.durable.crash_clerk import build_agent, log

DB, BASE_URL, LOG = sys.argv[1], sys.argv[2], sys.argv[3]


async def main() -> None:
    command, run_id = sys.argv[4], sys.argv[5]
    runner = DurableRunner([build_agent(BASE_URL, LOG)], database_url=DB, executor_id="crash-test")
    async with runner:
        if command.startswith("start"):
            streamed = command == "start-streamed"
            handle = await runner.start("Clerk", sys.argv[6], run_id=run_id, stream=streamed)
        else:
            handle = runner.handle(run_id)
        if command.endswith("-streamed"):
            async for event in handle.stream_events():
                log("published", run_id=run_id, command=command, **event)
        log("started", run_id=run_id, command=command)
        output = await handle.result()
        log("output", output=output)


asyncio.run(main())
