"""A run's input that starts with a conversation drusilla already checked — a session's items, a
previous run's `to_input_list()` — is not checked again past what is new (issue 32): counted by
the check's own counter, `known_conversations.items_checked`."""

from __future__ import annotations

import pytest

from drusilla import Agent, Runner, SQLiteSession, UserError
from drusilla.models.items import InputItem
from drusilla.models.known_items import known_conversations
from drusilla.testing import ScriptedModel


async def items_checked_by(agent: Agent, input: object, **options: object) -> int:
    before = known_conversations.items_checked
    await Runner.run(agent, input, **options)  # type: ignore[arg-type]
    return known_conversations.items_checked - before


def history(size: int) -> list[InputItem]:
    return [
        {"role": "user" if n % 2 == 0 else "assistant", "content": f"message {n}"}
        for n in range(size)
    ]


async def test_a_previous_runs_input_list_is_not_checked_again() -> None:
    agent = Agent("a", model=ScriptedModel(["one", "two", "three", "four"]))
    first = await Runner.run(agent, history(99))
    second_input = [*first.to_input_list(), {"role": "user", "content": "next"}]
    assert await items_checked_by(agent, second_input) == 1  # only the new message
    second = await Runner.run(agent, [*second_input])
    # the form docs/runner.md shows: concatenation, not unpacking
    third_input = second.to_input_list() + [{"role": "user", "content": "and then"}]  # noqa: RUF005
    assert await items_checked_by(agent, third_input) == 1


async def test_a_fresh_list_is_checked_whole_and_an_equal_copy_counts_as_known() -> None:
    agent = Agent("a", model=ScriptedModel(["one", "two"]))
    items = history(50)
    assert await items_checked_by(agent, items) == 50
    copied = [dict(item) for item in items] + [{"role": "user", "content": "again"}]
    # not the same objects: the first item's identity is how a conversation is found
    assert await items_checked_by(agent, copied) == 51


async def test_session_items_are_never_checked() -> None:
    session = SQLiteSession("known", ":memory:")
    await session.add_items(history(200))
    agent = Agent("a", model=ScriptedModel(["one"]))
    assert await items_checked_by(agent, "hello", session=session) == 0
    session.close()


async def test_a_bad_item_after_a_known_conversation_is_still_caught_at_its_place() -> None:
    agent = Agent("a", model=ScriptedModel(["one"]))
    first = await Runner.run(agent, history(9))
    known = first.to_input_list()
    with pytest.raises(UserError, match=r"input\[11\]=.*neither a role nor a type"):
        await Runner.run(agent, [*known, {"role": "user", "content": "ok"}, {"text": "no"}])


async def test_lone_surrogates_past_a_known_conversation_are_still_replaced() -> None:
    model = ScriptedModel(["one", "two"])
    agent = Agent("a", model=model)
    known = (await Runner.run(agent, history(5))).to_input_list()
    await Runner.run(agent, [*known, {"role": "user", "content": "half \ud83d emoji"}])
    assert model.requests[-1].input[-1] == {"role": "user", "content": "half \ufffd emoji"}
