"""Each agent's gear and request plan for a run: worked out on the agent's first turn, again
only when its sword/orb lists change; dynamic gear is filtered every turn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models.provider import resolve_model
from ..models.registry import pending_sdk
from ..tracing.spans import span
from .gear import Gear, collect_gear, gear_changed, offered_gear
from .request_plan import RequestPlan, plan_requests

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..models.interface import Model
    from ..util.context import RunContextWrapper
    from ..util.settings import Settings
    from .config import RunConfig

__all__ = ["AgentPlans"]


class AgentPlans:
    """The gear and request plan of every agent a run has reached."""

    __slots__ = ("_prepared", "_sword_users", "config", "ctx", "settings")

    def __init__(self, config: RunConfig, settings: Settings, ctx: RunContextWrapper[Any]) -> None:
        self.config = config
        self.settings = settings
        self.ctx = ctx
        self._prepared: dict[int, tuple[Gear, RequestPlan]] = {}
        self._sword_users: set[int] = set()  # agents that have called swords this run

    async def for_turn(self, agent: Agent[Any]) -> tuple[Gear, RequestPlan]:
        """The gear offered and the plan of `agent`'s next model call."""
        prepared = self._prepared.get(id(agent))
        if prepared is None or gear_changed(prepared[0], agent):
            prepared = await self._prepare(agent)
            self._prepared[id(agent)] = prepared
        gear, plan = prepared
        if gear.dynamic:
            gear = await offered_gear(gear, self.ctx, agent)
            plan = plan.with_swords(gear.specs)
        return gear, plan

    def swords_called(self, agent: Agent[Any]) -> None:
        """After the agent's first sword call, a forced sword_choice is reset (see RequestPlan),
        unless a sword call can end the run (sword_use_behavior): then forcing is no loop."""
        if id(agent) in self._sword_users or agent.sword_use_behavior != "run_llm_again":
            return
        self._sword_users.add(id(agent))
        gear, plan = self._prepared[id(agent)]
        self._prepared[id(agent)] = gear, plan.after_swords()

    async def _prepare(self, agent: Agent[Any]) -> tuple[Gear, RequestPlan]:
        gear = await collect_gear(agent)
        model = await self._resolve_model(agent)
        settings = self.config.settings_for(agent, self.settings)
        if agent.output_schema is not None and settings.output_mode in (None, "auto"):
            await _learn_server(model)
        plan = plan_requests(agent, model, settings, gear.specs, self.config.chat_strategy)
        if id(agent) in self._sword_users:  # it called swords before its gear changed
            plan = plan.after_swords()
        return gear, plan

    async def _resolve_model(self, agent: Agent[Any]) -> Model:
        """The agent's model. The first time in a process, importing its wire's SDK and creating
        the client take a while (seconds on a busy machine): a span of their own shows it."""
        chosen = self.config.model if self.config.model is not None else agent.model
        sdk = pending_sdk(chosen)
        if sdk is None:
            return resolve_model(agent.model, self.config)
        with span("setup", f"import {sdk}, create the client", agent=agent.name):
            model = resolve_model(agent.model, self.config)
            warm_up = getattr(model, "warm_up", None)
            if warm_up is not None:
                await warm_up()
            return model


async def _learn_server(model: Model) -> None:
    """Let a model that can (`detect_server`: OpenAIChatModel) find out which server it is on
    before `auto` picks a structured-output mode by it."""
    detect = getattr(model, "detect_server", None)
    if detect is not None:
        await detect()
