"""`drusilla worker FILE --database URL`: a process of a durable-run pool.

It takes runs from a queue (`runner.start(..., queue="drusilla")` puts them there) and runs
them; any number of workers on one database share the queue, each run taken by exactly one.
SIGTERM or Ctrl-C stops it cleanly: it takes no more runs, stops the runs it has, and puts them
back on their queues, where another worker continues each from its last finished step.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from .common import EXIT_OK, Commands, positive_int

__all__ = ["DEFAULT_QUEUE", "add_worker_command"]

DEFAULT_QUEUE = "drusilla"
"""`drusilla.durable.pool.DEFAULT_QUEUE` (not imported here: that imports DBOS)."""


def add_worker_command(commands: Commands) -> None:
    worker = commands.add_parser(
        "worker",
        help="run durable runs from a queue, as one process of a pool",
        description="Take durable runs from a queue on the shared database and run them. "
        "Start as many workers as you like, on any machine that reaches the database; stop one "
        "with SIGTERM or Ctrl-C (its unfinished runs go back on the queue). See docs/durable.md.",
    )
    worker.add_argument(
        "target",
        metavar="FILE_OR_MODULE[:AGENT]",
        help="the agents runs may start with: AGENT, or every Agent of the module",
    )
    worker.add_argument(
        "--database",
        "--db",
        dest="database",
        help="the durable runs' database URL, e.g. postgresql://user@host/db "
        "(default: sqlite:///drusilla-durable.sqlite)",
    )
    worker.add_argument("--queue", default=DEFAULT_QUEUE, help="the queue to take runs from")
    worker.add_argument(
        "--concurrency", type=positive_int, help="runs at once on each worker of the queue"
    )
    worker.add_argument(
        "--executor-id",
        help="this worker's id (default: a new one); a worker restarted with the same id "
        "continues its own unfinished runs",
    )
    worker.add_argument(
        "--recover",
        metavar="EXECUTOR_ID",
        action="append",
        default=[],
        help="first put the unfinished runs of this worker, gone for good, back on their queues",
    )
    worker.set_defaults(handler=_work)


def _work(args: argparse.Namespace) -> int:
    from ..durable.pool import DurableQueue
    from ..durable.runner import DurableRunner
    from .target import load_agents

    runner = DurableRunner(
        load_agents(args.target),
        database_url=args.database,
        executor_id=args.executor_id,
        recover_executors=args.recover,
        queues=[DurableQueue(args.queue, worker_concurrency=args.concurrency)],
    )
    asyncio.run(_serve(runner, args.queue))
    return EXIT_OK


async def _serve(runner: Any, queue: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await runner.launch()
    _say(f"worker {runner.executor_id}: taking runs from queue {queue!r} ({runner.database!r})")
    try:
        await stop.wait()
    finally:
        await runner.close(hand_off=True)
    _say(f"worker {runner.executor_id}: stopped; its unfinished runs are back on their queues")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
