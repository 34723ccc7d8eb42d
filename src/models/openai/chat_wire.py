"""Chat Completions on the wire: our request as `chat.completions.create` arguments, and the
reply (whole or streamed) back as a `ModelResponse` and neutral stream events.

Wire names only here: `messages`, `tools`, `tool_calls`, role `tool`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ...util.errors import ModelError, UserError
from ...util.settings import SERVER_KINDS, ServerKind
from ...util.usage import Usage, reported_cost
from ..interface import (
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    OutputSpec,
    ReasoningDelta,
    SwordCallDelta,
    SwordSpec,
    TextDelta,
)
from ..items import InputItem, assistant_message, reasoning_item
from ..reasoning import ThinkTagParser, reasoning_field, split_think_tags
from ..wire import (
    EmptyReply,
    IncompleteStream,
    UnexpectedReply,
    arguments_text,
    as_dict,
    checked_sword_choice,
    new_call_id,
    output_text,
    prompt_cache_key,
    unsupported_item,
)
from ..wire import (
    field as get,
)
from .clients import OPENAI_BASE_URL

__all__ = [
    "ChatDialect",
    "ChatStream",
    "chat_messages",
    "chat_request",
    "chat_response",
    "chat_response_format",
    "chat_tool",
    "chat_usage",
    "dialect_for",
    "server_kind",
]


@dataclass(frozen=True, slots=True)
class ChatDialect:
    """The few things OpenAI-compatible servers say differently."""

    server: ServerKind = "openai-compatible"
    """Which server this is; structured output's `auto` mode picks by it."""

    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    """OpenAI's reasoning models only take `max_completion_tokens`; most others `max_tokens`."""
    reasoning_field: Literal["reasoning_content", "reasoning", "think"] = "reasoning_content"
    """How earlier reasoning is sent back when `include_reasoning` is on."""
    thinking: Literal["chat_template_kwargs", "reasoning_effort", "none"] = "chat_template_kwargs"
    """How `ModelSettings.thinking` is sent: vLLM/SGLang/llama.cpp template kwargs, as
    `reasoning_effort` ("none" turns it off: Ollama), or not at all (OpenAI: set
    `reasoning_effort` yourself)."""
    separates_reasoning: bool = False
    """The server always reports reasoning in a field, so a reply never starts inside an
    unopened `<think>` whatever the model family (Ollama parses the tags itself)."""
    tool_call_content: str | None = ""
    """`content` of an assistant message that only calls swords: "" for servers whose chat
    templates read `message.content` (llama.cpp's jinja templates fail without it); None
    leaves the key out (OpenAI)."""
    named_sword_choice: Literal["object", "required"] = "object"
    """How a named `sword_choice` is sent: OpenAI's `{"type": "function", "function": {...}}`,
    or `"required"` with only that sword offered (llama-server takes tool_choice as a string
    only and ignores the object)."""
    schema_format: Literal["json_schema", "json_object_schema"] = "json_schema"
    """How `response_format` carries a JSON schema: OpenAI's `json_schema`, or llama.cpp's
    `{"type": "json_object", "schema": ...}` (llama-cpp-python takes only that one)."""


def server_kind(base_url: str) -> ServerKind:
    """The server behind `base_url`, as far as the URL tells (vLLM cannot be told apart from
    other OpenAI-compatible servers by its URL: say `server="vllm"`)."""
    url = base_url.rstrip("/")
    if url == OPENAI_BASE_URL:
        return "openai"
    if ":11434" in url:  # Ollama's port
        return "ollama"
    if "api.deepseek.com" in url:
        return "deepseek"
    return "openai-compatible"


