"""The `Model` protocol and the provider-neutral request, response and stream events.

A model sees swords only as `SwordSpec`s (name, description, JSON schema) and structured output
only as an `OutputSpec` for `response_format`; the other output modes are built above it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias, TypeGuard, runtime_checkable

from ..util.usage import Usage
from .items import FunctionCallItem, InputItem, MessageItem, ReasoningInputItem, message_text
from .settings import ModelSettings


@dataclass(frozen=True, slots=True)
class SwordSpec:
    """A sword as the model is told about it: a function it may call."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool = False


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """Structured output asked of the model through `response_format`."""

    name: str
    schema: dict[str, Any]
    strict: bool
    mode: Literal["json_schema", "json_object"] = "json_schema"


@dataclass(slots=True)
class ModelRequest:
    """One call's request as a `Model` receives it: instructions, input items, swords, settings."""

    instructions: str | None
    input: list[InputItem]
    swords: list[SwordSpec] = field(default_factory=list)
    settings: ModelSettings = field(default_factory=ModelSettings)
    output: OutputSpec | None = None


@dataclass(slots=True)
class ModelResponse:
    """One model call's result: output items in the order the model produced them."""

    output: list[InputItem]
    usage: Usage = field(default_factory=Usage)
    response_id: str | None = None
    model: str | None = None
    finish_reason: str | None = None
    logprobs: list[Any] | None = None

    @property
    def text(self) -> str:
        """The text of the assistant messages in this response."""
        return "".join(
            message_text(item)  # type: ignore[arg-type]
            for item in self.output
            if item.get("role") == "assistant"
        )

    @property
    def reasoning(self) -> str | None:
        texts = [
            item["text"]  # type: ignore[typeddict-item]
            for item in self.output
            if item.get("type") == "reasoning" and item.get("text")  # not a redacted block
        ]
        return "\n".join(texts) if texts else None

    @property
    def sword_calls(self) -> list[FunctionCallItem]:
        return [item for item in self.output if item.get("type") == "function_call"]  # type: ignore[misc]


# --- streaming ---------------------------------------------------------------------------------


@dataclass(slots=True)
class TextDelta:
    """A piece of the answer's text, as it streams."""

    delta: str
    type: Literal["text_delta"] = "text_delta"


@dataclass(slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning (its thinking), as it streams."""

    delta: str
    type: Literal["reasoning_delta"] = "reasoning_delta"


@dataclass(slots=True)
class SwordCallDelta:
    """A piece of a sword call: `name` and `call_id` arrive first, then argument fragments."""

    index: int
    arguments_delta: str
    call_id: str | None = None
    name: str | None = None
    type: Literal["sword_call_delta"] = "sword_call_delta"


@dataclass(slots=True)
class ResponseDone:
    """The last event of a stream: the whole response, as `get_response` would return it."""

    response: ModelResponse
    type: Literal["response_done"] = "response_done"


ModelStreamEvent: TypeAlias = TextDelta | ReasoningDelta | SwordCallDelta | ResponseDone


@runtime_checkable
class Model(Protocol):
    """Anything that answers a `ModelRequest`. Implementations must not mutate the request.

    A model may also say what it does with a `profile` (`profiles.ProfiledModel`: reasoning,
    the unopened-`<think>` rule, structured-output mode); the runtime reads it only through
    `profiles.model_profile`, which falls back to the profile for the model's name."""

    @property
    def model_name(self) -> str: ...

    @property
    def provider_name(self) -> str: ...

    async def get_response(self, request: ModelRequest) -> ModelResponse: ...

    def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        """Yield deltas as they arrive, then exactly one `ResponseDone`."""
        ...


def is_model(value: Any) -> TypeGuard[Model]:
    """`isinstance(value, Model)`, as the runtime asks it once per run: by its members, since a
    runtime Protocol's isinstance (Python 3.11) lists the protocol's attributes on every call."""
    return (
        hasattr(value, "model_name")
        and hasattr(value, "provider_name")
        and callable(getattr(value, "get_response", None))
        and callable(getattr(value, "stream_response", None))
    )


class ModelProvider(Protocol):
    """Turns a model name (or None for the configured default) into a `Model`."""

    def get_model(self, name: str | None) -> Model: ...


__all__ = [
    "InputItem",
    "MessageItem",
    "Model",
    "ModelProvider",
    "ModelRequest",
    "ModelResponse",
    "ModelStreamEvent",
    "OutputSpec",
    "ReasoningDelta",
    "ReasoningInputItem",
    "ResponseDone",
    "SwordCallDelta",
    "SwordSpec",
    "TextDelta",
    "is_model",
]
