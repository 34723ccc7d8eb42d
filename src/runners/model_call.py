"""A turn's model call: the usage limits, run records and charms around it, its `model` span,
the stream's raw events, and the parallel input shields raced against the run's first call.

`ModelCaller.respond` is the one entry: one call, or the two of the think-then-answer strategy
(agents/thinking.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..agents.thinking import ThinkingCall
from ..models.interface import Model, ModelRequest, ModelResponse, ResponseDone
from ..models.items import reasoning_item
from ..tracing.describe import describe_model_call
from ..tracing.inputs import TracedInputChain
from ..tracing.spans import span
from ..util.concurrency import gather
from ..util.errors import ModelError
from .charm_firing import fire_llm_end, fire_llm_start
from .events import RawResponseEvent
from .model_input import ModelInputFilter
from .model_input import model_input as filtered_input

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..agents.charms import RunCharms
    from ..tools.shields import InputShield
    from ..util.context import RunContextWrapper
    from .limits import LimitGuard
    from .records import RunObserver
    from .request_plan import RequestPlan
    from .state import RunState
    from .streaming import Emit

__all__ = ["ModelCaller"]

CheckInput = Callable[[list["InputShield[Any]"]], Awaitable[None]]


class ModelCaller:
    """Makes a run's model calls and records their responses in the run's state."""

    __slots__ = (
        "charms",
        "check_input",
        "ctx",
        "emit",
        "input_filter",
        "limits",
        "observers",
        "parallel_shields",
        "state",
        "traced_inputs",
    )

    def __init__(
        self,
        state: RunState,
        ctx: RunContextWrapper[Any],
        charms: RunCharms[Any] | None,
        emit: Emit | None,
        observers: list[RunObserver],
    ) -> None:
        self.state = state
        self.ctx = ctx
        self.charms = charms
        self.emit = emit
        self.observers = observers
        self.input_filter: ModelInputFilter | None = None
        """`RunConfig.model_input_filter`: what each call sees of the conversation."""
        self.limits: LimitGuard | None = None
        self.parallel_shields: list[InputShield[Any]] = []
        """Input shields to race against the next call (the run's first), then none."""
        self.check_input: CheckInput | None = None
        """Checks the parallel input shields (a partial over the run's context and state: a
        closure over the loop would make a reference cycle, left for the GC on every run)."""
        self.traced_inputs = TracedInputChain()

    def respond(
        self, agent: Agent[Any], plan: RequestPlan, instructions: str | None
    ) -> Awaitable[ModelResponse]:
        """The model's response to the conversation (through `RunConfig.model_input_filter`,
        then the profile's request formatter): one call, or think first, then answer. (The
        plain case returns `call`'s coroutine itself: no coroutine of its own on every turn.)"""
        if self.input_filter is None and not plan.think_first and plan.formatter is None:
            request = plan.request(instructions, list(self.state.model_input))
            return self.call(agent, request, plan.model, plan)
        return self._respond(agent, plan, instructions)

    async def _respond(
        self, agent: Agent[Any], plan: RequestPlan, instructions: str | None
    ) -> ModelResponse:
        seen = list(self.state.model_input)
        if self.input_filter is not None:
            seen = await filtered_input(self.input_filter, self.ctx, agent, seen)
        if plan.formatter is not None:  # after the filter: it formats what the model will see
            seen = plan.formatter(seen)
        if not plan.think_first:
            return await self.call(agent, plan.request(instructions, seen), plan.model, plan)
        thinking_request = plan.thinking_request(instructions, list(seen))
        thinking = await self.call(agent, thinking_request, ThinkingCall(plan.model), None)
        thought = thinking.reasoning or ""
        request = plan.answer_request(instructions, list(seen), thought)
        response = await self.call(agent, request, plan.model, plan)
        if thought:  # the reasoning behind this answer: the turn's ReasoningItem, result.reasoning
            response.output.insert(0, reasoning_item(thought))
        return response

    async def call(
        self, agent: Agent[Any], request: ModelRequest, model: Model, plan: RequestPlan | None
    ) -> ModelResponse:
        state, limits = self.state, self.limits
        if limits is not None:
            limits.before_request()
        if self.observers:
            mode = plan.output.mode if plan is not None and plan.output is not None else None
            for observer in self.observers:
                observer.model_call_started(state, agent, request.instructions, mode)
        await fire_llm_start(self.charms, self.ctx, agent, request.instructions, request.input)
        streamed = self.emit is not None
        with span("model", model.model_name, provider=model.provider_name, stream=streamed) as sp:
            if self.parallel_shields:
                shields, self.parallel_shields = self.parallel_shields, []
                response = await self._race_input_shields(shields, model, request)
            else:
                response = await self._ask(model, request)
            if sp.recording:
                describe_model_call(sp, request, response, self.traced_inputs)
        state.model_responses.append(response)
        state.usage.add(response.usage)
        if limits is not None:
            limits.after_response(response.usage)
        for observer in self.observers:
            observer.model_call_ended(state, agent, response)
        await fire_llm_end(self.charms, self.ctx, agent, response)
        return response

    async def _ask(self, model: Model, request: ModelRequest) -> ModelResponse:
        if self.emit is None:
            return await model.get_response(request)
        emit = self.emit
        offer = emit.offer
        events = model.stream_response(request)
        response: ModelResponse | None = None
        ended = False
        try:
            async for event in events:
                if response is not None:
                    break  # an event after the final response: ignored, the stream is closed
                if isinstance(event, ResponseDone):
                    # The stream's last event: the loop goes on and lets the stream end by
                    # itself, which costs less than closing it here (no GeneratorExit thrown).
                    response = event.response
                    continue
                raw = RawResponseEvent(event)
                if not offer(raw):
                    await emit(raw)
            else:
                ended = True
        finally:  # as contextlib.aclosing, without its two extra coroutines per model call
            if not ended:  # an error, a cancellation or a stream going on past its end
                await events.aclose()  # type: ignore[attr-defined]
        if response is None:
            raise ModelError(f"The stream from {model.model_name} ended without a final response.")
        return response

    async def _race_input_shields(
        self, shields: list[InputShield[Any]], model: Model, request: ModelRequest
    ) -> ModelResponse:
        """Parallel input shields run alongside the first model call; a trip cancels the call."""
        check_input = self.check_input
        assert check_input is not None  # set by the loop with the shields

        async def ask() -> Any:
            return await self._ask(model, request)

        async def check() -> Any:
            await check_input(shields)

        response, _ = await gather([ask, check])
        return response  # type: ignore[no-any-return]
