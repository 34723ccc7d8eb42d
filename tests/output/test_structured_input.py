"""`Agent(input_type=...)`: structured input checked before the first call, sent as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from pydantic import BaseModel, Field

from drusilla import Agent, Runner, ShieldResult, UserError, input_shield
from drusilla.testing import OpenAIServer, ScriptedModel, call

from .helpers import chat


class Trip(BaseModel):
    city: str
    days: int = Field(ge=1)


async def test_a_dict_input_is_validated_and_sent_as_json(openai_server: OpenAIServer) -> None:
    openai_server.add("Pack warm clothes.")
    agent = Agent("planner", model=chat(openai_server), input_type=Trip)
    result = await Runner.run(agent, {"city": "Oslo", "days": "3"})

    assert result.final_output == "Pack warm clothes."
    user = openai_server.model_requests[0].body["messages"][-1]
    assert user == {"role": "user", "content": '{"city":"Oslo","days":3}'}
    # The run's input is what the model saw, so the next run can continue from it.
    assert result.input == [user]
    assert result.to_input_list()[0] == user


@dataclass
class Point:
    x: float
    y: float


@pytest.mark.parametrize(
    ("input_type", "value", "sent"),
    [
        (Trip, Trip(city="Rome", days=2), {"city": "Rome", "days": 2}),
        (Trip, '{"city": "Rome", "days": 2}', {"city": "Rome", "days": 2}),
        (Point, Point(1, 2), {"x": 1.0, "y": 2.0}),
        (list[int], [1, 2], [1, 2]),  # a JSON array is structured input, not a conversation
        (
            {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
            {"q": "hi"},
            {"q": "hi"},
        ),
    ],
)
async def test_input_kinds(input_type: object, value: object, sent: object) -> None:
    model = ScriptedModel(["ok"] if sent is not None else [])
    agent = Agent("a", model=model, input_type=input_type)
    if sent is None:
        with pytest.raises(UserError, match="conversation item"):
            await Runner.run(agent, value)
        assert model.requests == []
        return
    await Runner.run(agent, value)
    assert json.loads(model.requests[0].input[-1]["content"]) == sent  # type: ignore[typeddict-item,arg-type]


async def test_invalid_input_fails_before_any_model_call(openai_server: OpenAIServer) -> None:
    agent = Agent("planner", model=chat(openai_server), input_type=Trip)
    with pytest.raises(UserError) as caught:
        await Runner.run(agent, {"city": "Oslo", "days": 0})
    message = str(caught.value)
    assert "'planner'" in message and "input_type=Trip" in message
    assert "- days: Input should be greater than or equal to 1" in message
    assert openai_server.model_requests == []

    with pytest.raises(UserError, match="- city: Field required"):
        await Runner.run(agent, '{"days": 2}')
    with pytest.raises(UserError, match="Invalid JSON"):
        await Runner.run(agent, "Oslo for three days")


async def test_a_schema_dict_input_type_names_the_errors() -> None:
    schema = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    agent = Agent("a", model=ScriptedModel([]), input_type=schema)
    with pytest.raises(UserError, match="'q' is a required property"):
        await Runner.run(agent, {"x": 1})
    with pytest.raises(UserError, match="not JSON"):
        await Runner.run(agent, "q?")


async def test_structured_input_without_input_type_says_what_to_do() -> None:
    with pytest.raises(UserError, match="input_type"):
        await Runner.run(Agent("a", model=ScriptedModel([])), {"city": "Oslo"})


async def test_a_later_run_can_continue_a_structured_one() -> None:
    model = ScriptedModel(["Pack warm clothes.", "Yes, gloves."])
    agent = Agent("planner", model=model, input_type=Trip)
    first = await Runner.run(agent, {"city": "Oslo", "days": 3})
    follow_up = [*first.to_input_list(), {"role": "user", "content": "Gloves?"}]
    second = await Runner.run(agent, follow_up)  # a list: the conversation, passed as is
    assert second.final_output == "Yes, gloves."
    assert model.requests[1].input[0] == {"role": "user", "content": '{"city":"Oslo","days":3}'}


async def test_input_shields_see_the_message_the_model_sees() -> None:
    seen: list[object] = []

    @input_shield
    def record(ctx: object, agent: object, value: object) -> ShieldResult:
        seen.append(value)
        return ShieldResult()

    agent = Agent("a", model=ScriptedModel(["ok"]), input_type=Trip, input_shields=[record])
    await Runner.run(agent, {"city": "Oslo", "days": 3})
    assert seen == [[{"role": "user", "content": '{"city":"Oslo","days":3}'}]]


def test_a_bad_input_type_is_a_user_error() -> None:
    with pytest.raises(UserError, match="input_type"):
        Agent("a", input_type=object())


async def test_an_agent_with_an_input_type_is_a_sword_with_typed_arguments() -> None:
    planner_model = ScriptedModel(["Pack warm clothes."])
    planner = Agent("planner", model=planner_model, input_type=Trip)
    plan = planner.as_sword(description="Plan a trip.")
    assert plan.spec.parameters["properties"]["days"] == {"minimum": 1, "type": "integer"}

    front_model = ScriptedModel(
        [call("planner", city="Oslo", days=0), call("planner", city="Oslo", days=3), "Done."]
    )
    front = Agent("front", model=front_model, swords=[plan])
    result = await Runner.run(front, "Plan three days in Oslo.")

    assert result.final_output == "Done."
    rejected = front_model.requests[1].input[-1]["output"]  # type: ignore[typeddict-item]
    assert "Invalid arguments for the sword planner" in rejected and "- days:" in rejected
    assert planner_model.requests[0].input == [
        {"role": "user", "content": '{"city":"Oslo","days":3}'}
    ]
