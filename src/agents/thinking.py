"""Thinking strategies for `Agent(thinking_prompt=...)`.

A model that reasons (per its profile, with thinking not switched off) gets the thinking prompt
with its one call. Any other model is called twice per turn: first to think freely — the
thinking prompt, no swords, no response format — then for the answer, with the thinking before
it in the conversation and the usual structured request. The thinking call's text is reasoning:
it streams as `ReasoningDelta`s and is kept as a `ReasoningItem`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ..models.interface import (
    Model,
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    ReasoningDelta,
    ResponseDone,
    TextDelta,
)
from ..models.items import InputItem, reasoning_item
from ..models.profiles import model_profile
from ..models.settings import ModelSettings

__all__ = ["ThinkingCall", "as_thinking", "thinks_natively"]


def thinks_natively(model: Any, settings: ModelSettings) -> bool:
    """Whether one call suffices: the model reasons and its thinking is not switched off."""
    return model_profile(model).reasoning and settings.thinking is not False


class ThinkingCall:
    """`model` for the thinking call: whatever it answers is reasoning.

    Text becomes reasoning (streamed as `ReasoningDelta`); sword calls cannot happen (none are
    offered) and are dropped if a server sends them anyway.
    """

    def __init__(self, model: Model) -> None:
        self.model = model

    @property
    def model_name(self) -> str:
        return self.model.model_name

    @property
    def provider_name(self) -> str:
        return self.model.provider_name

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        return as_thinking(await self.model.get_response(request))

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        events = self.model.stream_response(request)
        try:
            async for event in events:
                if isinstance(event, TextDelta):
                    yield ReasoningDelta(event.delta)
                elif isinstance(event, ResponseDone):
                    yield ResponseDone(as_thinking(event.response))
                elif isinstance(event, ReasoningDelta):
                    yield event
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()


def as_thinking(response: ModelResponse) -> ModelResponse:
    """`response`, changed in place to hold all it said as one reasoning item."""
    thought = "\n\n".join(part for part in (response.reasoning, response.text) if part)
    output: list[InputItem] = [reasoning_item(thought)] if thought else []
    response.output = output
    return response
