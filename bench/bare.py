"""The floors of the HTTP scenarios: the bare `openai` client doing the same requests by hand.

All three frameworks talk through `openai`'s `AsyncOpenAI`, so scenarios 4 and 5 measure,
alongside each framework and in the same process, two hand-written clients:

- **typed**: `client.chat.completions.create(...)`, the way the SDK is meant to be used: the
  request goes through openai's TypedDict transform, the reply (and every stream chunk) comes
  back as a pydantic object. The OpenAI Agents SDK and Pydantic AI both call this.
- **transport**: `client.post("/chat/completions", body=..., cast_to=object)`, the same client
  (transport, auth, errors) without those typed layers: the reply comes back as the decoded
  JSON dict. drusilla calls this (src/models/openai/calls.py). No framework on this client can
  go below it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from .adapters.base import INSTRUCTIONS

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

PATH = "/chat/completions"
PING_TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "ping",
        "description": "Answer a ping.",
        "parameters": {
            "type": "object",
            "properties": {"n": {"type": "integer", "description": "The ping's number."}},
            "required": ["n"],
        },
    },
}
Ping = Callable[..., Awaitable[str]]


def _start(prompt: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": prompt}]


class BareClient:
    """Hand-written agent loops and stream readers on one `AsyncOpenAI` client."""

    def __init__(self, base_url: str) -> None:
        import httpx2 as httpx  # the HTTP client openai is built on
        from openai import AsyncOpenAI, DefaultAsyncHttpxClient

        # openai's own limits (1,000 connections, 100 kept alive), but connections kept for a
        # minute instead of 5 s, so those a staged warm-up opened outlive a slow round on a
        # loaded machine, and a connect timeout of a minute instead of 5 s: under load a
        # connect can wait out TCP's retransmission timers (1 s, 3 s, 7 s ...).
        limits = httpx.Limits(
            max_connections=1000, max_keepalive_connections=100, keepalive_expiry=60.0
        )
        self.client = AsyncOpenAI(
            base_url=base_url,
            api_key="bench",
            max_retries=0,
            timeout=httpx.Timeout(600.0, connect=60.0),
            http_client=DefaultAsyncHttpxClient(limits=limits),
        )

    async def run_typed(self, prompt: str, ping: Ping) -> str:
        """Call the model, run the `ping` calls it asks for, until it answers; the answer."""
        messages = _start(prompt)
        while True:
            completion = await self.client.chat.completions.create(
                model="bench",
                messages=messages,
                tools=[PING_TOOL],
            )
            message = completion.choices[0].message
            if not message.tool_calls:
                return message.content or ""
            # the assistant message as the wire dict it came as
            messages.append(
                cast("ChatCompletionMessageParam", message.model_dump(exclude_none=True))
            )
            for tool_call in message.tool_calls:
                assert tool_call.type == "function"  # the only tool offered
                arguments = json.loads(tool_call.function.arguments)
                output = await ping(**arguments)
                messages.append({"role": "tool", "tool_call_id": tool_call.id, "content": output})

    async def run_transport(self, prompt: str, ping: Ping) -> str:
        """The same loop on `client.post`, reading the reply as the JSON dict it is."""
        messages = _start(prompt)
        while True:
            body = {"model": "bench", "messages": messages, "tools": [PING_TOOL]}
            completion: Any = await self.client.post(PATH, body=body, cast_to=object)
            message = completion["choices"][0]["message"]
            if not message.get("tool_calls"):
                return str(message.get("content") or "")
            messages.append(message)
            for tool_call in message["tool_calls"]:
                output = await ping(**json.loads(tool_call["function"]["arguments"]))
                messages.append(
                    {"role": "tool", "tool_call_id": tool_call["id"], "content": output}
                )

    async def stream_typed(self, prompt: str) -> list[str]:
        """Read a streamed answer; its text deltas."""
        stream = await self.client.chat.completions.create(
            model="bench",
            messages=_start(prompt),
            stream=True,
        )
        deltas: list[str] = []
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                deltas.append(chunk.choices[0].delta.content)
        return deltas

    async def stream_transport(self, prompt: str) -> list[str]:
        """The same stream on `client.post`, one JSON dict per event."""
        from openai import AsyncStream

        body = {"model": "bench", "messages": _start(prompt), "stream": True}
        stream = await self.client.post(
            PATH, body=body, cast_to=object, stream=True, stream_cls=AsyncStream[object]
        )
        deltas = []
        async for chunk in stream:
            choices = cast("dict[str, Any]", chunk)["choices"]  # the wire dict, untyped
            if choices and choices[0]["delta"].get("content"):
                deltas.append(choices[0]["delta"]["content"])
        return deltas

    async def aclose(self) -> None:
        await self.client.close()
