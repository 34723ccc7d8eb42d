"""Which `Model` answers an agent: its own, the run's override, or the default provider's."""

from __future__ import annotations

from typing import Any, Protocol

from ..util.errors import UserError
from .interface import Model, ModelProvider

__all__ = [
    "ModelChoice",
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
    """The OpenAI-protocol provider (imports `openai` on first use, not before)."""
    global _default_provider
    if _default_provider is None:
        from .openai.provider import OpenAIProvider

        _default_provider = OpenAIProvider()
    return _default_provider


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
    if isinstance(chosen, Model):
        return chosen
    if isinstance(chosen, list) and chosen:
        from .fallback import FallbackModel

        models = [_one_model(item, run_config) for item in chosen]
        return FallbackModel(*models)
    raise UserError(
        f"model={chosen!r} is neither a model name nor a Model. Pass a string such as "
        "'gpt-4.1' or 'ollama/deepseek-r1', or an object with get_response/stream_response."
    )
