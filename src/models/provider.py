"""Which `Model` answers an agent: its own, the run's override, or the default provider's."""

from __future__ import annotations

from typing import Any, Protocol

from ..util.errors import UserError
from .interface import Model, ModelProvider
from .known_providers import KNOWN_PROVIDERS, KnownProvider, known_prefixes

__all__ = [
    "KNOWN_PROVIDERS",
    "KnownProvider",
    "ModelChoice",
    "get_default_provider",
    "known_prefixes",
    "resolve_model",
]


_default_provider: ModelProvider | None = None


def get_default_provider() -> ModelProvider:
    """The OpenAI-protocol provider (imports `openai` on first use, not before)."""
    global _default_provider
    if _default_provider is None:
        from .openai_provider import OpenAIProvider

        _default_provider = OpenAIProvider()
    return _default_provider


class ModelChoice(Protocol):
    """What picks a run's model: a `RunConfig` (models sit below the runner, so a protocol)."""

    @property
    def model(self) -> str | Model | None: ...

    @property
    def model_provider(self) -> ModelProvider | None: ...


def resolve_model(agent_model: str | Model | None, run_config: ModelChoice) -> Model:
    """`RunConfig.model` wins over the agent's model; a name goes through the provider."""
    chosen: Any = run_config.model if run_config.model is not None else agent_model
    if chosen is None or isinstance(chosen, str):
        provider = run_config.model_provider or get_default_provider()
        return provider.get_model(chosen)
    if isinstance(chosen, Model):
        return chosen
    raise UserError(
        f"model={chosen!r} is neither a model name nor a Model. Pass a string such as "
        "'gpt-4.1' or 'ollama/deepseek-r1', or an object with get_response/stream_response."
    )
