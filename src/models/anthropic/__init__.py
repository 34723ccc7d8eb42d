"""The Anthropic wire: `AnthropicModel` (model.py), the Messages API's request and reply shapes
(messages_wire.py, parts.py) and its errors (errors.py), on the official `anthropic` SDK
(extra `drusilla[anthropic]`), which is imported when a model is first used."""

from .model import AnthropicModel

__all__ = ["AnthropicModel"]
