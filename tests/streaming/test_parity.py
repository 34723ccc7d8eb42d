"""A streamed run ends exactly where `Runner.run` ends.

Every scenario runs once with `Runner.run` and once with `Runner.run_streamed`, on each
transport of the `script` fixture (in-process ScriptedModel, and the real `openai` client over
HTTP to the local server, Chat Completions and Responses), and the two results are compared
field by field: final output, items (types, agents, raw items), usage, reasoning, last agent,
shield results, model responses, context, charm calls, session contents — or, when the run
fails, the error and the partial run it carries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import (
    Agent,
    ModelError,
    ModelSettings,
    RawResponseEvent,
    ReasoningDelta,
    ReasoningItem,
    RunConfig,
    RunContextWrapper,
    RunItemStreamEvent,
    Runner,
    RunnerError,
    ShieldResult,
    SQLiteSession,
    StopAtSwords,
    TextDelta,
    input_shield,
    orb,
    output_shield,
    remove_all_swords,
    sword,
)
from drusilla.testing import Turn, call

from .snapshot import CharmLog, error_text, scrub, snapshot

Script = Callable[..., Any]


@sword
async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: sunny, 21C"


@sword
async def get_time(city: str) -> str:
    """Local time in a city."""
    return f"{city}: 14:05"


@sword(failure_error_function=None)
async def explode() -> str:
    """Always fails."""
    raise RuntimeError("the reactor is down")


@input_shield
def no_secrets(ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any) -> ShieldResult:
    return ShieldResult(tripwire_triggered="password" in str(value), message="no secrets")


@input_shield(run_in_parallel=True)
async def polite(ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any) -> ShieldResult:
    return ShieldResult(success="please" in str(value).lower(), data={"checked": True})


@output_shield
def short_enough(ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any) -> ShieldResult:
    return ShieldResult(success=len(str(output)) < 40, data=len(str(output)))


class Forecast(BaseModel):
    city: str
    celsius: int


@dataclass
class Case:
    agent: Agent[Any]
    inputs: list[str] = field(default_factory=lambda: ["Hello"])
    """Run in order; with `session`, all on one session (the later ones see the earlier)."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    session: bool = False


def plain(script: Script) -> Case:
    return Case(Agent("poet", instructions="Be brief.", model=script("Roses are red.")))


def reasoning(script: Script) -> Case:
    model = script(Turn("It is 4.", reasoning="Two plus two makes four."))
    return Case(Agent("math", model=model), ["2 + 2?"])


def swords_then_answer(script: Script) -> Case:
    model = script(
        Turn(
            "Let me look.",
            calls=[call("get_weather", city="Lisbon"), call("get_time", city="Lisbon")],
            reasoning="Two lookups.",
        ),
        "In Lisbon it is 14:05 and sunny, 21C.",
    )
    return Case(Agent("travel", model=model, swords=[get_weather, get_time]), ["Lisbon?"])


def orb_to_specialist(script: Script) -> Case:
    specialist = Agent(
        "Specialist",
        model=script(
            Turn(reasoning="Weather first.", calls=[call("get_weather", city="Oslo")]),
            Turn("Oslo is sunny.", reasoning="Say it."),
        ),
        swords=[get_weather],
    )
    triage = Agent("Triage", model=script(call("transfer_to_specialist")), orbs=[specialist])
    return Case(triage, ["Weather in Oslo?"], {"context": {"user": "ada"}})


def orb_with_input_filter(script: Script) -> Case:
    specialist = Agent("Specialist", model=script("Filtered and done."))
    triage = Agent(
        "Triage",
        model=script([call("get_time", city="Rome"), call("transfer_to_specialist")]),
        swords=[get_time],
        orbs=[orb(specialist, input_filter=remove_all_swords)],
    )
    return Case(triage, ["Time in Rome?"])


def structured_output_with_retry(script: Script) -> Case:
    model = script("It is warm.", '{"city": "Rome", "celsius": 25}')
    return Case(Agent("forecaster", model=model, output_type=Forecast), ["Rome?"])


def structured_output_by_sword(script: Script) -> Case:
    def answer(request: Any) -> Any:  # the final-output sword is the last one offered
        return call(request.swords[-1].name, city="Oslo", celsius=3)

    settings = ModelSettings(output_mode="sword")
    agent = Agent("forecaster", model=script(answer), output_type=Forecast, model_settings=settings)
    return Case(agent, ["Oslo?"])


def thinking_strategy(script: Script) -> Case:
    model = script("Rome in summer is hot; say 25.", '{"city": "Rome", "celsius": 25}')
    agent = Agent("thinker", model=model, output_type=Forecast, thinking_prompt="Think first.")
    return Case(agent, ["Rome?"])


def shields_pass(script: Script) -> Case:
    agent = Agent(
        "guarded",
        model=script("Fine, thanks."),
        input_shields=[no_secrets, polite],
        output_shields=[short_enough],
    )
    return Case(agent, ["How are you, please?"])


def input_shield_trips(script: Script) -> Case:
    agent = Agent("guarded", model=script(), input_shields=[no_secrets])
    return Case(agent, ["my password is hunter2"])


