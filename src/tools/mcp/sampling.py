"""Sampling: an MCP server asks the client's model to write a message (`sampling/createMessage`).

`sampling_model=` on a server says which model answers: a `Model`, a model name, True for the
model of the agent whose sword call is in flight, or a list of these from which the server's
model hints pick (the first hint that is part of a candidate's name wins; otherwise the first
candidate). What the answer costs is added to the usage of the run whose call is in flight.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ...models.interface import Model, ModelRequest, ModelResponse
from ...models.items import InputItem
from ...models.provider import resolve_model
from ...models.settings import ModelSettings
from ...util.context import RunContextWrapper
from ...util.errors import UserError
from ...util.logging import get_logger
from ..sword_run import SwordRun, current_sword_run

if TYPE_CHECKING:
    from mcp.client.session import ClientRequestContext
    from mcp_types import CreateMessageRequestParams, CreateMessageResult, ErrorData

__all__ = ["CallsInFlight", "Sampler", "SamplingModel", "check_sampling_model"]

SamplingModel: TypeAlias = "Model | str | Literal[True] | Sequence[Model | str | Literal[True]]"
"""Who answers a server's sampling requests: a `Model`, a model name, True (the agent's own
model), or candidates for the server's model hints to choose from."""

_AGENT_MODEL = "the agent's model"


@dataclass(frozen=True, slots=True)
class _Call:
    ctx: RunContextWrapper[Any] | None
    run: SwordRun | None


class CallsInFlight:
    """The server's tool calls now running, newest last: a sampling request made during a call
    is answered for (and billed to) the run that made it."""

    def __init__(self) -> None:
        self._calls: list[_Call] = []

    @contextmanager
    def during(self, ctx: RunContextWrapper[Any] | None) -> Iterator[None]:
        call = _Call(ctx, current_sword_run())
        self._calls.append(call)
        try:
            yield
        finally:
            self._calls.remove(call)

    def latest(self) -> _Call | None:
        return self._calls[-1] if self._calls else None


def check_sampling_model(value: Any, server: str) -> list[Model | str | Literal[True]] | None:
    """`sampling_model=` as a list of candidates (None: the server may not sample)."""
    if value is None or value is False:
        return None
    candidates = list(value) if isinstance(value, list | tuple) else [value]
    for candidate in candidates:
        if not (candidate is True or isinstance(candidate, str | Model)) or candidate == "":
            raise UserError(
                f"MCP server {server!r}: sampling_model={value!r} must be a Model, a model name, "
                "True (the agent's own model) or a list of these."
            )
    if not candidates:
        raise UserError(f"MCP server {server!r}: sampling_model=[] names no model.")
    return candidates


class Sampler:
    """Answers a server's `sampling/createMessage` requests (the `mcp` SDK's sampling callback)."""

    def __init__(
        self, server: str, candidates: list[Model | str | Literal[True]], calls: CallsInFlight
    ) -> None:
        self.server = server
        self.candidates = candidates
        self.calls = calls

    async def __call__(
        self, context: ClientRequestContext, params: CreateMessageRequestParams
    ) -> CreateMessageResult | ErrorData:
        from mcp_types import INTERNAL_ERROR, ErrorData

        call = self.calls.latest()
        try:
            model = self._choose(params, call)
            response = await model.get_response(sampling_request(params))
        except Exception as exc:
            get_logger().warning("mcp.sampling_failed", server=self.server, error=repr(exc))
            return ErrorData(code=INTERNAL_ERROR, message=f"The client could not sample: {exc}")
        if call is not None and call.ctx is not None:
            call.ctx.usage.add(response.usage)
        get_logger().debug("mcp.sampling", server=self.server, model=model.model_name)
        return sampling_result(response, model.model_name, params.max_tokens)

    def _choose(self, params: CreateMessageRequestParams, call: _Call | None) -> Model:
        preferences = params.model_preferences
        hints = [hint.name for hint in (preferences.hints or [] if preferences else [])]
        names = [self._name(candidate, call) for candidate in self.candidates]
        for hint in filter(None, hints):
            for candidate, name in zip(self.candidates, names, strict=True):
                if hint.lower() in name.lower():
                    return self._resolve(candidate, call)
        return self._resolve(self.candidates[0], call)

    def _name(self, candidate: Model | str | Literal[True], call: _Call | None) -> str:
        if candidate is True:
            model = call.run.model if call is not None and call.run is not None else None
            return model.model_name if model is not None else _AGENT_MODEL
        return candidate if isinstance(candidate, str) else candidate.model_name

    def _resolve(self, candidate: Model | str | Literal[True], call: _Call | None) -> Model:
        if isinstance(candidate, Model):
            return candidate
        if candidate is True:
            model = call.run.model if call is not None and call.run is not None else None
            if model is None:
                raise UserError(
                    f"MCP server {self.server!r} asked to sample outside an agent's sword call, "
                    "so there is no agent model (sampling_model=True); name a model instead."
                )
            return model
        config = call.ctx.run_config if call is not None and call.ctx is not None else None
        return resolve_model(candidate, _Provider(getattr(config, "model_provider", None)))


@dataclass(frozen=True, slots=True)
class _Provider:
    """A model choice that leaves the name alone but keeps the run's provider."""

    model_provider: Any
    model: None = None


def sampling_request(params: CreateMessageRequestParams) -> ModelRequest:
    """The server's messages, system prompt and limits as a request to a drusilla model."""
    settings = ModelSettings(
        max_tokens=params.max_tokens,
        temperature=params.temperature,
        stop=list(params.stop_sequences) if params.stop_sequences else None,
    )
    items: list[InputItem] = [_message(message) for message in params.messages]
    return ModelRequest(instructions=params.system_prompt, input=items, settings=settings)


def _message(message: Any) -> InputItem:
    parts = [_part(block) for block in message.content_as_list]
    if message.role == "assistant" or all(part["type"] == "input_text" for part in parts):
        text = "\n".join(part.get("text", "") for part in parts)
        return {"role": message.role, "content": text}
    return {"role": message.role, "content": parts}


def _part(block: Any) -> dict[str, Any]:
    kind = getattr(block, "type", None)
    if kind == "text":
        return {"type": "input_text", "text": block.text}
    if kind == "image":
        url = f"data:{block.mime_type};base64,{block.data}"
        return {"type": "input_image", "image_url": url, "detail": "auto"}
    if kind == "audio":
        return audio_part(block.data, block.mime_type)
    return {"type": "input_text", "text": block.model_dump_json(by_alias=True, exclude_none=True)}


def audio_part(data: str, mime_type: str) -> dict[str, Any]:
    """An `input_audio` content part (the format is the MIME subtype: wav, mp3 ...)."""
    audio_format = mime_type.split("/")[-1].removeprefix("x-").replace("mpeg", "mp3")
    return {"type": "input_audio", "input_audio": {"data": data, "format": audio_format}}


def sampling_result(response: ModelResponse, model: str, max_tokens: int) -> CreateMessageResult:
    from mcp_types import CreateMessageResult, TextContent

    stop = "maxTokens" if response.finish_reason in ("length", "max_tokens") else "endTurn"
    if response.usage.output_tokens >= max_tokens > 0 and response.finish_reason is None:
        stop = "maxTokens"
    return CreateMessageResult(
        role="assistant",
        content=TextContent(text=response.text),
        model=response.model or model,
        stop_reason=stop,
    )
