"""Carrying out a turn's `NextStepRunSwords`: the approval gate, the sword calls, then an
interruption, an orb, or whether the results end the run (`sword_use_behavior`).

Every call of the turn gets its answer, added in the order the model made the calls; the calls
waiting for approval (and the turn's orbs) stay unanswered until the run resumes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..models.items import FunctionCallItem, function_call_output
from ..tools.sword_run import sword_run
from ..tools.swords import Sword, SwordResult
from ..util.messages import message
from .approvals import interruption, pass_gate
from .call_answers import answer_call
from .items import RunItem, SwordCallOutputItem
from .orb_taking import take_orb
from .state import PendingRun
from .steps import PLAIN_RUN_AGAIN, NextStep, NextStepFinalOutput, NextStepOrb, NextStepRunSwords
from .sword_calls import final_output_from_swords, run_sword_calls

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..agents.charms import RunCharms
    from ..util.context import RunContextWrapper
    from ..util.logging import EventLogger
    from .agent_plans import AgentPlans
    from .gear import Gear
    from .limits import LimitGuard
    from .request_plan import RequestPlan
    from .state import RunState
    from .streaming import Emit

__all__ = ["AddItem", "SwordStep"]

SwordCalls = list[tuple[FunctionCallItem, Sword | None]]
AddItem = Callable[[RunItem], Awaitable[None]]
"""Adds an item to the run (`ItemRecorder.add`)."""


class SwordStep:
    """Carries out the sword steps of one run."""

    __slots__ = ("_log", "add", "charms", "ctx", "emit", "limits", "plans", "state")

    def __init__(
        self,
        state: RunState,
        ctx: RunContextWrapper[Any],
        charms: RunCharms[Any] | None,
        plans: AgentPlans,
        add: AddItem,
        log: EventLogger,
        emit: Emit | None,
    ) -> None:
        self.state = state
        self.emit = emit
        self.ctx = ctx
        self.charms = charms
        self.plans = plans
        self.add = add
        self.limits: LimitGuard | None = None
        self._log = log

    async def carry_out(
        self, agent: Agent[Any], gear: Gear, plan: RequestPlan, step: NextStepRunSwords
    ) -> NextStep:
        """The turn's calls carried out; the step the turn ends on."""
        outputs = _final_calls_answered(agent, step)
        runnable, pending = step.sword_calls, []
        if gear.asks_approval:
            gate = await pass_gate(runnable, self.state, self.ctx)
            for call, text in gate.answered:
                outputs[id(call)] = answer_call(agent, call["call_id"], text)
            runnable, pending = gate.runnable, gate.pending
        self.plans.swords_called(agent)
        parallel = plan.settings.parallel_sword_calls is not False
        with sword_run(plan.model, self.emit):  # what MCP sampling and progress reach
            results = await self._run(agent, gear, runnable, outputs, parallel)
        waiting = _waiting_runs(results) if gear.runs_agents else []
        interrupted = orb = None
        if pending or waiting:
            interrupted = interruption(agent, step, pending, waiting, outputs, self.state)
        elif step.orb_calls:
            orb = await take_orb(agent, step.orb_calls, outputs, self.ctx)
        add = self.add
        for call in step.order:  # answers go back in the order the model called
            output = outputs.get(id(call))
            if output is not None:
                await add(output)
        if interrupted is not None:
            return interrupted
        if orb is not None:
            return NextStepOrb(orb)
        decided = await final_output_from_swords(agent.sword_use_behavior, self.ctx, results)
        if decided.is_final_output:
            return NextStepFinalOutput(decided.final_output)
        return PLAIN_RUN_AGAIN

    async def _run(
        self,
        agent: Agent[Any],
        gear: Gear,
        calls: SwordCalls,
        outputs: dict[int, RunItem],
        parallel: bool,
    ) -> list[SwordResult]:
        if not calls:
            return []
        self._log.debug("sword.call", swords=[call["name"] for call, _ in calls])
        if self.limits is not None:
            self.limits.before_swords(len(calls))
        results = await run_sword_calls(
            calls, self.ctx, agent, self.charms, parallel=parallel, available=gear.swords.keys()
        )
        for result in results:
            raw = function_call_output(result.call["call_id"], result.parts or result.output_text)
            outputs[id(result.call)] = SwordCallOutputItem(agent, raw, result.output)
        return results


def _final_calls_answered(agent: Agent[Any], step: NextStepRunSwords) -> dict[int, RunItem]:
    """The turn's answers so far, keyed by the call item (servers repeat or omit call ids):
    final-output calls that lost to the other calls (see steps.decide_turn)."""
    outputs: dict[int, RunItem] = {}
    for call in step.final_calls:
        text = message("final_output_not_taken", sword=call["name"])
        outputs[id(call)] = answer_call(agent, call["call_id"], text)
    return outputs


def _waiting_runs(results: list[SwordResult]) -> list[SwordResult]:
    """Calls of agents used as swords whose nested run waits for approval."""
    return [result for result in results if type(result.output) is PendingRun]
