"""The evaluators that read what a run did: swords, orbs, turns, tokens, reasoning."""

from __future__ import annotations

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator
from pydantic_evals.reporting import EvaluationReport

from drusilla import Agent, sword
from drusilla.evals import (
    HasReasoning,
    MaxTokens,
    MaxTurns,
    OrbTaken,
    SwordCalled,
    SwordsCalled,
    evaluate,
)
from drusilla.testing import OpenAIServer, ScriptedModel, Turn, call

from .steps import weather


@sword
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


@sword
def get_time(city: str) -> str:
    """The time in a city."""
    return f"Noon in {city}"


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
