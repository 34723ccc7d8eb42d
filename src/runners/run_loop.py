"""The turn loop: `RunLoop`, one run, as a short conductor over parts with one job each.

A run: input shields, then turns until a final output. A turn is one model call, then acting on
what the model returned — swords, an orb, or a final output. `RunLoop` keeps the loop's state
(a `RunState`) and the order of the steps; the work of each step is a part's:

- `steps.decide_turn`: what a response means (pure: it returns the items and a plan);
- `model_call.ModelCaller`: the model call, with limits, charms, records and its span;
- `sword_step.SwordStep`: a turn's sword calls, through the approval gate (`approvals.py`),
  then an interruption, an orb (`orb_taking.py`) or the final-output decision;
- `validators.py`: output validators, output retries and an error handler's output;
- `session_writer.SessionWriter`: what is not saved to the session yet, saved by whole turns;
- `agent_plans.AgentPlans`: each agent's gear and request plan;
- `run_start.py` and `run_span.py`: how a run starts, and its span and record.

See docs/architecture.md, "the turn loop".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..agents.agent import Agent
from ..agents.charms import RunCharms
from ..models.items import FunctionCallItem, InputItem, assistant_message
from ..sessions.base import Session
from ..tracing.spans import Span, span
from ..util.concurrency import maybe_await
from ..util.context import (
    RunContextWrapper,
    current_scope,
    resuming_runs,
    run_scope,
)
from ..util.errors import MaxTurnsError, RunTimeoutError, UserError
from ..util.logging import get_logger
from ..util.messages import message
from ..util.settings import get_settings
from .agent_plans import AgentPlans
from .approvals import apply_changed_arguments, take_pending
from .charm_firing import fire_agent_end, fire_agent_start, fire_orb
from .config import RunConfig
from .error_handlers import ErrorHandlers, max_turns_handler
from .event_channel import EventChannel
from .events import AgentUpdatedStreamEvent
from .gear import Gear
from .item_recorder import ItemRecorder
from .items import MessageOutputItem
from .limits import limit_guard
from .model_call import ModelCaller
from .orb_taking import apply_orb_filter
from .records import RunObserver
from .request_plan import RequestPlan
from .result import RunErrorDetails, RunResult, error_details_of, result_of
from .run_span import traced_run
from .run_start import (
    check_run_arguments,
    check_timeout,
    input_items,
    new_state,
    resumable,
    start_conversation,
    turn_limit,
)
from .shield_checks import check_input, check_output
from .shield_results import OutputShieldTripwireTriggered
from .state import RunState, RunStatus
from .steps import (
    PLAIN_RUN_AGAIN,
    NextStep,
    NextStepFinalOutput,
    NextStepInterruption,
    NextStepOrb,
    NextStepRunAgain,
    NextStepRunSwords,
    decide_turn,
    resume_step,
    unexpected_items,
)
from .streaming import Emit, RunResultStreaming, check_buffer_size, emitter
from .sword_step import SwordStep
from .validators import check_reasoning, handler_output, retry_output, validate_final

if TYPE_CHECKING:
    import asyncio

__all__ = ["RunLoop", "start"]


class RunLoop:
    """One run: the loop's state and the order of its steps. Its state is a `RunState`;
    results, streamed results and errors' `run_data` are views of it."""

    def __init__(
        self,
        starting_agent: Agent[Any],
        input: Any,
        context: Any,
        max_turns: int | None,
        charms: RunCharms[Any] | None,
        run_config: RunConfig | None,
        session: Session | None,
        emit: Emit | None,
    ) -> None:
        check_run_arguments(starting_agent, charms, session)
        self.config = config = run_config or RunConfig()
        self.settings = get_settings()
        turns = turn_limit(max_turns, config, input, self.settings)
        self.input_items: list[InputItem] = []
        self._status_before: RunStatus = input.status if isinstance(input, RunState) else "running"
        if isinstance(input, RunState):
            self.state = state = resumable(input, turns)
            context = context if context is not None else input.context
        else:
            self.input_items = input_items(input, starting_agent)
            self.state = state = new_state(starting_agent, input, self.input_items, turns)
        state.context = context
        self.ctx = RunContextWrapper(
            context, state.usage, config, state.run_id, state.parent_run_id
        )
        self.resuming = isinstance(input, RunState)
        self.session, self.charms, self.emit = session, charms, emit
        self.error_handlers: ErrorHandlers | None = None
        self.stop_requested = False  # set by RunResultStreaming.cancel(): stop between turns
        self._started = False
        self._items = ItemRecorder(state, session, emit)
        self._observers: list[RunObserver] = []
        self._plans = AgentPlans(config, self.settings, self.ctx)
        self._models = ModelCaller(state, self.ctx, charms, emit, self._observers)
        self._models.check_input = functools.partial(check_input, ctx=self.ctx, state=state)
        self._models.input_filter = config.model_input_filter
        self._log = log = get_logger()
        self._swords = SwordStep(state, self.ctx, charms, self._plans, self._items.add, log, emit)

    def request_stop(self) -> None:
        """Stop between turns: the current turn finishes and is kept (cancel("after_turn"))."""
        self.stop_requested = True

    def release_if_unstarted(self) -> None:
        """The run will never start (its streamed task was cancelled first, or `timeout` was
        wrong): a resumed state is free to resume again."""
        if not self._started:
            self.state.status = self._status_before

    def result(self) -> RunResult[Any]:
        return result_of(self.state, self.ctx, self.config)

    def error_details(self) -> RunErrorDetails:
        return error_details_of(self.state, self.ctx)

    # --- the run -------------------------------------------------------------------------------

    async def execute(self, timeout: float | None) -> None:
        """The whole run, in its span and record, within `timeout` seconds."""
        try:
            check_timeout(timeout)
        except UserError:
            self.release_if_unstarted()
            raise
        self._started = True
        state = self.state
        state.status = "running"
        session_id = getattr(self.session, "session_id", None)
        nested = current_scope() is not None  # an agent used as a sword, inside its root run
        with traced_run(
            state,
            self.config,
            self.settings,
            session_id,
            self._observers,
            nested,
            self.error_details,
        ) as run_span:
            await self._run_traced(run_span, timeout)

    async def _run_traced(self, run_span: Span, timeout: float | None) -> None:
        state = self.state
        self._models.traced_inputs.start(run_span)
        self._log.debug("run.start", agent=state.current_agent.name)
        deadline = _deadline(timeout)
        try:
            async with deadline, run_scope():
                await self._run_handled()
        except TimeoutError:
            if not deadline.expired():
                raise
            raise _timed_out(timeout, state) from None
        self._log.debug("run.end", agent=state.current_agent.name, turns=state.turn)

    async def _run_handled(self) -> None:
        """The run's agents; past `max_turns`, the "max_turns" error handler's output, if the
        run has the handler, ends the run (checked, and recorded as its final message)."""
        handler = max_turns_handler(self.error_handlers)
        try:
            await self._run_agents()
        except MaxTurnsError:
            if handler is None:
                raise
            await self._end_with_handler_output(await maybe_await(handler(self.error_details())))

    async def _run_agents(self) -> None:
        """The run's agents in turn: the starting (or resumed) one, then each orb's target."""
        limits = limit_guard(self.config.usage_limits)  # inside the run's scope: shared count
        self._models.limits = self._swords.limits = limits
        state = self.state
        step: NextStep | None = None
        if self.resuming:
            step = await self._resume()
        else:
            await self._start()
        while step is None or isinstance(step, NextStepOrb):
            if step is not None:
                await self._enter_agent(step.orb.agent)
            if self.stop_requested:
                step = PLAIN_RUN_AGAIN
                break
            agent = state.current_agent
            with span("agent", agent.name):
                step = await self._run_agent(agent)
        state.status = _status_after(step)

    async def _enter_agent(self, agent: Agent[Any]) -> None:
        self.state.current_agent = agent
        if self.emit is not None:
            await self.emit(AgentUpdatedStreamEvent(agent))

    async def _start(self) -> None:
        """A new run: the session's items, the input, and the input shields that run first."""
        state = self.state
        await start_conversation(state, self.session, self.config, self.input_items)
        self._items.start(self.input_items)
        await self._enter_agent(state.current_agent)
        shields = [*state.current_agent.input_shields, *self.config.input_shields]
        self._models.parallel_shields = [s for s in shields if s.run_in_parallel]
        before = [s for s in shields if not s.run_in_parallel]
        if before:
            await check_input(before, self.ctx, state)

    async def _resume(self) -> NextStep | None:
        """Carry out the interrupted turn's unanswered calls (decisions applied): the same
        execution as a live turn's. None: go on with the current agent's turns."""
        state = self.state
        await self._enter_agent(state.current_agent)
        if not state.pending_calls:
            return None
        agent = state.current_agent
        gear, plan = await self._plans.for_turn(agent)
        apply_changed_arguments(state)
        step = _resumed_step(state.pending_calls, gear, agent)
        token = resuming_runs.set(take_pending(state))
        try:
            with span("turn", f"turn {state.turn} (resumed)", turn=state.turn, agent=agent.name):
                done = await self._execute(agent, gear, plan, step)
        finally:
            resuming_runs.reset(token)
        await self._items.save_turn()
        return None if isinstance(done, NextStepRunAgain) else done

    async def _run_agent(self, agent: Agent[Any]) -> NextStep:
        """Turns of one agent until a final output, an orb, an interruption or a stop."""
        state = self.state
        await fire_agent_start(self.charms, self.ctx, agent)
        state.output_retries_used = 0
        step: NextStep = PLAIN_RUN_AGAIN
        while not self.stop_requested:
            if state.turn >= state.max_turns:
                raise MaxTurnsError(message("max_turns", max_turns=state.max_turns))
            state.turn += 1
            with span("turn", f"turn {state.turn}", turn=state.turn, agent=agent.name):
                step = await self._turn(agent)
            await self._items.save_turn()
            if not isinstance(step, NextStepRunAgain):
                return step
        return step

    async def _turn(self, agent: Agent[Any]) -> NextStep:
        """One model call, the decision on its response, and that decision carried out."""
        state = self.state
        gear, plan = await self._plans.for_turn(agent)
        instructions = await agent.get_instructions(self.ctx)
        self._log.debug("turn", turn=state.turn, agent=agent.name, items=len(state.model_input))
        response = await self._models.respond(agent, plan, instructions)
        if plan.reasoning_check is not None:
            check_reasoning(agent, response, plan, state.model_input)
        state.turn_start = len(state.new_items)
        items, step = decide_turn(agent, response, gear, plan.final_sword)
        if agent.output_validators and isinstance(step, NextStepFinalOutput):
            step = await validate_final(agent, self.ctx, items, step)
        for item in items:
            await self._items.add(item)
        if len(items) < len(response.output):
            for raw in unexpected_items(response):
                self._log.warning("model.unexpected_item", item_type=raw.get("type"))
        return await self._execute(agent, gear, plan, step)

    async def _execute(
        self, agent: Agent[Any], gear: Gear, plan: RequestPlan, step: NextStep
    ) -> NextStep:
        """Carry out `step`; returns the step the turn ends on (never NextStepRunSwords), after
        what it asks for before the next turn (or the run's end)."""
        if isinstance(step, NextStepRunSwords):
            step = await self._swords.carry_out(agent, gear, plan, step)
        if step is PLAIN_RUN_AGAIN:
            return step
        if isinstance(step, NextStepRunAgain):
            if step.output_error is not None:
                retry_output(agent, self.state, step)
        elif isinstance(step, NextStepFinalOutput):
            await self._finish(agent, step.output)
        elif isinstance(step, NextStepOrb):
            await fire_orb(self.charms, self.ctx, agent, step.orb.agent)
            await apply_orb_filter(step.orb, self.config.orb_input_filter, self.state)
        elif isinstance(step, NextStepInterruption):
            self.state.interruptions = step.interruptions
        return step

    # --- the run's end -------------------------------------------------------------------------

    async def _finish(self, agent: Agent[Any], output: Any) -> None:
        """The final output, once the output shields pass it."""
        shields = [*agent.output_shields, *self.config.output_shields]
        state = self.state
        tripped = await check_output(shields, self.ctx, agent, output, state) if shields else None
        if tripped is not None:
            await self._items.save_input_only()  # the input is kept, not the answer
            raise OutputShieldTripwireTriggered(tripped)
        state.final_output = output
        await fire_agent_end(self.charms, self.ctx, agent, output)

    async def _end_with_handler_output(self, output: Any) -> None:
        """End the run with an error handler's output, recorded as its final message."""
        state = self.state
        final, text = handler_output(state.current_agent, output)
        await self._items.add(MessageOutputItem(state.current_agent, assistant_message(text)))
        await self._items.save_turn()
        state.final_output = final
        state.status = "completed"


