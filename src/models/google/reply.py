"""A Gemini reply (`GenerateContentResponse`, whole or one stream chunk at a time) as drusilla's
items, events and usage.

Parts become items in order: thought parts a reasoning item, text parts an assistant message,
each function call a sword call; consecutive parts of one kind are one item. A part's thought
signature is kept on its item (`signature`, base64 as on the wire; `provider` "google"),
so that contents.py sends it back on the same part. A signature on a part with no text of
its own (streams end so) goes on the item before it.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ...util.errors import ModelError
from ...util.usage import Usage
from ..interface import (
    ModelResponse,
    ModelStreamEvent,
    ReasoningDelta,
    SwordCallDelta,
    TextDelta,
)
from ..items import InputItem
from ..wire import EmptyReply, IncompleteStream, field, new_call_id
from .contents import PROVIDER

__all__ = ["ReplyBuilder", "gemini_response", "gemini_usage"]

_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
_FILTERED = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)


def gemini_response(reply: Any, output_function: str | None = None) -> ModelResponse:
    """A whole reply as a `ModelResponse`."""
    builder = ReplyBuilder(output_function)
    builder.feed(reply)
    return builder.response()


def gemini_usage(metadata: Any) -> Usage:
    """Gemini's token counts: output is the answer and the thoughts (as OpenAI counts it),
    input includes cached and tool-use prompt tokens."""
    if metadata is None:
        return Usage.unreported()
    prompt = (field(metadata, "prompt_token_count") or 0) + (
        field(metadata, "tool_use_prompt_token_count") or 0
    )
    thoughts = field(metadata, "thoughts_token_count") or 0
    output = (field(metadata, "candidates_token_count") or 0) + thoughts
    return Usage(
        requests=1,
        input_tokens=prompt,
        output_tokens=output,
        total_tokens=field(metadata, "total_token_count") or prompt + output,
        reasoning_tokens=thoughts,
        cached_tokens=field(metadata, "cached_content_token_count") or 0,
    )


class ReplyBuilder:
    """Reads replies part by part: `feed` gives the stream events of one reply (or chunk),
    `response` the whole `ModelResponse` once the reply is complete."""

    def __init__(self, output_function: str | None = None) -> None:
        self.items: list[InputItem] = []
        self._output_function = output_function
        self._calls = 0
        self._usage: Any = None
        self._finish: str | None = None
        self._id: str | None = None
        self._model: str | None = None
        self._blocked: Any = None

    def feed(self, reply: Any) -> list[ModelStreamEvent]:
        self._usage = field(reply, "usage_metadata") or self._usage
        self._id = field(reply, "response_id") or self._id
        self._model = field(reply, "model_version") or self._model
        candidates = field(reply, "candidates") or []
        if not candidates:
            self._blocked = field(field(reply, "prompt_feedback"), "block_reason")
            return []
        candidate = candidates[0]
        reason = field(candidate, "finish_reason")
        if reason is not None:
            self._finish = str(getattr(reason, "value", reason))
        events: list[ModelStreamEvent] = []
        for part in field(field(candidate, "content"), "parts") or []:
            events.extend(self._part(part))
        return events

    def response(self) -> ModelResponse:
        if self._blocked is not None and not self.items:
            reason = str(getattr(self._blocked, "value", self._blocked))
            raise ModelError(
                f"Gemini blocked the prompt ({reason}); rephrase the input or adjust the "
                "safety settings (ModelSettings(extra_body={'safety_settings': [...]})).",
                code=reason,
            )
        if self._finish is None:
            if self.items:
                raise IncompleteStream("the stream ended before the model finished its reply")
            raise EmptyReply("the reply has no candidates")
        return ModelResponse(
            output=self.items,
            usage=gemini_usage(self._usage),
            response_id=self._id,
            model=self._model,
            finish_reason=self._finish_reason(),
        )

    def _finish_reason(self) -> str:
        assert self._finish is not None
        if self._finish in _FILTERED:
            return "content_filter"
        return _FINISH.get(self._finish, self._finish.lower())

    # --- parts ---------------------------------------------------------------------------------

    def _part(self, part: Any) -> list[ModelStreamEvent]:
        signature = _signature(field(part, "thought_signature"))
        call = field(part, "function_call")
        if call is not None:
            return self._call(call, signature)
        text = field(part, "text")
        if text is None:
            self._sign_last(signature)
            return []  # images, code execution … are not run items
        if field(part, "thought"):
            return self._text("reasoning", text, signature, ReasoningDelta)
        return self._text("message", text, signature, TextDelta)

    def _text(self, kind: str, text: str, signature: str | None, event: Any) -> list[Any]:
        """Text goes on the open item of its kind; a signed item is closed (Google: never join
        a signed part with another), and an empty part that only brings a signature signs
        the item before it."""
        last = self._last(kind)
        if last is not None and not last.get("signature"):
            _append(last, text)
            if signature:
                _sign(last, signature)
        elif text or (signature and not self._sign_last(signature)):
            item = _new_item(kind, text)
            if signature:
                _sign(item, signature)
            self.items.append(item)  # type: ignore[arg-type]
        return [event(text)] if text else []

    def _call(self, call: Any, signature: str | None) -> list[ModelStreamEvent]:
        name = field(call, "name") or ""
        arguments = json.dumps(field(call, "args") or {})
        if name == self._output_function:
            return self._text("message", arguments, signature, TextDelta)
        item: dict[str, Any] = {
            "type": "function_call",
            "call_id": field(call, "id") or new_call_id(),
            "name": name,
            "arguments": arguments,
        }
        if signature:
            _sign(item, signature)
        self.items.append(item)  # type: ignore[arg-type]
        self._calls += 1
        return [SwordCallDelta(self._calls - 1, arguments, item["call_id"], name)]

    def _last(self, kind: str) -> dict[str, Any] | None:
        if not self.items:
            return None
        last: dict[str, Any] = self.items[-1]  # type: ignore[assignment]
        if kind == "reasoning":
            return last if last.get("type") == "reasoning" else None
        return last if last.get("role") == "assistant" else None

    def _sign_last(self, signature: str | None) -> bool:
        """Put `signature` on the last item if it has none; whether it found a place."""
        if not signature or not self.items or self.items[-1].get("signature"):
            return False
        _sign(self.items[-1], signature)  # type: ignore[arg-type]
        return True


def _new_item(kind: str, text: str) -> dict[str, Any]:
    if kind == "reasoning":
        return {"type": "reasoning", "text": text, "provider": PROVIDER}
    return {"role": "assistant", "content": text}


def _append(item: dict[str, Any], text: str) -> None:
    key = "text" if item.get("type") == "reasoning" else "content"
    item[key] += text


def _sign(item: dict[str, Any], signature: str) -> None:
    item["signature"] = signature
    item["provider"] = PROVIDER


def _signature(value: Any) -> str | None:
    if not value:
        return None
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)
