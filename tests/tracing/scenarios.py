"""Runs the tracing tests share: three agents, an orb and an agent used as a sword."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from drusilla import Agent, ModelRequest, ModelResponse, Usage, sword
from drusilla.models.interface import ModelStreamEvent
from drusilla.testing import ScriptedModel, Turn, call

TREE = """\
run drusilla run
  agent triage
    turn 1
      model triage-model
      orb transfer_to_specialist
  agent specialist
    turn 2
      model specialist-model
      sword researcher
        run researcher
          agent researcher
            turn 1
              model researcher-model
      sword convert
    turn 3
      model specialist-model"""


class SlowModel:
    """A ScriptedModel that takes `delay` seconds per call, so a trace has visible durations."""

    def __init__(self, scripted: ScriptedModel, delay: float, provider: str = "scripted") -> None:
        self.scripted = scripted
        self.delay = delay
        self._provider = provider

    @property
    def model_name(self) -> str:
        return self.scripted.model_name

    @property
    def provider_name(self) -> str:
        return self._provider

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        await asyncio.sleep(self.delay)
        return await self.scripted.get_response(request)

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        await asyncio.sleep(self.delay)
        async for event in self.scripted.stream_response(request):
            yield event


@sword
async def convert(amount: float, unit: str) -> str:
    """Convert an amount to another unit."""
    await asyncio.sleep(0.002)
    return f"{amount / 1000} thousand {unit}"


def three_agents(delay: float = 0.0) -> Agent[Any]:
    """triage --orb--> specialist, which asks researcher (an agent used as a sword) and converts."""

    def model(name: str, steps: list[Any]) -> Any:
        scripted = ScriptedModel(steps, name=name)
        return SlowModel(scripted, delay, provider="local") if delay else scripted

    researcher = Agent(
        "researcher",
        instructions="Answer with facts.",
        model=model(
            "researcher-model",
            [
                Turn(
                    text="Paris has about 2,100,000 inhabitants.",
                    reasoning="The census says 2.1 million.",
                    usage=Usage(1, 42, 18, 60, 8, 0),
                )
            ],
        ),
    )
    specialist = Agent(
        "specialist",
        instructions="Use your swords.",
        model=model(
            "specialist-model",
            [
                [
                    call("researcher", input="Population of Paris?"),
                    call("convert", amount=2100000, unit="people"),
                ],
                Turn(text="About 2.1 million people.", usage=Usage(1, 120, 9, 129, 0, 64)),
            ],
        ),
        swords=[researcher.as_sword(), convert],
    )
    return Agent(
        "triage",
        instructions="Hand over to the right specialist.",
        model=model("triage-model", [call("transfer_to_specialist")]),
        orbs=[specialist],
    )
