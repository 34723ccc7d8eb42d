"""`TestModel` / `model="test"`: swords called with arguments valid against their schemas, and a
structured output valid against the output type, in every output mode, offline."""

from __future__ import annotations

import enum
import json
from typing import Any, Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field

from drusilla import (
    Agent,
    ModelSettings,
    RawResponseEvent,
    Runner,
    RunResult,
    orb,
    sword,
)
from drusilla.testing import TestModel


class Size(enum.Enum):
    SMALL = "small"
    LARGE = "large"


class Address(BaseModel):
    street: str
    number: int = Field(ge=1, le=999)
    tags: list[str] = []


class Order(BaseModel):
    size: Size
    addresses: list[Address]
    note: str | None = None
    kind: Literal["pickup", "delivery"]
    total: float = Field(gt=0, le=50)


@sword
def place(order: Order, rush: bool = False) -> str:
    """Place an order."""
    return f"placed {order.size.value} for {len(order.addresses)} address(es)"


@sword
def weather(city: str, days: int = 1) -> str:
    """Today's weather in a city."""
    return f"Sunny in {city}"


def calls_of(result: RunResult[Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [dict(item) for item in result.to_input_list()]
    return [item for item in items if item.get("type") == "function_call"]


def test_model_test_calls_every_sword_once_with_valid_arguments() -> None:
    agent = Agent("shop", swords=[place, weather], model="test")
    result = Runner.run_sync(agent, "Order something")
    calls = calls_of(result)
    assert sorted(call["name"] for call in calls) == ["place", "weather"]
    for call in calls:
        schema = next(s for s in (place, weather) if s.name == call["name"]).params_json_schema
        jsonschema.validate(json.loads(call["arguments"]), schema)
    assert result.final_output.startswith("The test model called place (placed ")
    assert "weather (Sunny in " in result.final_output
    assert result.usage.requests == 2 and result.usage.output_tokens > 0


@pytest.mark.parametrize(
    "mode", ["auto", "json_schema", "sword", "json_instructions", "json_object"]
)
def test_structured_output_validates_in_every_output_mode(mode: str) -> None:
    agent = Agent(
        "orders",
        swords=[weather],
        output_type=Order,
        model=TestModel(),
        model_settings=ModelSettings(output_mode=mode),  # type: ignore[arg-type]
    )
    result = Runner.run_sync(agent, "An order, please")
    assert isinstance(result.final_output, Order)
    assert calls_of(result)[0]["name"] == "weather"


def test_a_plain_output_type_is_answered_too() -> None:
    result = Runner.run_sync(Agent("n", output_type=list[int], model="test"), "numbers")
    assert isinstance(result.final_output, list)
    assert all(isinstance(n, int) for n in result.final_output)


def test_the_same_seed_gives_the_same_run_and_another_seed_another() -> None:
    def run(seed: int) -> Any:
        agent = Agent("o", output_type=Order, swords=[weather], model=TestModel(seed=seed))
        return Runner.run_sync(agent, "go").final_output

    assert run(7) == run(7)
    assert any(run(7) != run(seed) for seed in (1, 2, 3))


def test_options_pick_the_swords_and_the_answer() -> None:
    model = TestModel(call_swords=["weather"], final_text="Done.", reasoning=False)
    result = Runner.run_sync(Agent("a", swords=[place, weather], model=model), "go")
    assert [call["name"] for call in calls_of(result)] == ["weather"]
    assert result.final_output == "Done."
    assert result.reasoning is None
    assert len(model.requests) == 2


def test_a_given_final_output_is_the_answer() -> None:
    given = Address(street="Rua Augusta", number=12)
    model = TestModel(final_output=given)
    result = Runner.run_sync(Agent("a", output_type=Address, model=model), "where?")
    assert result.final_output == given


def test_sword_choice_none_calls_nothing() -> None:
    agent = Agent(
        "a", swords=[weather], model="test", model_settings=ModelSettings(sword_choice="none")
    )
    result = Runner.run_sync(agent, "go")
    assert calls_of(result) == []
    assert result.final_output == "The test model called no swords."


def test_an_orb_is_taken_and_the_next_agent_calls_its_own_swords() -> None:
    helper = Agent("helper", swords=[weather], model="test")
    front = Agent("front", orbs=[orb(helper)], model="test")
    result = Runner.run_sync(front, "hand me over")
    assert result.last_agent is helper
    assert [call["name"] for call in calls_of(result)] == ["transfer_to_helper", "weather"]


async def test_it_streams_reasoning_arguments_and_text() -> None:
    agent = Agent("a", swords=[weather], model="test")
    streamed = await Runner.run_streamed(agent, "go")
    kinds = [
        event.data.type
        async for event in streamed.stream_events()
        if isinstance(event, RawResponseEvent)
    ]
    assert {"reasoning_delta", "sword_call_delta", "text_delta"} <= set(kinds)
    assert kinds.count("text_delta") > 1
    assert streamed.usage.total_tokens > 0


def test_drusilla_model_test_selects_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from drusilla.util.settings import forget_settings

    monkeypatch.setenv("DRUSILLA_MODEL", "test")
    forget_settings()
    result = Runner.run_sync(Agent("a", swords=[weather]), "go")
    assert result.model_responses[0].model == "test"
    assert [call["name"] for call in calls_of(result)] == ["weather"]
