"""Usage a server does not report reads as unknown, never as 0 tokens."""

from __future__ import annotations

import json

from drusilla import Agent, Runner, Usage
from drusilla.cli.live import usage_line
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.testing import OpenAIServer
from drusilla.testing.faults import Recorded


def _stream_without_usage(text: str) -> Recorded:
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    events = [
        {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]},
        {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    sse = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
    return Recorded({"status": 200, "content_type": "text/event-stream", "sse": sse})


def test_usage_of_unreported_calls_is_unknown() -> None:
    unknown = Usage.unreported() + Usage.unreported()
    assert not unknown.tokens_known
    assert unknown.describe() == "usage not reported by the server"
    assert unknown.as_dict()["input_tokens"] is None
    assert unknown.as_dict()["unreported_requests"] == 2
    mixed = Usage(requests=1, input_tokens=5, output_tokens=2) + Usage.unreported()
    assert mixed.describe() == "5 input + 2 output tokens, plus 1 call that reported no usage"
    assert mixed.as_dict()["input_tokens"] == 5
    assert "usage not reported" in usage_line(unknown, ["m"], 1.0)


async def test_a_stream_without_usage_reports_unknown_usage() -> None:
    async with OpenAIServer(_stream_without_usage("Hello.")) as server:
        agent = Agent("a", model=OpenAIChatModel("m", base_url=server.base_url))
        result = await Runner.run_streamed(agent, "hi")
        async for _ in result.stream_events():
            pass
    assert result.final_output == "Hello."
    assert result.usage.requests == 1 and result.usage.unreported_requests == 1
    assert not result.usage.tokens_known