_DIALECTS: dict[ServerKind, ChatDialect] = {
    "openai": ChatDialect(
        "openai",
        max_tokens_field="max_completion_tokens",
        thinking="none",
        separates_reasoning=True,
        tool_call_content=None,
    ),
    "ollama": ChatDialect(
        "ollama", thinking="reasoning_effort", reasoning_field="reasoning", separates_reasoning=True
    ),
    # DeepSeek's API has no thinking switch: the model name decides (deepseek-reasoner).
    "deepseek": ChatDialect("deepseek", thinking="none", separates_reasoning=True),
    "vllm": ChatDialect("vllm"),
    # llama-server and llama-cpp-python: schema-constrained JSON as json_object + schema.
    # llama-server takes tool_choice only as a string; llama-cpp-python (chat format
    # chatml-function-calling) forces a named function by OpenAI's object and rejects "required".
    "llama.cpp": ChatDialect(
        "llama.cpp", schema_format="json_object_schema", named_sword_choice="required"
    ),
    "llama-cpp-python": ChatDialect("llama-cpp-python", schema_format="json_object_schema"),
    "openai-compatible": ChatDialect(),
}


def dialect_for(base_url: str, server: ServerKind | None = None) -> ChatDialect:
    """What the server at `base_url` (or the named `server`) wants: OpenAI
    `max_completion_tokens` and no thinking switch; Ollama `reasoning_effort` as its thinking
    switch and a `reasoning` field; DeepSeek no switch; others template kwargs (vLLM, SGLang,
    llama.cpp); llama.cpp its own schema-in-`json_object`."""
    kind = server or server_kind(base_url)
    if kind not in _DIALECTS:
        raise UserError(
            f"server={kind!r} is not a known server kind; use one of {', '.join(SERVER_KINDS)}."
        )
    return _DIALECTS[kind]


# --- request -----------------------------------------------------------------------------------


def chat_request(
    request: ModelRequest, model: str, *, stream: bool, dialect: ChatDialect
) -> dict[str, Any]:
    """Keyword arguments for `client.chat.completions.create`."""
    settings = request.settings
    include_reasoning = bool(settings.include_reasoning)
    kwargs: dict[str, Any] = {
        "model": model,
        "messages": chat_messages(
            request.instructions,
            request.input,
            include_reasoning,
            dialect.reasoning_field,
            dialect.tool_call_content,
        ),
    }
    if request.swords:
        kwargs["tools"] = [chat_tool(spec) for spec in request.swords]
        choice = checked_sword_choice(settings.sword_choice, request.swords)
        if choice is not None:
            kwargs["tool_choice"] = _tool_choice(choice, kwargs, dialect)
        if settings.parallel_sword_calls is not None:
            kwargs["parallel_tool_calls"] = settings.parallel_sword_calls
    if request.output is not None:
        kwargs["response_format"] = chat_response_format(request.output, dialect.schema_format)
    for name in ("temperature", "top_p", "seed", "stop", "frequency_penalty", "presence_penalty"):
        value = getattr(settings, name)
        if value is not None:
            kwargs[name] = value
    if settings.max_tokens is not None:
        kwargs[dialect.max_tokens_field] = settings.max_tokens
    cache_key = prompt_cache_key(request)
    if cache_key is not None:
        kwargs["prompt_cache_key"] = cache_key
    if settings.top_logprobs is not None:
        kwargs["logprobs"] = True
        kwargs["top_logprobs"] = settings.top_logprobs
    if settings.reasoning_effort is not None:
        kwargs["reasoning_effort"] = settings.reasoning_effort
    elif settings.thinking is not None and dialect.thinking == "reasoning_effort":
        kwargs["reasoning_effort"] = "medium" if settings.thinking else "none"
    extra_body: dict[str, Any] = {}
    if settings.thinking is not None and dialect.thinking == "chat_template_kwargs":
        flag = bool(settings.thinking)
        extra_body["chat_template_kwargs"] = {"enable_thinking": flag, "thinking": flag}
    if settings.extra_body:
        extra_body = {**extra_body, **settings.extra_body}
    if extra_body:
        kwargs["extra_body"] = extra_body
    if settings.extra_headers:
        kwargs["extra_headers"] = settings.extra_headers
    if stream:
        kwargs["stream"] = True
        kwargs["stream_options"] = {"include_usage": True}
    return kwargs


def _tool_choice(choice: str, kwargs: dict[str, Any], dialect: ChatDialect) -> Any:
    if choice in ("auto", "required", "none"):
        return choice
    if dialect.named_sword_choice == "required":
        kwargs["tools"] = [t for t in kwargs["tools"] if t["function"]["name"] == choice]
        return "required"
    return {"type": "function", "function": {"name": choice}}


