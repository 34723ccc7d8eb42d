"""`GeminiModel`: Google's Gemini API through the official `google-genai` SDK.

    model = GeminiModel("gemini-2.5-flash")                       # key from GEMINI_API_KEY
    model = GeminiModel("gemini-2.5-flash", base_url=server.url)  # a compatible server

`google-genai` is imported when the model is first used (extra `drusilla[google]`). Its own
retries are off: failures go through drusilla's one retry loop (retry.py). Its clients are
pooled per event loop, base URL and key like the other wires' (models/client_pool.py): models
on one endpoint share a client, closed when its loop shuts down.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from ...util.errors import UserError
from ...util.masking import mask_url, register_secret, register_url
from ...util.surrogates import replace_lone_surrogates
from ..client_pool import ClientPool
from ..guard import check_model_request
from ..interface import ModelRequest, ModelResponse, ModelStreamEvent, ResponseDone
from ..profiles import ModelProfile
from ..retry import Retrying, RetryPolicy
from .config import GeminiConfig, gemini_config
from .contents import gemini_contents
from .errors import classify
from .json_body import reply_fields, request_body
from .reply import ReplyBuilder, gemini_response

if TYPE_CHECKING:
    from google.genai import Client

__all__ = ["GEMINI_BASE_URL", "GeminiModel", "gemini_pool"]

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"
_KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_NO_KEY = "not-needed"
_THINKS = re.compile(r"gemini-(2\.5|[3-9])|thinking")


class GeminiModel:
    """A Gemini model. `api_key` defaults to GEMINI_API_KEY, then GOOGLE_API_KEY; `base_url`
    points at another server speaking the Gemini API (a proxy, the test server); `client` is a
    `google.genai.Client` you built, used as it is. `profile`: what the model does
    (default: reasoning for Gemini 2.5 and later; structured output as JSON output)."""

    sdk: ClassVar[str] = "google.genai"
    """The SDK a first use imports (the runner traces that setup; models/registry.py)."""

    def __init__(
        self,
        name: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: Client | None = None,
        provider_name: str = "google",
        profile: ModelProfile | None = None,
    ) -> None:
        self._name = name.removeprefix("models/")
        self._client = client
        self._base_url = (base_url or GEMINI_BASE_URL).rstrip("/")
        self._api_key = api_key or next(
            (os.environ[var] for var in _KEY_VARIABLES if os.environ.get(var)), None
        )
        if client is None and self._api_key is None and base_url is None:
            raise UserError(
                "Gemini needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) in the "
                "environment, or pass api_key=. For another server speaking the Gemini API "
                "pass base_url=."
            )
        register_url(self._base_url)
        if self._api_key:
            register_secret(self._api_key)
        self._provider_name = provider_name
        self.profile = profile or ModelProfile(
            reasoning=bool(_THINKS.search(self._name.lower())), output_mode="json_schema"
        )

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def provider_name(self) -> str:
        return self._provider_name

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:
        return f"GeminiModel({self._name!r}, base_url={mask_url(self._base_url)!r})"

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        contents, plan = await self._prepare(request)
        client = await self._get_client()
        body = None if client.vertexai else request_body(contents, plan.config)
        retrying = self._retrying(request)
        while True:
            async with retrying:
                if body is not None:
                    reply = await self._post(client, body, plan.config["http_options"])
                else:
                    reply = await self._generate(client, contents, plan.config)
                return gemini_response(_valid_text(reply), plan.output_function)
            await retrying.pause()

    async def _post(self, client: Client, body: dict[str, Any], options: Any) -> Any:
        """The body posted to `generateContent` through the client (its URL, key, headers and
        errors), the reply read as plain JSON: none of the SDK's typed layers (json_body.py)."""
        api: Any = client.aio._api_client  # the SDK's own transport, below its typed methods
        reply = await api.async_request("post", f"{self._path()}:generateContent", body, options)
        return reply_fields(json.loads(reply.body) if reply.body else {})

    async def _generate(self, client: Client, contents: Any, config: dict[str, Any]) -> Any:
        """Through the SDK's `generate_content` (fields only it knows how to send), the reply
        still read as plain JSON."""
        raw = dict(config, should_return_http_response=True)
        with _settings_checked():
            reply = await client.aio.models.generate_content(
                model=self._name,
                contents=contents,
                config=raw,  # type: ignore[arg-type]
            )
        body = reply.sdk_http_response.body if reply.sdk_http_response else None
        return reply_fields(json.loads(body) if body else {})

    def _path(self) -> str:
        name = self._name
        return name if name.startswith(("tunedModels/", "models/")) else f"models/{name}"

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        """Events of one call, then its `ResponseDone`; retried while nothing was delivered.
        The HTTP stream is closed however the iteration ends (a cancelled run too)."""
        contents, plan = await self._prepare(request)
        client = await self._get_client()
        retrying = self._retrying(request)
        while True:
            async with retrying:
                with _settings_checked():
                    stream = await client.aio.models.generate_content_stream(
                        model=self._name,
                        contents=contents,
                        config=plan.config,  # type: ignore[arg-type]
                    )
                try:
                    builder = ReplyBuilder(plan.output_function)
                    async for chunk in stream:
                        for event in builder.feed(_valid_text(chunk)):
                            retrying.delivered += 1
                            yield event
                    response = builder.response()
                finally:
                    await stream.aclose()  # type: ignore[attr-defined]
                yield ResponseDone(response)
                return
            await retrying.pause()

    async def _prepare(self, request: ModelRequest) -> tuple[list[dict[str, Any]], GeminiConfig]:
        check_model_request(self._base_url)
        include_reasoning = bool(request.settings.include_reasoning)
        contents = await gemini_contents(request.input, include_reasoning)
        return contents, gemini_config(request, self._name)

    def _retrying(self, request: ModelRequest) -> Retrying:
        def classify_here(exc: BaseException) -> Any:
            return classify(exc, model=self._name, base_url=self._base_url)

        return Retrying(RetryPolicy.for_call(request.settings), classify_here, self._name)

    async def warm_up(self) -> None:
        """Import `google-genai` and create this loop's client now (see `OpenAIModelBase`)."""
        await self._get_client()

    async def _get_client(self) -> Client:
        """The client given, or this loop's pooled client of the base URL and key."""
        if self._client is not None:
            return self._client
        return await gemini_pool.get(self._base_url, self._api_key or _NO_KEY)


