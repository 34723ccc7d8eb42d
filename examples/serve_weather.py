"""Serving: an agent on AG-UI, the Vercel AI SDK, A2A, MCP and the OpenAI API at once.

    drusilla serve examples/serve_weather.py      # serve it until Ctrl-C (port 8000)
    python examples/serve_weather.py              # serve it, ask it once as an OpenAI client, stop

Run as a script, it serves `app(agent)` with uvicorn on a free port, then the `openai` client
streams an answer from it — the agent is the "model" — and the server stops. The agent's own
model is the one your settings name (a local Ollama with nothing configured). See docs/serve.md
for the front-end side (AG-UI, the Vercel AI SDK) and the other protocols.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from drusilla import Agent, sword
from drusilla.testing import Turn, call

FORECASTS = {"lisbon": "clear skies, 29 °C", "oslo": "light rain, 12 °C"}


@sword
def get_weather(city: str) -> str:
    """Today's weather in a city.

    Args:
        city: The city's name, e.g. "Lisbon".
    """
    return FORECASTS.get(city.strip().lower(), f"no forecast for {city}")


agent = Agent(
    name="weather",
    instructions="You answer questions about the weather. Call get_weather, then answer briefly.",
    swords=[get_weather],
)

QUESTION = "What is the weather in Lisbon?"

OFFLINE_REPLAY: list[Any] = [
    call("get_weather", city="Lisbon"),
    Turn("Clear skies and 29 °C in Lisbon: a beach day.", reasoning="The sword said so."),
]
"""The offline run: one sword call, then the answer."""


async def ask_once(question: str = QUESTION) -> None:
    import uvicorn
    from openai import AsyncOpenAI

    from drusilla.serve import app

    listening = socket.create_server(("127.0.0.1", 0))  # a free port, taking connections now
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app(agent), log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    client = AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="not needed")
    stream = await client.chat.completions.create(
        model="weather", messages=[{"role": "user", "content": question}], stream=True
    )
    async for chunk in stream:
        for choice in chunk.choices:
            print(choice.delta.content or "", end="", flush=True)
    print()
    await client.close()
    server.should_exit = True
    await serving


if __name__ == "__main__":
    asyncio.run(ask_once())
