"""RunState as data: JSON round trips (every run-item kind, random conversations) and a state
written by one process and resumed by another."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drusilla import (
    STATE_VERSION,
    Agent,
    InputShieldResult,
    MessageOutputItem,
    OrbCallItem,
    OrbOutputItem,
    ReasoningItem,
    RunItem,
    Runner,
    RunState,
    ShieldResult,
    SwordApprovalItem,
    SwordCallItem,
    SwordCallOutputItem,
    Usage,
    input_shield,
    sword,
)
from drusilla.models.interface import ModelResponse
from drusilla.models.items import assistant_message, function_call_output, reasoning_item
from drusilla.testing import OpenAIServer, call

from ..wire_items import function_call, function_output, output_text


@sword
def lookup(q: str) -> str:
    """Look something up."""
    return q


@input_shield
def polite(ctx: Any, agent: Any, value: Any) -> ShieldResult:
    return ShieldResult()


helper = Agent("Helper", model="x")
writer = Agent("Writer", model="x")
root = Agent(
    "Root",
    model="x",
    swords=[lookup, helper.as_sword()],
    orbs=[writer],
    input_shields=[polite],
)
AGENTS = [root, writer, helper]

texts = st.text(max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
call_ids = st.from_regex(r"call_[a-z0-9]{1,8}", fullmatch=True)


@st.composite
def run_items(draw: st.DrawFn) -> RunItem:
    agent = draw(st.sampled_from(AGENTS))
    kind = draw(st.sampled_from(["message", "call", "output", "orb_call", "orb_out", "reason"]))
    call_id = draw(call_ids)
    raw_call: Any = {
        "type": "function_call",
        "call_id": call_id,
        "name": draw(texts),
        "arguments": json.dumps(draw(json_values)),
    }
    if kind == "message":
        return MessageOutputItem(agent, assistant_message(draw(texts)))
    if kind == "call":
        return SwordCallItem(agent, raw_call)
    if kind == "orb_call":
        return OrbCallItem(agent, raw_call)
    if kind == "reason":
        return ReasoningItem(agent, reasoning_item(draw(texts)))
    output = function_call_output(call_id, draw(texts))
    if kind == "output":
        return SwordCallOutputItem(agent, output, draw(json_values))
    return OrbOutputItem(agent, output, agent, draw(st.sampled_from(AGENTS)))


@st.composite
def states(draw: st.DrawFn) -> RunState:
    items = draw(st.lists(run_items(), max_size=12))
    calls = [item.raw_item for item in items if isinstance(item, SwordCallItem)]
    state = RunState(
        draw(st.sampled_from(AGENTS)),
        draw(texts),
        draw(st.integers(1, 100)),
        new_items=items,
        model_input=[item.to_input_item() for item in items],
        turn=draw(st.integers(0, 100)),
        usage=Usage(*draw(st.lists(st.integers(0, 10**6), min_size=6, max_size=6))),
        model_responses=[
            ModelResponse([item.to_input_item() for item in items[:2]], response_id="r1")
        ],
        output_retries_used=draw(st.integers(0, 3)),
        final_output=draw(json_values),
        pending_calls=calls[:1],
        interruptions=[SwordApprovalItem(root, c) for c in calls[:1]],
        run_id=draw(call_ids),
        parent_run_id=draw(st.none() | call_ids),
        status=draw(st.sampled_from(["interrupted", "stopped", "failed", "completed"])),
    )
    state.input_shield_results = [
        InputShieldResult(polite, root, draw(texts), ShieldResult(message=draw(texts)))
    ]
    if len(calls) > 0 and draw(st.booleans()):
        state.reject(calls[0]["call_id"], draw(st.none() | texts))
    return state


@settings(max_examples=60, deadline=None)
@given(states())
def test_every_state_round_trips_through_json(state: RunState) -> None:
    text = state.to_json()
    restored = RunState.from_json(root, text)
    assert restored.to_json() == text
    assert json.loads(text)["state_version"] == STATE_VERSION
    for before, after in zip(state.new_items, restored.new_items, strict=True):
        assert type(after) is type(before)
        assert after.agent is before.agent  # found again by name in the agent graph
        assert after.raw_item == before.raw_item
    assert [i.call_id for i in restored.interruptions] == [i.call_id for i in state.interruptions]
    assert restored.input_shield_results[0].shield is polite


CHILD = """
import asyncio, sys
from drusilla import Agent, Runner, sword
from drusilla.testing import ScriptedModel, call

@sword(needs_approval=True)
def delete(path: str) -> str:
    '''Delete a file.'''
    raise AssertionError("never runs in the child")

agent = Agent("Ops", model=ScriptedModel([[call("delete", path="/tmp/x")]]), swords=[delete])
result = Runner.run_sync(agent, "Clean up")
assert result.interruptions, result
open(sys.argv[1], "w").write(result.to_state().to_json())
"""


def test_a_state_written_by_one_process_is_resumed_by_another(tmp_path: Path) -> None:
    saved = tmp_path / "state.json"
    subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(saved)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    deleted: list[str] = []

    @sword(needs_approval=True)
    def delete(path: str) -> str:
        """Delete a file."""
        deleted.append(path)
        return "deleted"

    with OpenAIServer() as server:
        model = server.model("All clean.", api="chat")
        agent = Agent("Ops", model=model, swords=[delete])
        state = RunState.from_json(agent, saved.read_text())
        (pending,) = state.interruptions
        assert (pending.sword_name, pending.arguments) == ("delete", {"path": "/tmp/x"})
        state.approve(pending)
        result = Runner.run_sync(agent, state)
    assert result.final_output == "All clean." and deleted == ["/tmp/x"]
    (request,) = model.requests
    sent = [(item.get("role"), item.get("type")) for item in request.input]
    assert sent == [("user", None), (None, "function_call"), (None, "function_call_output")]
    assert (
        function_call(request.input[1])["call_id"]
        == function_output(request.input[2])["call_id"]
        == pending.call_id
    )
    assert output_text(request.input[2]) == "deleted"


def test_a_state_keeps_ids_and_the_call_waiting() -> None:
    gated = call("lookup", q="x")
    state = RunState(root, "hi", 5, run_id="run_a", parent_run_id="run_p", pending_calls=[gated])
    data = json.loads(state.to_json())
    assert (data["run_id"], data["parent_run_id"]) == ("run_a", "run_p")
    assert RunState.from_json(root, json.dumps(data), context={"k": 1}).context == {"k": 1}