@contextlib.contextmanager
def _settings_checked() -> Iterator[None]:
    """google-genai validates the request before sending it; what it rejects came from the
    settings (`extra_body` fields, values of the wrong type), so it is a `UserError`."""
    from pydantic import ValidationError

    try:
        yield
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise UserError(
            f"google-genai rejects this request ({problems}); check ModelSettings (extra_body "
            "takes GenerateContentConfig fields, e.g. safety_settings)."
        ) from None


def _new_client(base_url: str, api_key: str) -> Client:
    try:
        from google import genai
    except ImportError:
        raise UserError(
            "GeminiModel needs the google-genai package: pip install 'drusilla[google]'."
        ) from None
    options = {"base_url": base_url, "retry_options": {"attempts": 1}}
    return genai.Client(api_key=api_key, http_options=options)  # type: ignore[arg-type]


async def _close(client: Client) -> None:
    await client.aio.aclose()


gemini_pool: ClientPool[Client] = ClientPool(_new_client, _close)


def _valid_text(reply: Any) -> Any:
    """The SDK's reply as plain data with lone surrogates replaced (util/surrogates.py): the
    SDK decodes `"\\ud800"` into a string no UTF-8 encoder takes."""
    plain = reply.model_dump(exclude_none=True) if hasattr(reply, "model_dump") else reply
    return replace_lone_surrogates(plain)
