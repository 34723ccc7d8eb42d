"""Loop bugs found by porting the peers' scenarios (issue 15); each failed before its fix.

Every test takes `script` (in-process, Chat Completions and Responses over HTTP) and `run`
(plain and streamed).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from drusilla import (
    Agent,
    MaxTurnsError,
    OutputShieldTripwireTriggered,
    RunContextWrapper,
    ShieldResult,
    SQLiteSession,
    UserError,
    output_shield,
    sword,
)
from drusilla.testing import call

from ..conftest import Script
from ..wire_items import content_text, output_text
from .conftest import Run


@sword
def lookup(term: str) -> str:
    """Look a term up."""
    return f"{term}: found"


async def test_a_sword_added_during_the_run_is_offered_next_turn(script: Script, run: Run) -> None:
    @sword
    def extra() -> str:
        """Added on the fly."""
        return "extra ran"

    agent = Agent("a", swords=[])

    @sword
    def unlock() -> str:
        """Unlock more swords."""
        agent.swords.append(extra)
        return "unlocked"

    agent.swords.append(unlock)
    model = script(call("unlock"), call("extra"), "done")
    agent.model = model
    result = await run(agent, "go")
    assert [spec.name for spec in model.requests[1].swords] == ["unlock", "extra"]
    assert output_text(model.requests[2].input[-1]) == "extra ran"
    assert result.final_output == "done"


async def test_field_defaults_keep_constraints_and_defaults(script: Script, run: Run) -> None:
    got: list[Any] = []

    @sword
    def scale(factor: float = Field(default=5.0, ge=0), count: int = Field(..., gt=10)) -> str:
        """Scale."""
        got.append((factor, count))
        return "ok"

    schema = scale.params_json_schema
    assert schema["required"] == ["count"]
    assert schema["properties"]["count"]["exclusiveMinimum"] == 10
    assert schema["properties"]["factor"]["minimum"] == 0
    model = script(call("scale", count=3), call("scale", count=11), "done")
    await run(Agent("a", model=model, swords=[scale]), "go")
    assert "greater than 10" in output_text(model.requests[1].input[-1])
    assert got == [(5.0, 11)]


@output_shield
def no_secrets(ctx: RunContextWrapper[Any], agent: Any, output: Any) -> ShieldResult:
    return ShieldResult(tripwire_triggered="secret" in str(output))


@pytest.mark.parametrize("sword_turn_first", [False, True])
async def test_an_output_shield_trip_keeps_the_input_not_the_answer(
    script: Script, run: Run, tmp_path: Any, sword_turn_first: bool
) -> None:
    steps: list[Any] = [call("lookup", term="x")] if sword_turn_first else []
    agent = Agent(
        "a", model=script(*steps, "the secret"), swords=[lookup], output_shields=[no_secrets]
    )
    session = SQLiteSession("s", tmp_path / "s.db")
    with pytest.raises(OutputShieldTripwireTriggered):
        await run(agent, "tell me", session=session)
    items = await session.get_items()
    assert items[0] == {"role": "user", "content": "tell me"}
    assert all("secret" not in str(item) for item in items)
    assert len(items) == (3 if sword_turn_first else 1)


async def test_a_failed_nested_run_still_adds_its_usage(script: Script, run: Run) -> None:
    inner = Agent("Inner", model=script(call("lookup", term="x")), swords=[lookup])
    outer = Agent(
        "Outer",
        model=script(call("inner", input="go"), "inner failed"),
        swords=[inner.as_sword(max_turns=1)],
    )
    result = await run(outer, "go", max_turns=5)
    assert "max_turns=1" in result.new_items[1].output
    assert result.context.usage.requests == 3  # two outer calls and the failed inner one


async def test_max_turns_of_runner_run_is_not_inherited_by_nested_runs(
    script: Script, run: Run
) -> None:
    inner = Agent("Inner", model=script(call("lookup", term="x"), "inner done"), swords=[lookup])
    outer = Agent("Outer", model=script(call("inner", input="go")), swords=[inner.as_sword()])
    # The outer run's own budget is 1 turn; the nested run needs 2 and has the default 10.
    with pytest.raises(MaxTurnsError) as caught:
        await run(outer, "go", max_turns=1)
    assert caught.value.run_data is not None
    assert caught.value.run_data.new_items[1].output == "inner done"


async def test_output_functions_are_refused() -> None:
    async def make(x: int) -> int:
        return x

    def sync_make(x: int) -> int:
        return x

    for fn in (make, sync_make):
        with pytest.raises(UserError, match="output validator"):
            Agent("a", output_type=fn)


async def test_a_wrapped_value_sent_as_json_text_is_decoded(script: Script, run: Run) -> None:
    agent = Agent("a", model=script('{"response": "[1, 2, 3]"}'), output_type=list[int])
    assert (await run(agent, "go")).final_output == [1, 2, 3]


class Task(BaseModel):
    name: str


async def test_a_json_array_is_structured_input_for_a_list_input_type(
    script: Script, run: Run
) -> None:
    model = script("two tasks")
    agent = Agent("a", model=model, input_type=list[Task])
    result = await run(agent, [{"name": "a"}, {"name": "b"}])
    assert result.final_output == "two tasks"
    assert '"name":"a"' in content_text(model.requests[0].input[-1]).replace(" ", "")
