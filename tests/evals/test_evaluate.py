"""`drusilla.evals.evaluate` over the local OpenAI-protocol server."""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import EqualsExpected
from pydantic_evals.reporting import EvaluationReport

from drusilla import Agent
from drusilla.evals import evaluate
from drusilla.evals.repeats import case_rates
from drusilla.testing import OpenAIServer, ScriptedModel

from .steps import arithmetic

CASES = 200


def sums_dataset() -> Dataset[str, str, None]:
    cases = [
        Case(name=f"sum {i}", inputs=f"{i}+{i % 7}", expected_output=str(i + i % 7))
        for i in range(CASES)
    ]
    return Dataset(name="sums", cases=cases, evaluators=[EqualsExpected()])


def expected_passes() -> int:
    return sum(1 for i in range(CASES) if (i + i % 7) % 5 != 0)


def passed(report: EvaluationReport[str, str, None]) -> dict[str, bool]:
    return {case.name: all(a.value for a in case.assertions.values()) for case in report.cases}


async def test_two_hundred_cases_score_exactly_what_the_answers_deserve() -> None:
    with OpenAIServer() as server:
        agent = Agent("adder", model=server.model(*[arithmetic] * CASES))
        report = await evaluate(agent, sums_dataset(), concurrency=16, progress=False)

    assert len(report.cases) == CASES and report.failures == []
    results = passed(report)
    assert sum(results.values()) == expected_passes()
    assert results["sum 4"] is True and results["sum 0"] is False  # 4+4=8; 0+0 is divisible
    averages = report.averages()
    assert averages is not None and averages.assertions == expected_passes() / CASES
    assert averages.metrics["requests"] == 1.0
    assert len(server.model_requests) == CASES


async def test_an_interrupted_eval_resumes_running_only_the_cases_left(tmp_path: Path) -> None:
    results_path = tmp_path / "results.jsonl"
    with OpenAIServer() as server:
        agent = Agent("adder", model=server.model(*[arithmetic] * CASES))
        job = asyncio.create_task(
            evaluate(
                agent, sums_dataset(), concurrency=4, results_path=results_path, progress=False
            )
        )
        # The file is the only sign of progress: poll it for a condition (no fixed wait).
        while _lines(results_path) < CASES // 2 and not job.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)
    written = _lines(results_path)
    assert CASES // 2 <= written < CASES

    with OpenAIServer() as server:
        agent = Agent("adder", model=server.model(*[arithmetic] * CASES))
        report = await evaluate(agent, sums_dataset(), results_path=results_path, progress=False)
        assert len(server.model_requests) == CASES - written

    assert sum(passed(report).values()) == expected_passes()
    assert _lines(results_path) == CASES


def _lines(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines() if line.endswith("}"))


async def test_repeat_runs_each_case_n_times_and_groups_them() -> None:
    dataset = Dataset(
        name="three",
        cases=[Case(name=f"c{i}", inputs=f"{i}+1", expected_output=str(i + 1)) for i in (1, 4)],
        evaluators=[EqualsExpected()],
    )
    with OpenAIServer() as server:
        agent = Agent("adder", model=server.model(*[arithmetic] * 6))
        report = await evaluate(agent, dataset, repeat=3, progress=False)
        assert len(server.model_requests) == 6
    groups = report.case_groups()
    assert groups is not None
    rates = {group.name: group.summary.assertions for group in groups}
    assert rates == {"c1": 1.0, "c4": 0.0}  # 4+1=5 is answered 6 every time


async def test_pass_rate_and_spread_of_a_flaky_case() -> None:
    answers = ["4", "5", "4", "4"]  # concurrency 1: the runs take them in order
    dataset = Dataset(
        name="flaky",
        cases=[Case(name="2+2", inputs="2+2", expected_output="4")],
        evaluators=[EqualsExpected()],
    )
    report = await evaluate(
        Agent("a", model=ScriptedModel(answers)), dataset, repeat=4, concurrency=1, progress=False
    )
    (rate,) = case_rates(report)
    assert (rate.name, rate.runs, rate.pass_rate) == ("2+2", 4, 0.75)
    assert rate.spread == pytest.approx(statistics.pstdev([1.0, 0.0, 1.0, 1.0]))
