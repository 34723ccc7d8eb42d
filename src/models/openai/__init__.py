"""The OpenAI wire family: Chat Completions and Responses models, their wire conversions,
errors, pooled clients, and the provider of OpenAI-compatible endpoints by name.

Nothing here imports `openai` at import time; the models load it when first used.
"""

__all__: list[str] = []
