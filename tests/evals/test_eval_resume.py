"""`drusilla eval -o results.jsonl` killed half-way (SIGKILL, a real process over real HTTP) and
run again: the second run asks the model only for the cases not in the file, and the scores are
exactly what the 200 scripted answers deserve."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import EqualsExpected

from drusilla import Agent
from drusilla.evals import evaluate
from drusilla.evals.baseline import report_of_file
from drusilla.testing import Hold, OpenAIServer, ScriptedModel

from ..cli.helpers import BACKSTOP, cli_env, drusilla_command
from .steps import arithmetic, last_user_text
from .sums import CASES, expected_passes, passed, sums_dataset

AGENT_FILE = 'from drusilla import Agent\n\nagent = Agent("adder", instructions="Add.")\n'
ANSWERED_BEFORE_KILL = CASES // 2


def complete_lines(path: Path) -> list[dict[str, Any]]:
    """The lines a reader can trust: those ended by a newline (each must be JSON)."""
    data = path.read_bytes() if path.exists() else b""
    return [json.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines()]


def wait_for_lines(path: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + BACKSTOP  # a backstop only: the wait is for the lines
    while len(complete_lines(path)) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path.name} never reached {count} lines"
        time.sleep(0.01)


def test_a_killed_eval_run_again_runs_only_the_rest_and_scores_exactly(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(AGENT_FILE)
    sums_dataset().to_file(tmp_path / "sums.yaml")
    results = tmp_path / "results.jsonl"
    env = cli_env(DRUSILLA_API_KEY="sk-test")
    command = [*drusilla_command(), "eval", "agent.py", "sums.yaml", "-o", "results.jsonl"]
    command += ["--concurrency", "4", "--no-progress"]

    # The first server answers 100 requests; the rest it holds, unanswered until the process
    # dies, so the eval is half done when it is killed however slow the machine.
    holds = [Hold("never sent", after=0) for _ in range(CASES)]
    with OpenAIServer(*[arithmetic] * ANSWERED_BEFORE_KILL, *holds) as server:
        first = subprocess.Popen(
            [*command, "--base-url", server.base_url],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_lines(results, ANSWERED_BEFORE_KILL, first)
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.communicate()
        assert first.returncode == -signal.SIGKILL
    done_before = {line["index"] for line in complete_lines(results)}
    assert len(done_before) == ANSWERED_BEFORE_KILL
    assert results.read_bytes().endswith(b"\n")  # no torn line: each line is one write()
    # What a kill inside a write would leave (the writer makes it unlikely, not impossible):
    # half a line at the end, which the rerun cuts off and does not count as done.
    with results.open("a") as file:
        file.write('{"index": 7, "input": "7+0", "final_out')

    with OpenAIServer(*[arithmetic] * CASES) as server:
        second = subprocess.run(
            [*command, "--base-url", server.base_url],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=BACKSTOP,
        )
        asked = sorted(last_user_text(request) for request in server.model_requests)
    assert second.returncode == 0, second.stderr.decode()
    dataset = sums_dataset()
    rest = [case.inputs for i, case in enumerate(dataset.cases) if i not in done_before]
    assert asked == sorted(rest)  # 100 requests: only the cases the first run did not finish

    assert "80.0% ✔" in second.stdout.decode()  # the Averages row: 160 of 200 sums right
    report = asyncio.run(report_of_file(dataset, results))
    assert report.failures == [] and len(report.cases) == CASES
    results_by_case = passed(report)
    assert sum(results_by_case.values()) == expected_passes() == 160
    assert not results_by_case["sum 0"] and results_by_case["sum 4"]  # 0+0 and 4+4
    assert sorted(line["index"] for line in complete_lines(results)) == list(range(CASES))


async def test_a_torn_last_line_is_skipped_with_a_warning_when_a_report_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    results = tmp_path / "results.jsonl"
    dataset = Dataset[str, str, None](
        name="three",
        cases=[Case(name=f"c{i}", inputs=f"{i}+1", expected_output=str(i + 1)) for i in range(3)],
        evaluators=[EqualsExpected()],
    )
    model = ScriptedModel(["1", "2", "3"])
    await evaluate(Agent("a", model=model), dataset, concurrency=1, results_path=results)
    lines = results.read_text().splitlines()
    results.write_text("\n".join(lines[:2]) + "\n" + lines[2][:40])  # killed inside a write

    with caplog.at_level(logging.WARNING, logger="drusilla"):
        report = await report_of_file(dataset, results)
    assert [case.name for case in report.cases] == ["c0", "c1"]
    assert [failure.name for failure in report.failures] == ["c2"]  # it has no run
    warnings = [r.getMessage() for r in caplog.records if "damaged_line" in r.getMessage()]
    assert len(warnings) == 1 and "line=3" in warnings[0]
