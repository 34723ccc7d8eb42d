"""Which `Model` answers an agent: its own, the run's override, or the default provider's
(`ProviderRegistry`: the native wires of registry.py by prefix, the OpenAI-protocol provider for
every other name)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..util.errors import UserError
from ..util.settings import get_settings
from .interface import Model, ModelProvider, is_model
from .registry import native_model

if TYPE_CHECKING:
    from ..util.settings import Settings

__all__ = [
    "ModelChoice",
    "ProviderRegistry",
    "get_default_provider",
    "resolve_model",
]


_default_provider: ModelProvider | None = None


def _one_model(item: Any, run_config: ModelChoice) -> Model:
    if isinstance(item, list):
        raise UserError(f"model=[...] lists models or names, not lists; got {item!r}.")
    if item is None or isinstance(item, str):
        provider = run_config.model_provider or get_default_provider()
        return provider.get_model(item)
    return resolve_model(item, run_config)


def get_default_provider() -> ModelProvider:
    """The `ProviderRegistry`: native wires by prefix (registry.py), the OpenAI-protocol
    provider for every other name (each wire's SDK imported on first use, not before)."""
    global _default_provider
    if _default_provider is None:
        _default_provider = ProviderRegistry()
    return _default_provider


class ProviderRegistry:
    """The default `ModelProvider`: native wires by prefix, else `fallback` (by default the
    OpenAI-protocol provider, imported on first use). Models are built once per name, and
    afresh after the settings are reloaded."""

    def __init__(self, fallback: ModelProvider | None = None) -> None:
        self._fallback = fallback
        self._models: dict[str, Model] = {}
        self._models_settings: Settings | None = None

    def get_model(self, name: str | None) -> Model:
        settings = get_settings()
        if settings is not self._models_settings:  # settings were reloaded: resolve afresh
            self._models = {}
            self._models_settings = settings
        full_name = name if name is not None else settings.model
        model = self._models.get(full_name)
        if model is None:
            model = native_model(full_name) or self.fallback().get_model(name)
            self._models[full_name] = model
        return model

    def fallback(self) -> ModelProvider:
        if self._fallback is None:
            from .openai.provider import OpenAIProvider

            self._fallback = OpenAIProvider()
        return self._fallback


class ModelChoice(Protocol):
    """What picks a run's model: a `RunConfig` (models sit below the runner, so a protocol)."""

    @property
    def model(self) -> str | Model | list[str | Model] | None: ...

    @property
    def model_provider(self) -> ModelProvider | None: ...


def resolve_model(agent_model: Any, run_config: ModelChoice) -> Model:
    """`RunConfig.model` wins over the agent's model; a name goes through the provider, and a
    list of models or names is a `FallbackModel` trying them in order."""
    chosen: Any = run_config.model if run_config.model is not None else agent_model
    if chosen is None or isinstance(chosen, str):
        provider = run_config.model_provider or get_default_provider()
        return provider.get_model(chosen)
    if is_model(chosen):
        return chosen
    if isinstance(chosen, list) and chosen:
        from .fallback import FallbackModel

        models = [_one_model(item, run_config) for item in chosen]
        return FallbackModel(*models)
    raise UserError(
        f"model={chosen!r} is neither a model name nor a Model. Pass a string such as "
        "'gpt-4.1' or 'ollama/deepseek-r1', or an object with get_response/stream_response."
    )
