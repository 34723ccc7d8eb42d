"""Fixtures of the core tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from drusilla import Agent, Runner

Run = Callable[..., Awaitable[Any]]


@pytest.fixture(params=["run", "streamed"])
def run(request: pytest.FixtureRequest) -> Run:
    """`run(agent, input, **kwargs)` -> result, through Runner.run or Runner.run_streamed
    (waited for), so one test checks both ways of running."""

    async def go(agent: Agent[Any], input: Any, **kwargs: Any) -> Any:
        if request.param == "run":
            return await Runner.run(agent, input, **kwargs)
        result = await Runner.run_streamed(agent, input, **kwargs)
        await result.wait()
        return result

    return go