def chat_tool(spec: SwordSpec) -> dict[str, Any]:
    function: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "parameters": spec.parameters,
    }
    if spec.strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def chat_response_format(
    output: OutputSpec, schema_format: Literal["json_schema", "json_object_schema"] = "json_schema"
) -> dict[str, Any]:
    if output.mode == "json_object":
        return {"type": "json_object"}
    if schema_format == "json_object_schema":
        return {"type": "json_object", "schema": output.schema}
    return {
        "type": "json_schema",
        "json_schema": {"name": output.name, "schema": output.schema, "strict": output.strict},
    }


def chat_messages(
    instructions: str | None,
    items: list[InputItem],
    include_reasoning: bool = False,
    reasoning_field_name: str = "reasoning_content",
    tool_call_content: str | None = "",
) -> list[dict[str, Any]]:
    """Our conversation items as Chat Completions messages.

    An assistant's text and the sword calls after it become one assistant message with
    `tool_calls`; sword results become `tool` messages; reasoning is left out unless
    `include_reasoning`, then it rides on the next assistant message. Tool messages carry text
    only, so images in sword results follow the results in one user message. An assistant
    message with sword calls and no text gets `content` = `tool_call_content` (None: no key).
    """
    messages: list[dict[str, Any]] = []
    if instructions:
        messages.append({"role": "system", "content": instructions})
    assistant: dict[str, Any] | None = None
    reasoning: list[str] = []
    result_images: list[dict[str, Any]] = []

    def flush_result_images() -> None:
        if result_images:
            intro = {"type": "text", "text": "Images from the tool results above:"}
            messages.append({"role": "user", "content": [intro, *result_images]})
            result_images.clear()

    def flush() -> None:
        nonlocal assistant
        if assistant is not None:
            if tool_call_content is not None and "content" not in assistant:
                assistant["content"] = tool_call_content
            messages.append(assistant)
            assistant = None

    def open_assistant(text: str | None) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant"}
        if reasoning:
            _attach_reasoning(message, "\n\n".join(reasoning), text, reasoning_field_name)
            reasoning.clear()
        elif text is not None:
            message["content"] = text
        return message

    for item in items:
        kind = item.get("type", "message")
        if kind != "function_call_output":
            flush_result_images()
        if kind == "message" and "role" in item:
            role = item["role"]  # type: ignore[typeddict-item]
            content = item["content"]  # type: ignore[typeddict-item]
            flush()
            if role == "assistant":
                assistant = open_assistant(_plain_text(content))
            else:
                messages.append({"role": role, "content": _chat_content(content, role)})
        elif kind == "function_call":
            if assistant is None:
                assistant = open_assistant(None)
            assistant.setdefault("tool_calls", []).append(
                {
                    "id": item["call_id"],  # type: ignore[typeddict-item]
                    "type": "function",
                    "function": {
                        "name": item["name"],  # type: ignore[typeddict-item]
                        "arguments": item["arguments"],  # type: ignore[typeddict-item]
                    },
                }
            )
        elif kind == "function_call_output":
            flush()
            output = item["output"]  # type: ignore[typeddict-item]
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": item["call_id"],  # type: ignore[typeddict-item]
                    "content": output_text(output),
                }
            )
            if isinstance(output, list):
                result_images.extend(
                    _chat_part(part)
                    for part in output
                    if get(part, "type") in ("input_image", "input_audio")  # MCP tools' media
                )
        elif kind == "reasoning":
            flush()
            if include_reasoning and item.get("text"):
                reasoning.append(item["text"])  # type: ignore[typeddict-item]
        else:
            raise unsupported_item(item)
    flush_result_images()
    flush()
    return messages


def _attach_reasoning(
    message: dict[str, Any], reasoning: str, text: str | None, field_name: str
) -> None:
    if field_name == "think":
        message["content"] = f"<think>\n{reasoning}\n</think>\n\n{text or ''}"
    else:
        message[field_name] = reasoning
        if text is not None:
            message["content"] = text


def _plain_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    texts = []
    for part in content:
        text = get(part, "text") or get(part, "refusal")
        if text:
            texts.append(text)
    return "".join(texts)


