"""One run of a batch, in process or in a Ray actor: its failure is kept in the item, never raised.

The batch modules sit below the runner, which hands them how a run is started (`RunOptions.run`,
`Runner.run`), so they never import it back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ...agents.agent import Agent
from ...util.errors import RunnerError
from ...util.usage import Usage
from ..config import RunConfig
from .items import BatchItem

__all__ = ["RunOptions", "run_one"]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What every run of a batch is started with, and by (`Runner.run`). Picklable: it travels
    to Ray actors, the runner by reference."""

    run: Callable[..., Awaitable[Any]]
    context: Any = None
    run_config: RunConfig | None = None
    max_turns: int | None = None


async def run_one(agent: Agent[Any], index: int, value: Any, options: RunOptions) -> BatchItem:
    """One input's run; its failure is recorded in the item, never raised."""
    try:
        result = await options.run(
            agent,
            value,
            context=options.context,
            run_config=options.run_config,
            max_turns=options.max_turns,
        )
    except Exception as exc:
        details = exc.run_data if isinstance(exc, RunnerError) else None
        usage = details.usage if details is not None else Usage()
        run_id = details.context.run_id if details is not None else None
        return BatchItem(index, value, None, exc, usage, run_id)
    return BatchItem(index, value, result.final_output, None, result.usage, result.run_id)
