"""What a plain run does not do on its hot path (issue 32), found by watching the calls it makes
(sys.setprofile), never by timing: no runtime-Protocol isinstance (Python 3.11 lists the
protocol's attributes on every such call) and no async-backend lookup (sniffio: anyio's cancel
scopes and streams ask it on every use)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

from drusilla import Agent, Runner, sword
from drusilla.testing import ScriptedModel, call


@sword
async def ping(n: int) -> str:
    return f"pong {n}"


def agent() -> Agent:
    steps: list[Any] = [call("ping", n=n) for n in range(5)]
    return Agent("a", model=ScriptedModel([*steps, "done"]), swords=[ping])


async def calls_made(run: Callable[[], Awaitable[Any]]) -> list[str]:
    """Every Python function entered while `run()` is awaited, as "file:function"."""
    seen: list[str] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            seen.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")

    sys.setprofile(profile)
    try:
        await run()
    finally:
        sys.setprofile(None)
    return seen


def protocol_checks(calls: list[str]) -> list[str]:
    return [name for name in calls if name.endswith("typing.py:__instancecheck__")]


def backend_lookups(calls: list[str]) -> list[str]:
    return [name for name in calls if "sniffio" in name or name.endswith(":get_async_backend")]


async def test_a_run_with_sword_calls_makes_no_protocol_isinstance_and_no_backend_lookup() -> None:
    a = agent()

    async def run() -> None:
        assert (await Runner.run(a, "go")).final_output == "done"

    calls = await calls_made(run)
    assert any(name.endswith(":ping") for name in calls)  # the watch saw the sword run
    assert protocol_checks(calls) == []
    assert backend_lookups(calls) == []


async def test_a_streamed_run_makes_no_backend_lookup_per_event() -> None:
    a = agent()

    async def run() -> None:
        result = await Runner.run_streamed(a, "go")
        events = [event async for event in result.stream_events()]
        assert len(events) > 10 and result.final_output == "done"

    calls = await calls_made(run)
    assert any(name.endswith(":ping") for name in calls)  # the watch saw the streamed run work
    assert protocol_checks(calls) == []
    assert backend_lookups(calls) == []


def deadlines(calls: list[str]) -> list[str]:
    return [name for name in calls if name.endswith("asyncio/timeouts.py:timeout")]


async def test_a_run_without_a_timeout_sets_no_deadline() -> None:
    """`asyncio.timeout(None)` would look up the loop and the task: two system calls a run."""
    a = agent()

    async def run(timeout: float | None) -> None:
        assert (await Runner.run(a, "go", timeout=timeout)).final_output == "done"

    assert deadlines(await calls_made(lambda: run(None))) == []
    a = agent()  # the script is used up: a fresh one
    assert len(deadlines(await calls_made(lambda: run(60)))) == 1  # the watch sees a deadline
