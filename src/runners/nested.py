"""Running an agent used as a sword: a nested run, or the resumption of one that waited.

agents/as_sword.py builds the sword but may not import the runner; runners/run.py registers
`agent_sword_runner(Runner.run)` with it (`register_nested_run`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..agents.as_sword import NestedRun
from ..util.concurrency import maybe_await
from ..util.context import SwordContext, resuming_runs
from ..util.errors import RunnerError
from ..util.usage import Usage
from .state import PendingRun

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from .result import RunResult

__all__ = ["agent_sword_runner"]


def agent_sword_runner(run: Callable[..., Awaitable[RunResult]]) -> NestedRun:
    """How an agent-sword runs its agent, given `Runner.run`."""

    async def run_agent_sword(
        agent: Agent[Any],
        ctx: SwordContext[Any],
        read_input: Callable[[], Any],
        output_extractor: Callable[[RunResult], Any] | None,
        max_turns: int | None = None,
    ) -> Any:
        saved = (resuming_runs.get() or {}).pop(ctx.call_id, None)
        if saved is not None:  # this call's nested run waited for approvals: continue it
            before = dataclasses.replace(saved.usage)
            result = await run(agent, saved, context=ctx.context, run_config=ctx.run_config)
            _add_since(ctx.usage, result.usage, before)
        else:
            try:
                result = await run(
                    agent,
                    read_input(),
                    context=ctx.context,
                    run_config=ctx.run_config,
                    max_turns=max_turns,
                )
            except RunnerError as exc:  # what the failed nested run used is the caller's cost too
                if exc.run_data is not None:
                    ctx.usage.add(exc.run_data.usage)
                raise
            ctx.usage.add(result.usage)
        if result.interruptions:
            return PendingRun(result.to_state())
        if output_extractor is not None:
            return await maybe_await(output_extractor(result))
        return result.final_output

    return run_agent_sword


def _add_since(total: Usage, now: Usage, before: Usage) -> None:
    """Add to `total` what a resumed nested run used since `before` (the rest was counted)."""
    for name in (
        "requests",
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "reasoning_tokens",
        "cached_tokens",
        "cache_write_tokens",
    ):
        setattr(total, name, getattr(total, name) + getattr(now, name) - getattr(before, name))
    if now.cost is not None:
        total.cost = (total.cost or 0.0) + now.cost - (before.cost or 0.0)
