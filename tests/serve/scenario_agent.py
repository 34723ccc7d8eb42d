"""The agent `drusilla serve` serves in these tests: a scripted model that answers by what the
last message asks, so any number of clients can talk to it, in any order.

    "hello ..."          reasoning, then "Hello from drusilla."
    "weather in CITY"    calls get_weather(city), then "Sunny in CITY."
    "wait TOKEN"         calls wait_forever(TOKEN): it blocks until the run is cancelled
    "delete PATH"        calls delete_file(path), which needs approval, then "Deleted PATH."
    "bump"               calls bump, which counts in the run's context (AG-UI's state)
    "paint COLOR"        calls the client's tool change_background(color) (AG-UI)
    "fail"               the model fails, its error naming the configured API key
    "profile"            a structured answer (the `profiler` agent)

wait_forever writes `wait_forever: started TOKEN` and `wait_forever: cancelled TOKEN` to
stderr, which the disconnect tests wait for.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
from pydantic import BaseModel

from drusilla import (
    Agent,
    ModelError,
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    RunContextWrapper,
    get_settings,
    sword,
)
from drusilla.testing import ScriptedModel, Turn, call


@sword
def get_weather(city: str) -> str:
    """Today's weather in a city."""
    return f"sunny in {city}"


@sword
async def wait_forever(token: str) -> str:
    """Wait for something that never comes."""
    print(f"wait_forever: started {token}", file=sys.stderr, flush=True)
    try:
        await anyio.sleep_forever()
    except BaseException:
        print(f"wait_forever: cancelled {token}", file=sys.stderr, flush=True)
        raise
    return "never"


@sword
def bump(ctx: RunContextWrapper[dict[str, int]]) -> int:
    """Count one more visit in the shared state."""
    ctx.context["count"] = ctx.context.get("count", 0) + 1
    return ctx.context["count"]


@sword(needs_approval=True)
def delete_file(path: str) -> str:
    """Delete a file."""
    return f"deleted {path}"


def _last_text(request: ModelRequest) -> str:
    for item in reversed(request.input):
        if item.get("role") == "user":
            content = item["content"]
            if isinstance(content, str):
                return content
            return "".join(str(part.get("text", "")) for part in content)
    return ""


def reply(request: ModelRequest) -> Any:
    last: dict[str, Any] = dict(request.input[-1]) if request.input else {}
    if last.get("type") == "function_call_output":
        return _after_sword(request, str(last["output"]))
    text = _last_text(request).strip().lower()
    if text.startswith("weather in "):
        return call("get_weather", city=text.removeprefix("weather in ").title())
    if text.startswith("wait "):
        return call("wait_forever", token=text.removeprefix("wait "))
    if text.startswith("bump"):
        return call("bump")
    if text.startswith("delete "):
        return call("delete_file", path=text.removeprefix("delete "))
    if text.startswith("paint "):
        return call("change_background", color=text.removeprefix("paint "))
    if text.startswith("fail"):
        key = get_settings().api_key
        return ModelError(f"The scripted model failed (key {key}).", status=500)
    if text.startswith("profile"):
        return '{"name": "Ada", "skills": ["maths", "engines"]}'
    return Turn("Hello from drusilla.", reasoning="A greeting.")


def _after_sword(request: ModelRequest, output: str) -> str:
    if output.startswith("sunny in "):
        return f"Sunny in {output.removeprefix('sunny in ')}."
    if output.startswith("deleted "):
        return f"Deleted {output.removeprefix('deleted ')}."
    return f"Done: {output}"


class ScenarioModel:
    """A fresh one-step ScriptedModel per call: the reply `reply(request)` picks."""

    model_name = "scenarios"
    provider_name = "scripted"

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        return await ScriptedModel([reply]).get_response(request)

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        async for event in ScriptedModel([reply]).stream_response(request):
            yield event


class Profile(BaseModel):
    name: str
    skills: list[str]


agent = Agent(
    "helper",
    instructions="You help with the weather and files.",
    model=ScenarioModel(),
    swords=[get_weather, wait_forever, delete_file, bump],
)
profiler = Agent(
    "profiler", instructions="You write profiles.", model=ScenarioModel(), output_type=Profile
)
