"""Many processes on one database: executor ids, queues, and recovering a worker's runs.

Every process that runs durable runs is one DBOS *executor*, with an id of its own; a run in
progress belongs to the executor running it. A process recovers, when it starts, only the
unfinished runs of its own id, so it never takes over a run that another live process is
executing. Runs of an executor that is gone for good are recovered on purpose, by naming it:
`drusilla runs recover --executor ID` or `DurableRunner(recover_executors=[ID])`. Recovery
puts each run back on its queue, where exactly one process of the pool takes it and continues
it from its last finished step.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from ..util.errors import UserError

__all__ = [
    "DEFAULT_QUEUE",
    "QUEUE_POLL_SECONDS",
    "DurableQueue",
    "as_queue",
    "new_executor_id",
    "recover_executor",
    "recover_executor_now",
]

DEFAULT_QUEUE = "drusilla"
QUEUE_POLL_SECONDS = 0.2
"""How often a worker looks for runs on its queues (DBOS's default is a second)."""


@dataclass(frozen=True)
class DurableQueue:
    """A queue of durable runs that workers take runs from.

    `concurrency`: runs of the queue at once across the whole pool; `worker_concurrency`: at
    once on each worker. Both are kept with the queue in the database (DBOS's model): the last
    worker to start sets them for every worker.
    """

    name: str = DEFAULT_QUEUE
    concurrency: int | None = None
    worker_concurrency: int | None = None

    def __post_init__(self) -> None:
        if not self.name or self.name.startswith("_"):
            raise UserError(f"Queue name {self.name!r}: give a name not starting with '_'.")
        for field in ("concurrency", "worker_concurrency"):
            limit = getattr(self, field)
            if limit is not None and limit < 1:
                raise UserError(f"DurableQueue({field}={limit}): give at least 1, or None.")

    async def register(self) -> None:
        """Create or update the queue in the database (DBOS launched in this process)."""
        from dbos import DBOS

        await DBOS.register_queue_async(
            self.name,
            global_concurrency=self.concurrency,
            worker_concurrency=self.worker_concurrency,
            polling_interval_sec=QUEUE_POLL_SECONDS,
            on_conflict="always_update",
        )


def as_queue(queue: str | DurableQueue) -> DurableQueue:
    return queue if isinstance(queue, DurableQueue) else DurableQueue(queue)


def new_executor_id() -> str:
    """A fresh id for this process: host and pid to read, and a random part to be unique."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


async def recover_executor(client: Any, executor_id: str, app_version: str) -> list[str]:
    """Put the unfinished runs of `executor_id` back on their queues; their ids.

    Only for an executor that is gone: a run it is still executing would run twice. A run
    another executor took over already is left alone (DBOS matches on the executor id).
    """
    return await asyncio.to_thread(recover_executor_now, client, executor_id, app_version)


def recover_executor_now(client: Any, executor_id: str, app_version: str) -> list[str]:
    """`recover_executor`, blocking: for a process whose DBOS has stopped (DBOS shuts down the
    thread pool `asyncio.to_thread` uses)."""
    from dbos._utils import INTERNAL_QUEUE_NAME

    # DBOSClient has no public recovery; these two calls are what DBOS's own recovery does
    # (dbos/_recovery.py): the update is conditional on the executor id, so it is idempotent.
    system = client._sys_db
    recovered = []
    for run in system.get_pending_workflows(executor_id, app_version):
        if system.reenqueue_for_recovery(run.workflow_id, [executor_id], INTERNAL_QUEUE_NAME):
            recovered.append(run.workflow_id)
    return recovered
