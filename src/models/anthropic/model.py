"""`AnthropicModel`: Claude over the Anthropic Messages API, on the official `anthropic` SDK.

The SDK (extra `drusilla[anthropic]`) is imported when a model is first used, not before. Like
the OpenAI models, a call posts the wire module's JSON through the client's own `post` (same
transport, auth, timeouts and errors as `messages.create`, without its typed layers) and reads
plain dicts back; the retry loop is retry.py's, the client's own retries are off.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from ...util.errors import UserError
from ...util.masking import mask_url, register_secret, register_url
from ...util.settings import env_value, get_settings
from ...util.surrogates import replace_lone_surrogates
from ..client_pool import ClientPool
from ..guard import check_model_request
from ..interface import ModelRequest, ModelResponse, ModelStreamEvent, ResponseDone
from ..profiles import ModelProfile
from ..retry import Classifier, Retrying, RetryPolicy
from ..settings import ModelSettings
from ..wire import expect_event_stream
from .messages_wire import MessagesStream, messages_request, messages_response

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic, RequestOptions

__all__ = ["ANTHROPIC_BASE_URL", "AnthropicModel", "anthropic_pool", "anthropic_profile"]

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
_NO_KEY = "not-needed"
"""Sent to servers that need no key (a local proxy): the SDK insists on one."""
_NATIVE_OUTPUT = re.compile(r"claude-(opus-4-1|(opus|sonnet|haiku)-(4-[5-9]|[5-9]))")
"""Models with native structured output (`output_config.format`); others get a forced tool."""


def anthropic_profile(name: str) -> ModelProfile:
    """What `auto` picks for a Claude model: native JSON-schema output where the model has
    it, else the forced final-output sword (every Claude model has tool use)."""
    native = _NATIVE_OUTPUT.search(name.lower())
    return ModelProfile(output_mode="json_schema" if native else "sword")


def _new_client(base_url: str, api_key: str) -> AsyncAnthropic:
    from anthropic import AsyncAnthropic

    return AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=0, timeout=_timeout())


def _timeout(seconds: float | None = None) -> Any:
    """DRUSILLA_HTTP_TIMEOUT (or `seconds`) for the server to answer and between streamed
    bytes, DRUSILLA_HTTP_CONNECT_TIMEOUT to connect."""
    import anthropic

    settings = get_settings()
    total = seconds if seconds is not None else settings.http_timeout
    return anthropic.Timeout(total, connect=min(total, settings.http_connect_timeout))


anthropic_pool: ClientPool[AsyncAnthropic] = ClientPool(_new_client)


class AnthropicModel:
    """A Claude model over the Messages API.

        AnthropicModel("claude-sonnet-4-5")                           # key from ANTHROPIC_API_KEY
        AnthropicModel("claude-sonnet-4-5", base_url="http://localhost:4000")  # a proxy (LiteLLM)
        AnthropicModel("claude-sonnet-4-5", client=AsyncAnthropic(...))        # your own client

    `base_url` is the API's root (the client posts to `<base_url>/v1/messages`; a trailing
    `/v1` is taken off); default DRUSILLA_ANTHROPIC_BASE_URL, else ANTHROPIC_BASE_URL, else
    Anthropic's. `profile` sets what `auto` picks for structured output (default: native
    JSON-schema output on the models that have it, a forced sword on the others).
    """

    path: ClassVar[str] = "/v1/messages"
    sdk: ClassVar[str] = "anthropic"
    """The SDK a first use imports (the runner traces that setup; models/registry.py)."""

    def __init__(
        self,
        name: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: AsyncAnthropic | None = None,
        provider_name: str = "anthropic",
        profile: ModelProfile | None = None,
    ) -> None:
        _require_sdk()
        self._model = name
        self._client = client
        self._provider_name = provider_name
        self.profile = profile or anthropic_profile(name)
        if client is not None:
            register_secret(client.api_key)
            base_url = str(client.base_url)
        self._base_url = _root(base_url)
        register_url(self._base_url)
        self._api_key = _NO_KEY if client is not None else _key(api_key, self._base_url)

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def provider_name(self) -> str:
        return self._provider_name

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:
        return f"AnthropicModel({self._model!r}, base_url={mask_url(self._base_url)!r})"

    async def warm_up(self) -> None:
        """Import `anthropic` and create this loop's client now (see `OpenAIModelBase`)."""
        await self._get_client()

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        body = messages_request(request, self._model, stream=False)
        client, timeout, retrying = await self._prepare(request.settings)
        while True:
            async with retrying:
                reply = await _post(client, body, timeout)
                return messages_response(replace_lone_surrogates(reply))
            await retrying.pause()

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        """Events of one call, then its `ResponseDone`; retried while nothing was delivered.
        The HTTP stream is closed however the iteration ends (a cancelled run included)."""
        body = messages_request(request, self._model, stream=True)
        client, timeout, retrying = await self._prepare(request.settings)
        while True:
            async with retrying:
                wire = await _post(client, body, timeout, stream=True)
                try:
                    state = MessagesStream()
                    async for event in wire:
                        for delta in state.feed(replace_lone_surrogates(event)):
                            retrying.delivered += 1
                            yield delta
                    state.finish()
                    response = state.response()
                finally:
                    await wire.close()
                yield ResponseDone(response)
                return
            await retrying.pause()

    async def _get_client(self) -> AsyncAnthropic:
        check_model_request(f"{self._base_url}/v1")
        if self._client is not None:
            return self._client
        return await anthropic_pool.get(self._base_url, self._api_key)

    async def _prepare(self, settings: ModelSettings) -> tuple[AsyncAnthropic, Any, Retrying]:
        client = await self._get_client()
        retrying = Retrying(RetryPolicy.for_call(settings), self._classifier(), self._model)
        return client, _timeout(settings.timeout), retrying

    def _classifier(self) -> Classifier:
        from .errors import classify

        return functools.partial(classify, model=self._model, base_url=self._base_url)