def _chat_content(content: Any, role: str) -> Any:
    if isinstance(content, str):
        return content
    if role in ("system", "developer"):
        return _plain_text(content)
    return [_chat_part(part) for part in content]


def _chat_part(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        return {"type": "text", "text": part["text"]}
    if kind == "input_image":
        url = part.get("image_url")
        if not url:
            raise UserError(
                f"The image part {part!r} has no image_url; Chat Completions takes images by "
                "URL or data: URL only (use OpenAIResponsesModel for file_id images)."
            )
        image: dict[str, Any] = {"url": url}
        if part.get("detail"):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        file = {k: part[k] for k in ("file_data", "file_id", "filename") if k in part}
        return {"type": "file", "file": file}
    if kind in ("image_url", "input_audio", "file"):
        return part
    raise UserError(
        f"The message part {part!r} cannot be sent over Chat Completions; use input_text, "
        "input_image, input_file or input_audio parts."
    )


# --- reply ---------------------------------------------------------------------------------------


def chat_usage(usage: Any) -> Usage:
    """Token counts of a Chat Completions reply, including the fields some servers add."""
    if usage is None:
        return Usage.unreported()
    prompt = get(usage, "prompt_tokens") or 0
    completion = get(usage, "completion_tokens") or 0
    cached = (
        get(get(usage, "prompt_tokens_details"), "cached_tokens")
        or get(usage, "prompt_cache_hit_tokens")  # DeepSeek
        or get(usage, "cached_tokens")  # Together, some routers
        or 0
    )
    reasoning = get(get(usage, "completion_tokens_details"), "reasoning_tokens") or 0
    return Usage(
        requests=1,
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=get(usage, "total_tokens") or prompt + completion,
        reasoning_tokens=reasoning,
        cached_tokens=cached,
        cost=reported_cost(usage),
    )


def chat_response(completion: Any) -> ModelResponse:
    """A whole Chat Completions reply as a `ModelResponse`.

    A whole reply needs no guess about an implicit `<think>`: a `</think>` with no opening
    tag makes everything before it reasoning.
    """
    choices = get(completion, "choices")
    if not isinstance(completion, dict) and not hasattr(completion, "choices"):
        raise UnexpectedReply(f"the reply is not a chat completion: {str(completion)[:200]!r}")
    error = get(completion, "error")
    if not choices and error:
        raise ModelError(
            f"The server answered with an error: {get(error, 'message') or error}",
            code=get(error, "code"),
            server_message=get(error, "message"),
        )
    if not choices:
        raise UnexpectedReply("the reply has no choices")
    choice = choices[0]
    message = get(choice, "message")
    field_reasoning = reasoning_field(message)
    thought, text = split_think_tags(get(message, "content") or "")
    reasoning = _joined(field_reasoning, thought)
    text = text or get(message, "refusal") or ""
    calls = [
        {
            "type": "function_call",
            "call_id": get(call, "id") or new_call_id(),
            "name": get(get(call, "function"), "name"),
            "arguments": arguments_text(get(get(call, "function"), "arguments")),
        }
        for call in get(message, "tool_calls") or ()
    ]
    logprobs = get(get(choice, "logprobs"), "content")
    return ModelResponse(
        output=_output(reasoning, text, calls),
        usage=chat_usage(get(completion, "usage")),
        response_id=get(completion, "id"),
        model=get(completion, "model"),
        finish_reason=get(choice, "finish_reason"),
        logprobs=[as_dict(entry) for entry in logprobs] if logprobs else None,
    )


def _joined(first: str | None, second: str) -> str:
    if first and second:
        return f"{first}\n\n{second}"
    return first or second


def _output(reasoning: str, text: str, calls: list[dict[str, Any]]) -> list[InputItem]:
    output: list[InputItem] = []
    if reasoning:
        output.append(reasoning_item(reasoning))
    if text:
        output.append(assistant_message(text))
    output.extend(calls)  # type: ignore[arg-type]
    return output


@dataclass(slots=True)
class _CallInProgress:
    index: int
    call_id: str
    name: str
    arguments: list[str] = field(default_factory=list)


class ChatStream:
    """Turns Chat Completions stream chunks into neutral events, and keeps the whole reply."""

    def __init__(self, *, implicit_think: bool = False) -> None:
        self._parser = ThinkTagParser(implicit_open=implicit_think)
        self._field_reasoning: list[str] = []
        self._calls: dict[int, _CallInProgress] = {}
        self._usage: Any = None
        self._logprobs: list[dict[str, Any]] = []
        self._chunks = 0
        self._choices = 0
        self.response_id: str | None = None
        self.model: str | None = None
        self.finish_reason: str | None = None

    def feed(self, chunk: Any) -> list[ModelStreamEvent]:
        events: list[ModelStreamEvent] = []
        if self.response_id is None:
            self.response_id = get(chunk, "id")
            self.model = get(chunk, "model")
        usage = get(chunk, "usage")
        if usage is not None:
            self._usage = usage
        self._chunks += 1
        choices = get(chunk, "choices") or ()
        self._choices += len(choices)
        for choice in choices:
            if (get(choice, "index") or 0) != 0:
                continue
            delta = get(choice, "delta")
            if delta is not None:
                self._on_delta(delta, events)
            logprobs = get(get(choice, "logprobs"), "content")
            if logprobs:
                self._logprobs.extend(as_dict(entry) for entry in logprobs)
            reason = get(choice, "finish_reason")
            if reason:
                self.finish_reason = reason
        return events

    def _on_delta(self, delta: Any, events: list[ModelStreamEvent]) -> None:
        thought = reasoning_field(delta)
        if thought:
            self._parser.no_implicit_reasoning()
            self._field_reasoning.append(thought)
            events.append(ReasoningDelta(thought))
        content = get(delta, "content")
        if content:
            for is_reasoning, piece in self._parser.feed(content):
                events.append(ReasoningDelta(piece) if is_reasoning else TextDelta(piece))
        for call in get(delta, "tool_calls") or ():
            self._on_call_delta(call, events)

    def _on_call_delta(self, call: Any, events: list[ModelStreamEvent]) -> None:
        wire_index = get(call, "index")
        if wire_index is None:
            wire_index = len(self._calls)
        function = get(call, "function")
        arguments = get(function, "arguments") or ""
        current = self._calls.get(wire_index)
        call_id = get(call, "id")
        if current is None or (call_id and call_id != current.call_id and current.arguments):
            # A new call (some servers reuse index 0 for every call but change the id).
            key = wire_index if current is None else max(self._calls) + 1
            current = _CallInProgress(len(self._calls), call_id or new_call_id(), "")
            current.name = get(function, "name") or ""
            self._calls[key] = current
            events.append(SwordCallDelta(current.index, "", current.call_id, current.name))
        elif not current.name and get(function, "name"):
            current.name = get(function, "name")
        if arguments:
            current.arguments.append(arguments)
            events.append(SwordCallDelta(current.index, arguments))

    def finish(self) -> list[ModelStreamEvent]:
        """Events held back until the end (a partial `<think>` tag); call once the stream ends."""
        return [
            ReasoningDelta(piece) if is_reasoning else TextDelta(piece)
            for is_reasoning, piece in self._parser.finish()
        ]

    def response(self) -> ModelResponse:
        """The whole reply; raises `IncompleteStream` if the stream ended before the model
        finished (no finish reason and no final usage chunk: a cut-off stream)."""
        if self._chunks and not self._choices:
            only = "usage" if self._usage is not None else "empty choices"
            raise EmptyReply(
                f"the stream's {self._chunks} chunk(s) carried no choices, only {only}"
            )
        if self.finish_reason is None and self._usage is None:
            raise IncompleteStream("the stream ended before the model finished its reply")
        reasoning = _joined("".join(self._field_reasoning), self._parser.reasoning)
        calls = [
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": arguments_text("".join(call.arguments)),
            }
            for call in sorted(self._calls.values(), key=lambda c: c.index)
        ]
        return ModelResponse(
            output=_output(reasoning, self._parser.text, calls),
            usage=chat_usage(self._usage),
            response_id=self.response_id,
            model=self.model,
            finish_reason=self.finish_reason,
            logprobs=self._logprobs or None,
        )
