"""The Runner methods share their keywords (`RunOptions`, `BatchRunOptions`): a keyword they do
not take is a type error (the `type: ignore`s below would be unused, and `mypy --strict`
fails, if it were not) and a `UserError` naming the keywords they take."""

from __future__ import annotations

import pytest

from drusilla import Agent, Runner, UserError
from drusilla.sessions.sqlite import SQLiteSession
from drusilla.testing import ScriptedModel


def agent() -> Agent[None]:
    return Agent("a", model=ScriptedModel(["hi"]))


async def test_run_refuses_a_misspelt_keyword_naming_its_keywords() -> None:
    expected = (
        r"Runner\.run\(\) got an unexpected keyword argument 'max_turn'; its keywords are "
        r"charms, context, error_handlers, max_turns, run_config, session, timeout\.$"
    )
    with pytest.raises(UserError, match=expected):
        await Runner.run(agent(), "x", max_turn=3)  # type: ignore[call-arg]


def test_run_sync_answers_a_peer_keyword_with_ours() -> None:
    with pytest.raises(UserError, match="'hooks'; did you mean charms=\\? its keywords are cha"):
        Runner.run_sync(agent(), "x", hooks=None)  # type: ignore[call-arg]


async def test_run_streamed_takes_buffer_size_besides_the_run_keywords() -> None:
    with pytest.raises(UserError, match="buffer_size, charms, context, error_handlers"):
        await Runner.run_streamed(agent(), "x", buffer=4)  # type: ignore[call-arg]
    result = await Runner.run_streamed(agent(), "x", buffer_size=4, max_turns=2)
    assert [event.type async for event in result.stream_events()][-1] == "run_item_stream_event"
    assert result.final_output == "hi"


def test_a_batch_takes_only_the_keywords_that_make_sense_per_input() -> None:
    session = SQLiteSession("one conversation")
    with pytest.raises(
        UserError, match=r"Runner\.run_batch_sync\(\) .* keyword argument 'session'"
    ):
        Runner.run_batch_sync(agent(), ["x"], session=session)  # type: ignore[call-arg]
    done = Runner.run_batch_sync(agent(), ["x"], max_turns=2, context={"k": 1}, progress=False)
    assert [item.final_output for item in done.results] == ["hi"]