def _status_after(step: NextStep) -> RunStatus:
    if isinstance(step, NextStepInterruption):
        return "interrupted"
    if isinstance(step, NextStepFinalOutput):
        return "completed"
    return "stopped"


def _resumed_step(pending: list[FunctionCallItem], gear: Gear, agent: Agent[Any]) -> NextStep:
    step = resume_step(pending, gear)
    if step is None:
        names = ", ".join(repr(call["name"]) for call in pending)
        raise UserError(
            f"The run cannot resume: agent {agent.name!r} no longer offers every sword the "
            f"pending calls name ({names}). Resume with the agents the run was saved with."
        )
    return step


def _deadline(timeout: float | None) -> asyncio.Timeout | _NoDeadline:
    if timeout is None:
        return _NO_DEADLINE
    import asyncio  # loaded by the first run, not with `import drusilla`

    return asyncio.timeout(timeout)  # not anyio's: it asks sniffio on every run


class _NoDeadline:
    """A run with no timeout: not `asyncio.timeout(None)`, which looks up the running loop and
    task to set no deadline, two system calls (getpid) a run on Python 3.11."""

    async def __aenter__(self) -> None:
        pass

    async def __aexit__(self, *exc_info: object) -> None:
        pass

    def expired(self) -> bool:
        return False


