"""Progress output: a live bar on a terminal, plain lines elsewhere, nothing when off."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from drusilla import Agent, ModelError, Runner
from drusilla.testing import ScriptedModel

ROOT = Path(__file__).resolve().parents[2]


def twenty_runs_two_failing() -> tuple[Agent[None], list[str]]:
    steps = [ModelError("refused", status=400) if i in (3, 7) else f"ok {i}" for i in range(20)]
    return Agent("a", model=ScriptedModel(steps)), [f"q{i}" for i in range(20)]


async def test_plain_lines_at_every_tenth_and_a_summary_when_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    agent, inputs = twenty_runs_two_failing()
    result = await Runner.run_batch(agent, inputs, concurrency=1)
    lines = capsys.readouterr().err.splitlines()
    steps = [line for line in lines if re.match(r"batch: \d+/20 \(\d+%\)", line)]
    assert [line.split()[1] for line in steps] == [f"{n}/20" for n in range(2, 21, 2)]
    assert steps[-1].startswith("batch: 20/20 (100%), 2 failed,")
    assert "runs/s" in steps[-1] and "eta" in steps[-1]
    assert lines[-1].startswith("batch: finished 20/20 in ")
    assert lines[-1].endswith(f"2 failed, {result.usage.total_tokens} tokens")


async def test_no_output_when_progress_is_off(capsys: pytest.CaptureFixture[str]) -> None:
    agent, inputs = twenty_runs_two_failing()
    result = await Runner.run_batch(agent, inputs, progress=False)
    assert result.failed == 2
    assert capsys.readouterr() == ("", "")


def on_a_terminal(columns: int) -> str:
    """What a 50-input batch shows on a pseudo-terminal `columns` wide."""
    script = (
        "from drusilla import Agent, ModelError, Runner\n"
        "from drusilla.testing import ScriptedModel\n"
        "steps = [ModelError('no', status=400) if i % 10 == 0 else 'ok' for i in range(50)]\n"
        "agent = Agent('a', model=ScriptedModel(steps))\n"
        "Runner.run_batch_sync(agent, [f'q{i}' for i in range(50)], concurrency=1)\n"
    )
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        cwd=ROOT,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process has ended
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait(timeout=120) == 0
    return shown.decode()


def test_a_live_bar_on_a_terminal() -> None:
    text = on_a_terminal(120)
    assert "\r" in text  # redrawn in place, not line after line
    final = text.rstrip().split("\r")[-1]
    assert "50/50" in final and "run/s" in final and "failed=5" in final
    assert "batch: " not in text  # not the plain lines


def test_a_terminal_reporting_no_width_gets_plain_lines() -> None:
    lines = on_a_terminal(0).replace("\r\n", "\n").splitlines()
    assert lines[-1].startswith("batch: finished 50/50 in ") and "5 failed" in lines[-1]
    assert "batch: 25/50 (50%), 3 failed," in "\n".join(lines)


async def test_a_fully_resumed_batch_reports_the_tokens_it_read_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = Agent("a", model=ScriptedModel([f"ok {i}" for i in range(20)]))
    inputs, results = [f"q{i}" for i in range(20)], tmp_path / "results.jsonl"
    first = await Runner.run_batch(agent, inputs, progress=False, results_path=results)
    again = await Runner.run_batch(agent, inputs, results_path=results)  # nothing left to run
    assert again.usage.total_tokens == first.usage.total_tokens > 0
    lines = capsys.readouterr().err.splitlines()
    tokens = f"0 failed, {first.usage.total_tokens} tokens"
    assert lines[0] == f"batch: 20/20 already done (results_path), resuming: {tokens} so far"
    assert lines[-1].startswith("batch: finished 20/20 in ")
    assert lines[-1].endswith(f"s (20 read back from results_path), {tokens}")
