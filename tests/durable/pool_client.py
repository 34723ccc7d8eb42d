"""The process that feeds the pool: `python pool_client.py DB_URL COUNT QUEUE`.

Starts COUNT runs on QUEUE (run ids `run-0` …, inputs `item-0` …) without running any itself,
says `enqueued` on stdout, waits for every run's output and prints them as one JSON list.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))  # run as a script: the repository's tests

from drusilla.durable import DurableRunner
from tests.durable.pool_agents import smith


async def main() -> None:
    url, count, queue = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    async with DurableRunner([smith], database_url=url, executor_id="feeder") as runner:
        handles = [
            await runner.start("Smith", f"item-{i}", run_id=f"run-{i}", queue=queue)
            for i in range(count)
        ]
        print("enqueued", flush=True)
        outputs = [await handle.result() for handle in handles]
    print(json.dumps(outputs), flush=True)


asyncio.run(main())
