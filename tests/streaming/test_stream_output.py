"""RunResultStreaming.stream_output(): the final answer as it grows, over every transport."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from drusilla import Agent, Model, ModelSettings, Runner, sword
from drusilla.testing import call

Script = Callable[..., Model]


class Profile(BaseModel):
    name: str
    skills: list[str] = []


@sword
def lookup(term: str) -> str:
    """Look a term up."""
    return f"{term}: found"


async def test_partial_objects_grow_and_end_with_the_validated_output(script: Script) -> None:
    answer = '{"name": "Ada", "skills": ["maths", "engines", "poetry"]}'
    model = script(call("lookup", term="Ada"), answer)
    agent = Agent("a", model=model, output_type=Profile, swords=[lookup])
    result = await Runner.run_streamed(agent, "who?")
    seen: list[Any] = [value async for value in result.stream_output()]
    assert seen[-1] == Profile(name="Ada", skills=["maths", "engines", "poetry"])
    assert seen[-1] == result.final_output
    assert len(seen) >= 3  # partial objects arrived before the whole
    assert all(isinstance(value, Profile) for value in seen)
    lengths = [len(value.skills) for value in seen]
    assert lengths == sorted(lengths)  # the list only grows


async def test_final_output_sword_arguments_stream_too(script: Script) -> None:
    arguments = '{"name": "Grace", "skills": ["compilers", "navy"]}'
    model = script(call("final_result", arguments))
    agent = Agent(
        "a", model=model, output_type=Profile, model_settings=ModelSettings(output_mode="sword")
    )
    result = await Runner.run_streamed(agent, "who?")
    seen = [value async for value in result.stream_output()]
    assert seen[-1] == Profile(name="Grace", skills=["compilers", "navy"])


async def test_plain_text_streams_the_text_so_far(script: Script) -> None:
    result = await Runner.run_streamed(Agent("a", model=script("one two three")), "count")
    seen = [value async for value in result.stream_output()]
    assert seen[0] == "one" and seen[-1] == "one two three"
