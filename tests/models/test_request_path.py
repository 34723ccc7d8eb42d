"""The request path from the run loop to the HTTP post is a straight line through at most four
modules (issue 14: one seam to the model). Read from the call stack at the moment the HTTP
request leaves, through an httpx transport given to the client."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from openai import AsyncOpenAI

import drusilla
from drusilla import Agent, Runner
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.responses import OpenAIResponsesModel
from drusilla.testing import OpenAIServer

PACKAGE = Path(drusilla.__file__).parent


class RecordingTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.paths: list[list[str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(drusilla_modules_from_the_turn())
        return await super().handle_async_request(request)


def drusilla_modules_from_the_turn() -> list[str]:
    """drusilla's modules on the stack, outermost first, from the turn loop on, one entry per
    run of frames in the same module."""
    frames = [
        (str(Path(frame.filename).relative_to(PACKAGE)), frame.name)
        for frame in traceback.extract_stack()
        if Path(frame.filename).is_relative_to(PACKAGE)
    ]
    start = next(i for i, (_, function) in enumerate(frames) if function == "_turn")
    modules: list[str] = []
    for module, _ in frames[start:]:
        if not modules or modules[-1] != module:
            modules.append(module)
    return modules


@pytest.mark.parametrize("model_class", [OpenAIChatModel, OpenAIResponsesModel])
@pytest.mark.parametrize("streamed", [False, True])
async def test_the_request_path_is_straight_and_short(model_class: type, streamed: bool) -> None:
    transport = RecordingTransport()
    async with OpenAIServer("hello") as server:
        client = AsyncOpenAI(
            base_url=server.base_url,
            api_key="k",
            http_client=httpx.AsyncClient(transport=transport),
        )
        agent = Agent("a", model=model_class("m", client=client))
        result: Any
        if streamed:
            result = await Runner.run_streamed(agent, "hi")
            async for _ in result.stream_events():
                pass
        else:
            result = await Runner.run(agent, "hi")
        assert result.final_output == "hello"
        await client.close()
    (path,) = transport.paths
    assert len(path) == len(set(path)), f"the path bounces between modules: {path}"
    assert len(path) <= 4, path
    assert path[0] == "runners/run_loop.py" and path[-1] == "models/openai/calls.py", path
