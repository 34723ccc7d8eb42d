"""`OpenAIChatModel`: a model behind the Chat Completions API — the one every
OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp, DeepSeek, OpenRouter, Groq …) has."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .chat_wire import (
    ChatDialect,
    ChatStream,
    ServerKind,
    chat_request,
    chat_response,
    dialect_for,
)
from .interface import ModelRequest, ModelResponse, ModelStreamEvent
from .openai_calls import Connection, complete, connection_for, post_json, stream
from .profiles import ModelProfile, profile_for

if TYPE_CHECKING:
    from openai import AsyncOpenAI

PATH = "/chat/completions"


class OpenAIChatModel:
    """A model served over Chat Completions.

        OpenAIChatModel("gpt-4.1")                                    # OpenAI, key from env
        OpenAIChatModel("deepseek-r1", base_url="http://localhost:11434/v1")   # Ollama
        OpenAIChatModel("my-model", client=AsyncOpenAI(...))          # your own client

    `implicit_think`: the server's chat template opens `<think>` in the prompt, so the reply
    starts inside the reasoning (DeepSeek-R1, QwQ served raw); None: the profile's guess, except
    on servers that report reasoning in a field (OpenAI, Ollama, DeepSeek) and for requests with
    `ModelSettings(thinking=False)`, where a reply never starts inside reasoning.
    `server` names the server kind when its URL does not tell ("vllm"); `dialect` says outright
    how this server wants max_tokens, thinking and earlier reasoning sent. `profile` is the
    model family's `ModelProfile` (default: found by name; see `profiles`).
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: AsyncOpenAI | None = None,
        connection: Connection | None = None,
        provider_name: str = "openai",
        dialect: ChatDialect | None = None,
        implicit_think: bool | None = None,
        server: ServerKind | None = None,
        profile: ModelProfile | None = None,
    ) -> None:
        self._model = model
        self._connection = connection or connection_for(base_url, api_key, client)
        self._provider_name = provider_name
        self._dialect = dialect or dialect_for(self._connection.base_url, server)
        self.profile = profile or profile_for(model)
        self._implicit_think = implicit_think

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def provider_name(self) -> str:
        return self._provider_name

    @property
    def base_url(self) -> str:
        return self._connection.base_url

    @property
    def server_kind(self) -> ServerKind:
        return self._dialect.server

    def _starts_in_reasoning(self, request: ModelRequest) -> bool:
        """Whether a streamed reply is taken to begin inside an unopened `<think>`."""
        if self._implicit_think is not None:
            return self._implicit_think
        if request.settings.thinking is False or self._dialect.separates_reasoning:
            return False
        return self.profile.implicit_think

    def __repr__(self) -> str:
        return f"OpenAIChatModel({self._model!r}, base_url={self._connection.base_url!r})"

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        request = self.profile.adjust(request)
        kwargs = chat_request(request, self._model, stream=False, dialect=self._dialect)

        async def send(client: AsyncOpenAI, timeout: Any) -> ModelResponse:
            return chat_response(await post_json(client, PATH, kwargs, timeout))

        return await complete(self._connection, self._model, request.settings, send)

    def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        request = self.profile.adjust(request)
        kwargs = chat_request(request, self._model, stream=True, dialect=self._dialect)

        async def open_stream(client: AsyncOpenAI, timeout: Any) -> Any:
            return await post_json(client, PATH, kwargs, timeout, stream=True)

        starts_in_reasoning = self._starts_in_reasoning(request)

        def new_state() -> ChatStream:
            return ChatStream(implicit_think=starts_in_reasoning)

        return stream(self._connection, self._model, request.settings, open_stream, new_state)
