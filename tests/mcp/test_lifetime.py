"""When MCP connections open and close: per root run, shared by nested runs, or held by the user."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from drusilla import Agent, MCPServer, MCPServerStdio, MCPServerStreamableHTTP, Runner, UserError
from drusilla.testing import ScriptedModel, call

from .conftest import HTTPProbe, log_lines, mcp_tasks, process_gone, read_log, stdio_probe
from .test_calls import outputs


async def test_opened_once_per_root_run_and_closed_at_its_end(probe_log: Path) -> None:
    server = stdio_probe(probe_log)
    model = ScriptedModel([call("pid"), call("pid"), "Done."])
    await Runner.run(Agent("a", model=model, mcp_servers=[server]), "go")
    [first], [second] = outputs(model, 1), outputs(model, 2)
    assert first == second  # one process served the whole run
    assert log_lines(probe_log) == ["start probe", "stop probe"]  # stopped before run() returned
    assert process_gone(int(first))
    assert not server.is_connected
    assert mcp_tasks() == []  # the connection's task ended with it


async def test_shared_with_an_agent_used_as_a_sword(probe_log: Path) -> None:
    server = stdio_probe(probe_log)
    inner_model = ScriptedModel([call("pid"), "Inner done."])
    inner = Agent("helper", model=inner_model, mcp_servers=[server])
    outer_model = ScriptedModel([call("pid"), call("helper", input="go on"), "Outer done."])
    outer = Agent("boss", model=outer_model, mcp_servers=[server], swords=[inner.as_sword()])
    result = await Runner.run(outer, "go")
    [outer_pid] = outputs(outer_model, 1)
    [inner_pid] = outputs(inner_model, 1)
    assert inner_pid == outer_pid  # the nested run used the root run's connection
    assert outputs(outer_model, 2) == ["Inner done."]
    assert result.final_output == "Outer done."
    assert log_lines(probe_log) == ["start probe", "stop probe"]


async def test_sub_agents_server_opened_in_the_nested_run_lives_until_the_root_ends(
    probe_log: Path,
) -> None:
    server = stdio_probe(probe_log)
    inner_model = ScriptedModel([call("pid"), "One.", call("pid"), "Two."])
    inner = Agent("helper", model=inner_model, mcp_servers=[server])
    outer_model = ScriptedModel(
        [call("helper", input="first"), call("helper", input="second"), "Done."]
    )
    await Runner.run(Agent("boss", model=outer_model, swords=[inner.as_sword()]), "go")
    [first], [second] = outputs(inner_model, 1), outputs(inner_model, 3)
    assert first == second  # the second nested run reused the first one's connection
    assert log_lines(probe_log) == ["start probe", "stop probe"]


async def test_servers_close_in_reverse_order(probe_log: Path) -> None:
    first = stdio_probe(probe_log, name="first")
    second = stdio_probe(probe_log, name="second", tool_prefix="second")
    model = ScriptedModel([[call("add", a=1), call("second_add", a=2)], "Done."])
    await Runner.run(Agent("a", model=model, mcp_servers=[first, second]), "go")
    assert outputs(model, 1) == ["1", "2"]
    assert sorted(log_lines(probe_log)[:2]) == ["start first", "start second"]
    assert log_lines(probe_log)[2:] == ["stop second", "stop first"]


async def test_async_with_keeps_one_connection_across_runs(probe_log: Path) -> None:
    server = stdio_probe(probe_log)
    pids = []
    async with server:
        assert server.is_connected
        for _ in range(2):
            model = ScriptedModel([call("pid"), "Done."])
            await Runner.run(Agent("a", model=model, mcp_servers=[server]), "go")
            pids.extend(outputs(model, 1))
        assert server.is_connected
        tools = await server.list_tools()  # usable directly, too
        assert "add" in {tool.name for tool in tools}
        direct = await server.call_tool("add", {"a": 40, "b": 2})
        assert direct.text == "42" and not direct.is_error
    assert pids[0] == pids[1]
    assert not server.is_connected
    assert log_lines(probe_log) == ["start probe", "stop probe"]


async def test_http_connection_is_closed_at_the_end_of_the_run(http_probe: HTTPProbe) -> None:
    server = MCPServerStreamableHTTP(http_probe.url)
    model = ScriptedModel([call("echo", text="hi"), "Done."])
    await Runner.run(Agent("a", model=model, mcp_servers=[server]), "go")
    assert outputs(model, 1) == ["hi"]
    assert not server.is_connected
    async with server:  # and it opens again
        assert (await server.call_tool("echo", {"text": "again"})).text == "again"


def test_a_connection_stays_in_its_event_loop(probe_log: Path) -> None:
    server = stdio_probe(probe_log)

    async def hold_and_run_elsewhere() -> None:
        async with server:
            model = ScriptedModel(["unused"])
            agent = Agent("a", model=model, mcp_servers=[server])
            with pytest.raises(UserError, match="connected in another event loop"):
                await anyio.to_thread.run_sync(Runner.run_sync, agent, "go")

    anyio.run(hold_and_run_elsewhere)
    assert log_lines(probe_log) == ["start probe", "stop probe"]


async def test_using_a_server_outside_a_run_needs_a_connection() -> None:
    server = stdio_probe()
    with pytest.raises(UserError, match=r"'probe' is not connected.*async with server"):
        await server.list_tools()


class _FailingClose(MCPServerStdio):
    """A stdio server whose transport raises while closing."""

    def _transport(self) -> AbstractAsyncContextManager[Any]:
        real = super()._transport()

        @asynccontextmanager
        async def failing() -> AsyncIterator[Any]:
            async with real as streams:
                yield streams
            raise RuntimeError("close went wrong")

        return failing()


async def test_close_errors_are_logged_not_raised(
    probe_log: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from .conftest import PROBE

    broken = _FailingClose(
        sys.executable, [str(PROBE)], env={"PROBE_LOG": str(probe_log)}, name="broken"
    )
    fine = stdio_probe(probe_log, name="fine", tool_prefix="fine")
    model = ScriptedModel([[call("add", a=1), call("fine_add", a=2)], "Done."])
    result = await Runner.run(Agent("a", model=model, mcp_servers=[broken, fine]), "go")
    assert result.final_output == "Done."
    assert "close went wrong" in caplog.text
    assert [line.split()[0] for line in read_log(probe_log)].count("stop") == 2


async def _sword_names(server: MCPServer, *steps: Any) -> set[str]:
    """The swords the model was offered in a run that plays `steps`."""
    model = ScriptedModel([*steps, "Done."])
    await Runner.run(Agent("a", model=model, mcp_servers=[server]), "go")
    return {spec.name for spec in model.requests[-1].swords}


async def test_tools_are_listed_per_run_by_default(probe_log: Path) -> None:
    server = stdio_probe(probe_log)
    async with server:
        assert "sprout" not in await _sword_names(server, call("grow", name="sprout"))
        assert "sprout" in await _sword_names(server)


async def test_cache_tools_list_keeps_the_list_until_invalidated(
    fresh_http_probe: HTTPProbe,
) -> None:
    cached = MCPServerStreamableHTTP(fresh_http_probe.url, cache_tools_list=True)
    assert "sprout" not in await _sword_names(cached)
    async with MCPServerStreamableHTTP(fresh_http_probe.url) as other:  # changes the tools
        await other.call_tool("grow", {"name": "sprout"})
    assert "sprout" not in await _sword_names(cached)  # served from the cache
    cached.invalidate_tools_cache()
    assert "sprout" in await _sword_names(cached)


async def test_cached_list_follows_the_servers_change_announcements(probe_log: Path) -> None:
    server = stdio_probe(probe_log, cache_tools_list=True)
    async with server:
        assert "sprout" not in await _sword_names(server, call("grow", name="sprout"))
        # The server announced the change (a subscriptions/listen event); it arrives on its own.
        for _ in range(100):
            if "sprout" in await _sword_names(server):
                break
            await anyio.sleep(0.05)
        assert "sprout" in await _sword_names(server)
