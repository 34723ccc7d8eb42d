"""Durable runs on DBOS (`pip install 'drusilla[dbos]'`): see docs/durable.md.

`dbos_agent(agent)` for your own `@DBOS.workflow()`; `DurableRunner` when you do not write
workflows. Model calls, sword calls, MCP tool calls and session writes are DBOS steps: after a
crash a run resumes from its last finished step, and approvals wait durably for days.
"""

from __future__ import annotations

try:
    import dbos as _dbos  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    from ..util.errors import UserError

    raise UserError(
        "drusilla.durable needs DBOS: pip install 'drusilla[dbos]' (from a clone: "
        "pip install -e '.[dbos]')."
    ) from exc

from .agent import dbos_agent
from .database import DurableDatabase
from .runner import DurableRunHandle, DurableRunner, PendingApproval
from .steps import DurableModel, DurableSession

__all__ = [
    "DurableDatabase",
    "DurableModel",
    "DurableRunHandle",
    "DurableRunner",
    "DurableSession",
    "PendingApproval",
    "dbos_agent",
]
