"""`drusilla.evals.evaluate` over the local OpenAI-protocol server."""

from __future__ import annotations

import statistics

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import EqualsExpected

from drusilla import Agent
from drusilla.evals import TRACE_ATTRIBUTE, evaluate
from drusilla.evals.repeats import case_rates
from drusilla.testing import OpenAIServer, ScriptedModel

from .steps import arithmetic
from .sums import CASES, expected_passes, passed, sums_dataset


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
    # 16 runs at once, and each case holds its own run's spans, no other's.
    for case in report.cases:
        trace = case.attributes[TRACE_ATTRIBUTE]
        (run,) = [span for span in trace if span["kind"] == "run"]
        assert run["attributes"]["input"] == case.inputs
        assert run["attributes"]["run_id"] == case.attributes["drusilla"]["run_id"]
        assert {span["trace_id"] for span in trace} == {run["trace_id"]}
        assert sorted(span["kind"] for span in trace) == ["agent", "model", "run", "turn"]


async def test_traces_false_keeps_no_spans() -> None:
    with OpenAIServer() as server:
        agent = Agent("adder", model=server.model(arithmetic))
        dataset = Dataset(name="one", cases=[Case(name="c", inputs="1+1", expected_output="2")])
        report = await evaluate(agent, dataset, progress=False, traces=False)
    assert report.cases[0].output == "2"
    assert TRACE_ATTRIBUTE not in report.cases[0].attributes
    assert "drusilla" in report.cases[0].attributes


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
