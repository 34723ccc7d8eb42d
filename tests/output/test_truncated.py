"""An answer cut off by max_tokens (finish_reason "length") is never taken silently."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from drusilla import Agent, ModelBehaviorError, Runner
from drusilla.models.interface import ModelResponse
from drusilla.models.items import assistant_message
from drusilla.testing import ScriptedModel


class City(BaseModel):
    name: str


def cut(text: str) -> ModelResponse:
    return ModelResponse(output=[assistant_message(text)], finish_reason="length")


async def test_cut_text_is_flagged_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    result = await Runner.run(Agent("a", model=ScriptedModel([cut("Once upon a")])), "Story?")
    assert result.final_output == "Once upon a"
    assert result.output_truncated
    assert "output.truncated" in caplog.text  # stdlib logging (util/logging.py)
    whole = await Runner.run(Agent("a", model=ScriptedModel(["The end."])), "Story?")
    assert not whole.output_truncated


async def test_cut_structured_output_fails_at_once_naming_max_tokens() -> None:
    model = ScriptedModel([cut('{"name": "Os')])
    agent = Agent("a", model=model, output_type=City)
    with pytest.raises(ModelBehaviorError, match=r"cut off by the token limit.*max_tokens"):
        await Runner.run(agent, "A city?")
    assert len(model.requests) == 1  # no output retry: it would be cut again


async def test_complete_structured_output_is_taken_even_at_the_limit() -> None:
    agent = Agent("a", model=ScriptedModel([cut('{"name": "Oslo"}')]), output_type=City)
    result = await Runner.run(agent, "A city?")
    assert result.final_output == City(name="Oslo") and result.output_truncated
