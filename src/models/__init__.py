"""The model layer: a provider-neutral `Model` protocol and its OpenAI-protocol implementations.

Nothing here imports `openai` at import time; the OpenAI models load it when first used.
"""

__all__: list[str] = []
