"""Durable runs on Temporal (`pip install 'drusilla[temporal]'`): see docs/durable.md.

`TemporalRunner` has the surface of DBOS's `DurableRunner` (`start`, `run`, `handle`,
`pending_approvals`, `approve`, `reject`) plus a worker (`worker()`, `serve()`): model calls,
sword calls, orb callbacks and session calls are Temporal activities, approvals are signals.
"""

from __future__ import annotations

try:
    import temporalio as _temporalio  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    from ...util.errors import UserError

    raise UserError(
        "drusilla.durable.temporal needs Temporal's SDK: pip install 'drusilla[temporal]' "
        "(from a clone: pip install -e '.[temporal]')."
    ) from exc

from ..runs import PendingApproval
from .runner import TemporalRunHandle, TemporalRunner

__all__ = ["PendingApproval", "TemporalRunHandle", "TemporalRunner"]
