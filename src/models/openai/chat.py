"""`OpenAIChatModel`: a model behind the Chat Completions API — the one every
OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp, DeepSeek, OpenRouter, Groq …) has."""

from __future__ import annotations

from typing import Any

from ..interface import ModelRequest, ModelResponse
from .chat_wire import ChatStream, chat_request, chat_response
from .model import OpenAIModelBase

__all__ = ["OpenAIChatModel"]


class OpenAIChatModel(OpenAIModelBase):
    """A model served over Chat Completions.

        OpenAIChatModel("gpt-4.1")                                    # OpenAI, key from env
        OpenAIChatModel("deepseek-r1", base_url="http://localhost:11434/v1")   # Ollama
        OpenAIChatModel("my-model", client=AsyncOpenAI(...))          # your own client

    Parameters (`implicit_think`, `server`, `dialect`, `profile` …): see `OpenAIModelBase`.
    """

    path = "/chat/completions"
    probes_server = True

    def _request_body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
        return chat_request(request, self._model, stream=stream, dialect=self._dialect)

    def _response(self, data: Any) -> ModelResponse:
        return chat_response(data)

    def _stream_state(self, implicit_think: bool) -> ChatStream:
        return ChatStream(implicit_think=implicit_think)
