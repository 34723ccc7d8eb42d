"""`Agent`: instructions, a model, and gear (swords, orbs, shields, charms, MCP servers)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeAlias, TypedDict, TypeVar, overload

from typing_extensions import Unpack

from ..models.chat_strategy import ChatStrategy, chat_strategy
from ..models.interface import Model, SwordSpec
from ..models.settings import ModelSettings
from ..tools.charms import AgentCharmsBase
from ..tools.orbs import Orb
from ..tools.shields import InputShield, OutputShield
from ..tools.swords import StopAtSwords, Sword, SwordUseBehavior
from ..util.concurrency import maybe_await
from ..util.context import RunContextWrapper, TContext, TOutput
from ..util.errors import UserError
from ..util.peer_names import hint_peer_keywords
from .as_sword import OutputExtractor, agent_as_sword
from .output import OutputSchema, output_schema_for
from .structured_input import InputSchema, input_schema_for

if TYPE_CHECKING:
    from ..tools.mcp import MCPServer

__all__ = ["Agent", "AgentOptions", "Instructions"]


Instructions: TypeAlias = (
    str | Callable[[RunContextWrapper[Any], "Agent[Any]"], str | Awaitable[str]] | None
)
_SWORD_USE_NAMES = ("run_llm_again", "stop_on_first_sword")
PrepareSwords: TypeAlias = Callable[
    [RunContextWrapper[Any], "Agent[Any]", list[SwordSpec]],
    list[SwordSpec] | Awaitable[list[SwordSpec]],
]
OutputValidator: TypeAlias = Callable[[RunContextWrapper[Any], Any], Any]
_Output = TypeVar("_Output")
ModelChoice: TypeAlias = str | Model | list[str | Model] | None


class AgentOptions(TypedDict, total=False):
    """The keywords of `Agent(...)` that do not decide the type of its final output (the
    `__init__` overloads below take the ones that do)."""

    model_settings: ModelSettings
    swords: list[Sword]
    orb_description: str | None
    input_shields: list[InputShield[Any]]
    output_shields: list[OutputShield[Any]]
    charms: AgentCharmsBase[Any, Agent[Any]] | None
    mcp_servers: list[MCPServer]
    input_type: Any
    thinking_prompt: str | None
    output_retries: int
    prepare_swords: PrepareSwords | None
    output_validators: list[OutputValidator]
    require_reasoning: bool | None
    chat_strategy: ChatStrategy | str | None


@hint_peer_keywords
@dataclass(eq=False)
class Agent(Generic[TContext, TOutput]):
    """An agent; `Agent[Ctx, Out]`: its context type and the type of its final output.

    The output type is inferred from `Agent(...)`: `str` without `output_type`, the class given
    as `output_type=`, and `Any` when the final output may be something else — the agent has
    `orbs` (the run can end on another agent), a `sword_use_behavior` other than the default
    (a sword's result can be the output), or an `output_type` that is not a class (a JSON
    schema, a union). See docs/structured-output.md, "The type of final_output".
    """

    if TYPE_CHECKING:  # the dataclass builds the real __init__; these give its output type

        @overload
        def __init__(
            self: Agent[Any, str],
            name: str,
            instructions: Instructions = None,
            model: ModelChoice = None,
            *,
            output_type: None = None,
            sword_use_behavior: Literal["run_llm_again"] = "run_llm_again",
            **options: Unpack[AgentOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: Agent[Any, _Output],
            name: str,
            instructions: Instructions = None,
            model: ModelChoice = None,
            *,
            output_type: type[_Output],
            sword_use_behavior: Literal["run_llm_again"] = "run_llm_again",
            **options: Unpack[AgentOptions],
        ) -> None: ...

        @overload
        def __init__(
            self: Agent[Any, Any],
            name: str,
            instructions: Instructions = None,
            model: ModelChoice = None,
            *,
            orbs: list[Agent[Any] | Orb[Agent[Any]]] = ...,
            output_type: Any = None,
            sword_use_behavior: SwordUseBehavior = "run_llm_again",
            **options: Unpack[AgentOptions],
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    name: str
    instructions: Instructions = None
    """A system prompt, or `fn(ctx, agent)` (sync or async) returning one, called every turn."""
    model: ModelChoice = None
    """A name, a `Model`, or a list of them: a `FallbackModel` trying each in turn."""
    model_settings: ModelSettings = field(default_factory=ModelSettings)
    swords: list[Sword] = field(default_factory=list)
    orbs: list[Agent[Any] | Orb[Agent[Any]]] = field(default_factory=list)
    orb_description: str | None = None
    """How other agents' orbs describe this agent to their model."""
    input_shields: list[InputShield[Any]] = field(default_factory=list)
    output_shields: list[OutputShield[Any]] = field(default_factory=list)
    output_type: Any = None
    charms: AgentCharmsBase[Any, Agent[Any]] | None = None
    """An `AgentCharms` (its hooks receive this agent)."""
    sword_use_behavior: SwordUseBehavior = "run_llm_again"
    mcp_servers: list[MCPServer] = field(default_factory=list)
    """MCP servers whose tools the agent offers as swords; see docs/mcp.md."""
    input_type: Any = None
    """Validate structured input (a dict, model or JSON text) against this type before the
    first call; the model gets it as JSON. See docs/structured-output.md."""
    thinking_prompt: str | None = None
    """Chain-of-thought instructions; see docs/structured-output.md (thinking strategies)."""
    output_retries: int = 1
    """How often output failing `output_type` (or an output validator's `ModelRetry`) is sent
    back with the errors before giving up."""
    prepare_swords: PrepareSwords | None = None
    """`fn(ctx, agent, specs) -> specs` (sync or async) before each model call: filter or change
    the sword specs offered this turn. See docs/swords.md."""
    output_validators: list[OutputValidator] = field(default_factory=list)
    """`fn(ctx, output) -> output` (sync or async), in order, on the final output; raise
    `ModelRetry` to send the model back. See docs/structured-output.md."""
    require_reasoning: bool | None = None
    """True: every reply without reasoning is a `ModelBehaviorError` (the model must reason);
    False: never checked; None: as the model's profile says (`reasoning_capable`: a final
    answer without reasoning fails, except after sword calls). See docs/reasoning.md."""
    chat_strategy: ChatStrategy | str | None = None
    """How the thinking prompt is sent (a `ChatStrategy` or its name); None: the run config's,
    else `auto`. See docs/reasoning.md."""
    output_schema: OutputSchema | None = field(init=False, repr=False, compare=False)
    input_schema: InputSchema | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise UserError(f"Agent(name={self.name!r}): an agent needs a non-empty name.")
        if callable(self.instructions) and not _accepts_two_arguments(self.instructions):
            raise UserError(
                f"Agent {self.name!r}: an instructions function must accept (ctx, agent)."
            )
        self._check_gear()
        self.output_schema = output_schema_for(self.output_type)
        self.input_schema = input_schema_for(self.input_type)

    def _check_gear(self) -> None:
        for item in self.swords:
            if not isinstance(item, Sword):
                hint = " Decorate it with @sword." if callable(item) else ""
                raise UserError(f"Agent {self.name!r}: {item!r} in swords= is not a Sword.{hint}")
        for target in self.orbs:
            if not isinstance(target, Agent | Orb):
                raise UserError(
                    f"Agent {self.name!r}: {target!r} in orbs= is not an Agent or an orb(); "
                    "list the agent to hand off to, or orb(agent, ...)."
                )
        for shield in self.input_shields:
            if not isinstance(shield, InputShield):
                raise UserError(
                    f"Agent {self.name!r}: {shield!r} in input_shields= is not an InputShield; "
                    "decorate the function with @input_shield."
                )
        for out_shield in self.output_shields:
            if not isinstance(out_shield, OutputShield):
                raise UserError(
                    f"Agent {self.name!r}: {out_shield!r} in output_shields= is not an "
                    "OutputShield; "
                    "decorate the function with @output_shield."
                )
        if self.mcp_servers:
            self._check_mcp_servers()
        behavior = self.sword_use_behavior
        if not (
            behavior in _SWORD_USE_NAMES or isinstance(behavior, StopAtSwords) or callable(behavior)
        ):
            raise UserError(
                f"Agent {self.name!r}: sword_use_behavior={behavior!r} is not valid; use "
                "'run_llm_again', 'stop_on_first_sword', StopAtSwords([...]) or a function."
            )
        if self.charms is not None and not isinstance(self.charms, AgentCharmsBase):
            raise UserError(
                f"Agent {self.name!r}: charms= must be an AgentCharms instance "
                "(RunCharms go to Runner.run(charms=...))."
            )
        if not isinstance(self.output_retries, int) or self.output_retries < 0:
            raise UserError(f"Agent {self.name!r}: output_retries must be 0 or more.")
        if self.thinking_prompt is not None and not isinstance(self.thinking_prompt, str):
            raise UserError(f"Agent {self.name!r}: thinking_prompt must be a string.")
        self.chat_strategy = chat_strategy(self.chat_strategy, f"Agent {self.name!r}")
        if self.prepare_swords is not None and not callable(self.prepare_swords):
            raise UserError(
                f"Agent {self.name!r}: prepare_swords must be a function (ctx, agent, specs)."
            )
        for validator in self.output_validators:
            if not callable(validator):
                raise UserError(
                    f"Agent {self.name!r}: {validator!r} in output_validators= is not a "
                    "function (ctx, output) -> output."
                )

    def _check_mcp_servers(self) -> None:
        from ..tools.mcp import MCPServer  # the MCP modules load only for agents that use them

        for server in self.mcp_servers:
            if not isinstance(server, MCPServer):
                raise UserError(
                    f"Agent {self.name!r}: {server!r} in mcp_servers= is not an MCP server; "
                    "use MCPServerStdio(...) or MCPServerStreamableHTTP(...)."
                )

    def clone(self, **changes: Any) -> Agent[TContext, Any]:
        """A copy with `changes` applied (lists are shared unless replaced). Its output type is
        `Any`: the changes may give it orbs or another `output_type`."""
        return dataclasses.replace(self, **changes)

    async def get_instructions(self, ctx: RunContextWrapper[TContext]) -> str | None:
        instructions = self.instructions
        if instructions is None or isinstance(instructions, str):
            return instructions
        if callable(instructions):
            result = await maybe_await(instructions(ctx, self))
            if result is not None and not isinstance(result, str):
                raise UserError(
                    f"Agent {self.name!r}: dynamic instructions returned "
                    f"{type(result).__name__}; return a string."
                )
            return result
        raise UserError(
            f"Agent {self.name!r}: instructions must be a string or a function (ctx, agent) -> str."
        )

    def as_sword(
        self,
        name: str | None = None,
        description: str | None = None,
        output_extractor: OutputExtractor | None = None,
        max_turns: int | None = None,
    ) -> Sword:
        """This agent as a sword: the caller's model sends `input`, a nested run answers.

        The nested run shares the caller's context object and run config, runs inside the
        caller's trace, and its usage (even when it fails) is added to the caller's. Its turn
        limit is `max_turns` here, else `RunConfig.max_turns`, else DRUSILLA_MAX_TURNS: the
        caller's `Runner.run(max_turns=...)` is the caller's own budget and is not inherited.
        """
        sword = agent_as_sword(self, name, description, output_extractor, max_turns)
        sword.nested_agent = self  # so a saved run finds the agent again by name
        return sword


def _accepts_two_arguments(fn: Callable[..., Any]) -> bool:
    try:
        inspect.signature(fn).bind(None, None)
    except TypeError:
        return False
    except ValueError:  # no signature available (some builtins): let the call decide
        return True
    return True
