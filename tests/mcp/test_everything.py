"""Against the official reference server, @modelcontextprotocol/server-everything, from npm.

Runs when node and npx are installed and the package can be fetched; skipped (saying why)
otherwise. The package is fetched first, with a time limit, so a missing registry skips
instead of hanging a test.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from drusilla import Agent, MCPServerStdio, Runner
from drusilla.testing import ScriptedModel, call

from .test_calls import outputs

PACKAGE = "@modelcontextprotocol/server-everything"
FETCH_TIMEOUT = 180


@pytest.fixture(scope="module")
def npx() -> str:
    npx = shutil.which("npx")
    if shutil.which("node") is None or npx is None:
        pytest.skip("node and npx are needed to run the MCP reference server")
    try:
        fetched = subprocess.run(
            [npx, "-y", "-p", PACKAGE, "node", "-e", "process.exit(0)"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=FETCH_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"fetching {PACKAGE} from the npm registry took over {FETCH_TIMEOUT}s")
    if fetched.returncode != 0:
        lines = (fetched.stderr or fetched.stdout).strip().splitlines()
        pytest.skip(f"cannot fetch {PACKAGE} from the npm registry: {lines[-1] if lines else '?'}")
    return npx


@pytest.fixture
def stderr(tmp_path: Path) -> Iterator[TextIO]:
    """Where the reference server's log goes (it is chatty on stderr)."""
    with (tmp_path / "everything.stderr").open("w") as file:
        yield file


@pytest.fixture(scope="module")
def tool_names(npx: str, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The names of the reference server's tools (they change between its releases)."""

    async def list_names() -> set[str]:
        with (tmp_path_factory.mktemp("everything") / "stderr").open("w") as stderr:
            async with everything(npx, stderr) as server:
                return {tool.name for tool in await server.list_tools()}

    return asyncio.run(list_names())


def everything(npx: str, stderr: TextIO) -> MCPServerStdio:
    return MCPServerStdio(
        npx, ["-y", PACKAGE], name="everything", connect_timeout=60, stderr=stderr
    )


def pick(names: set[str], *candidates: str) -> str:
    """The first of `candidates` the server has (its tools were renamed across releases)."""
    for name in candidates:
        if name in names:
            return name
    raise AssertionError(f"the reference server has none of {candidates} in {sorted(names)}")


async def test_lists_its_tools(npx: str, stderr: TextIO) -> None:
    async with everything(npx, stderr) as server:
        tools = {tool.name: tool for tool in await server.list_tools()}
    assert "echo" in tools
    adder = tools[pick(set(tools), "get-sum", "add")]
    assert set(adder.input_schema["properties"]) == {"a", "b"}


async def test_echo_and_add_through_an_agent_run(
    npx: str, stderr: TextIO, tool_names: set[str]
) -> None:
    adder = pick(tool_names, "get-sum", "add")
    model = ScriptedModel(
        [[call("echo", message="hello from drusilla"), call(adder, a=2, b=3)], "It is 5."]
    )
    agent = Agent("a", model=model, mcp_servers=[everything(npx, stderr)])
    result = await Runner.run(agent, "Echo, then add 2 and 3.")
    echoed, added = outputs(model, 1)
    assert "hello from drusilla" in echoed
    assert "5" in added
    assert {spec.name for spec in model.requests[0].swords} >= {"echo", adder}
    assert result.final_output == "It is 5."


async def test_bad_arguments_and_an_image(npx: str, stderr: TextIO, tool_names: set[str]) -> None:
    image_tool = pick(tool_names, "get-tiny-image", "getTinyImage")
    model = ScriptedModel([[call("echo", message=42), call(image_tool)], "Done."])
    agent = Agent("a", model=model, mcp_servers=[everything(npx, stderr)])
    await Runner.run(agent, "go")
    bad, image = outputs(model, 1)
    assert bad == "Invalid arguments for the sword echo: message: 42 is not of type 'string'"
    assert isinstance(image, list)
    assert any(
        part["type"] == "input_image" and part["image_url"].startswith("data:image/png;base64,")
        for part in image
    )


async def test_secrets_do_not_reach_it(
    npx: str, stderr: TextIO, tool_names: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-parent-secret")
    monkeypatch.setenv("DRUSILLA_API_KEY", "dr-parent-secret")
    model = ScriptedModel([call(pick(tool_names, "get-env", "printEnv")), "Done."])
    agent = Agent("a", model=model, mcp_servers=[everything(npx, stderr)])
    await Runner.run(agent, "go")
    [text] = outputs(model, 1)
    assert "PATH" in json.loads(text)
    assert "OPENAI_API_KEY" not in text and "DRUSILLA_API_KEY" not in text
    assert "sk-parent-secret" not in text and "dr-parent-secret" not in text
