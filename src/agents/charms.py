"""The public charms: the hook classes of tools/charms.py with `Agent` as the agent they receive.

Subclass `RunCharms` (pass to `Runner.run(charms=...)`) or `AgentCharms` (`Agent(charms=...)`)
and override the hooks you need; see tools/charms.py for their order.
"""

from __future__ import annotations

from ..tools.charms import AgentCharmsBase, RunCharmsBase
from ..util.context import TContext
from .agent import Agent

__all__ = ["AgentCharms", "RunCharms"]


class RunCharms(RunCharmsBase[TContext, Agent[TContext]]):
    """Hooks that see every agent of a run. Pass to `Runner.run(charms=...)`."""


class AgentCharms(AgentCharmsBase[TContext, Agent[TContext]]):
    """Hooks for one agent. Set `Agent(charms=...)`."""
