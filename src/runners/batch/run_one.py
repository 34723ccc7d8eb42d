"""One run of a batch, in process or in a Ray actor: its failure is kept in the item, never raised.

The batch modules sit below the runner, which hands them how a run is started (`StartRun`:
`Runner.run` with the batch's options), so they never import it back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from ...agents.agent import Agent
from ...util.errors import RunnerError
from ...util.usage import Usage
from .items import BatchItem

__all__ = ["StartRun", "run_one"]


StartRun: TypeAlias = Callable[[Agent[Any], Any], Awaitable[Any]]
"""How each run of a batch starts: `start_run(agent, input)` is `Runner.run` with the batch's
`BatchRunOptions` bound (a `functools.partial`: it pickles, so it travels to Ray actors, the
runner by reference)."""


async def run_one(agent: Agent[Any], index: int, value: Any, start_run: StartRun) -> BatchItem:
    """One input's run; its failure is recorded in the item, never raised."""
    try:
        result = await start_run(agent, value)
    except Exception as exc:
        details = exc.run_data if isinstance(exc, RunnerError) else None
        usage = details.usage if details is not None else Usage()
        run_id = details.context.run_id if details is not None else None
        return BatchItem(index, value, None, exc, usage, run_id)
    return BatchItem(index, value, result.final_output, None, result.usage, result.run_id)
