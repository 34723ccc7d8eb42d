"""`OpenAIResponsesModel`: a model behind OpenAI's Responses API (OpenAI itself, and servers
that copy it, such as recent vLLM and Ollama)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .chat_wire import ServerKind, server_kind
from .interface import ModelRequest, ModelResponse, ModelStreamEvent
from .openai_calls import Connection, complete, connection_for, post_json, stream
from .profiles import ModelProfile, profile_for
from .responses_wire import ResponsesStream, responses_request, responses_response

if TYPE_CHECKING:
    from openai import AsyncOpenAI

PATH = "/responses"


class OpenAIResponsesModel:
    """A model served over the Responses API; constructed like `OpenAIChatModel`.

    Responses has no `seed`, `stop` or penalties: those settings are left out with a warning
    (pass them in `extra_body` if your server takes them).
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
        implicit_think: bool | None = None,
        server: ServerKind | None = None,
        profile: ModelProfile | None = None,
    ) -> None:
        self._model = model
        self._connection = connection or connection_for(base_url, api_key, client)
        self._provider_name = provider_name
        self._server: ServerKind = server or server_kind(self._connection.base_url)
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
        return self._server

    def _starts_in_reasoning(self, request: ModelRequest) -> bool:
        """Whether a streamed reply is taken to begin inside an unopened `<think>`."""
        if self._implicit_think is not None:
            return self._implicit_think
        return request.settings.thinking is not False and self.profile.implicit_think

    def __repr__(self) -> str:
        return f"OpenAIResponsesModel({self._model!r}, base_url={self._connection.base_url!r})"

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        request = self.profile.adjust(request)
        kwargs = responses_request(request, self._model, stream=False)

        async def send(client: AsyncOpenAI, timeout: Any) -> ModelResponse:
            return responses_response(await post_json(client, PATH, kwargs, timeout))

        return await complete(self._connection, self._model, request.settings, send)

    def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        request = self.profile.adjust(request)
        kwargs = responses_request(request, self._model, stream=True)

        async def open_stream(client: AsyncOpenAI, timeout: Any) -> Any:
            return await post_json(client, PATH, kwargs, timeout, stream=True)

        starts_in_reasoning = self._starts_in_reasoning(request)

        def new_state() -> ResponsesStream:
            return ResponsesStream(implicit_think=starts_in_reasoning)

        return stream(self._connection, self._model, request.settings, open_stream, new_state)
