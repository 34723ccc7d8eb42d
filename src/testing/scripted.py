"""`ScriptedModel`: a `Model` that plays back scripted turns and records what it was asked.

    model = ScriptedModel([
        call("get_weather", city="Paris"),          # a turn with one sword call
        Turn(text="Sunny.", reasoning="Look it up"),  # reasoning and an answer
    ])
    result = await Runner.run(Agent("a", model=model, swords=[get_weather]), "Weather?")
    assert model.requests[1].input[-1]["output"] == "..."

Steps: a string (the model answers with it), `call(...)` or a list of them (sword or orb calls
in one turn), `Turn(...)` (any mix, plus reasoning and usage), an exception instance (raised by
the call), a `ModelResponse` (returned as is), or a function `request -> step`.
A run that asks for more turns than scripted fails with an AssertionError naming the request;
`assert_all_used()` (or the `scripted_model` pytest fixture) fails a test that left steps unused.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ..models.interface import (
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    ReasoningDelta,
    ResponseDone,
    SwordCallDelta,
    TextDelta,
)
from ..models.items import FunctionCallItem, InputItem, assistant_message, reasoning_item
from ..util.usage import Usage

__all__ = ["ScriptedModel", "Step", "Turn", "call", "response_for", "stream_events_for"]

_call_ids = itertools.count(1)


def call(
    name: str, arguments: dict[str, Any] | str | None = None, /, **kwargs: Any
) -> FunctionCallItem:
    """A sword (or orb) call: `call("add", a=1, b=2)`, or raw JSON text to test bad arguments."""
    text = arguments if isinstance(arguments, str) else json.dumps({**(arguments or {}), **kwargs})
    return {
        "type": "function_call",
        "call_id": f"call_{next(_call_ids)}",
        "name": name,
        "arguments": text,
    }


@dataclass
class Turn:
    """One scripted model reply."""

    text: str | None = None
    calls: list[FunctionCallItem] = field(default_factory=list)
    reasoning: str | None = None
    usage: Usage | None = None

    def to_response(self) -> ModelResponse:
        output: list[InputItem] = []
        if self.reasoning is not None:
            output.append(reasoning_item(self.reasoning))
        if self.text is not None:
            output.append(assistant_message(self.text))
        output.extend(dict(c) for c in self.calls)  # type: ignore[misc]
        usage = self.usage or Usage(
            requests=1,
            input_tokens=10,
            output_tokens=_words(self.text) + _words(self.reasoning),
            reasoning_tokens=_words(self.reasoning),
        )
        if usage.total_tokens == 0:
            usage.total_tokens = usage.input_tokens + usage.output_tokens
        return ModelResponse(output=output, usage=usage, model="scripted")


Step: TypeAlias = (
    str
    | Turn
    | FunctionCallItem
    | list[FunctionCallItem]
    | BaseException
    | ModelResponse
    | Callable[[ModelRequest], Any]
)


def _words(text: str | None) -> int:
    return len(text.split()) if text else 0


class ScriptedModel:
    """Plays `steps` in order, one per model call; every request is kept in `requests`."""

    def __init__(self, steps: Iterable[Step] = (), *, name: str = "scripted") -> None:
        self._steps: list[Step] = list(steps)
        self._position = 0
        self._name = name
        self.requests: list[ModelRequest] = []

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def provider_name(self) -> str:
        return "scripted"

    @property
    def remaining(self) -> int:
        return len(self._steps) - self._position

    def add(self, *steps: Step) -> ScriptedModel:
        self._steps.extend(steps)
        return self

    def assert_all_used(self) -> None:
        if self.remaining:
            unused = self._steps[self._position :]
            raise AssertionError(
                f"ScriptedModel {self._name!r}: {self.remaining} scripted step(s) never used: "
                f"{unused!r}"
            )

    def __enter__(self) -> ScriptedModel:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.assert_all_used()

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        return self._next(request)

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        response = self._next(request)
        for event in stream_events_for(response):
            yield event

    def _next(self, request: ModelRequest) -> ModelResponse:
        # Record a snapshot: the runner keeps appending to its own lists after the call.
        self.requests.append(copy.copy(request))
        self.requests[-1].input = list(request.input)
        if self._position >= len(self._steps):
            last = request.input[-1] if request.input else None
            raise AssertionError(
                f"ScriptedModel {self._name!r} ran out of steps at call {len(self.requests)} "
                f"(scripted {len(self._steps)}); the last input item was {last!r}."
            )
        step = self._steps[self._position]
        self._position += 1
        return response_for(step, request)


def response_for(step: Any, request: ModelRequest) -> ModelResponse:
    """The reply a script step stands for (text, calls, a `Turn`, a function of the request),
    or its exception raised: `ScriptedModel` and the local server play steps alike."""
    if isinstance(step, BaseException):
        raise step
    if isinstance(step, ModelResponse):
        return step
    if isinstance(step, str):
        return Turn(text=step).to_response()
    if isinstance(step, Turn):
        return step.to_response()
    if isinstance(step, dict):
        return Turn(calls=[step]).to_response()  # type: ignore[list-item]
    if isinstance(step, list):
        return Turn(calls=step).to_response()
    if callable(step):
        return response_for(step(request), request)
    raise TypeError(f"ScriptedModel cannot play the step {step!r}")


def stream_events_for(response: ModelResponse) -> list[ModelStreamEvent]:
    """The deltas a streaming server would send for `response`, word by word, then ResponseDone."""
    events: list[ModelStreamEvent] = []
    index = 0
    for item in response.output:
        kind = item.get("type")
        if kind == "reasoning":
            events.extend(ReasoningDelta(piece) for piece in _pieces(item["text"]))  # type: ignore[typeddict-item]
        elif kind == "function_call":
            events.append(SwordCallDelta(index, "", item["call_id"], item["name"]))  # type: ignore[typeddict-item]
            events.extend(SwordCallDelta(index, piece) for piece in _pieces(item["arguments"]))  # type: ignore[typeddict-item]
            index += 1
        elif item.get("role") == "assistant":
            content = item["content"]  # type: ignore[typeddict-item]
            text = content if isinstance(content, str) else ""
            events.extend(TextDelta(piece) for piece in _pieces(text))
    events.append(ResponseDone(response))
    return events


def _pieces(text: str) -> list[str]:
    """Split keeping every character: "a b" -> ["a", " b"]."""
    if not text:
        return []
    words = text.split(" ")
    return [words[0]] + [" " + word for word in words[1:]]
