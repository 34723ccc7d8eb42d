"""`results_path=`: results written as runs complete, and a killed batch resumed from them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from drusilla import Agent, Runner, UserError
from drusilla.testing import HTTPError, OpenAIServer, ReceivedRequest, SlowFirstByte

from ..cli.helpers import cli_env, drusilla_command
from .echo import echo_step, last_user_text

AGENT_FILE = 'from drusilla import Agent\n\nagent = Agent("echo", instructions="Echo.")\n'


def complete_lines(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    return [json.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines()]


def wait_for_lines(path: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # a backstop only: the lines come in well under that
    while not (path.exists() and len(complete_lines(path)) >= count):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the batch never wrote its first results"
        time.sleep(0.01)


def test_a_killed_batch_run_again_runs_only_the_inputs_not_done(tmp_path: Path) -> None:
    total, answered_before_kill = 60, 20
    inputs = [f"item {i}" for i in range(total)]
    (tmp_path / "agent.py").write_text(AGENT_FILE)
    (tmp_path / "inputs.jsonl").write_text("".join(json.dumps(x) + "\n" for x in inputs))
    results = tmp_path / "results.jsonl"
    killed = False

    def step(request: ReceivedRequest) -> Any:
        # Before the kill, only the first requests are answered; the rest wait (the batch
        # cannot finish before it is killed, however slow the machine).
        if not killed and len(server.model_requests) > answered_before_kill:
            return SlowFirstByte(300, "too late")
        return SlowFirstByte(0.01, f"echo: {last_user_text(request)}")

    server = OpenAIServer(*[step] * (total * 2))
    with server:
        env = cli_env(DRUSILLA_API_KEY="sk-test")
        command = [
            *drusilla_command(),
            "batch",
            "agent.py",
            "inputs.jsonl",
            "-o",
            "results.jsonl",
            "--concurrency",
            "4",
            "--base-url",
            server.base_url,
        ]
        first = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            wait_for_lines(results, 10, first)
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.communicate()
        killed = True
        done_before = {line["index"] for line in complete_lines(results)}
        requests_before = len(server.model_requests)

        second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=300)
        assert second.returncode == 0, second.stderr.decode()
        rerun = [last_user_text(r) for r in server.model_requests[requests_before:]]

    assert 10 <= len(done_before) < total
    assert sorted(rerun) == sorted(inputs[i] for i in range(total) if i not in done_before)
    lines = complete_lines(results)
    assert sorted(line["index"] for line in lines) == list(range(total))
    assert all(line["final_output"] == f"echo: item {line['index']}" for line in lines)
    assert "60 inputs, 60 done, 0 failed" in second.stderr.decode()


async def test_a_half_written_last_line_is_cut_off_and_its_input_run_again(
    tmp_path: Path,
) -> None:
    inputs = ["a", "b", "c"]
    results = tmp_path / "results.jsonl"
    with OpenAIServer() as server:
        agent = Agent("echo", model=server.model(*[echo_step()] * 3))
        await Runner.run_batch(agent, inputs[:2], progress=False, results_path=results)
        # the same batch, three inputs now, after a crash in the middle of writing "c"'s line
        with results.open("a") as file:
            file.write('{"index": 2, "input": "c", "final_out')
        result = await Runner.run_batch(agent, inputs, progress=False, results_path=results)
        asked = sorted(last_user_text(r) for r in server.model_requests)
    assert asked == ["a", "b", "c"]  # "c" once: its half line did not count as done

    assert result.final_outputs == ["echo: a", "echo: b", "echo: c"]
    assert [item.resumed for item in result.results] == [True, True, False]
    indexes = [json.loads(line)["index"] for line in results.read_text().splitlines()]
    assert sorted(indexes) == [0, 1, 2]


async def test_failed_inputs_run_again_and_their_new_line_wins(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    with OpenAIServer() as server:
        model = server.model(echo_step(), HTTPError(400, "no"), echo_step())
        agent = Agent("echo", model=model)
        first = await Runner.run_batch(
            agent, ["a", "b"], concurrency=1, progress=False, results_path=results
        )
        assert (first.done, first.failed) == (1, 1)
        again = await Runner.run_batch(
            agent, ["a", "b"], concurrency=1, progress=False, results_path=results
        )
        assert [last_user_text(r) for r in server.model_requests] == ["a", "b", "b"]
    assert (again.done, again.failed) == (2, 0)
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(line["index"], line["error"] is None) for line in lines] == [
        (0, True),
        (1, False),
        (1, True),
    ]
    assert lines[1]["error"]["type"] == "ModelError"


async def test_a_results_file_of_another_batch_is_refused(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps({"index": 0, "input": "other", "error": None}) + "\n")
    with pytest.raises(UserError, match="belongs to another batch"):
        await Runner.run_batch(Agent("a"), ["mine"], progress=False, results_path=results)
