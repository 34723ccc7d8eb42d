"""The model layer: the provider-neutral `Model` protocol, items, retries, reasoning and the
provider registry, beside one subpackage per wire (`openai/`, `anthropic/`, `google/`).

Nothing here imports a wire's SDK at import time; each model class is imported on first access
(`drusilla.models.AnthropicModel`) and loads its SDK when first used.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .anthropic import AnthropicModel
    from .openai.chat import OpenAIChatModel
    from .openai.responses import OpenAIResponsesModel

_LAZY = {
    "AnthropicModel": ".anthropic",
    "GeminiModel": ".google",
    "OpenAIChatModel": ".openai.chat",
    "OpenAIResponsesModel": ".openai.responses",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'drusilla.models' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = ["AnthropicModel", "GeminiModel", "OpenAIChatModel", "OpenAIResponsesModel"]
