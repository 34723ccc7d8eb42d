"""`OpenAIResponsesModel`: a model behind OpenAI's Responses API (OpenAI itself, and servers
that copy it, such as recent vLLM and Ollama)."""

from __future__ import annotations

from typing import Any

from ..interface import ModelRequest, ModelResponse
from .model import OpenAIModelBase
from .responses_wire import ResponsesStream, responses_request, responses_response

__all__ = ["OpenAIResponsesModel"]


class OpenAIResponsesModel(OpenAIModelBase):
    """A model served over the Responses API; constructed like `OpenAIChatModel` (of a
    `dialect`, only the server facts apply: Responses has one way to send everything).

    Responses has no `seed`, `stop` or penalties: those settings are left out with a warning
    (pass them in `extra_body` if your server takes them).
    """

    path = "/responses"

    def _request_body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
        return responses_request(request, self._model, stream=stream)

    def _response(self, data: Any) -> ModelResponse:
        return responses_response(data)

    def _stream_state(self, implicit_think: bool) -> ResponsesStream:
        return ResponsesStream(implicit_think=implicit_think)
