"""What every protocol app is given: the served agents, and how to run them.

Each app factory takes an agent (or a mapping of names to agents) and the same run options;
`Served` holds them and starts the runs, so the protocols differ only in their wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeAlias, TypedDict

from typing_extensions import Unpack

from ..agents.agent import Agent
from ..models.items import InputItem
from ..runners.config import RunConfig
from ..runners.run import Runner
from ..runners.state import RunState
from ..runners.streaming import RunResultStreaming
from ..sessions.base import Session
from ..util.errors import UserError

__all__ = [
    "Agents",
    "ContextFactory",
    "ServeOptions",
    "Served",
    "SessionFactory",
    "served",
]

Agents: TypeAlias = "Agent[Any] | Mapping[str, Agent[Any]]"
"""One agent (served under its name), or names mapped to agents."""
ContextFactory: TypeAlias = Callable[[], Any]
"""Called once per run: the run's context object (`ctx.context`)."""
SessionFactory: TypeAlias = Callable[[str], Session]
"""Called with the protocol's conversation id (a thread, a chat, a context id): its session."""


class ServeOptions(TypedDict, total=False):
    """The run options every app factory takes (`ag_ui_app(agent, **options)` …)."""

    run_config: RunConfig | None
    max_turns: int | None
    context: ContextFactory | None
    """Called once per run: the run's context object."""
    session: SessionFactory | None
    """Called with the protocol's conversation id: that conversation's session."""


class Served(NamedTuple):
    """The agents an app serves and the options every run gets."""

    agents: dict[str, Agent[Any]]
    run_config: RunConfig | None
    max_turns: int | None
    context: ContextFactory | None
    session: SessionFactory | None

    def find(self, name: str | None) -> Agent[Any] | None:
        """The agent called `name`; with one agent served, that agent whatever the name."""
        if len(self.agents) == 1 and name not in self.agents:
            return next(iter(self.agents.values()))
        return self.agents.get(name or "")

    def session_for(self, conversation: str | None) -> Session | None:
        if self.session is None or not conversation:
            return None
        return self.session(conversation)

    async def start(
        self,
        agent: Agent[Any],
        input: str | list[InputItem] | RunState,
        conversation: str | None = None,
        context: Any = None,
    ) -> RunResultStreaming[Any]:
        """A streamed run of `agent`, its session keyed by `conversation` (when sessions are
        on); its context from the factory, else `context`."""
        return await Runner.run_streamed(
            agent,
            input,
            context=self.context() if self.context else context,
            max_turns=self.max_turns,
            run_config=self.run_config,
            session=self.session_for(conversation),
        )


def served(agents: Agents, **options: Unpack[ServeOptions]) -> Served:
    unknown = set(options) - set(ServeOptions.__annotations__)
    if unknown:
        raise UserError(
            f"Unknown serve option(s) {sorted(unknown)}: the apps take "
            f"{sorted(ServeOptions.__annotations__)}."
        )
    return Served(
        _by_name(agents),
        options.get("run_config"),
        options.get("max_turns"),
        options.get("context"),
        options.get("session"),
    )


def _by_name(agents: Agents) -> dict[str, Agent[Any]]:
    if isinstance(agents, Agent):
        return {agents.name: agents}
    named = dict(agents)
    if not named or not all(isinstance(agent, Agent) for agent in named.values()):
        raise UserError(
            "Serve an Agent, or a mapping of names to Agents, e.g. "
            "openai_app({'support': support, 'triage': triage})."
        )
    return named
