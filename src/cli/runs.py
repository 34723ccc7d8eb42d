"""`drusilla runs`: list durable runs waiting for approval, and decide their sword calls.

Works from any process that reaches the durable runs' database (`--db`, default the SQLite
file `DurableRunner` uses in the working directory); the run's own process may be down: the
decision waits in the database and the run picks it up when it is back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TYPE_CHECKING

from ..util.errors import UserError
from .common import EXIT_OK, Commands
from .runs_admin import (
    NoDatabase,
    add_database_option,
    add_runs_admin_actions,
    describe_pending,
    existing_sqlite_file,
)
from .runs_db import pending_calls, waiting_runs

if TYPE_CHECKING:
    from ..durable.runs import PendingApproval

__all__ = ["add_runs_command"]


def add_runs_command(commands: Commands) -> None:
    runs = commands.add_parser("runs", help="durable runs: pending approvals and decisions")
    runs.set_defaults(command_parser=runs)
    actions = runs.add_subparsers(title="runs commands", metavar="ACTION")

    listing = actions.add_parser("list", help="sword calls waiting for a decision")
    add_database_option(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=_list)

    for action, verb in (("approve", "approve"), ("reject", "reject")):
        decide = actions.add_parser(action, help=f"{verb} a pending sword call")
        decide.add_argument("run", help="the run id (see `drusilla runs list`)")
        decide.add_argument("call", help="the sword call's id")
        add_database_option(decide)
        if action == "reject":
            decide.add_argument("--message", help="what the model is told instead of a result")
        decide.set_defaults(handler=_approve if action == "approve" else _reject)
    add_runs_admin_actions(actions)


def _list(args: argparse.Namespace) -> int:
    try:
        pending = _pending_calls(args.db)
    except NoDatabase as nothing:  # nothing ran durably here: one line, no file created
        if not args.json:
            print(nothing)
        return EXIT_OK
    for call in pending:
        if args.json:
            print(json.dumps(call.__dict__))
        else:
            print(describe_pending(call))
    if not pending and not args.json:
        print("No sword calls are waiting for a decision.")
    return EXIT_OK


def _pending_calls(url: str | None) -> list[PendingApproval]:
    """The waiting calls: read from a SQLite file directly (importing DBOS takes seconds),
    through DBOS where that cannot tell."""
    from ..durable.runs import PendingApproval

    path = existing_sqlite_file(url)
    if path is not None:
        found = pending_calls(path)
        if found is not None:
            return [PendingApproval(**call) for call in found]
    from ..durable.database import DurableDatabase
    from ..durable.runner import pending_approvals

    return asyncio.run(pending_approvals(DurableDatabase(url).client()))


def _approve(args: argparse.Namespace) -> int:
    return _decide(args, approve=True, message=None)


def _reject(args: argparse.Namespace) -> int:
    return _decide(args, approve=False, message=args.message)


def _decide(args: argparse.Namespace, *, approve: bool, message: str | None) -> int:
    waiting = _waiting_runs(args.db)
    if waiting is not None and args.run not in waiting:
        shown = ", ".join(waiting) or "none"
        raise UserError(
            f"Run {args.run!r} is not waiting for a decision (waiting: {shown}). "
            "`drusilla runs list` shows what is pending."
        )
    from ..durable.database import DurableDatabase
    from ..durable.runner import decide

    client = DurableDatabase(args.db).client()
    asyncio.run(decide(client, args.run, args.call, approve=approve, message=message))
    print(f"{'approved' if approve else 'rejected'}: {args.call} in run {args.run}")
    return EXIT_OK


def _waiting_runs(url: str | None) -> list[str] | None:
    """The runs waiting, read without DBOS when the database is a SQLite file (None: ask
    DBOS). No file: no durable runs here — a `UserError` saying so, and no file created."""
    path = existing_sqlite_file(url)
    return None if path is None else waiting_runs(path)
