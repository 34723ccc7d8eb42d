"""The approval gate fails closed: arguments are checked before anyone is asked, a rule that
raises is a typed error, approved arguments can be changed, a state resumes once at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import (
    Agent,
    RunConfig,
    Runner,
    RunState,
    SQLiteSession,
    Sword,
    UserError,
    sword,
)
from drusilla.testing import ScriptedModel, call

from ..conftest import Script, skip_unless_the_wire_carries
from .test_approvals import outputs_of


def raw_sword(ran: list[str], needs_approval: Any) -> Sword:
    """A hand-built sword that does not check its arguments: only the gate stands before it."""

    async def invoke(ctx: Any, arguments: str) -> str:
        ran.append(arguments)
        return "paid"

    schema = {
        "type": "object",
        "properties": {"amount": {"type": "integer"}},
        "required": ["amount"],
        "additionalProperties": False,
    }
    return Sword("pay", "Pay.", schema, invoke, needs_approval=needs_approval)


@pytest.mark.parametrize("arguments", ['{"oops', "null", "[]", '"pay"', '{"amount": "x"}'])
async def test_arguments_that_cannot_run_never_reach_a_sword_needing_approval(
    script: Script, arguments: str
) -> None:
    ran: list[str] = []
    bad = call("pay", arguments)
    model = script([bad], "I will ask again.")
    skip_unless_the_wire_carries(model, arguments)
    agent = Agent("Bank", model=model, swords=[raw_sword(ran, lambda ctx, a: True)])

    result = await Runner.run(agent, "Pay")

    assert ran == []  # nothing ran without approval
    assert result.interruptions == []  # nobody is asked to approve a call that cannot run
    assert result.final_output == "I will ask again."
    told = outputs_of(model.requests[1].input)[bad["call_id"]]
    assert "pay" in told and "argument" in told  # the model is told, as for any bad arguments


@pytest.mark.parametrize("arguments", ["[]", "null", '"lots"', '{"to": "ann"}'])
async def test_the_documented_rule_sees_only_valid_arguments(
    script: Script, arguments: str
) -> None:
    ran: list[str] = []

    @sword(needs_approval=lambda ctx, a: a["amount"] > 100)
    def transfer(to: str, amount: int) -> str:
        """Send money."""
        ran.append(to)
        return "sent"

    bad = call("transfer", arguments)
    model = script([bad], "Sorry.")
    skip_unless_the_wire_carries(model, arguments)
    result = await Runner.run(Agent("Bank", model=model, swords=[transfer]), "Pay")

    assert (result.final_output, ran, result.interruptions) == ("Sorry.", [], [])
    assert bad["call_id"] in outputs_of(model.requests[1].input)


async def test_a_rule_that_raises_is_a_user_error_naming_the_sword() -> None:
    @sword(needs_approval=lambda ctx, a: a["currency"] == "EUR")
    def transfer(to: str, amount: int) -> str:
        """Send money."""
        return "sent"

    model = ScriptedModel([call("transfer", to="ann", amount=5)])
    with pytest.raises(UserError, match=r"'transfer'.*needs_approval.*KeyError"):
        await Runner.run(Agent("Bank", model=model, swords=[transfer]), "Pay")


async def test_a_state_cannot_be_resumed_by_two_streamed_runs_at_once() -> None:
    ran: list[str] = []
    model = ScriptedModel([call("pay", amount=1), "Paid."])
    agent = Agent("Bank", model=model, swords=[raw_sword(ran, True)])
    first = await Runner.run(agent, "Pay")
    state = first.to_state()
    state.approve(first.interruptions[0])

    one = await Runner.run_streamed(agent, state)
    with pytest.raises(UserError, match="is running"):
        await Runner.run_streamed(agent, state)
    assert await one.wait() == "Paid."
    assert ran == ['{"amount": 1}']


async def test_a_streamed_run_that_never_started_leaves_the_state_resumable() -> None:
    model = ScriptedModel([call("pay", amount=1), "Paid."])
    agent = Agent("Bank", model=model, swords=[raw_sword([], True)])
    first = await Runner.run(agent, "Pay")
    state = first.to_state()
    state.approve(first.interruptions[0])
    streamed = await Runner.run_streamed(agent, state)
    streamed.cancel()  # before its task ever ran
    await streamed.wait()
    assert state.status == "interrupted"  # given back: it can be resumed
    assert await (await Runner.run_streamed(agent, state)).wait() == "Paid."


class Transfer(BaseModel):
    to: str
    amount: int


async def test_approving_with_changed_arguments(script: Script, tmp_path: Any) -> None:
    paid: list[tuple[str, int]] = []

    @sword(needs_approval=True)
    def transfer(to: str, amount: int) -> str:
        """Send money."""
        paid.append((to, amount))
        return f"sent {amount} to {to}"

    asked = call("transfer", to="ann", amount=500)
    model = script([asked], "Done.")
    agent = Agent("Bank", model=model, swords=[transfer])
    session = SQLiteSession("gate", tmp_path / "s.db")
    first = await Runner.run(agent, "Pay Ann", session=session)
    state = first.to_state()
    with pytest.raises(UserError, match="amount"):
        state.approve(first.interruptions[0], arguments={"to": "ann", "amount": "lots"})
    with pytest.raises(UserError, match="JSON object"):
        state.approve(first.interruptions[0], arguments=["ann", 5])  # type: ignore[arg-type]
    state.approve(first.interruptions[0], arguments={"to": "ann", "amount": 100})
    resumed = await Runner.run(agent, RunState.from_json(agent, state.to_json()), session=session)

    assert paid == [("ann", 100)]
    assert resumed.final_output == "Done."
    ran_with = [
        json.loads(item.raw_item["arguments"])
        for item in resumed.new_items
        if item.type == "sword_call_item"
    ]
    assert ran_with == [{"to": "ann", "amount": 100}]  # the run items say what ran
    sent = [item for item in model.requests[1].input if item.get("type") == "function_call"]
    assert [json.loads(str(dict(item)["arguments"])) for item in sent] == [
        {"to": "ann", "amount": 100}
    ]
    assert outputs_of(model.requests[1].input)[asked["call_id"]] == "sent 100 to ann"


async def test_approving_with_arguments_for_a_call_of_another_kind_is_refused() -> None:
    model = ScriptedModel([call("pay", amount=1)])
    agent = Agent("Bank", model=model, swords=[raw_sword([], True)])
    first = await Runner.run(agent, "Pay")
    state = first.to_state()
    with pytest.raises(UserError, match="amount"):
        state.approve(first.interruptions[0], arguments={"amount": "x"})
    state.approve(first.interruptions[0], arguments={"amount": 2})
    assert state.decisions[first.interruptions[0].call_id].arguments == '{"amount": 2}'


class Answer(BaseModel):
    value: int


async def test_the_max_turns_handler_output_is_validated_and_recorded(
    script: Script, tmp_path: Any
) -> None:
    model = script([call("pay", amount=1)])
    agent = Agent("Bank", model=model, swords=[raw_sword([], False)], output_type=Answer)
    session = SQLiteSession("limit", tmp_path / "s.db")

    result = await Runner.run(
        agent,
        "Pay",
        max_turns=1,
        session=session,
        error_handlers={"max_turns": lambda data: Answer(value=7)},
    )

    assert result.final_output == Answer(value=7)
    last = result.new_items[-1]
    assert (last.type, last.text) == ("message_output_item", '{"value":7}')  # type: ignore[union-attr]
    assert result.to_input_list()[-1] == last.to_input_item()
    assert (await session.get_items())[-1] == last.to_input_item()


async def test_a_max_turns_handler_output_of_the_wrong_type_is_a_user_error() -> None:
    model = ScriptedModel([call("pay", amount=1)])
    agent = Agent("Bank", model=model, swords=[raw_sword([], False)], output_type=Answer)
    with pytest.raises(UserError, match=r"max_turns.*output_type"):
        await Runner.run(
            agent, "Pay", max_turns=1, error_handlers={"max_turns": lambda data: "seven"}
        )


async def test_a_max_turns_handler_text_is_the_final_message() -> None:
    model = ScriptedModel([call("pay", amount=1)])
    agent = Agent("Bank", model=model, swords=[raw_sword([], False)])
    result = await Runner.run(
        agent, "Pay", max_turns=1, error_handlers={"max_turns": lambda data: "Out of turns."}
    )
    assert result.to_input_list()[-1] == {"role": "assistant", "content": "Out of turns."}


async def test_a_model_input_filter_leaving_nothing_is_a_user_error() -> None:
    agent = Agent("Bank", model=ScriptedModel([]))
    config = RunConfig(model_input_filter=lambda ctx, agent, items: [])
    with pytest.raises(UserError, match=r"model_input_filter.*empty"):
        await Runner.run(agent, "Hi", run_config=config)
