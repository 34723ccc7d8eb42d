"""Durable runs: see docs/durable.md.

On DBOS (`pip install 'drusilla[dbos]'`): `dbos_agent(agent)` for your own `@DBOS.workflow()`;
`DurableRunner` when you do not write workflows. Model calls, sword calls, MCP tool calls and
session writes are steps (DBOS steps in your own workflow, rows of drusilla's journal in a
`DurableRunner` run): after a crash a run resumes from its last finished step, and
approvals wait durably for days; many processes on one Postgres share the runs as a pool of
workers (`DurableQueue`, `queue=`). On Temporal (`pip install 'drusilla[temporal]'`):
`drusilla.durable.temporal`.

The DBOS names load DBOS when first used, not here, so `drusilla.durable.temporal` works
without DBOS installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .agent import dbos_agent
    from .database import DurableDatabase
    from .pool import DurableQueue
    from .runner import DurableRunHandle, DurableRunner, PendingApproval
    from .steps import DurableModel, DurableSession

__all__ = [
    "DurableDatabase",
    "DurableModel",
    "DurableQueue",
    "DurableRunHandle",
    "DurableRunner",
    "DurableSession",
    "PendingApproval",
    "dbos_agent",
]

_HOMES = {
    "DurableDatabase": ".database",
    "DurableModel": ".steps",
    "DurableQueue": ".pool",
    "DurableRunHandle": ".runner",
    "DurableRunner": ".runner",
    "DurableSession": ".steps",
    "PendingApproval": ".runner",
    "dbos_agent": ".agent",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'drusilla.durable' has no attribute {name!r}")
    try:
        import dbos as _dbos  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from ..util.errors import UserError

        raise UserError(
            "drusilla.durable needs DBOS: pip install 'drusilla[dbos]' (from a clone: "
            "pip install -e '.[dbos]')."
        ) from exc
    return getattr(importlib.import_module(home, __name__), name)