def output_shield_trips(script: Script) -> Case:
    long_answer = "This answer is far too long for the output shield to let it pass."
    agent = Agent("guarded", model=script(long_answer), output_shields=[short_enough])
    return Case(agent, ["Talk."], session=True)


def max_turns(script: Script) -> Case:
    model = script(call("get_time", city="Paris"), call("get_time", city="Nice"))
    return Case(Agent("loop", model=model, swords=[get_time]), ["Time?"], {"max_turns": 2})


def stop_on_first_sword(script: Script) -> Case:
    agent = Agent(
        "stopper",
        model=script(call("get_weather", city="Bern")),
        swords=[get_weather],
        sword_use_behavior=StopAtSwords(["get_weather"]),
    )
    return Case(agent, ["Bern?"])


def unknown_sword_corrected(script: Script) -> Case:
    model = script(call("get_wether", city="Kyiv"), call("get_weather", city="Kyiv"), "Sunny.")
    return Case(Agent("typo", model=model, swords=[get_weather]), ["Kyiv?"])


def model_error(script: Script) -> Case:
    failure = ModelError("The model refused the request.", status=400, code="bad_request")
    return Case(Agent("fragile", model=script("Fine.", failure)), ["One", "Two"], session=True)


def sword_error(script: Script) -> Case:
    return Case(Agent("boom", model=script(call("explode")), swords=[explode]), ["Go."])


def session_remembers(script: Script) -> Case:
    model = script("Nice to meet you, Ada.", "You are Ada.")
    return Case(Agent("memory", model=model), ["I am Ada.", "Who am I?"], session=True)


def run_config_overrides(script: Script) -> Case:
    config = RunConfig(model=script("From the run config."), workflow_name="parity")
    return Case(Agent("overridden", model=script()), ["Hi"], {"run_config": config})


CASES = [
    plain,
    reasoning,
    swords_then_answer,
    orb_to_specialist,
    orb_with_input_filter,
    structured_output_with_retry,
    structured_output_by_sword,
    thinking_strategy,
    shields_pass,
    input_shield_trips,
    output_shield_trips,
    max_turns,
    stop_on_first_sword,
    unknown_sword_corrected,
    model_error,
    sword_error,
    session_remembers,
    run_config_overrides,
]


@dataclass
class Outcome:
    results: list[dict[str, Any]]
    errors: list[tuple[type[BaseException], str] | None]
    charms: list[tuple[Any, ...]]
    session: list[Any] | None


@pytest.mark.parametrize("scenario", CASES, ids=lambda case: case.__name__)
async def test_run_streamed_ends_exactly_where_run_ends(
    scenario: Callable[[Script], Case], script: Script, tmp_path: Path
) -> None:
    plain_run = await _outcome(scenario(script), tmp_path / "run.db", streamed=False)
    streamed_run = await _outcome(scenario(script), tmp_path / "streamed.db", streamed=True)
    assert streamed_run.errors == plain_run.errors
    for got, expected in zip(streamed_run.results, plain_run.results, strict=True):
        for name in expected:
            assert got[name] == expected[name], name
    assert streamed_run.charms == plain_run.charms
    assert streamed_run.session == plain_run.session


async def _outcome(case: Case, db: Path, streamed: bool) -> Outcome:
    session = SQLiteSession("parity", db) if case.session else None
    charms = CharmLog()
    outcome = Outcome([], [], charms.calls, None)
    for text in case.inputs:
        kwargs = {**case.kwargs, "charms": charms, "session": session}
        error: RunnerError | None = None
        if streamed:
            result: Any = await Runner.run_streamed(case.agent, text, **kwargs)
            try:
                await _follow(result)
            except RunnerError as exc:
                error = exc
                assert exc.run_data is not None
                assert snapshot(exc.run_data) == {**snapshot(result), "final_output": None}
            assert result.is_complete and not result.is_cancelled
        else:
            try:
                result = await Runner.run(case.agent, text, **kwargs)
            except RunnerError as exc:
                error = exc
                result = exc.run_data
        outcome.results.append(snapshot(result))
        outcome.errors.append((type(error), error_text(error)) if error else None)
    if session is not None:
        outcome.session = scrub(await session.get_items())
        session.close()
    return outcome


async def _follow(result: Any) -> None:
    """Consume every event, checking they agree with the fields as they fill."""
    texts: list[str] = []
    thoughts: list[str] = []
    items: list[Any] = []
    try:
        async for event in result.stream_events():
            if isinstance(event, RawResponseEvent):
                if isinstance(event.data, TextDelta):
                    texts.append(event.data.delta)
                elif isinstance(event.data, ReasoningDelta):
                    thoughts.append(event.data.delta)
            elif isinstance(event, RunItemStreamEvent):
                items.append(event.item)
                assert result.new_items[len(items) - 1] is event.item  # already in the result
    finally:
        assert items == result.new_items
        responses = result.model_responses
        assert "".join(texts) == "".join(r.text for r in responses)
        reasoning_items = [i for i in items if isinstance(i, ReasoningItem)]
        assert "".join(thoughts) == "".join(i.raw_item["text"] for i in reasoning_items)
