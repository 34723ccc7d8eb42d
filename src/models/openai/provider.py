"""`OpenAIProvider`: model strings to OpenAI-protocol models.

- ``"<prefix>/<model>"`` for the providers of `known_providers.KNOWN_PROVIDERS`:
  ``"openai/gpt-4.1"``
  (key from DRUSILLA_API_KEY or OPENAI_API_KEY), ``"groq/llama-3.3-70b"`` (GROQ_API_KEY),
  ``"ollama/deepseek-r1"`` (a local Ollama, no key) …; ``"anthropic/…"``, ``"gemini/…"`` and
  ``"google/…"`` go to their own wires (models/registry.py) unless you register an endpoint
  under that prefix;
- ``"<name>/<model>"`` for endpoints you register: ``OpenAIProvider(endpoints={"groq":
  Endpoint("https://api.groq.com/openai/v1", api_key=...)})`` makes ``"groq/llama-3.3-70b"``;
- a plain name (``"gpt-4.1"``, or one with a slash that is no known or registered prefix, such as
  ``"deepseek-ai/DeepSeek-R1"``): DRUSILLA_BASE_URL when set, else OpenAI when a key is set,
  else the local Ollama;
- ``"test"``: `drusilla.testing.TestModel`, no server at all (models/registry.py);
- no name: DRUSILLA_MODEL; unset, ``gpt-4.1`` when only an API key is configured (it goes to
  OpenAI), else ``deepseek-r1`` — so with nothing configured drusilla talks to a local Ollama
  running DeepSeek-R1.

Chat Completions is used unless an endpoint (or the provider) says ``api="responses"``:
every OpenAI-compatible server has Chat Completions, few have Responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

from ...util.errors import UserError
from ...util.masking import mask_url
from ...util.settings import (
    DEFAULT_OLLAMA_BASE_URL,
    ServerKind,
    configured_model,
    env_value,
    get_settings,
)
from ..interface import Model
from ..registry import native_model
from .calls import Connection
from .chat import OpenAIChatModel
from .chat_wire import server_kind
from .clients import NO_KEY, OPENAI_BASE_URL, ClientPool, default_pool
from .known_providers import KNOWN_PROVIDERS, KnownProvider
from .responses import OpenAIResponsesModel

if TYPE_CHECKING:
    from ...util.settings import Settings

__all__ = ["Api", "Endpoint", "OpenAIProvider"]

Api = Literal["chat", "responses"]


@dataclass(frozen=True)
class Endpoint:
    """A server models can be named on: ``"<prefix>/<model>"``."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    api: Api | None = None
    """None: the provider's choice (Chat Completions by default)."""
    server: ServerKind | None = None
    """Which server this is ("vllm", "ollama", "deepseek" …) when the URL does not say."""

    def __repr__(self) -> str:  # never the key; a password in the URL masked
        url = mask_url(self.base_url)
        return f"Endpoint(base_url={url!r}, api={self.api!r}, server={self.server!r})"


class OpenAIProvider:
    """Resolves model names to `OpenAIChatModel` / `OpenAIResponsesModel`.

    `base_url` / `api_key` replace DRUSILLA_BASE_URL / DRUSILLA_API_KEY for plain names;
    `endpoints` adds (or replaces) prefixes; `api` picks the wire API for all of them.
    Clients are pooled per event loop, base URL and key; `aclose()` closes this loop's.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api: Api = "chat",
        endpoints: dict[str, Endpoint] | None = None,
        pool: ClientPool | None = None,
    ) -> None:
        if api not in ("chat", "responses"):
            raise UserError(f"OpenAIProvider(api={api!r}): use 'chat' or 'responses'.")
        self._base_url = base_url
        self._api_key = api_key
        self._api: Api = api
        self._endpoints = dict(endpoints or {})
        self._pool = pool or default_pool
        self._models: dict[str, Model] = {}
        self._models_settings: Settings | None = None

    def get_model(self, name: str | None) -> Model:
        settings = get_settings()
        if settings is not self._models_settings:  # settings were reloaded: resolve afresh
            self._models = {}
            self._models_settings = settings
        key = name or ""
        model = self._models.get(key)
        if model is None:
            model = self._models[key] = self._resolve(name, settings)
        return model

    async def aclose(self) -> None:
        """Close the pooled clients of the running event loop."""
        await self._pool.aclose()

    def _resolve(self, name: str | None, settings: Settings) -> Model:
        full_name = name if name is not None else configured_model(settings)
        if not full_name or not full_name.strip():
            raise UserError(
                "The model name is empty. Pass Agent(model='gpt-4.1') or set DRUSILLA_MODEL "
                "(e.g. 'ollama/deepseek-r1', 'openai/gpt-4.1')."
            )
        prefix, slash, rest = full_name.partition("/")
        if slash and rest and prefix in self._endpoints:
            endpoint = self._endpoints[prefix]
            return self._model(
                rest, prefix, endpoint.base_url, endpoint.api_key, endpoint.api, endpoint.server
            )
        native = native_model(full_name)  # "test", anthropic/, gemini/ …: registry.py
        if native is not None:
            return native
        known = KNOWN_PROVIDERS.get(prefix) if slash and rest else None
        if known is not None:
            known_url = env_value(known.base_url_variable) or known.base_url
            key = self._provider_key(known, settings, full_name)
            return self._model(rest, prefix, known_url, key, server=known.server)
        base_url = self._base_url or settings.base_url
        api_key = self._api_key or settings.api_key
        if base_url:
            server = cast("ServerKind | None", settings.server)  # checked when read
            kind = server or server_kind(base_url)
            return self._model(full_name, kind, base_url, api_key, server=server)
        if api_key:
            return self._model(full_name, "openai", OPENAI_BASE_URL, api_key)
        return self._model(full_name, "ollama", DEFAULT_OLLAMA_BASE_URL, None)

    def _provider_key(self, known: KnownProvider, settings: Settings, name: str) -> str | None:
        if known.key_variable is None:
            return None
        key = env_value(known.key_variable)
        if known.prefix == "openai":
            key = self._api_key or settings.api_key
        if not key:
            also = " (or DRUSILLA_API_KEY)" if known.prefix == "openai" else ""
            raise UserError(
                f"The model {name!r} is served by {known.label}, which needs an API key: set "
                f"{known.key_variable}{also} in the environment or .env (and "
                f"{known.base_url_variable} to reach it through another address)."
            )
        return key

    def _model(
        self,
        model: str,
        provider_name: str,
        base_url: str,
        api_key: str | None,
        api: Api | None = None,
        server: ServerKind | None = None,
    ) -> Model:
        connection = Connection(base_url.rstrip("/"), api_key or NO_KEY, pool=self._pool)
        kind = OpenAIResponsesModel if (api or self._api) == "responses" else OpenAIChatModel
        return kind(model, connection=connection, provider_name=provider_name, server=server)
