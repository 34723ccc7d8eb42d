"""Configuring MCP servers: environment allowlist, prefixes, filters, name collisions, checks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from drusilla import (
    Agent,
    MCPServer,
    MCPServerStdio,
    MCPServerStreamableHTTP,
    MCPToolFilter,
    Runner,
    UserError,
    sword,
)
from drusilla.testing import ScriptedModel, call
from drusilla.tools.mcp.gear import function_name

from .conftest import HTTPProbe, stdio_probe
from .test_calls import outputs


async def test_stdio_environment_is_an_allowlist(
    monkeypatch: pytest.MonkeyPatch, probe_log: Path
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-parent-secret")
    monkeypatch.setenv("DRUSILLA_API_KEY", "dr-parent-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-parent-secret")
    monkeypatch.setenv("PROBE_SHARED", "shared-on-request")
    monkeypatch.setenv("LANG", "C.UTF-8")
    server = stdio_probe(probe_log, env={"PROBE_TOKEN": "given"}, inherit_env=["PROBE_SHARED"])
    names = [
        "OPENAI_API_KEY",
        "DRUSILLA_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "PROBE_TOKEN",
        "PROBE_SHARED",
        "LANG",
        "PATH",
    ]
    model = ScriptedModel([[call("env", name=name) for name in names], "Done."])
    await Runner.run(Agent("a", model=model, mcp_servers=[server]), "go")
    seen = dict(zip(names, outputs(model, 1), strict=True))
    assert seen["OPENAI_API_KEY"] == "<unset>"
    assert seen["DRUSILLA_API_KEY"] == "<unset>"
    assert seen["AWS_SECRET_ACCESS_KEY"] == "<unset>"
    assert seen["PROBE_TOKEN"] == "given"
    assert seen["PROBE_SHARED"] == "shared-on-request"
    assert seen["LANG"] == "C.UTF-8"
    assert seen["PATH"] != "<unset>"
    environment = server.environment()
    assert "OPENAI_API_KEY" not in environment and environment["PROBE_TOKEN"] == "given"


async def test_explicit_env_can_pass_a_secret_on(
    monkeypatch: pytest.MonkeyPatch, probe_log: Path
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-parent-secret")
    server = stdio_probe(probe_log, inherit_env=["OPENAI_API_KEY"])
    model = ScriptedModel([call("env", name="OPENAI_API_KEY"), "Done."])
    await Runner.run(Agent("a", model=model, mcp_servers=[server]), "go")
    assert outputs(model, 1) == ["sk-parent-secret"]


async def test_http_headers_are_sent(http_probe: HTTPProbe) -> None:
    server = MCPServerStreamableHTTP(http_probe.url, headers={"X-Probe": "hello"})
    model = ScriptedModel([call("header", name="x-probe"), "Done."])
    await Runner.run(Agent("a", model=model, mcp_servers=[server]), "go")
    assert outputs(model, 1) == ["hello"]


async def test_prefix_names_the_swords(make_probe: Callable[..., MCPServer]) -> None:
    server = make_probe(tool_prefix="probe")
    model = ScriptedModel([call("probe_add", a=3, b=4), "Seven."])
    await Runner.run(Agent("a", model=model, mcp_servers=[server]), "go")
    names = {spec.name for spec in model.requests[0].swords}
    assert "probe_add" in names and "add" not in names
    assert outputs(model, 1) == ["7"]


async def test_tool_names_models_reject_are_made_valid(
    make_probe: Callable[..., MCPServer],
) -> None:
    long_name = "a_tool_name_that_is_much_longer_than_the_sixty_four_characters_models_allow"
    cut = function_name(long_name)
    assert len(cut) == 64 and cut.startswith("a_tool_name_that_is_much_longer")
    model = ScriptedModel([[call("notes_read", topic="ducks"), call(cut)], "Done."])
    await Runner.run(Agent("a", model=model, mcp_servers=[make_probe()]), "go")
    names = {spec.name for spec in model.requests[0].swords}
    assert {"notes_read", cut} <= names and "notes.read" not in names
    assert outputs(model, 1) == ["notes on ducks", "long"]  # called by their real names


@pytest.mark.parametrize(
    ("tool_filter", "expected"),
    [
        (MCPToolFilter(allowed=["add", "echo"]), {"probe_add", "probe_echo"}),
        (MCPToolFilter(allowed=["add", "echo"], blocked=["echo"]), {"probe_add"}),
        (lambda tool: tool.name.startswith("e"), {"probe_echo", "probe_env"}),
    ],
)
async def test_filter_picks_the_tools(
    make_probe: Callable[..., MCPServer], tool_filter: object, expected: set[str]
) -> None:
    server = make_probe(tool_prefix="probe", tool_filter=tool_filter)
    model = ScriptedModel(["Hi."])
    await Runner.run(Agent("a", model=model, mcp_servers=[server]), "go")
    assert {spec.name for spec in model.requests[0].swords} == expected


async def test_blocked_tools_are_filtered_and_an_async_filter_works(probe_log: Path) -> None:
    async def read_only(tool: object) -> bool:
        return getattr(tool, "name", "") in {"echo", "pid"}

    model = ScriptedModel([call("crash"), "Refused."])
    agent = Agent("a", model=model, mcp_servers=[stdio_probe(probe_log, tool_filter=read_only)])
    await Runner.run(agent, "go")
    assert {spec.name for spec in model.requests[0].swords} == {"echo", "pid"}
    [text] = outputs(model, 1)
    assert text.startswith("There is no sword named crash.")  # filtered out: never called


async def test_collision_with_a_function_sword(make_probe: Callable[..., MCPServer]) -> None:
    @sword
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    agent = Agent("calc", model=ScriptedModel([]), swords=[add], mcp_servers=[make_probe()])
    with pytest.raises(UserError) as caught:
        await Runner.run(agent, "go")
    assert str(caught.value).startswith(
        "Agent 'calc' offers two swords named 'add': the sword 'add' and the sword from MCP "
        "server 'probe'."
    )


async def test_collision_between_two_servers_and_the_prefix_fix(probe_log: Path) -> None:
    first, second = stdio_probe(probe_log, name="first"), stdio_probe(probe_log, name="second")
    agent = Agent("calc", model=ScriptedModel([]), mcp_servers=[first, second])
    with pytest.raises(
        UserError, match="MCP server 'first' and the sword from MCP server 'second'"
    ):
        await Runner.run(agent, "go")
    assert not first.is_connected and not second.is_connected  # both closed again

    second = stdio_probe(probe_log, name="second", tool_prefix="second")
    model = ScriptedModel([[call("add", a=1), call("second_add", a=2)], "Done."])
    await Runner.run(Agent("calc", model=model, mcp_servers=[first, second]), "go")
    assert outputs(model, 1) == ["1", "2"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MCPServerStdio(""), "needs a command to run"),
        (lambda: MCPServerStdio("python", "server.py"), "args must be a list of strings"),
        # deliberately wrong types (the type: ignores): each is a runtime UserError
        (
            lambda: MCPServerStdio("python", env={"A": 1}),  # type: ignore[dict-item]
            "env must map names to string values",
        ),
        (lambda: MCPServerStdio("python", inherit_env="PATH"), "inherit_env must be a list"),
        (lambda: MCPServerStdio("python", timeout=0), "timeout=0 must be a positive number"),
        (lambda: MCPServerStdio("python", tool_prefix="my tools"), "tool_prefix='my tools'"),
        (
            lambda: MCPServerStdio("python", tool_filter=["add"]),  # type: ignore[arg-type]
            "tool_filter=\\['add'\\]",
        ),
        (lambda: MCPServerStreamableHTTP("localhost:8000"), "needs an http\\(s\\) URL"),
        (lambda: MCPToolFilter(allowed="add"), "needs a list of tool names"),
    ],
)
def test_bad_configuration_is_a_user_error(make: Callable[[], object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        make()


async def test_not_a_server_in_mcp_servers() -> None:
    with pytest.raises(UserError, match="'npx server' in mcp_servers= is not an MCP server"):
        Agent("a", mcp_servers=["npx server"])  # type: ignore[list-item]
    agent = Agent("a", model=ScriptedModel([]))
    agent.mcp_servers.append("npx server")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="'npx server' in mcp_servers= is not an MCP server"):
        await Runner.run(agent, "go")


async def test_bad_working_directory(tmp_path: Path) -> None:
    server = MCPServerStdio(sys.executable, ["-V"], cwd=tmp_path / "missing", name="lost")
    agent = Agent("a", model=ScriptedModel([]), mcp_servers=[server])
    with pytest.raises(UserError, match=r"'lost': cwd=.*missing' is not a directory"):
        await Runner.run(agent, "go")


def test_default_names_and_repr_hide_secrets() -> None:
    stdio = MCPServerStdio("/usr/bin/npx", ["-y", "@scope/server-files", "--token", "s3cret"])
    assert stdio.name == "npx server-files"
    http = MCPServerStreamableHTTP(
        "https://user:pw@example.com:8443/mcp?key=s3cret", headers={"Authorization": "Bearer s"}
    )
    assert http.name == "example.com:8443/mcp"
    assert repr(http) == "MCPServerStreamableHTTP(name='example.com:8443/mcp')"


def test_secrets_are_kept_out_of_messages() -> None:
    http = MCPServerStreamableHTTP(
        "https://user:pa55word@example.com/mcp?key=s3cret-key",
        headers={"Authorization": "Bearer tok-123456"},
    )
    error = ConnectionError(
        "POST https://user:pa55word@example.com/mcp?key=s3cret-key failed; "
        "sent Authorization: Bearer tok-123456"
    )
    text = http._describe(error)
    assert "pa55word" not in text and "s3cret-key" not in text and "tok-123456" not in text
    assert text.startswith("ConnectionError: POST https://user:***@example.com/mcp?***")

    stdio = MCPServerStdio("python", ["server.py"], env={"API_TOKEN": "secret-token-value"})
    assert stdio._describe(OSError("bad token secret-token-value")) == "OSError: bad token ***"