_NO_DEADLINE = _NoDeadline()


def _timed_out(timeout: float | None, state: RunState) -> RunTimeoutError:
    return RunTimeoutError(
        f"The run did not finish within timeout={timeout} seconds "
        f"(turn {state.turn}, agent {state.current_agent.name!r})."
    )


# --- a streamed run ----------------------------------------------------------------------------

_running: set[asyncio.Task[Any]] = set()
"""Streamed runs in progress: asyncio keeps only weak references to tasks."""


def start(
    make_run: Callable[[Emit], RunLoop], timeout: float | None, buffer_size: int
) -> RunResultStreaming[Any]:
    """Start the run `make_run(emit)` in the background; its events go to the result."""
    import asyncio

    size = check_buffer_size(buffer_size)
    channel: EventChannel[Any] = EventChannel(size)
    run = make_run(emitter(channel))
    name = f"drusilla-run:{run.state.current_agent.name}"
    task = asyncio.create_task(_drive(run, timeout, channel), name=name)
    _running.add(task)

    def finished(task: asyncio.Task[Any]) -> None:
        _running.discard(task)
        run.release_if_unstarted()  # cancelled before it began: the state was never touched
        channel.end()  # the consumer sees the end, however the run ended (even before starting)

    task.add_done_callback(finished)
    return RunResultStreaming(run.state, run.ctx, run.config, run.request_stop, channel, task)


async def _drive(
    run: RunLoop, timeout: float | None, channel: EventChannel[Any]
) -> Exception | None:
    """The run's task. Returns the run's error rather than raising it: the consumer raises it
    (a failure nobody iterated is not reported as "never retrieved"). Cancellation propagates.

    The end goes into the channel from here, in the task's last step, not only from the done
    callback: a consumer woken by the run's first event then drains everything and the end in
    one go, instead of waiting one more pass of the event loop for the callback."""
    try:
        await run.execute(timeout)
    except Exception as exc:
        return exc
    finally:
        channel.end()
    return None
