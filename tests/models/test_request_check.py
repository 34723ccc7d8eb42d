"""The local server checks every request body against the OpenAI API's own request types."""

from __future__ import annotations

import pytest

from drusilla import Agent, ModelSettings, Runner
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.testing import OpenAIServer
from drusilla.testing.request_check import InvalidRequest, check_request
from drusilla.util.errors import ModelError

TOOL_CALL = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}


def test_unknown_keys_are_rejected_at_every_level() -> None:
    with pytest.raises(InvalidRequest, match="bogus: Extra inputs are not permitted"):
        check_request("chat", {"model": "m", "messages": [], "bogus": 1})
    nested = {"role": "assistant", "tool_calls": [TOOL_CALL], "colour": "red"}
    with pytest.raises(InvalidRequest, match=r"messages\.0\..*colour"):
        check_request("chat", {"model": "m", "messages": [nested]})


def test_messages_are_checked_item_by_item() -> None:
    with pytest.raises(InvalidRequest, match="content: Field required"):
        check_request("chat", {"model": "m", "messages": [{"role": "user"}]})


def test_dialect_extensions_pass_and_others_only_when_allowed() -> None:
    body = {
        "model": "m",
        "messages": [{"role": "assistant", "content": "", "reasoning_content": "hm"}],
        "chat_template_kwargs": {"enable_thinking": False},
        "response_format": {"type": "json_object", "schema": {"type": "object"}},
    }
    check_request("chat", body)
    with pytest.raises(InvalidRequest, match="top_k"):
        check_request("chat", {**body, "top_k": 4})
    check_request("chat", {**body, "top_k": 4}, allow={"top_k"})


def test_responses_bodies_are_checked() -> None:
    check_request("responses", {"model": "m", "input": "hi", "stream": True})
    with pytest.raises(InvalidRequest, match="max_tokens"):
        check_request("responses", {"model": "m", "input": "hi", "max_tokens": 5})


async def test_the_server_answers_a_rejected_body_with_400_and_keeps_it() -> None:
    async with OpenAIServer("never played") as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        agent = Agent("a", model=model, model_settings=ModelSettings(extra_body={"top_k": 3}))
        with pytest.raises(ModelError, match="OpenAI's request types reject this body: top_k"):
            await Runner.run(agent, "hi")
        [(request, problem)] = server.invalid_requests
        assert request.body["top_k"] == 3 and "top_k" in problem
        assert server.remaining() == 1
        server.clear()