async def _post(
    client: AsyncAnthropic, request: dict[str, Any], timeout: Any, *, stream: bool = False
) -> Any:
    """POST the body to /v1/messages through the client and get the reply as plain dicts (a
    stream yields one dict per event)."""
    from anthropic import AsyncStream

    body = dict(request)
    options: RequestOptions = {"timeout": timeout}
    extra_body = body.pop("extra_body", None)
    if extra_body:
        options["extra_json"] = extra_body
    extra_headers = body.pop("extra_headers", None)
    if extra_headers:
        options["headers"] = extra_headers
    reply = await client.post(
        AnthropicModel.path,
        body=body,
        options=options,
        cast_to=object,
        stream=stream,
        stream_cls=AsyncStream[object],
    )
    if stream:
        await expect_event_stream(reply)
    return reply


def _require_sdk() -> None:
    if importlib.util.find_spec("anthropic") is None:
        raise UserError(
            "AnthropicModel needs the anthropic package: pip install 'drusilla[anthropic]'."
        )


def _root(base_url: str | None) -> str:
    """The API root the SDK posts under: given, or from the environment, without `/v1`."""
    url = (
        base_url
        or env_value("DRUSILLA_ANTHROPIC_BASE_URL")
        or env_value("ANTHROPIC_BASE_URL")
        or ANTHROPIC_BASE_URL
    ).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UserError(
            f"The base URL {mask_url(url)!r} has no http:// or https:// in front; write it in "
            f"full, e.g. http://{mask_url(url)}."
        )
    return url.removesuffix("/v1")


def _key(api_key: str | None, base_url: str) -> str:
    key = api_key or env_value("ANTHROPIC_API_KEY")
    if key:
        register_secret(key)
        return key
    if base_url == ANTHROPIC_BASE_URL:
        raise UserError(
            "Anthropic needs an API key: set ANTHROPIC_API_KEY in the environment or .env, or "
            "pass api_key=. For a proxy or another compatible server pass base_url= (or set "
            "DRUSILLA_ANTHROPIC_BASE_URL)."
        )
    return _NO_KEY
