"""How both OpenAI-protocol models call the server: a pooled client, our retries, and streams
that close when the consumer stops.

A stream that breaks (dropped connection, cut-off SSE) before anything reached the consumer is
retried like any failed call. Once events were delivered it is not: a retry would deliver them
a second time. The call then fails with a `ModelError` saying so.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import anyio

from ..util.errors import ModelError, UserError
from ..util.settings import get_settings
from .guard import check_model_request
from .interface import ModelResponse, ModelStreamEvent, ResponseDone
from .openai_clients import NO_KEY, OPENAI_BASE_URL, ClientPool, default_pool, http_timeout
from .openai_errors import classify
from .retry import Classifier, RetryPolicy, call_with_retries, wait_before_retry
from .settings import ModelSettings

if TYPE_CHECKING:
    from openai import AsyncOpenAI, RequestOptions

T = TypeVar("T")


@dataclass(frozen=True)
class Connection:
    """Where a model is served: base URL and key (never shown in a repr), or a ready client."""

    base_url: str
    api_key: str = field(default=NO_KEY, repr=False)
    client: AsyncOpenAI | None = field(default=None, repr=False)
    """A client you built yourself; drusilla uses it as is and does not close it."""
    pool: ClientPool = field(default=default_pool, repr=False, compare=False)

    async def get_client(self) -> AsyncOpenAI:
        check_model_request(self.base_url)
        if self.client is not None:
            return self.client
        return await self.pool.get(self.base_url, self.api_key)

    def classifier(self, model: str) -> Classifier:
        return functools.partial(classify, model=model, base_url=self.base_url)


def connection_for(
    base_url: str | None, api_key: str | None, client: AsyncOpenAI | None
) -> Connection:
    """The connection of a model built directly: a given client, else the given base URL and
    key, else DRUSILLA_BASE_URL / DRUSILLA_API_KEY (OPENAI_API_KEY), else OpenAI itself."""
    settings = get_settings()
    if client is not None:
        return Connection(str(client.base_url).rstrip("/"), client=client)
    url = (base_url or settings.base_url or OPENAI_BASE_URL).rstrip("/")
    key = api_key or settings.api_key
    if key is None and url == OPENAI_BASE_URL:
        raise UserError(
            "OpenAI needs an API key: set DRUSILLA_API_KEY (or OPENAI_API_KEY) in the "
            "environment or .env, or pass api_key=. For a local server pass base_url= or set "
            "DRUSILLA_BASE_URL."
        )
    return Connection(url, key or NO_KEY)


class StreamState(Protocol):
    """Turns one wire format's stream items into neutral events and the whole response."""

    def feed(self, item: Any) -> list[ModelStreamEvent]: ...

    def finish(self) -> list[ModelStreamEvent]: ...

    def response(self) -> ModelResponse: ...


Send = Callable[["AsyncOpenAI", Any], Awaitable[T]]
"""`send(client, timeout)`: one attempt of a call."""


async def post_json(
    client: AsyncOpenAI, path: str, request: dict[str, Any], timeout: Any, *, stream: bool = False
) -> Any:
    """POST a request a wire module built (`create()` keyword arguments: the body, plus
    `extra_body` / `extra_headers`) through the client, and get the reply as plain dicts — a
    stream yields one dict per event.

    It is the client's own `post`: same transport, auth, timeouts and error classes as
    `create()`, without its typed layers, which walk every message of the request through
    openai's TypedDict transform and build a pydantic object of the reply and of every stream
    chunk, only for the wire modules to read them back into our items. Those layers cost
    several times the HTTP request itself (docs/benchmarks.md, scenarios 4 and 5).
    """
    from openai import AsyncStream

    body = dict(request)
    options: RequestOptions = {"timeout": timeout, "security": {"bearer_auth": True}}
    extra_body = body.pop("extra_body", None)
    if extra_body:
        options["extra_json"] = extra_body
    extra_headers = body.pop("extra_headers", None)
    if extra_headers:
        options["headers"] = extra_headers
    return await client.post(
        path,
        body=body,
        options=options,
        cast_to=object,
        stream=stream,
        stream_cls=AsyncStream[object],
    )


async def complete(connection: Connection, model: str, settings: ModelSettings, send: Send[T]) -> T:
    """One model call with retries."""
    client = await connection.get_client()
    timeout = http_timeout(settings.timeout)

    async def attempt() -> T:
        return await send(client, timeout)

    return await call_with_retries(
        attempt, RetryPolicy.for_call(settings), connection.classifier(model), model
    )


async def stream(
    connection: Connection,
    model: str,
    settings: ModelSettings,
    open_stream: Send[Any],
    new_state: Callable[[], StreamState],
) -> AsyncIterator[ModelStreamEvent]:
    """Stream events of one model call, then its `ResponseDone`; retried while nothing was
    delivered. The HTTP stream is closed however the iteration ends."""
    client = await connection.get_client()
    timeout = http_timeout(settings.timeout)
    policy = RetryPolicy.for_call(settings)
    classifier = connection.classifier(model)
    retries = 0
    while True:
        delivered = 0
        try:
            wire = await open_stream(client, timeout)
            try:
                state = new_state()
                async for item in wire:
                    for event in state.feed(item):
                        delivered += 1
                        yield event
                for event in state.finish():
                    delivered += 1
                    yield event
                response = state.response()
            finally:
                await wire.close()
            yield ResponseDone(response)
            return
        except Exception as exc:
            failure = classifier(exc)
            if failure is None:
                raise
            if delivered:
                error = failure.error
                raise ModelError(
                    f"{error.message} The stream broke after {delivered} event(s) had reached "
                    "the consumer, so it was not retried (a retry would send them again); the "
                    "partial reply was discarded.",
                    status=error.status,
                    code=error.code,
                    server_message=error.server_message,
                ) from exc
            try:
                delay = wait_before_retry(failure, retries, policy, model)
            except ModelError as final:
                if final is exc:
                    raise
                raise final from exc
        await anyio.sleep(delay)
        retries += 1
