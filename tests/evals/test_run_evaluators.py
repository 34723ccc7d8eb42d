"""The evaluators that read what a run did: swords, orbs, turns, tokens, reasoning."""

from __future__ import annotations

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator
from pydantic_evals.reporting import EvaluationReport

from drusilla import Agent, sword
from drusilla.evals import (
    ApprovalAsked,
    HasReasoning,
    MaxTokens,
    MaxTurns,
    OrbTaken,
    SwordCalled,
    SwordsCalled,
    evaluate,
)
from drusilla.testing import OpenAIServer, ScriptedModel, Turn, call

from .ray_agent import get_time, get_weather
from .steps import weather


def verdicts(report: EvaluationReport[str, str, None]) -> dict[str, dict[str, bool]]:
    return {
        case.name: {name: bool(result.value) for name, result in case.assertions.items()}
        for case in report.cases
    }


async def test_sword_evaluators_pass_and_fail_where_they_should() -> None:
    wants_weather: list[Evaluator[str, str, None]] = [
        SwordsCalled(["get_weather"], evaluation_name="called"),
        SwordCalled("get_weather", {"city": "Oslo"}, evaluation_name="oslo"),
        MaxTurns(2, evaluation_name="turns"),
    ]
    cases = [
        Case(name="right", inputs="weather in Oslo", evaluators=tuple(wants_weather)),
        Case(name="wrong city", inputs="weather in Rome", evaluators=tuple(wants_weather)),
        Case(name="wrong sword", inputs="time in Oslo", evaluators=tuple(wants_weather)),
    ]
    with OpenAIServer() as server:
        agent = Agent("w", model=server.model(*[weather] * 6), swords=[get_weather, get_time])
        report = await evaluate(agent, Dataset(name="w", cases=cases), progress=False)

    assert verdicts(report) == {
        "right": {"called": True, "oslo": True, "turns": True},
        "wrong city": {"called": True, "oslo": False, "turns": True},
        "wrong sword": {"called": False, "oslo": False, "turns": True},
    }
    reason = report.cases[2].assertions["called"].reason
    assert reason == "called ['get_time']"


async def test_order_exactness_orbs_tokens_and_reasoning() -> None:
    billing = Agent("billing", model=ScriptedModel(["Refunded."]))
    model = ScriptedModel(
        [
            [call("get_time", city="A"), call("get_weather", city="B")],
            Turn(calls=[call("transfer_to_billing")], reasoning="It is a billing question."),
        ]
    )
    agent = Agent("triage", model=model, swords=[get_weather, get_time], orbs=[billing])
    checks: list[Evaluator[str, str, None]] = [
        SwordsCalled(["get_time", "get_weather"], order=True, evaluation_name="in order"),
        SwordsCalled(["get_weather", "get_time"], order=True, evaluation_name="reversed"),
        SwordsCalled(["get_time"], exact=True, evaluation_name="only time"),
        OrbTaken("billing", evaluation_name="to billing"),
        OrbTaken("sales", evaluation_name="to sales"),
        MaxTurns(2, evaluation_name="two turns"),
        MaxTokens(1_000_000, evaluation_name="tokens"),
        HasReasoning(evaluation_name="reasoned"),
    ]
    dataset = Dataset(name="t", cases=[Case(name="c", inputs="refund?")], evaluators=checks)
    report = await evaluate(agent, dataset, progress=False)

    assert verdicts(report)["c"] == {
        "in order": True,
        "reversed": False,
        "only time": False,
        "to billing": True,
        "to sales": False,
        "two turns": False,  # triage twice, billing once
        "tokens": True,
        "reasoned": True,
    }
    assert report.cases[0].output == "Refunded."


async def test_approval_asked_and_failed_runs() -> None:
    @sword(needs_approval=True)
    def refund(order: str) -> str:
        """Refund an order."""
        return f"refunded {order}"

    model = ScriptedModel([call("refund", order="A1"), "No refund needed."])
    agent = Agent("support", model=model, swords=[refund])
    checks: list[Evaluator[str, str, None]] = [
        ApprovalAsked("refund", evaluation_name="asked"),
        ApprovalAsked(expected=False, evaluation_name="not asked"),
    ]
    cases = [Case(name="refund", inputs="refund A1"), Case(name="chat", inputs="hi")]
    dataset = Dataset(name="a", cases=cases, evaluators=checks)
    report = await evaluate(agent, dataset, concurrency=1, progress=False)

    assert verdicts(report) == {
        "refund": {"asked": True, "not asked": False},
        "chat": {"asked": False, "not asked": True},
    }


async def test_a_run_that_fails_is_a_failed_case_with_its_error() -> None:
    agent = Agent("a", model=ScriptedModel([call("nowhere")] * 3))
    dataset = Dataset(name="f", cases=[Case(name="loop", inputs="go")], evaluators=[MaxTurns(9)])
    report = await evaluate(agent, dataset, max_turns=2, progress=False)
    assert report.cases == []
    (failure,) = report.failures
    assert failure.name == "loop" and failure.error_message.startswith("MaxTurnsError")
