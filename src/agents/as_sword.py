"""An agent used as a sword: the calling model sends `input`, a nested run answers.

The runner sits above the agents, so this module does not import it: the runner registers how
to run a nested agent (`register_nested_run`, called by runners/run.py when it is imported).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from ..tools.orbs import OrbTarget, snake_case
from ..tools.swords import Sword, SwordArgumentsError, parse_arguments_json
from ..util.context import SwordContext
from ..util.errors import UserError
from .structured_input import InputSchema

__all__ = [
    "AgentSword",
    "NestedRun",
    "OutputExtractor",
    "SwordAgent",
    "agent_as_sword",
    "register_nested_run",
]

NestedRun: TypeAlias = Callable[..., Awaitable[Any]]
"""`(agent, ctx, read_input, output_extractor, max_turns=...) -> the sword's output`: runs the
agent (or resumes its saved run); `read_input()` parses the model's arguments; `max_turns` is
`as_sword(max_turns=...)` (None: the run config's or the default) (runners/nested.py)."""

_nested_run: NestedRun | None = None

OutputExtractor: TypeAlias = Callable[[Any], str | Awaitable[str]]
"""`fn(result) -> str`: what an agent-sword answers, read from its nested run's `RunResult`.
The parameter is `Any` because agents/ sits below runners/; annotate yours `result: RunResult`
(a protocol here would reject that annotation: a callback's parameter is contravariant)."""


class SwordAgent(OrbTarget, Protocol):
    """What an agent-sword reads of its `Agent` (agent.py imports this module, not the reverse):
    what an orb reads (`name`, `orb_description`), and its input schema."""

    @property
    def input_schema(self) -> InputSchema | None: ...


def register_nested_run(run: NestedRun) -> None:
    """Set how an agent-sword runs its agent (runners/run.py registers it)."""
    global _nested_run
    _nested_run = run


_INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"input": {"type": "string", "description": "The request for the agent."}},
    "required": ["input"],
    "additionalProperties": False,
}


@dataclass(eq=False)
class AgentSword(Sword):
    """A sword whose call is a nested run of `nested_agent` (made by `Agent.as_sword`)."""

    output_extractor: OutputExtractor | None = None


def agent_as_sword(
    agent: SwordAgent,
    name: str | None,
    description: str | None,
    output_extractor: OutputExtractor | None,
    max_turns: int | None = None,
) -> Sword:
    """The sword takes `{"input": "..."}`, or — for an agent with an `input_type` whose schema
    is an object — that type's fields, checked before the nested run starts."""
    typed = agent.input_schema
    if typed is not None and typed.json_schema.get("type") != "object":
        typed = None  # a non-object input type: the model sends it as JSON text in "input"

    def read_input(arguments: str) -> Any:
        args = parse_arguments_json(arguments)
        if typed is not None:
            try:
                return typed.items_for(agent.name, args)
            except UserError as exc:
                raise SwordArgumentsError(str(exc)) from None
        if not isinstance(args, dict) or not isinstance(args.get("input"), str):
            raise SwordArgumentsError('expected {"input": "<request for the agent>"}')
        return args["input"]

    async def invoke(ctx: SwordContext[Any], arguments: str) -> Any:
        if _nested_run is None:
            raise UserError("An agent used as a sword runs inside a Runner run; use Runner.run.")
        return await _nested_run(
            agent, ctx, lambda: read_input(arguments), output_extractor, max_turns=max_turns
        )

    return AgentSword(
        name=name or snake_case(agent.name),
        description=description or agent.orb_description or f"Ask the {agent.name} agent.",
        params_json_schema=typed.json_schema if typed is not None else _INPUT_SCHEMA,
        on_invoke=invoke,
        output_extractor=output_extractor,
    )
