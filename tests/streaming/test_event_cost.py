"""What a streamed run costs the event loop: a fixed handful of callbacks (and no future) per
run, none per event or per turn while the buffer has room (runners/event_channel.py) — counted on
an event loop that counts, never timed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import Context
from typing import Any, TypeVarTuple

import pytest

from drusilla import Agent, Runner, sword
from drusilla.testing import ScriptedModel, Turn, call

_Ts = TypeVarTuple("_Ts")


class CountingLoop(asyncio.SelectorEventLoop):
    """Counts the callbacks scheduled (each a trip through the loop) and the futures made
    (each a wait: the consumer's for an event, the run's for room)."""

    def __init__(self) -> None:
        super().__init__()
        self.scheduled = 0
        self.futures = 0

    def call_soon(
        self,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: Context | None = None,
    ) -> asyncio.Handle:
        self.scheduled += 1
        return super().call_soon(callback, *args, context=context)

    def create_future(self) -> asyncio.Future[Any]:
        self.futures += 1
        return super().create_future()


@sword
async def ping(n: int) -> str:
    """Answers every ping."""
    return "pong"


def _agent(turns: int) -> Agent[Any]:
    """`turns` turns: a sword call each, then an answer streamed as several text deltas."""
    steps: list[Any] = [call("ping", n=turn) for turn in range(turns - 1)]
    model = ScriptedModel([*steps, Turn("all done now, thanks for waiting")])
    return Agent("pinger", model=model, swords=[ping])


def _cost_of_run(turns: int, **options: Any) -> tuple[int, int, int]:
    """(events, callbacks scheduled, futures made) of one streamed run, consumed to the end."""

    async def follow() -> tuple[int, int, int]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, CountingLoop)
        scheduled, futures = loop.scheduled, loop.futures
        result = await Runner.run_streamed(_agent(turns), "go", max_turns=50, **options)
        events = [event async for event in result.stream_events()]
        assert result.final_output == "all done now, thanks for waiting"
        return len(events), loop.scheduled - scheduled, loop.futures - futures

    with asyncio.Runner(loop_factory=CountingLoop) as runner:
        runner.run(follow())  # the first run of a process imports and caches things
        return runner.run(follow())


@pytest.mark.parametrize("turns", [1, 3, 12])
def test_a_run_with_room_in_its_buffer_costs_the_loop_the_same_whatever_its_length(
    turns: int,
) -> None:
    events, scheduled, futures = _cost_of_run(turns)
    assert events >= 2 * turns  # a sword call and its output per turn, deltas, the answer
    # The run's task starts (1); the consumer, finding nothing yet, lets the loop run one pass
    # (1) — the run's task goes first and the consumer takes every event and the end when it
    # comes back — and the task's done callback runs (1).
    assert scheduled == 3, scheduled
    assert futures == 0, futures  # no future: the consumer never had to wait for an event


def test_a_full_buffer_still_holds_the_run_back() -> None:
    """With room for 2 events the run waits for the consumer about once per event (a future
    each), instead of running ahead: the fast path did not cost the buffer its bound."""
    events, scheduled, futures = _cost_of_run(12, buffer_size=2)
    assert futures > events // 2, (events, futures)
    assert scheduled > events // 2, (events, scheduled)


def _channel_calls_of_run(turns: int, text_only: bool = False) -> tuple[int, int]:
    """(events taken, Python calls into runners/event_channel.py) of one streamed run."""
    import sys
    from types import FrameType

    calls = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event == "call" and frame.f_code.co_filename.endswith("event_channel.py"):
            calls += 1

    async def follow() -> tuple[int, int]:
        result = await Runner.run_streamed(_agent(turns), "go", max_turns=50)
        sys.setprofile(count)
        try:
            stream = result.text_deltas() if text_only else result.stream_events()
            events = [event async for event in stream]
        finally:
            sys.setprofile(None)
        return len(events), calls

    with asyncio.Runner() as runner:
        runner.run(follow())  # the first run of a process imports and caches things
        calls = 0
        return runner.run(follow())


@pytest.mark.parametrize("text_only", [False, True], ids=["stream_events", "text_deltas"])
def test_each_event_costs_one_call_into_the_buffer_the_runs_offer(text_only: bool) -> None:
    """The consumer takes a buffered event (or skips it, for `text_deltas()`) without calling
    into the channel; per event only the run's `put_nowait` remains."""
    short_events, _ = _channel_calls_of_run(1)
    long_events, _ = _channel_calls_of_run(12)
    assert long_events > short_events + 20
    _, short_calls = _channel_calls_of_run(1, text_only)
    _, long_calls = _channel_calls_of_run(12, text_only)
    assert long_calls - short_calls == long_events - short_events, (short_calls, long_calls)
