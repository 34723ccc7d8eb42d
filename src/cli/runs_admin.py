"""`drusilla runs show|cancel|recover`: look after durable runs on the shared database.

Like `runs list|approve|reject`, these work from any machine that reaches the database; they
use a DBOS client, never run a run themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..util.errors import UserError
from .common import EXIT_OK
from .runs_db import DEFAULT_URL, sqlite_file

if TYPE_CHECKING:
    from ..durable.database import DurableDatabase

__all__ = [
    "NoDatabase",
    "add_database_option",
    "add_runs_admin_actions",
    "describe_pending",
    "existing_sqlite_file",
]

_DB_HELP = "the durable runs' database URL (default: sqlite:///drusilla-durable.sqlite)"


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", "--db", dest="db", help=_DB_HELP)


def add_runs_admin_actions(actions: Any) -> None:
    show = actions.add_parser("show", help="a run: status, worker, steps, pending calls, output")
    show.add_argument("run", help="the run id")
    add_database_option(show)
    show.set_defaults(handler=_show)

    cancel = actions.add_parser("cancel", help="cancel a run (it stops at its next step)")
    cancel.add_argument("run", help="the run id")
    add_database_option(cancel)
    cancel.set_defaults(handler=_cancel)

    recover = actions.add_parser(
        "recover",
        help="put the unfinished runs of a worker gone for good back on their queues",
        description="Put the unfinished runs of the worker EXECUTOR_ID back on their queues, "
        "where the pool continues each from its last finished step. Only for a worker that is "
        "gone for good: a run it is still executing would run twice.",
    )
    recover.add_argument("--executor", required=True, help="the worker's executor id")
    add_database_option(recover)
    recover.set_defaults(handler=_recover)


def describe_pending(call: Any) -> str:
    """One line of `runs list`: `RUN  CALL  AGENT: sword(arguments)`, and the decision taken
    when the run has not read it yet."""
    arguments = json.dumps(call.arguments, ensure_ascii=False)
    line = f"{call.run_id}  {call.call_id}  {call.agent}: {call.sword}({arguments})"
    decision = getattr(call, "decision", None)
    return f"{line}  [{decision}, not yet picked up by the run]" if decision else line


def _show(args: argparse.Namespace) -> int:
    for line in asyncio.run(_describe_run(_database(args), args.run)):
        print(line)
    return EXIT_OK


async def _describe_run(database: DurableDatabase, run_id: str) -> list[str]:
    from ..durable.runner import pending_approvals, recorded_steps

    client = database.client()
    run = await _one_run(client, run_id)
    arguments = (run.input or {}).get("args") or ["?"]  # _durable_run(agent_name, input, ...)
    agent = arguments[0]
    lines = [
        f"run {run.workflow_id}: {run.status}",
        f"agent: {agent}",
        f"queue: {run.queue_name or '-'}    worker: {run.executor_id or '-'}",
    ]
    steps = await recorded_steps(database, run)
    lines.append("steps: " + (", ".join(steps) or "none yet"))
    lines += [
        f"waiting: {describe_pending(c)}"
        for c in await pending_approvals(client)
        if c.run_id == run_id
    ]
    if run.status == "SUCCESS":
        lines.append(f"output: {json.dumps(run.output, ensure_ascii=False, default=str)}")
    elif run.error is not None:
        lines.append(f"error: {run.error}")
    return lines


def _cancel(args: argparse.Namespace) -> int:
    client = _client(args)
    run = asyncio.run(_one_run(client, args.run))
    if run.status in ("SUCCESS", "ERROR", "CANCELLED"):
        raise UserError(f"Run {args.run!r} has ended already ({run.status}); nothing to cancel.")
    asyncio.run(client.cancel_workflow_async(args.run))
    print(f"cancelled: run {args.run}")
    return EXIT_OK


def _recover(args: argparse.Namespace) -> int:
    from ..durable.executor_lock import executor_gone
    from ..durable.pool import recover_executor
    from ..durable.runner import WORKFLOW_VERSION

    database = _database(args)
    with executor_gone(database, args.executor):
        runs = asyncio.run(recover_executor(database.client(), args.executor, WORKFLOW_VERSION))
    print(f"recovered {len(runs)} run(s) of worker {args.executor}: {', '.join(runs) or '-'}")
    return EXIT_OK


async def _one_run(client: Any, run_id: str) -> Any:
    from ..durable.runner import WORKFLOW_NAME

    found = await client.list_workflows_async(workflow_ids=[run_id], name=WORKFLOW_NAME)
    if not found:
        raise UserError(f"No durable run {run_id!r} in this database. `drusilla runs list`.")
    return found[0]


def _client(args: argparse.Namespace) -> Any:
    return _database(args).client()


def _database(args: argparse.Namespace) -> DurableDatabase:
    """The runs' database; a SQLite file that is not there is a `NoDatabase` error, not a new
    empty file."""
    from ..durable.database import DurableDatabase

    existing_sqlite_file(args.db)
    return DurableDatabase(args.db)


def existing_sqlite_file(url: str | None) -> Path | None:
    """The runs' SQLite file (None: the database is not SQLite); `NoDatabase` when the file is
    not there, since opening it would make a new empty one."""
    path = sqlite_file(url or DEFAULT_URL)
    if path is not None and not path.exists():
        where = "" if url else " (the default; --db names another database)"
        raise NoDatabase(f"No durable runs here: there is no database at {path}{where}.")
    return path


class NoDatabase(UserError):
    """The durable runs' SQLite file does not exist."""
