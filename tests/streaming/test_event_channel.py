"""The streamed run's event buffer (runners/event_channel.py) on its own: room, waiting, the end
and the consumer leaving."""

from __future__ import annotations

import asyncio

from drusilla.runners.event_channel import EMPTY, END, EventChannel


async def test_the_producer_fills_the_buffer_without_waiting_then_waits_for_room() -> None:
    channel: EventChannel[int] = EventChannel(2)
    assert channel.put_nowait(1) and channel.put_nowait(2)
    assert not channel.put_nowait(3)  # full: the caller awaits put()
    put = asyncio.create_task(channel.put(3))
    await asyncio.sleep(0)
    assert not put.done()
    assert channel.get_nowait() == 1  # room: the producer goes on
    await put
    assert [channel.get_nowait(), channel.get_nowait(), channel.get_nowait()] == [2, 3, EMPTY]


async def test_size_zero_hands_each_event_to_a_waiting_consumer() -> None:
    channel: EventChannel[str] = EventChannel(0)
    assert not channel.put_nowait("a")  # nobody waiting: no room at all

    async def produce() -> None:
        for event in "abc":
            await channel.put(event)
        channel.end()

    producer = asyncio.create_task(produce())
    taken = [await channel.get() for _ in range(3)]
    assert taken == ["a", "b", "c"]
    assert await channel.get() is END
    await producer


async def test_the_consumer_drains_what_is_buffered_before_the_end() -> None:
    channel: EventChannel[int] = EventChannel(4)
    channel.put_nowait(1)
    channel.end()
    assert channel.get_nowait() == 1
    assert channel.get_nowait() is END


async def test_closing_drops_events_and_frees_a_waiting_producer_and_consumer() -> None:
    channel: EventChannel[int] = EventChannel(1)
    channel.put_nowait(1)
    put = asyncio.create_task(channel.put(2))
    await asyncio.sleep(0)
    channel.close()
    await put  # the producer is not stuck on a buffer nobody reads
    assert channel.put_nowait(3)  # later events are dropped, never waited for
    assert channel.get_nowait() is END
    waiting: EventChannel[int] = EventChannel(1)
    get = asyncio.create_task(waiting.get())
    await asyncio.sleep(0)
    waiting.close()
    assert await get is END


async def test_the_first_wait_is_one_pass_of_the_loop_then_waits_are_futures() -> None:
    """A producer scheduled before the consumer waits runs in that pass; its events are taken
    without a future. A producer still waiting after the pass is waited for with one."""
    channel: EventChannel[int] = EventChannel(4)
    release = asyncio.Event()

    async def produce() -> None:
        channel.put_nowait(1)
        await release.wait()
        channel.put_nowait(2)
        channel.end()

    producer = asyncio.create_task(produce())
    assert await channel.get() == 1  # the producer ran first, in the consumer's one pass
    assert channel._getter is None
    taking = asyncio.create_task(channel.get())
    await asyncio.sleep(0)
    assert channel._getter is not None  # the second wait is a future the producer wakes
    release.set()
    assert await taking == 2
    assert await channel.get() is END
    await producer
