"""The static type of `final_output` (docs/structured-output.md, "The type of final_output").

`assert_type` is checked by mypy (`mypy --strict tests`, scripts/check); the runs check that
the values really are of the types the checker is told.
"""

from __future__ import annotations

import dataclasses
from typing import Any, assert_type

from pydantic import BaseModel

from drusilla import Agent, Runner, RunResult, RunResultStreaming, sword
from drusilla.agents.agent import AgentOptions
from drusilla.testing import ScriptedModel, call

OSLO = '{"city": "Oslo", "degrees": -3}'


class Weather(BaseModel):
    city: str
    degrees: int


@sword
def forecast(city: str) -> Weather:
    """The forecast for a city."""
    return Weather(city=city, degrees=20)


def test_without_output_type_the_output_is_text() -> None:
    agent = Agent("a", model=ScriptedModel(["Sunny."]))
    assert_type(agent, Agent[Any, str])
    result = Runner.run_sync(agent, "Weather?")
    assert_type(result, RunResult[str])
    assert_type(result.final_output, str)
    assert result.final_output == "Sunny."


async def test_an_output_type_class_types_the_output() -> None:
    agent = Agent("a", model=ScriptedModel([OSLO]), output_type=Weather)
    assert_type(agent, Agent[Any, Weather])
    result = await Runner.run(agent, "Weather?")
    assert_type(result.final_output, Weather)
    assert result.final_output == Weather(city="Oslo", degrees=-3)

    numbers = Agent("n", model=ScriptedModel(['{"response": [1, 2]}']), output_type=list[int])
    assert_type((await Runner.run(numbers, "?")).final_output, list[int])


async def test_a_streamed_run_carries_the_output_type() -> None:
    agent = Agent("a", model=ScriptedModel([OSLO]), output_type=Weather)
    streamed = await Runner.run_streamed(agent, "Weather?")
    assert_type(streamed, RunResultStreaming[Weather])
    output = await streamed.wait()
    assert_type(output, Weather)
    assert_type(streamed.final_output, Weather)
    assert output == streamed.final_output == Weather(city="Oslo", degrees=-3)


async def test_an_agent_with_orbs_may_end_on_another_agent_so_its_output_is_any() -> None:
    specialist = Agent("specialist", model=ScriptedModel([OSLO]), output_type=Weather)
    triage = Agent(
        "triage", model=ScriptedModel([call("transfer_to_specialist")]), orbs=[specialist]
    )
    assert_type(triage, Agent[Any, Any])
    result = await Runner.run(triage, "Weather?")
    assert_type(result.final_output, Any)
    # triage has no output_type, yet the run ended on the specialist with a Weather
    assert result.last_agent is specialist
    assert_type(result.final_output_as(Weather, raise_if_incorrect_type=True), Weather)


async def test_other_ways_a_run_can_end_are_any() -> None:
    stopping = Agent(
        "a",
        model=ScriptedModel([call("forecast", city="Oslo")]),
        swords=[forecast],
        sword_use_behavior="stop_on_first_sword",
    )
    assert_type(stopping, Agent[Any, Any])
    result = await Runner.run(stopping, "Weather?")
    assert result.final_output == Weather(city="Oslo", degrees=20)  # the sword's result

    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    by_schema = Agent("s", model=ScriptedModel(['{"city": "Oslo"}']), output_type=schema)
    assert_type(by_schema, Agent[Any, Any])
    assert (await Runner.run(by_schema, "?")).final_output == {"city": "Oslo"}

    assert_type(Agent("u", output_type=int | None), Agent[Any, Any])
    assert_type(Agent("c", output_type=Weather).clone(name="d"), Agent[Any, Any])


def test_agent_options_and_the_typed_parameters_are_every_agent_field() -> None:
    """The `__init__` overloads type every field the dataclass takes, none twice."""
    typed = {"name", "instructions", "model", "orbs", "output_type", "sword_use_behavior"}
    options = set(AgentOptions.__annotations__)
    assert not typed & options
    assert typed | options == {f.name for f in dataclasses.fields(Agent) if f.init}
