"""A stdio server that writes lines that are not JSON-RPC costs a few log lines, not one
traceback per line (issue 26), and still works."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from drusilla import Agent, MCPServerStdio, Runner
from drusilla.testing import ScriptedModel, call

from .conftest import PROBE
from .test_calls import outputs

NOISY = """
import os, sys
for number in range(2000):
    print(f"progress {number}: not JSON-RPC at all", flush=True)
os.execv(sys.executable, [sys.executable, PROBE])
"""


async def test_non_json_lines_from_a_stdio_server_are_summarised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script = tmp_path / "noisy.py"
    script.write_text(f"PROBE = {str(PROBE)!r}\n{NOISY}")
    server = MCPServerStdio(sys.executable, [str(script)], name="noisy")
    model = ScriptedModel([call("add", a=2, b=3), "Five."])
    with caplog.at_level(logging.DEBUG, logger="mcp.client.stdio"):
        result = await Runner.run(Agent("a", model=model, mcp_servers=[server]), "2+3?")
    assert result.final_output == "Five."
    assert outputs(model, 1) == ["5"]
    records = [r for r in caplog.records if r.name == "mcp.client.stdio"]
    assert [r.getMessage().split("; ")[1] for r in records] == [
        f"{n} such line(s) so far, logged at 1, 10, 100 ..." for n in (1, 10, 100, 1000)
    ]
    assert all(r.exc_info is None for r in records)
    assert len(caplog.text) < 5_000
