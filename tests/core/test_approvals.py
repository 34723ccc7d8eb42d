"""Sword approvals (human in the loop): interruptions, approve / reject, resume — over HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from drusilla import (
    Agent,
    MaxTurnsError,
    RunContextWrapper,
    Runner,
    RunState,
    SQLiteSession,
    UserError,
    sword,
)
from drusilla.models.items import InputItem
from drusilla.testing import call

from ..conftest import Script
from ..wire_items import function_call, function_output


def outputs_of(items: Sequence[InputItem]) -> dict[str, str]:
    """call_id -> output text of every function_call_output the model was sent."""
    found: dict[str, str] = {}
    for item in items:
        if item.get("type") == "function_call_output":
            answer = function_output(item)
            assert answer["call_id"] not in found, f"{answer['call_id']} answered twice"
            found[answer["call_id"]] = str(answer["output"])
    return found


def calls_of(items: Sequence[InputItem]) -> list[str]:
    return [function_call(item)["call_id"] for item in items if item.get("type") == "function_call"]


def bank(ran: list[str], **options: Any) -> Agent[Any]:
    @sword(needs_approval=options.get("needs_approval", True))
    def transfer(to: str, amount: int) -> str:
        """Send money."""
        ran.append(f"transfer {to} {amount}")
        return f"sent {amount} to {to}"

    @sword
    def balance() -> int:
        """The balance."""
        ran.append("balance")
        return 100

    return Agent("Bank", model=options["model"], swords=[transfer, balance])


async def test_approve_runs_the_call_once_and_the_conversation_continues(script: Script) -> None:
    gated, free = call("transfer", to="ann", amount=5), call("balance")
    model = script([gated, free], "Done.")
    ran: list[str] = []
    agent = bank(ran, model=model)

    first = await Runner.run(agent, "Pay Ann 5")
    assert first.final_output is None
    assert ran == ["balance"]  # the other call of the turn ran; the gated one waits
    (pending,) = first.interruptions
    assert (pending.sword_name, pending.call_id, pending.agent_name) == (
        "transfer",
        gated["call_id"],
        "Bank",
    )
    assert pending.arguments == {"to": "ann", "amount": 5}
    state = first.to_state()
    state.approve(pending)
    second = await Runner.run(agent, RunState.from_json(agent, state.to_json()))

    assert second.final_output == "Done."
    assert ran == ["balance", "transfer ann 5"]
    assert second.run_id == first.run_id
    sent = model.requests[1].input
    assert calls_of(sent) == [gated["call_id"], free["call_id"]]
    assert outputs_of(sent) == {gated["call_id"]: "sent 5 to ann", free["call_id"]: "100"}
    assert [type(item).__name__ for item in second.new_items] == [
        "SwordCallItem",
        "SwordCallItem",
        "SwordCallOutputItem",
        "SwordCallOutputItem",
        "MessageOutputItem",
    ]
    assert second.interruptions == []
    # The first result still shows the run as it ended.
    assert first.final_output is None and len(first.interruptions) == 1
    assert len(first.new_items) == 3 and len(second.new_items) == 5


async def test_reject_tells_the_model_and_runs_nothing(script: Script) -> None:
    gated = call("transfer", to="eve", amount=900)
    model = script([gated], "Not sent.")
    ran: list[str] = []
    agent = bank(ran, model=model)
    result = await Runner.run(agent, "Pay Eve 900")
    state = result.to_state()
    state.reject(result.interruptions[0], "Refused: Eve is not a known payee.")
    resumed = await Runner.run(agent, state)
    assert resumed.final_output == "Not sent."
    assert ran == []
    sent = model.requests[1].input
    assert outputs_of(sent) == {gated["call_id"]: "Refused: Eve is not a known payee."}


async def test_a_mix_decided_by_a_callable_on_the_arguments(script: Script) -> None:
    small, big, huge = (
        call("transfer", to="ann", amount=5),
        call("transfer", to="bob", amount=500),
        call("transfer", to="cy", amount=5000),
    )
    model = script([small, big, huge], "Two sent.")
    ran: list[str] = []
    seen: list[Any] = []

    def over_100(ctx: RunContextWrapper[Any], arguments: dict[str, Any]) -> bool:
        seen.append((ctx.run_id, arguments["amount"]))
        return bool(arguments["amount"] > 100)

    agent = bank(ran, model=model, needs_approval=over_100)
    result = await Runner.run(agent, "Pay")
    assert ran == ["transfer ann 5"]
    assert [i.call_id for i in result.interruptions] == [big["call_id"], huge["call_id"]]
    assert {run_id for run_id, _ in seen} == {result.run_id}
    state = result.to_state()
    state.approve(result.interruptions[0])
    state.reject(result.interruptions[1])
    resumed = await Runner.run(agent, state)
    assert resumed.final_output == "Two sent."
    assert ran == ["transfer ann 5", "transfer bob 500"]
    answers = outputs_of(model.requests[1].input)
    assert answers[small["call_id"]] == "sent 5 to ann"
    assert answers[big["call_id"]] == "sent 500 to bob"
    assert "did not approve" in answers[huge["call_id"]]


async def test_undecided_calls_interrupt_again(script: Script) -> None:
    first, second = call("transfer", to="a", amount=1), call("transfer", to="b", amount=2)
    model = script([first, second], "ok")
    ran: list[str] = []
    agent = bank(ran, model=model)
    result = await Runner.run(agent, "Pay")
    state = result.to_state()
    state.approve(result.interruptions[0])
    again = await Runner.run(agent, state)
    assert ran == ["transfer a 1"]
    assert [i.call_id for i in again.interruptions] == [second["call_id"]]
    state = again.to_state()
    state.approve(again.interruptions[0])
    done = await Runner.run(agent, state)
    assert done.final_output == "ok"
    assert ran == ["transfer a 1", "transfer b 2"]


async def test_interruption_inside_an_orb_target(script: Script) -> None:
    gated = call("transfer", to="ann", amount=5)
    ran: list[str] = []
    teller = bank(ran, model=script([gated], "Paid."))
    triage = Agent("Triage", model=script([call("transfer_to_bank")]), orbs=[teller])
    result = await Runner.run(triage, "Pay Ann")
    assert result.last_agent is teller
    assert result.interruptions[0].agent is teller
    text = result.to_state().to_json()
    state = RunState.from_json(triage, text)
    assert state.current_agent is teller
    state.approve(state.interruptions[0])
    resumed = await Runner.run(triage, state)
    assert (resumed.final_output, resumed.last_agent.name) == ("Paid.", "Bank")
    assert ran == ["transfer ann 5"]


async def test_streamed_runs_interrupt_and_resume(script: Script) -> None:
    gated = call("transfer", to="ann", amount=5)
    model = script([gated], "Done.")
    ran: list[str] = []
    agent = bank(ran, model=model)
    streamed = await Runner.run_streamed(agent, "Pay Ann")
    names = [getattr(e, "name", None) async for e in streamed.stream_events()]
    assert "sword_called" in names and "sword_output" not in names
    assert streamed.final_output is None and len(streamed.interruptions) == 1
    state = streamed.to_state()
    state.approve(streamed.interruptions[0])
    resumed = await Runner.run_streamed(agent, state)
    names = [getattr(e, "name", None) async for e in resumed.stream_events()]
    assert "sword_output" in names and "message_output_created" in names
    assert resumed.final_output == "Done." and ran == ["transfer ann 5"]


async def test_a_session_keeps_whole_turns_without_duplicates(
    script: Script, tmp_path: Path
) -> None:
    gated, free = call("transfer", to="eve", amount=9), call("balance")
    model = script([gated, free], "Refused.")
    session = SQLiteSession("chat", tmp_path / "s.db")
    agent = bank([], model=model)
    result = await Runner.run(agent, "Pay Eve", session=session)
    saved = await session.get_items()
    assert calls_of(saved) == [gated["call_id"], free["call_id"]]  # the whole turn
    assert list(outputs_of(saved)) == [free["call_id"]]
    state = result.to_state()
    state.reject(result.interruptions[0], "no")
    await Runner.run(agent, state, session=session)
    saved = await session.get_items()
    assert [item.get("role") for item in saved if "role" in item] == ["user", "assistant"]
    assert calls_of(saved) == [gated["call_id"], free["call_id"]]
    assert outputs_of(saved) == {free["call_id"]: "100", gated["call_id"]: "no"}


async def test_max_turns_error_gives_a_state_that_resumes(script: Script) -> None:
    model = script([call("balance")], [call("balance")], "Enough.")
    agent = bank([], model=model)
    with pytest.raises(MaxTurnsError) as caught:
        await Runner.run(agent, "Check twice", max_turns=2)
    assert caught.value.run_data is not None
    state = caught.value.run_data.to_state()
    result = await Runner.run(agent, state, max_turns=3)
    assert result.final_output == "Enough."
    assert len(model.requests[2].input) == 5


async def test_a_stream_cancelled_after_its_turn_resumes(script: Script) -> None:
    model = script([call("balance")], "Done.")
    agent = bank([], model=model)
    streamed = await Runner.run_streamed(agent, "Check")
    async for event in streamed.stream_events():
        if getattr(event, "name", None) == "sword_called":
            streamed.cancel("after_turn")
    assert streamed.is_cancelled and streamed.final_output is None
    resumed = await Runner.run(agent, RunState.from_json(agent, streamed.to_state().to_json()))
    assert resumed.final_output == "Done."
    assert list(outputs_of(model.requests[1].input).values()) == ["100"]


# --- bad input ---------------------------------------------------------------------------------


async def interrupted(script: Script) -> tuple[Agent[Any], RunState]:
    agent = bank([], model=script([call("transfer", to="a", amount=1)], "ok"))
    result = await Runner.run(agent, "Pay")
    return agent, result.to_state()


async def test_approving_a_call_that_is_not_pending(script: Script) -> None:
    agent, state = await interrupted(script)
    with pytest.raises(UserError, match=r"call 'nope'.*not waiting for approval"):
        state.approve("nope")
    with pytest.raises(UserError, match=r"takes an item of result.interruptions"):
        state.reject(42)  # type: ignore[arg-type]
    state.approve(state.interruptions[0])
    await Runner.run(agent, state)


async def test_resuming_a_finished_state_twice(script: Script) -> None:
    agent, state = await interrupted(script)
    state.approve(state.interruptions[0])
    await Runner.run(agent, state)
    with pytest.raises(UserError, match="already finished"):
        await Runner.run(agent, state)


async def test_a_pending_call_whose_sword_is_gone(script: Script) -> None:
    agent, state = await interrupted(script)
    text = state.to_json()
    changed = agent.clone(swords=[s for s in agent.swords if s.name != "transfer"])
    restored = RunState.from_json(changed, text)
    restored.approve(restored.interruptions[0])
    with pytest.raises(UserError, match=r"no longer offers every sword.*'transfer'"):
        await Runner.run(changed, restored)
    state.approve(state.interruptions[0])
    await Runner.run(agent, state)  # the original still resumes: nothing ran twice


def test_damaged_and_unknown_states() -> None:
    agent = Agent("Bank", model="x")
    with pytest.raises(UserError, match="not valid JSON"):
        RunState.from_json(agent, '{"state_version": 1, ')
    with pytest.raises(UserError, match="no valid state_version"):
        RunState.from_json(agent, "{}")
    with pytest.raises(UserError, match="newer than this drusilla"):
        RunState.from_json(agent, '{"state_version": 99}')
    with pytest.raises(UserError, match="damaged: run_id: Field required"):
        RunState.from_json(agent, '{"state_version": 1, "current_agent": "Bank"}')
    good = RunState(agent, "hi", 3, run_id="run_1").to_dict()
    with pytest.raises(UserError, match="agent 'Nobody', which is not reachable"):
        RunState.from_json(agent, _json({**good, "current_agent": "Nobody"}))
    twins = Agent("Triage", model="x", orbs=[agent, agent.clone()])
    with pytest.raises(UserError, match="2 different agents"):
        RunState.from_json(twins, _json(good))
    with pytest.raises(UserError, match="needs_approval="):
        sword(needs_approval="yes")(lambda: 1)  # type: ignore[call-overload]


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data)


async def test_interruption_inside_an_agent_used_as_a_sword(script: Script) -> None:
    gated = call("transfer", to="ann", amount=5)
    ran: list[str] = []
    teller = bank(ran, model=script([gated], "Paid Ann."))
    ask_bank = call("bank", input="Pay Ann 5")
    boss_model = script([ask_bank, call("balance_note")], "All paid.")

    @sword
    def balance_note() -> str:
        """Note the balance."""
        ran.append("note")
        return "noted"

    boss = Agent("Boss", model=boss_model, swords=[teller.as_sword(), balance_note])
    first = await Runner.run(boss, "Pay Ann")
    assert ran == ["note"]  # the other call of the turn ran
    (pending,) = first.interruptions
    assert (pending.agent_name, pending.call_id) == ("Bank", gated["call_id"])
    nested_usage = first.usage.requests
    assert nested_usage == 2  # the boss's call and the bank's
    state = RunState.from_json(boss, first.to_state().to_json())
    state.approve(state.interruptions[0])
    done = await Runner.run(boss, state)
    assert done.final_output == "All paid."
    assert ran == ["note", "transfer ann 5"]
    assert done.usage.requests == 4  # each model call counted once
    answers = outputs_of(boss_model.requests[1].input)
    assert answers[ask_bank["call_id"]] == "Paid Ann."
    nested_run = done.to_state().nested
    assert nested_run == {}


async def test_run_ids_name_the_run_and_its_parent(script: Script) -> None:
    seen: list[tuple[str, str | None]] = []

    @sword
    def whoami(ctx: RunContextWrapper[Any]) -> str:
        """Say which run this is."""
        seen.append((ctx.run_id, ctx.parent_run_id))
        return "ok"

    inner = Agent("Inner", model=script([call("whoami")], "inner done"), swords=[whoami])
    outer = Agent("Outer", model=script([call("inner", input="go")], "outer done"))
    outer = outer.clone(swords=[inner.as_sword()])
    result = await Runner.run(outer, "go")
    ((run_id, parent),) = seen
    assert parent == result.run_id and run_id not in (None, result.run_id)
    assert result.parent_run_id is None and result.run_id.startswith("run_")
    again = await Runner.run(outer.clone(model=script("hi")), "go")
    assert again.run_id != result.run_id
