"""The Gemini API wire: `GeminiModel` (model.py) on the official `google-genai` SDK, with the
conversion of items to contents (contents.py, media.py), of settings to a config (config.py),
of replies to items (reply.py), and of failures to `ModelError`s (errors.py).

Nothing here imports `google.genai` at import time; the model loads it when first used.
"""

from .model import GeminiModel

__all__ = ["GeminiModel"]
