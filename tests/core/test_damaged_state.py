"""A damaged saved state is a `UserError` naming what is wrong, never another exception, and
the check happens when it is loaded, not halfway through the resumed run (issue 26)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from drusilla import Agent, Runner, RunState, UserError, sword
from drusilla.testing import ScriptedModel, call


@sword(needs_approval=True)
def transfer(to: str, amount: int) -> str:
    """Send money."""
    return f"sent {amount} to {to}"


def bank(*steps: Any) -> Agent[Any]:
    return Agent("Bank", model=ScriptedModel(list(steps)), swords=[transfer])


async def saved_state() -> tuple[Agent[Any], dict[str, Any]]:
    agent = bank(call("transfer", to="a", amount=1), "ok")
    result = await Runner.run(agent, "Pay")
    return agent, json.loads(result.to_state().to_json())


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"max_turns": float("inf")}, "max_turns: Input should be a valid integer"),
        ({"turn": 10**30}, "turn: Input should be less than or equal to"),
        ({"from_session": True}, "from_session: Input should be a valid integer"),
        ({"turn": -1}, "turn: Input should be greater than or equal to 0"),
        ({"pending_calls": ["call_1"]}, r"pending_calls\[0\]: Input should be a valid dict"),
        ({"pending_calls": [{"type": "function_call"}]}, r"pending_calls\[0\]: .*no 'call_id'"),
        (
            {"pending_calls": [{"role": "user", "content": "x"}]},
            r"pending_calls\[0\]: not a sword call",
        ),
        ({"pending_calls": {"a": 1}}, "pending_calls: Input should be a valid list"),
        ({"usage": {"requests": "1"}}, r"usage.requests: Input should be a valid integer"),
        ({"usage": {"bogus": 1}}, "usage.bogus: Extra inputs are not permitted"),
        ({"decisions": {"c": {"approved": "yes", "message": None}}}, "decisions.c.approved"),
        ({"history": [["user", "hi"]]}, r"history\[0\]: Input should be a valid dict"),
        (
            {"input": [{"role": "robot", "content": "x"}]},
            r"input: \[0\] is not a conversation item: role must be",
        ),
        ({"status": 3}, "status: Input should be a valid string"),
        ({"trace_id": 5}, "trace_id: Input should be a valid string"),
    ],
)
async def test_a_malformed_field_is_a_user_error_naming_it(
    change: dict[str, Any], named: str
) -> None:
    agent, data = await saved_state()
    with pytest.raises(UserError, match=f"damaged: {named}"):
        RunState.from_json(agent, json.dumps({**data, **change}))


async def test_a_malformed_interruption_or_run_item_is_a_user_error() -> None:
    agent, data = await saved_state()
    broken = dict(data["interruptions"][0], raw_item="transfer(a, 1)")
    with pytest.raises(UserError, match=r"interruptions\[0\].raw_item: Input should be a valid"):
        RunState.from_json(agent, json.dumps({**data, "interruptions": [broken]}))
    item = dict(data["new_items"][0], raw_item="hello")
    with pytest.raises(UserError, match=r"new_items\[0\].raw_item"):
        RunState.from_json(agent, json.dumps({**data, "new_items": [item]}))
    item = dict(data["new_items"][0], type="reasoning_item")  # a call's raw item
    with pytest.raises(UserError, match="must be a reasoning item"):
        RunState.from_json(agent, json.dumps({**data, "new_items": [item]}))


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (nested(100_000), "nested more than 200 levels"),  # RecursionError in json
        ('{"state_version": 1, "x": ' + nested(300) + "}", "nested more than 200 levels"),
        ('{"state_version": 1, "max_turns": ' + "9" * 5000 + "}", "not valid JSON"),
        (b'{"state_version": 1, "run_id": "\xff"}', "not valid JSON"),
        ('{"state_version": 1e999}', "no valid state_version"),
        ('{"state_version": Infinity}', "no valid state_version"),
        ("[1, 2]", "not a JSON object"),
    ],
)
async def test_unreadable_text_is_a_user_error(text: str | bytes, named: str) -> None:
    agent, _ = await saved_state()
    with pytest.raises(UserError, match=named):
        RunState.from_json(agent, text)


async def test_a_state_larger_than_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    agent, data = await saved_state()
    text = json.dumps(data)
    monkeypatch.setattr("drusilla.runners.state_schema.MAX_STATE_BYTES", len(text) - 1)
    with pytest.raises(UserError, match=r"more than the .* a state may be"):
        RunState.from_json(agent, text)


async def test_a_lone_surrogate_in_a_saved_state_is_replaced() -> None:
    agent, data = await saved_state()
    data["input"] = "Pay \ud800"
    restored = RunState.from_json(agent, json.dumps(data))  # ASCII escapes: "\\ud800"
    assert restored.input == "Pay \ufffd"
    restored.approve(restored.interruptions[0])
    result = await Runner.run(agent, restored)
    assert result.final_output == "ok"
    result.to_state().to_json().encode("utf-8")


async def test_a_good_state_still_resumes_and_a_float_output_keeps_its_infinity() -> None:
    agent, data = await saved_state()
    data["final_output"] = float("inf")  # to_json writes what a sword returned, Infinity too
    restored = RunState.from_json(agent, json.dumps(data))
    restored.approve(restored.interruptions[0])
    assert (await Runner.run(agent, restored)).final_output == "ok"


def test_the_saved_usage_schema_knows_every_usage_field() -> None:
    """A state saved with any `Usage` field loads: the schema of saved usage and the dataclass
    name the same fields (the schema once missed `cache_write_tokens`)."""
    import dataclasses

    from drusilla.runners.state_schema import SavedUsage
    from drusilla.util.usage import Usage

    assert set(SavedUsage.__annotations__) == {field.name for field in dataclasses.fields(Usage)}
