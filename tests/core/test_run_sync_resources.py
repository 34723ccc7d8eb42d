"""run_sync keeps no event loop alive and reuses its HTTP client (issue 16, defect 1)."""

from __future__ import annotations

import asyncio
import gc
import signal
import weakref

import pytest

from drusilla import Agent, Runner, sword
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.clients import ClientPool, default_pool
from drusilla.testing import OpenAIServer, ScriptedModel, call
from drusilla.util.blocking import run_blocking


def test_the_client_pool_forgets_a_loop_once_it_shut_down() -> None:
    pool = ClientPool()
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def use_a_client() -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        await pool.get("http://127.0.0.1:9/v1", "sk-test")

    for _ in range(5):
        asyncio.run(use_a_client())
    gc.collect()
    assert [ref() for ref in loops] == [None] * 5
    assert pool.loops() == 0


def test_run_sync_runs_every_call_on_one_loop() -> None:
    seen: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    @sword
    async def where() -> str:
        seen.append(weakref.ref(asyncio.get_running_loop()))
        return "here"

    for _ in range(10):
        model = ScriptedModel([call("where"), "done"])
        assert Runner.run_sync(Agent("a", model=model, swords=[where]), "?").final_output == "done"
    gc.collect()
    alive = {id(loop) for ref in seen if (loop := ref()) is not None}
    assert len(alive) == 1
    assert len(seen) == 10


def test_run_sync_reuses_one_http_client() -> None:
    with OpenAIServer(*[f"answer {n}" for n in range(5)]) as server:
        agent = Agent("a", model=OpenAIChatModel("any", base_url=server.base_url, api_key="k"))
        for n in range(5):
            assert Runner.run_sync(agent, "?").final_output == f"answer {n}"

        async def pooled_client() -> object:
            return await default_pool.get(server.base_url, "k")

        clients = [run_blocking(pooled_client) for _ in range(3)]
    assert clients[0] is clients[1] is clients[2]


def test_ctrl_c_during_run_sync_cancels_the_run_then_raises_keyboard_interrupt() -> None:
    wound_down: list[str] = []

    @sword
    async def long_job() -> str:
        signal.raise_signal(signal.SIGINT)  # the user presses Ctrl-C while the sword runs
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            wound_down.append("cancelled")
            raise
        return "never"

    model = ScriptedModel([call("long_job"), "done"])
    with pytest.raises(KeyboardInterrupt):
        Runner.run_sync(Agent("a", model=model, swords=[long_job]), "?")
    assert wound_down == ["cancelled"]  # the run wound down before KeyboardInterrupt
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    # and the thread's loop goes on serving blocking calls
    assert Runner.run_sync(Agent("a", model=ScriptedModel(["again"])), "?").final_output == "again"
