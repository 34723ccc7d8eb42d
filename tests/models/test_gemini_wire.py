"""The Gemini wire conversion: items to contents, settings to a config, replies to items, and
failures to `ModelError`s (models/google/)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from google.genai import errors, types

from drusilla import ModelError, ModelRequest, ModelSettings, SwordSpec, UserError
from drusilla.models.google.config import gemini_config
from drusilla.models.google.contents import gemini_contents
from drusilla.models.google.errors import classify
from drusilla.models.google.model import GeminiModel
from drusilla.models.google.reply import ReplyBuilder, gemini_response
from drusilla.models.interface import OutputSpec, ReasoningDelta, SwordCallDelta, TextDelta
from drusilla.models.items import InputItem
from drusilla.models.wire import EmptyReply, IncompleteStream

PNG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a")).decode()
ADD = SwordSpec("add", "Add two numbers.", {"type": "object", "properties": {}})
CITY = OutputSpec("City", {"type": "object", "properties": {"city": {"type": "string"}}}, True)


def request(**changes: Any) -> ModelRequest:
    return ModelRequest(changes.pop("instructions", None), changes.pop("input", []), **changes)


# --- items -> contents -------------------------------------------------------------------------


async def test_a_foreign_history_is_converted_not_sent_as_is() -> None:
    """OpenAI reasoning is left out, its calls get Google's placeholder signature, and the
    turns alternate user / model with results grouped."""
    items: list[InputItem] = [
        {"role": "user", "content": "Add 1 and 2"},
        {"type": "reasoning", "text": "Adding.", "id": "rs_1", "encrypted_content": "gAAA"},
        {"type": "function_call", "call_id": "call_1", "name": "add", "arguments": '{"a":1}'},
        {"type": "function_call", "call_id": "call_2", "name": "add", "arguments": ""},
        {"type": "function_call_output", "call_id": "call_1", "output": "3"},
        {"type": "function_call_output", "call_id": "call_2", "output": "0"},
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": "3"},
    ]
    contents = await gemini_contents(items, include_reasoning=False)

    assert [content["role"] for content in contents] == ["user", "model", "user", "model"]
    calls = contents[1]["parts"]
    assert [part["function_call"]["args"] for part in calls] == [{"a": 1}, {}]
    assert {part["thought_signature"] for part in calls} == {b"skip_thought_signature_validator"}
    assert [part["function_response"] for part in contents[2]["parts"]] == [
        {"id": "call_1", "name": "add", "response": {"output": "3"}},
        {"id": "call_2", "name": "add", "response": {"output": "0"}},
    ]
    assert contents[3]["parts"] == [{"text": "3"}]
    types.Content.model_validate(contents[1])  # google-genai's own type takes it


async def test_gemini_items_go_back_with_their_signatures() -> None:
    signature = base64.b64encode(b"sig-bytes").decode()
    items: list[InputItem] = [
        {"type": "reasoning", "text": "Thinking.", "provider": "google"},
        {"role": "assistant", "content": "Hi", "signature": signature, "provider": "google"},
        {"type": "reasoning", "text": "Not Gemini's.", "signature": "abc"},
    ]
    [turn] = await gemini_contents(items, include_reasoning=False)
    assert turn["parts"] == [
        {"text": "Thinking.", "thought": True},
        {"text": "Hi", "thought_signature": b"sig-bytes"},
    ]
    [turn] = await gemini_contents(items, include_reasoning=True)
    assert turn["parts"][2] == {"text": "Not Gemini's.", "thought": True}  # no foreign signature


async def test_images_and_documents_in_native_form() -> None:
    pdf = base64.b64encode(b"%PDF-1.4").decode()
    content: list[dict[str, Any]] = [
        {"type": "input_text", "text": "Look"},
        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
        {"type": "image_url", "image_url": {"url": "gs://bucket/cat.jpg"}},
        {
            "type": "input_file",
            "filename": "notes.pdf",
            "file_data": f"data:application/pdf;base64,{pdf}",
        },
        {
            "type": "input_file",
            "file_id": "https://generativelanguage.googleapis.com/v1beta/files/x",
        },
    ]
    [turn] = await gemini_contents([{"role": "user", "content": content}], False)
    assert turn["parts"] == [
        {"text": "Look"},
        {"inline_data": {"data": bytes.fromhex("89504e470d0a1a0a"), "mime_type": "image/png"}},
        {"file_data": {"file_uri": "gs://bucket/cat.jpg", "mime_type": "image/jpeg"}},
        {"inline_data": {"data": b"%PDF-1.4", "mime_type": "application/pdf"}},
        {
            "file_data": {
                "file_uri": "https://generativelanguage.googleapis.com/v1beta/files/x",
                "mime_type": "application/octet-stream",
            }
        },
    ]


async def test_a_sword_that_returns_an_image() -> None:
    output = [
        {"type": "input_text", "text": "a chart"},
        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
    ]
    items: list[InputItem] = [
        {"type": "function_call", "call_id": "c1", "name": "chart", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": output},
    ]
    contents = await gemini_contents(items, False)
    response, image = contents[1]["parts"]
    assert response["function_response"]["response"] == {"output": "a chart"}
    assert image["inline_data"]["mime_type"] == "image/png"


async def test_a_bad_image_source_is_a_user_error() -> None:
    content = [{"type": "input_image", "image_url": "ftp://example.com/cat.jpg"}]
    with pytest.raises(UserError, match=r"Cannot send 'ftp://example\.com/cat\.jpg' to Gemini"):
        await gemini_contents([{"role": "user", "content": content}], False)


# --- request -> config -------------------------------------------------------------------------


def test_settings_map_to_the_generation_config() -> None:
    settings = ModelSettings(
        temperature=0.2, top_p=0.9, max_tokens=100, stop="END", seed=7, sword_choice="add"
    )
    config = gemini_config(request(swords=[ADD], settings=settings), "gemini-2.5-flash").config
    assert {k: config[k] for k in ("temperature", "top_p", "max_output_tokens", "seed")} == {
        "temperature": 0.2,
        "top_p": 0.9,
        "max_output_tokens": 100,
        "seed": 7,
    }
    assert config["stop_sequences"] == ["END"]
    assert config["tool_config"] == {
        "function_calling_config": {"mode": "ANY", "allowed_function_names": ["add"]}
    }
    types.GenerateContentConfig.model_validate(config)


@pytest.mark.parametrize(
    ("choice", "mode"), [("auto", "AUTO"), ("required", "ANY"), ("none", "NONE")]
)
def test_sword_choice_modes(choice: str, mode: str) -> None:
    settings = ModelSettings(sword_choice=choice)
    config = gemini_config(request(swords=[ADD], settings=settings), "gemini-2.5-flash").config
    assert config["tool_config"]["function_calling_config"] == {"mode": mode}


@pytest.mark.parametrize(
    ("thinking", "model", "expected"),
    [
        (True, "gemini-2.5-flash", {"include_thoughts": True}),
        (False, "gemini-2.5-flash", {"thinking_budget": 0}),
        (0, "gemini-2.5-flash", {"thinking_budget": 0}),
        (2048, "gemini-2.5-pro", {"include_thoughts": True, "thinking_budget": 2048}),
        ("high", "gemini-2.5-pro", {"include_thoughts": True, "thinking_budget": 24576}),
        ("low", "gemini-3-pro-preview", {"include_thoughts": True, "thinking_level": "LOW"}),
        (False, "gemini-3-pro-preview", {"thinking_level": "LOW"}),
    ],
)
def test_thinking_config(thinking: Any, model: str, expected: dict[str, Any]) -> None:
    config = gemini_config(request(settings=ModelSettings(thinking=thinking)), model).config
    assert config["thinking_config"] == expected
    types.ThinkingConfig.model_validate(expected)


def test_a_bad_thinking_setting_is_a_user_error() -> None:
    with pytest.raises(UserError, match="thinking='max'"):
        ModelSettings(thinking="max")  # type: ignore[arg-type]


def test_structured_output_native_or_by_a_forced_function() -> None:
    alone = gemini_config(request(output=CITY), "gemini-2.5-flash")
    assert alone.output_function is None
    assert alone.config["response_mime_type"] == "application/json"
    assert alone.config["response_json_schema"] == CITY.schema

    with_swords = gemini_config(request(output=CITY, swords=[ADD]), "gemini-2.5-flash")
    assert with_swords.output_function == "final_result"
    assert "response_mime_type" not in with_swords.config
    declarations = with_swords.config["tools"][0]["function_declarations"]
    assert [d["name"] for d in declarations] == ["add", "final_result"]
    assert with_swords.config["tool_config"]["function_calling_config"] == {"mode": "ANY"}

    gemini_3 = gemini_config(request(output=CITY, swords=[ADD]), "gemini-3-pro-preview")
    assert gemini_3.output_function is None
    assert gemini_3.config["response_json_schema"] == CITY.schema


def test_timeout_and_headers_go_in_the_http_options() -> None:
    settings = ModelSettings(timeout=2.5, extra_headers={"x-trace": "1"})
    config = gemini_config(request(settings=settings), "gemini-2.5-flash").config
    assert config["http_options"] == {"timeout": 2500, "headers": {"x-trace": "1"}}


# --- replies -> items ------------------------------------------------------------------------


def reply(*parts: dict[str, Any], finish: str | None = "STOP", **extra: Any) -> Any:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        candidate["finish_reason"] = finish
    return types.GenerateContentResponse.model_validate({"candidates": [candidate], **extra})


def test_a_streamed_signature_on_an_empty_part_signs_the_text_before_it() -> None:
    builder = ReplyBuilder()
    events = [
        *builder.feed(reply({"text": "Thinking", "thought": True}, finish=None)),
        *builder.feed(reply({"text": "Hel"}, finish=None)),
        *builder.feed(reply({"text": "lo"}, finish=None)),
        *builder.feed(reply({"text": "", "thought_signature": b"sig"})),
    ]
    assert events == [ReasoningDelta("Thinking"), TextDelta("Hel"), TextDelta("lo")]
    assert builder.response().output == [
        {"type": "reasoning", "text": "Thinking", "provider": "google"},
        {"role": "assistant", "content": "Hello", "signature": "c2ln", "provider": "google"},
    ]


def test_parallel_calls_keep_their_own_signatures() -> None:
    builder = ReplyBuilder()
    events = builder.feed(
        reply(
            {"function_call": {"name": "add", "args": {"a": 1}}, "thought_signature": b"one"},
            {"function_call": {"id": "c2", "name": "add", "args": {}}},
        )
    )
    first, second = builder.response().output
    assert first["signature"] == "b25l" and "signature" not in second  # type: ignore[typeddict-item]
    assert [(e.index, e.name) for e in events if isinstance(e, SwordCallDelta)] == [
        (0, "add"),
        (1, "add"),
    ]
    assert second["call_id"] == "c2" and first["call_id"].startswith("call_")  # type: ignore[typeddict-item]


def test_the_forced_output_function_comes_back_as_the_answer() -> None:
    call = {"function_call": {"name": "final_result", "args": {"city": "Oslo"}}}
    response = gemini_response(reply(call), output_function="final_result")
    assert response.text == '{"city": "Oslo"}'
    assert response.sword_calls == []


def test_usage_counts_thoughts_as_output_and_cached_tokens() -> None:
    metadata = {
        "prompt_token_count": 100,
        "cached_content_token_count": 80,
        "candidates_token_count": 10,
        "thoughts_token_count": 30,
        "total_token_count": 140,
    }
    response = gemini_response(reply({"text": "ok"}, usage_metadata=metadata))
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (100, 40, 140)
    assert (usage.reasoning_tokens, usage.cached_tokens) == (30, 80)


def test_finish_reasons() -> None:
    assert gemini_response(reply({"text": "a"}, finish="MAX_TOKENS")).finish_reason == "length"
    assert gemini_response(reply({"text": "a"}, finish="SAFETY")).finish_reason == "content_filter"


def test_a_blocked_prompt_an_empty_reply_and_a_cut_stream() -> None:
    blocked = types.GenerateContentResponse.model_validate(
        {"prompt_feedback": {"block_reason": "SAFETY"}}
    )
    with pytest.raises(ModelError, match=r"blocked the prompt \(SAFETY\)"):
        gemini_response(blocked)
    with pytest.raises(EmptyReply):
        gemini_response(types.GenerateContentResponse.model_validate({"candidates": []}))
    with pytest.raises(IncompleteStream):
        gemini_response(reply({"text": "cut"}, finish=None))


# --- failures ------------------------------------------------------------------------------------


def api_error(code: int, status: str, message: str, details: Any = None) -> errors.APIError:
    body = {"error": {"code": code, "status": status, "message": message}}
    if details:
        body["error"]["details"] = details
    return errors.APIError(code, body)


def test_a_rate_limit_is_retried_after_the_delay_google_asks_for() -> None:
    retry_info = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "27s"}]
    error = api_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", retry_info)
    failure = classify(error, model="gemini-2.5-flash", base_url="https://example.test")
    assert failure is not None and failure.retryable and failure.retry_after == 27.0
    assert (failure.error.status, failure.error.code) == (429, "RESOURCE_EXHAUSTED")
    assert failure.error.server_message == "Quota exceeded."


def test_a_bad_request_fails_at_once_with_the_vendors_message() -> None:
    error = api_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    failure = classify(error, model="gemini-2.5-flash", base_url="https://example.test")
    assert failure is not None and not failure.retryable
    assert "HTTP 400 (INVALID_ARGUMENT): Invalid JSON payload received." in failure.error.message


def test_a_connection_failure_is_retried_and_other_errors_pass() -> None:
    class ConnectError(Exception):  # the HTTP library's class, known by name
        pass

    failure = classify(ConnectError("refused"), model="m", base_url="http://127.0.0.1:9")
    assert failure is not None and failure.retryable
    assert classify(KeyError("x"), model="m", base_url="http://127.0.0.1:9") is None


def test_a_key_is_needed_for_google_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UserError, match="GEMINI_API_KEY"):
        GeminiModel("gemini-2.5-flash")
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-test-key-123456")
    model = GeminiModel("models/gemini-2.5-flash")
    assert model.model_name == "gemini-2.5-flash"
    assert "AIza" not in repr(model)
    assert model.profile.reasoning and model.profile.output_mode == "json_schema"
