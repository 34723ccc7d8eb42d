"""drusilla posts Gemini requests as JSON it writes itself (models/google/json_body.py): the body
is the one google-genai's `generate_content` would send for the same contents and config, and
the reply is read with the SDK's field names."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from google import genai
from google.genai import models, types

from drusilla import ModelRequest, ModelSettings, SwordSpec
from drusilla.models.google.config import gemini_config
from drusilla.models.google.contents import gemini_contents
from drusilla.models.google.json_body import reply_fields, request_body
from drusilla.models.interface import OutputSpec
from drusilla.models.items import InputItem

PNG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a")).decode()
SCHEMA = {"type": "object", "properties": {"snake_case_name": {"type": "string"}}}
ADD = SwordSpec("add_numbers", "Add two numbers.", SCHEMA)
CITY = OutputSpec("City", SCHEMA, True)
HISTORY: list[InputItem] = [
    {"role": "user", "content": [
        {"type": "input_text", "text": "Add"},
        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
        {"type": "input_file", "file_url": "gs://bucket/report.pdf"},
    ]},
    {"type": "reasoning", "text": "Adding.", "provider": "google", "signature": PNG},
    {"type": "function_call", "call_id": "c1", "name": "add_numbers",
     "arguments": '{"first_number": 1}', "provider": "google", "signature": PNG},
    {"type": "function_call_output", "call_id": "c1", "output": "3"},
    {"role": "assistant", "content": "3"},
]  # fmt: skip


def sdk_body(model: str, contents: Any, config: dict[str, Any]) -> dict[str, Any]:
    """What google-genai 's `generate_content` posts (its own conversion, private: the oracle)."""
    client = genai.Client(api_key="k")
    parameters = types._GenerateContentParameters(
        model=model,
        contents=contents,
        config=config,  # type: ignore[arg-type]
    )
    body = models._GenerateContentParameters_to_mldev(
        client._api_client, parameters, None, parameters
    )
    body.pop("config", None)
    body.pop("_url", None)
    converted: dict[str, Any] = genai._common.encode_unserializable_types(
        genai._common.convert_to_dict(body)
    )
    return converted


@pytest.mark.parametrize(
    ("model", "changes"),
    [
        ("gemini-2.5-flash", {}),
        ("gemini-2.5-flash", {"instructions": "Be brief.", "swords": [ADD]}),
        ("gemini-2.5-flash", {"swords": [ADD], "output": CITY}),  # forced output function
        ("gemini-3-pro-preview", {"swords": [ADD], "output": CITY}),  # JSON output
        (
            "gemini-2.5-flash",
            {
                "swords": [ADD],
                "settings": ModelSettings(
                    temperature=0.5,
                    top_p=0.9,
                    max_tokens=100,
                    stop=["END"],
                    seed=7,
                    presence_penalty=0.1,
                    frequency_penalty=0.2,
                    sword_choice="add_numbers",
                    thinking="low",
                    extra_headers={"x-test": "1"},
                ),
            },
        ),
        ("gemini-3-pro-preview", {"settings": ModelSettings(thinking=False)}),
    ],
)
async def test_the_body_is_the_one_the_sdk_would_send(model: str, changes: Any) -> None:
    request = ModelRequest(changes.pop("instructions", None), HISTORY, **changes)
    contents = await gemini_contents(request.input, include_reasoning=False)
    config = gemini_config(request, model).config

    assert request_body(contents, config) == sdk_body(model, contents, config)


async def test_fields_only_the_sdk_knows_go_through_the_sdk() -> None:
    settings = ModelSettings(extra_body={"safety_settings": []})
    config = gemini_config(ModelRequest(None, HISTORY, settings=settings), "gemini-2.5-flash")
    assert request_body(await gemini_contents(HISTORY, False), config.config) is None


def test_a_reply_is_read_with_the_sdk_field_names_and_arguments_as_they_came() -> None:
    reply = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {
                            "functionCall": {"name": "f", "args": {"camelArg": {"innerKey": 1}}},
                            "thoughtSignature": PNG,
                        }
                    ],
                },
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {"promptTokenCount": 3, "thoughtsTokenCount": 2},
    }
    fields = reply_fields(reply)
    part = fields["candidates"][0]["content"]["parts"][0]
    assert part == {
        "function_call": {"name": "f", "args": {"camelArg": {"innerKey": 1}}},
        "thought_signature": PNG,
    }
    assert fields["candidates"][0]["finish_reason"] == "STOP"
    assert fields["usage_metadata"] == {"prompt_token_count": 3, "thoughts_token_count": 2}
    parsed = types.GenerateContentResponse.model_validate(fields)  # the SDK's own type takes it
    assert parsed.candidates is not None
