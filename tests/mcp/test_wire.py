"""MCP results over the real wire: the `openai` client and the local OpenAI-protocol server
(`OpenAIServer.model` serves a scripted model through OpenAIChatModel / OpenAIResponsesModel)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from drusilla import Agent, Runner
from drusilla.testing import OpenAIServer, call

from .conftest import stdio_probe
from .probe_server import PNG

DATA_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


async def test_chat_completions_gets_text_results_and_images_after_them(
    openai_server: OpenAIServer, probe_log: Path
) -> None:
    served = openai_server.model(
        [call("picture"), call("add", a=1, b=2)], "A dot, and 3.", api="chat"
    )
    agent = Agent("a", model=served, mcp_servers=[stdio_probe(probe_log)])
    result = await Runner.run(agent, "Draw, then add.")
    assert result.final_output == "A dot, and 3."
    messages: list[dict[str, Any]] = served.requests[-1].body["messages"]
    tool_messages = [m for m in messages if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == ["(an image)", "3"]
    after = messages[messages.index(tool_messages[-1]) + 1]  # once all results are in
    assert after == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Images from the tool results above:"},
            {"type": "image_url", "image_url": {"url": DATA_URL, "detail": "auto"}},
        ],
    }


async def test_responses_gets_the_image_in_the_function_call_output(
    openai_server: OpenAIServer, probe_log: Path
) -> None:
    served = openai_server.model(call("picture"), "A dot.", api="responses")
    agent = Agent("a", model=served, mcp_servers=[stdio_probe(probe_log)])
    result = await Runner.run(agent, "Draw.")
    assert result.final_output == "A dot."
    [output] = [
        item
        for item in served.requests[-1].body["input"]
        if item.get("type") == "function_call_output"
    ]
    assert output["output"] == [
        {"type": "input_text", "text": "(an image)"},
        {"type": "input_image", "image_url": DATA_URL, "detail": "auto"},
    ]
