"""A streamed run leaves no anyio stream open, however its consumer goes away (issue 26)."""

from __future__ import annotations

import asyncio
import gc
import warnings

from drusilla import Agent, Runner
from drusilla.testing import ScriptedModel


async def test_a_consumer_cancelled_before_iterating_leaves_no_stream_unclosed() -> None:
    finished = asyncio.Event()

    async def consumer() -> None:
        result = await Runner.run_streamed(Agent("a", model=ScriptedModel(["hello"])), "hi")
        run = [t for t in asyncio.all_tasks() if t.get_name().startswith("drusilla-run:")]
        await asyncio.wait(run)  # the run ends; nobody iterates its events
        assert result.is_complete
        finished.set()
        await asyncio.Event().wait()  # cancelled here, its result never consumed

    gc.collect()  # what earlier tests left to the collector is not this test's to count
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(10):
            finished.clear()
            task = asyncio.create_task(consumer())
            await finished.wait()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            del task
            gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []
