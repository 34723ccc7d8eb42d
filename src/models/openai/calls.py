"""Where an OpenAI-protocol model is served (`Connection`: base URL, key, pooled client) and the
one HTTP post of a call (`post_json`). The retry loop is retry.py's; the models drive it."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ...util.errors import UserError
from ...util.logging import get_logger
from ...util.masking import mask_url, register_secret, register_url
from ...util.settings import get_settings
from ..guard import check_model_request
from ..interface import ModelResponse, ModelStreamEvent
from ..retry import Classifier
from ..wire import expect_event_stream
from .clients import NO_KEY, OPENAI_BASE_URL, ClientPool, default_pool, split_credentials
from .errors import classify

if TYPE_CHECKING:
    from openai import AsyncOpenAI, RequestOptions

__all__ = ["Connection", "StreamState", "connection_for", "post_json"]


@dataclass(frozen=True)
class Connection:
    """Where a model is served: base URL and key (never shown in a repr), or a ready client."""

    base_url: str
    api_key: str = field(default=NO_KEY, repr=False)
    client: AsyncOpenAI | None = field(default=None, repr=False)
    """A client you built yourself; drusilla uses it as is and does not close it."""
    pool: ClientPool = field(default=default_pool, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise UserError(
                f"The base URL {mask_url(self.base_url)!r} has no http:// or https:// in front; "
                f"write it in full, e.g. http://{mask_url(self.base_url)}."
            )
        register_url(self.base_url)
        if self.api_key != NO_KEY:
            register_secret(self.api_key)
        if self.client is None and self.api_key != NO_KEY and split_credentials(self.base_url)[1]:
            # Both would be the Authorization header: the key is what the server checks.
            get_logger().warning(
                "model.base_url_credentials_unused",
                base_url=mask_url(self.base_url),
                reason="an API key is set: it is sent, not the URL's user and password",
            )

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
        register_secret(client.api_key)
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
    reply = await client.post(
        path,
        body=body,
        options=options,
        cast_to=object,
        stream=stream,
        stream_cls=AsyncStream[object],
    )
    if stream:
        await expect_event_stream(reply)
    return reply
