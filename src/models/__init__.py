"""The model layer: a provider-neutral `Model` protocol and its implementations, one subpackage
per wire (`google/`: the Gemini API) beside the OpenAI-protocol modules.

Nothing here imports a vendor SDK at import time; each model loads its SDK when first used.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .google import GeminiModel

_LAZY = {"GeminiModel": ".google"}


def __getattr__(name: str) -> Any:
    """The models of `_LAZY`, imported on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'drusilla.models' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = ["GeminiModel"]
