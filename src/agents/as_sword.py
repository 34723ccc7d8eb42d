"""An agent used as a sword: the calling model sends `input`, a nested run answers."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..runners.context import SwordContext, resuming_runs
from ..tools.orbs import snake_case
from ..tools.swords import Sword, SwordArgumentsError, parse_arguments_json
from ..util.concurrency import maybe_await
from ..util.errors import UserError

if TYPE_CHECKING:
    from ..models.usage import Usage
    from ..runners.result import RunResult
    from .agent import Agent

_INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"input": {"type": "string", "description": "The request for the agent."}},
    "required": ["input"],
    "additionalProperties": False,
}


def agent_as_sword(
    agent: Agent[Any],
    name: str | None,
    description: str | None,
    output_extractor: Callable[[RunResult], str | Awaitable[str]] | None,
) -> Sword:
    """The sword takes `{"input": "..."}`, or — for an agent with an `input_type` whose schema
    is an object — that type's fields, checked before the nested run starts."""
    typed = agent.input_schema
    if typed is not None and typed.json_schema.get("type") != "object":
        typed = None  # a non-object input type: the model sends it as JSON text in "input"

    async def invoke(ctx: SwordContext[Any], arguments: str) -> Any:
        from ..runners.run import Runner
        from ..runners.state import PendingRun

        saved = (resuming_runs.get() or {}).pop(ctx.call_id, None)
        if saved is not None:  # this call's nested run waited for approvals: continue it
            before = dataclasses.replace(saved.usage)
            resumed = await Runner.run(agent, saved, context=ctx.context, run_config=ctx.run_config)
            _add_since(ctx.usage, resumed.usage, before)
            if resumed.interruptions:
                return PendingRun(resumed.to_state())
            return await _output(resumed)

        args = parse_arguments_json(arguments)
        run_input: Any
        if typed is not None:
            try:
                run_input = typed.items_for(agent.name, args)
            except UserError as exc:
                raise SwordArgumentsError(str(exc)) from None
        elif not isinstance(args, dict) or not isinstance(args.get("input"), str):
            raise SwordArgumentsError('expected {"input": "<request for the agent>"}')
        else:
            run_input = args["input"]
        result = await Runner.run(agent, run_input, context=ctx.context, run_config=ctx.run_config)
        ctx.usage.add(result.usage)
        if result.interruptions:
            return PendingRun(result.to_state())
        return await _output(result)

    async def _output(result: RunResult) -> Any:
        if output_extractor is not None:
            return await maybe_await(output_extractor(result))
        return result.final_output

    return Sword(
        name=name or snake_case(agent.name),
        description=description or agent.orb_description or f"Ask the {agent.name} agent.",
        params_json_schema=typed.json_schema if typed is not None else _INPUT_SCHEMA,
        on_invoke=invoke,
        nested_agent=agent,
    )


def _add_since(total: Usage, now: Usage, before: Usage) -> None:
    """Add to `total` what a resumed nested run used since `before` (the rest was counted)."""
    for name in (
        "requests",
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "reasoning_tokens",
        "cached_tokens",
    ):
        setattr(total, name, getattr(total, name) + getattr(now, name) - getattr(before, name))
