"""Run items describe themselves (runners/items.py): a new kind needs its class and the decision
that makes it, nothing else. `NoteItem` below is such a kind, defined in this module alone: the
stream sends it under its own event name, and a saved `RunState` writes it, reads it back and
resumes with it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import pytest

from drusilla import (
    Agent,
    RunItem,
    RunItemStreamEvent,
    Runner,
    RunState,
    SwordApprovalItem,
    SwordCallOutputItem,
    sword,
)
from drusilla.models.interface import ModelResponse
from drusilla.models.items import InputItem, MessageItem, assistant_message
from drusilla.runners import run_loop
from drusilla.runners.gear import Gear
from drusilla.runners.items import RUN_ITEM_KINDS, RunItemEventName
from drusilla.runners.steps import TurnDecision, decide_turn
from drusilla.testing import ScriptedModel, call


@dataclass(slots=True, eq=False)
class NoteItem:
    """A note the decision adds to each turn: a throwaway kind of run item."""

    agent: Agent[Any]
    raw_item: MessageItem
    marks: dict[str, int]
    type: ClassVar[Literal["note_item"]] = "note_item"
    wire_type: ClassVar[str] = "message"
    event: ClassVar[Literal["note_made"]] = "note_made"
    agent_fields: ClassVar[tuple[str, ...]] = ("agent",)

    def to_input_item(self) -> InputItem:
        return self.raw_item


def noting(decide: Any) -> Any:
    """The decision that makes notes: the usual one, plus a note at the end of every turn."""

    def decide_turn(
        agent: Agent[Any], response: ModelResponse, gear: Gear, final_sword: str | None
    ) -> TurnDecision:
        items, step = decide(agent, response, gear, final_sword)
        note = NoteItem(agent, assistant_message(f"note {len(items)}"), {"items": len(items)})
        return [*items, note], step

    return decide_turn


@pytest.fixture
def notes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # What adding the class to the `RunItem` union does; then the decision makes it.
    monkeypatch.setitem(RUN_ITEM_KINDS, NoteItem.type, NoteItem)
    monkeypatch.setattr(run_loop, "decide_turn", noting(decide_turn))
    yield


@sword(needs_approval=True)
def pay(amount: int) -> str:
    """Pay an amount."""
    return f"paid {amount}"


def test_the_union_is_where_item_kinds_are_listed() -> None:
    kinds = get_args(RunItem)
    assert {kind.type: kind for kind in kinds} == RUN_ITEM_KINDS
    assert set(get_args(RunItemEventName)) == {kind.event for kind in kinds}
    assert len({kind.event for kind in kinds}) == len(kinds)


async def test_a_new_item_kind_is_streamed_under_its_own_event_name(notes: None) -> None:
    agent = Agent("clerk", model=ScriptedModel(["Done."]))
    result = await Runner.run_streamed(agent, "Go.")
    events = [e async for e in result.stream_events() if isinstance(e, RunItemStreamEvent)]
    assert [event.name for event in events] == ["message_output_created", "note_made"]
    note = events[1].item
    assert isinstance(note, NoteItem) and note.marks == {"items": 1}
    assert result.new_items[-1] is note
    assert result.to_input_list()[-1] == assistant_message("note 1")


async def test_a_new_item_kind_is_saved_read_back_and_resumed_with(notes: None) -> None:
    model = ScriptedModel([call("pay", {"amount": 5}), "Paid."])
    agent = Agent("clerk", model=model, swords=[pay])
    first = await Runner.run(agent, "Pay 5.")
    (waiting,) = first.interruptions
    assert isinstance(waiting, SwordApprovalItem)

    saved = RunState.from_json(agent, first.to_state().to_json())
    note = saved.new_items[-1]
    assert isinstance(note, NoteItem)
    assert (note.agent, note.raw_item, note.marks) == (
        agent,
        assistant_message("note 1"),
        {"items": 1},
    )
    assert saved.to_json() == first.to_state().to_json()

    saved.approve(saved.interruptions[0])
    done = await Runner.run(agent, saved)
    assert done.final_output == "Paid."
    kinds = [type(item).__name__ for item in done.new_items]
    assert kinds[:2] == ["SwordCallItem", "NoteItem"]
    assert kinds.count("NoteItem") == 2  # the saved one, then the last turn's
    assert any(isinstance(i, SwordCallOutputItem) and i.output == "paid 5" for i in done.new_items)
