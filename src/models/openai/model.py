"""What both OpenAI-protocol models share: where they connect, which model family they talk to,
and the plumbing of one call or one stream. `OpenAIChatModel` and `OpenAIResponsesModel` only
say how their API's requests, replies and stream items look."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from ...util.masking import mask_url
from ...util.settings import ServerKind
from ...util.surrogates import replace_lone_surrogates
from ..interface import ModelRequest, ModelResponse, ModelStreamEvent, ResponseDone
from ..profiles import ModelProfile, profile_for
from ..retry import Retrying, RetryPolicy
from ..settings import ModelSettings
from . import server_probe
from .calls import Connection, StreamState, connection_for, post_json
from .chat_wire import ChatDialect, dialect_for
from .clients import http_timeout

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["OpenAIModelBase"]


class OpenAIModelBase:
    """A model behind an OpenAI-protocol server; see the subclasses for the parameters.

    `implicit_think`: the server's chat template opens `<think>` in the prompt, so the reply
    starts inside the reasoning (DeepSeek-R1, QwQ served raw); None: the profile's guess, except
    on servers that report reasoning in a field (OpenAI, Ollama, DeepSeek) and for requests with
    `ModelSettings(thinking=False)`, where a reply never starts inside reasoning.
    `server` names the server kind when its URL does not tell ("vllm"); `dialect` says outright
    how this server wants max_tokens, thinking and earlier reasoning sent. Named neither, an
    OpenAI-compatible server the URL does not tell is asked what it is (`detect_server`,
    server_probe.py) when structured output's `auto` mode needs to know. `profile` is the
    model family's `ModelProfile` (default: found by name; see `profiles`).
    """

    probes_server: ClassVar[bool] = False
    """Whether an unnamed server is probed (Chat Completions: the dialects differ there)."""

    path: ClassVar[str]
    """The endpoint under the base URL."""

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
        self._told_dialect = dialect or dialect_for(self._connection.base_url, server)
        self._told = dialect is not None or server is not None
        self._family = profile or profile_for(model)
        self._profiles: dict[ServerKind, ModelProfile] = {}
        self._implicit_think = implicit_think

    @property
    def model_name(self) -> str:
        return self._model

    async def warm_up(self) -> None:
        """Import `openai` and create this loop's client now (the runner traces it as its own
        span the first time in a process, so a slow first import is not charged to a model
        call)."""
        await self._connection.get_client()

    @property
    def provider_name(self) -> str:
        return self._provider_name

    @property
    def base_url(self) -> str:
        return self._connection.base_url

    @property
    def server_kind(self) -> ServerKind:
        return self._dialect.server

    @property
    def profile(self) -> ModelProfile:
        """The family's profile on this server (as detected, once a probe has answered)."""
        server = self._dialect.server
        found = self._profiles.get(server)
        if found is None:
            found = self._profiles[server] = self._family.on_server(server)
        return found

    @property
    def _dialect(self) -> ChatDialect:
        """The named dialect, else the URL's, else the detected server's."""
        if self._told or not self.probes_server:
            return self._told_dialect
        detected = server_probe.detected_server(self._connection.base_url)
        if detected is None:
            return self._told_dialect
        return dialect_for(self._connection.base_url, detected)

    async def detect_server(self) -> ServerKind:
        """The server kind, asking an unnamed server what it is the first time (one cheap
        `GET /models` per endpoint and process; never for named servers, servers the URL
        tells, or hosted providers; a probe that fails leaves the kind as it was)."""
        if (
            not self._told
            and self.probes_server
            and server_probe.may_probe(self._connection.base_url)
        ):
            client = await self._connection.get_client()
            await server_probe.detect_server(client, self._connection.base_url)
        return self.server_kind

    def __repr__(self) -> str:
        base_url = mask_url(self._connection.base_url)
        return f"{type(self).__name__}({self._model!r}, base_url={base_url!r})"

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        request = self.profile.adjust(request)
        body = self._request_body(request, stream=False)
        client, timeout, retrying = await self._prepare(request.settings)
        while True:
            async with retrying:
                reply = await post_json(client, self.path, body, timeout)
                return self._response(replace_lone_surrogates(reply))
            await retrying.pause()

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        """Events of one model call, then its `ResponseDone`; retried while nothing was
        delivered. The HTTP stream is closed however the iteration ends."""
        request = self.profile.adjust(request)
        body = self._request_body(request, stream=True)
        implicit_think = self.profile.starts_in_reasoning(
            request.settings, self._dialect.separates_reasoning, self._implicit_think
        )
        client, timeout, retrying = await self._prepare(request.settings)
        while True:
            async with retrying:
                wire = await post_json(client, self.path, body, timeout, stream=True)
                try:
                    state = self._stream_state(implicit_think)
                    async for item in wire:
                        for event in state.feed(replace_lone_surrogates(item)):
                            retrying.delivered += 1
                            yield event
                    for event in state.finish():
                        retrying.delivered += 1
                        yield event
                    response = state.response()
                finally:
                    await wire.close()
                yield ResponseDone(response)
                return
            await retrying.pause()

    async def _prepare(self, settings: ModelSettings) -> tuple[AsyncOpenAI, Any, Retrying]:
        """The client, the HTTP timeout and the retry loop of one call."""
        client = await self._connection.get_client()
        classify = self._connection.classifier(self._model)
        retrying = Retrying(RetryPolicy.for_call(settings), classify, self._model)
        return client, http_timeout(settings.timeout), retrying

    # --- what each API says differently ---

    def _request_body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
        raise NotImplementedError

    def _response(self, data: Any) -> ModelResponse:
        raise NotImplementedError

    def _stream_state(self, implicit_think: bool) -> StreamState:
        raise NotImplementedError
