"""A results file resumes whatever is in its inputs and however it was damaged (issue 26): a
secret in an input is kept out of the file without breaking the match, a damaged complete line
is skipped with a warning (its input runs again), and a lone surrogate aborts nothing."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from drusilla import Agent, Runner
from drusilla.testing import OpenAIServer

from .echo import echo_step, last_user_text

SECRET = "sk-proj-trustedge-0123456789"


async def test_an_input_holding_a_secret_is_masked_in_the_file_and_still_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUSILLA_API_KEY", SECRET)
    inputs = [f"Use the key {SECRET} to log in", "plain"]
    results = tmp_path / "results.jsonl"
    with OpenAIServer() as server:
        agent = Agent("echo", model=server.model(*[echo_step()] * 2))
        await Runner.run_batch(agent, inputs, progress=False, results_path=results)
        again = await Runner.run_batch(agent, inputs, progress=False, results_path=results)
        assert len(server.model_requests) == 2  # nothing ran twice
    assert SECRET not in results.read_text()
    assert [item.resumed for item in again.results] == [True, True]
    assert again.results[0].input == inputs[0]


async def test_damaged_complete_lines_are_skipped_with_a_warning_and_run_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inputs = ["a", "b", "c", "d", "e"]
    results = tmp_path / "results.jsonl"
    with OpenAIServer() as server:
        agent = Agent("echo", model=server.model(*[echo_step()] * 9))
        await Runner.run_batch(agent, inputs, concurrency=1, progress=False, results_path=results)
        lines = results.read_bytes().splitlines()
        documents = [json.loads(line) for line in lines]
        lines[0] = lines[0].replace(b'"a"', b'"\xff\xfe"')  # not UTF-8
        lines[1] = json.dumps({**documents[1], "index": True}).encode()
        lines[2] = json.dumps({**documents[2], "usage": {"requests": "many"}}).encode()
        lines[3] = b'{"index": 3, "input": "d", "usage": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        results.write_bytes(b"\n".join(lines) + b"\n")
        with caplog.at_level(logging.WARNING, logger="drusilla"):
            again = await Runner.run_batch(
                agent, inputs, concurrency=1, progress=False, results_path=results
            )
        asked = [last_user_text(r) for r in server.model_requests[5:]]
    assert asked == ["a", "b", "c", "d"]  # "e" was whole
    assert again.final_outputs == [f"echo: {x}" for x in inputs]
    warnings = [r.getMessage() for r in caplog.records if "damaged_line" in r.getMessage()]
    assert [w.split(" line=")[1].split()[0] for w in warnings] == ["1", "2", "3", "4"]
    assert "not JSON" in warnings[0] and "index True" in warnings[1]
    assert "usage: requests" in warnings[2]


async def test_a_lone_surrogate_in_an_input_is_written_as_a_replacement_character(
    tmp_path: Path,
) -> None:
    results = tmp_path / "results.jsonl"
    with OpenAIServer() as server:
        agent = Agent("echo", model=server.model(echo_step(), echo_step()))
        done = await Runner.run_batch(agent, ["x\ud800", "y"], progress=False, results_path=results)
        assert done.final_outputs == ["echo: x\ufffd", "echo: y"]
        again = await Runner.run_batch(
            agent, ["x\ud800", "y"], progress=False, results_path=results
        )
        assert len(server.model_requests) == 2
    assert [item.resumed for item in again.results] == [True, True]
    assert "x\ufffd" in results.read_text(encoding="utf-8")
