"""The turn loop, driven through Runner.run as a user would.

Tests taking the `script` fixture run once per transport (in-process, and over HTTP where the
models tests add it), so they must not inspect transport-specific request records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from drusilla import (
    Agent,
    MaxTurnsError,
    MessageOutputItem,
    Model,
    OrbCallItem,
    OrbOutputItem,
    ReasoningItem,
    RunConfig,
    RunContextWrapper,
    Runner,
    StopAtSwords,
    SwordCallItem,
    SwordCallOutputItem,
    SwordResult,
    SwordsToFinalOutputResult,
    UserError,
    orb,
    sword,
)
from drusilla.testing import ScriptedModel, Turn, call

from ..conftest import skip_unless_the_wire_carries
from ..wire_items import output_text

Script = Callable[..., Model]


@sword
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: sunny, 21C"


@sword
def get_time(city: str) -> str:
    """Local time in a city."""
    return f"{city}: 14:05"


async def test_plain_answer(script: Script) -> None:
    agent = Agent("poet", instructions="Be brief.", model=script("Roses are red."))
    result = await Runner.run(agent, "A poem?")
    assert result.final_output == "Roses are red."
    assert [type(i) for i in result.new_items] == [MessageOutputItem]
    assert result.last_agent is agent
    assert result.usage.requests == 1
    assert result.to_input_list() == [
        {"role": "user", "content": "A poem?"},
        {"role": "assistant", "content": "Roses are red."},
    ]


async def test_triage_orbs_to_specialist_who_calls_two_swords_in_one_turn(script: Script) -> None:
    specialist = Agent(
        "Travel Specialist",
        instructions="Answer travel questions with your swords.",
        model=script(
            [call("get_weather", city="Lisbon"), call("get_time", city="Lisbon")],
            "In Lisbon it is 14:05 and sunny, 21C.",
        ),
        swords=[get_weather, get_time],
        orb_description="Weather and time abroad.",
    )
    triage = Agent(
        "Triage",
        instructions="Route the user to the right specialist.",
        model=script(call("transfer_to_travel_specialist")),
        orbs=[specialist],
    )
    result = await Runner.run(triage, "Weather and time in Lisbon?")

    assert result.final_output == "In Lisbon it is 14:05 and sunny, 21C."
    assert result.last_agent is specialist
    kinds = [type(item) for item in result.new_items]
    assert kinds == [
        OrbCallItem,
        OrbOutputItem,
        SwordCallItem,
        SwordCallItem,
        SwordCallOutputItem,
        SwordCallOutputItem,
        MessageOutputItem,
    ]
    outputs = [i.output for i in result.new_items if isinstance(i, SwordCallOutputItem)]
    assert outputs == ["Lisbon: sunny, 21C", "Lisbon: 14:05"]
    orb_output = result.new_items[1]
    assert isinstance(orb_output, OrbOutputItem)
    assert (orb_output.source_agent, orb_output.target_agent) == (triage, specialist)
    assert result.usage.requests == 3


async def test_the_model_sees_instructions_history_and_swords() -> None:
    specialist_model = ScriptedModel([call("get_weather", city="Oslo"), "Cold."])
    specialist = Agent(
        "Weather", instructions="Use get_weather.", model=specialist_model, swords=[get_weather]
    )
    triage_model = ScriptedModel([call("transfer_to_weather")])
    triage = Agent("Triage", instructions="Route.", model=triage_model, orbs=[specialist])
    await Runner.run(triage, "Oslo weather?")

    first = triage_model.requests[0]
    assert first.instructions == "Route."
    assert [s.name for s in first.swords] == ["transfer_to_weather"]
    assert first.input == [{"role": "user", "content": "Oslo weather?"}]

    second, third = specialist_model.requests
    assert second.instructions == "Use get_weather."
    assert [s.name for s in second.swords] == ["get_weather"]
    assert [item.get("type", "message") for item in second.input] == [
        "message",
        "function_call",
        "function_call_output",
    ]
    assert third.input[-1] == {
        "type": "function_call_output",
        "call_id": third.input[-2]["call_id"],  # type: ignore[typeddict-item]
        "output": "Oslo: sunny, 21C",
    }


async def test_agent_as_sword_runs_nested_and_rolls_usage_up(script: Script) -> None:
    translator = Agent(
        "Translator", instructions="Translate to French.", model=script("Bonjour le monde")
    )
    boss = Agent(
        "Boss",
        model=script(call("translate", input="Hello world"), "It says: Bonjour le monde"),
        swords=[translator.as_sword(name="translate", description="Translate text to French.")],
    )
    result = await Runner.run(boss, "Translate 'Hello world'")
    assert result.final_output == "It says: Bonjour le monde"
    sword_output = result.new_items[1]
    assert isinstance(sword_output, SwordCallOutputItem)
    assert sword_output.output == "Bonjour le monde"
    assert result.usage.requests == 3  # two for the boss, one for the nested translator
    assert result.last_agent is boss


async def test_agent_as_sword_output_extractor_and_shared_context() -> None:
    seen: list[Any] = []

    def remember(ctx: RunContextWrapper[dict[str, str]], agent: Agent[Any]) -> str:
        seen.append(ctx.context)
        return "Summarise."

    summariser = Agent("Summariser", instructions=remember, model=ScriptedModel(["short"]))

    async def extract(result: Any) -> str:
        return f"[{result.last_agent.name}] {result.final_output}"

    boss = Agent(
        "Boss",
        model=ScriptedModel([call("summariser", input="long text"), "done"]),
        swords=[summariser.as_sword(output_extractor=extract)],
    )
    context = {"user": "ada"}
    result = await Runner.run(boss, "go", context=context)
    assert seen == [context]
    assert result.new_items[1].raw_item["output"] == "[Summariser] short"  # type: ignore[typeddict-item]


async def test_max_turns_error_carries_the_partial_run(script: Script) -> None:
    agent = Agent(
        "looper",
        model=script(call("get_weather", city="A"), call("get_weather", city="B")),
        swords=[get_weather],
    )
    with pytest.raises(MaxTurnsError) as caught:
        await Runner.run(agent, "loop", max_turns=2)
    data = caught.value.run_data
    assert data is not None
    assert "max_turns=2" in str(caught.value)
    assert data.last_agent is agent
    assert len(data.model_responses) == 2
    outputs = [i.output for i in data.new_items if isinstance(i, SwordCallOutputItem)]
    assert outputs == ["A: sunny, 21C", "B: sunny, 21C"]
    assert data.usage.requests == 2


async def test_max_turns_from_run_config_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from drusilla.util.settings import reload_settings

    agent = Agent("a", model=ScriptedModel([call("get_weather", city="X")]), swords=[get_weather])
    with pytest.raises(MaxTurnsError, match="max_turns=1"):
        await Runner.run(agent, "x", run_config=RunConfig(max_turns=1))

    monkeypatch.setenv("DRUSILLA_MAX_TURNS", "1")
    reload_settings()
    agent = Agent("a", model=ScriptedModel([call("get_weather", city="X")]), swords=[get_weather])
    with pytest.raises(MaxTurnsError, match="max_turns=1"):
        await Runner.run(agent, "x")


async def test_unknown_sword_goes_back_to_the_model_which_corrects_itself(script: Script) -> None:
    agent = Agent(
        "a",
        model=script(call("get_wether", city="Rome"), call("get_weather", city="Rome"), "Sunny."),
        swords=[get_weather],
    )
    result = await Runner.run(agent, "Rome?")
    first_output = result.new_items[1]
    assert isinstance(first_output, SwordCallOutputItem)
    assert "no sword named get_wether" in first_output.raw_item["output"]
    assert "get_weather" in first_output.raw_item["output"]
    assert result.final_output == "Sunny."


async def test_arguments_that_are_not_json_or_fail_validation_go_back_to_the_model(
    script: Script,
) -> None:
    model = script(
        call("get_weather", '{"city": "Rome"'),  # not JSON
        call("get_weather", town="Rome"),  # wrong field
        call("get_weather", city="Rome"),
        "Sunny in Rome.",
    )
    skip_unless_the_wire_carries(model, '{"city": "Rome"')
    agent = Agent("a", model=model, swords=[get_weather])
    result = await Runner.run(agent, "Rome?")
    outputs = [
        output_text(i.raw_item) for i in result.new_items if isinstance(i, SwordCallOutputItem)
    ]
    assert outputs[0].startswith("Invalid arguments for the sword get_weather:")
    assert "Invalid JSON" in outputs[0]
    assert "city: Field required" in outputs[1]
    assert "town: Extra inputs are not permitted" in outputs[1]
    assert outputs[2] == "Rome: sunny, 21C"
    assert result.final_output == "Sunny in Rome."


async def test_several_orbs_in_one_turn_take_the_first(script: Script) -> None:
    first = Agent("First", model=script("first here"))
    second = Agent("Second", model=script())
    router = Agent(
        "Router",
        model=script([call("transfer_to_first"), call("transfer_to_second")]),
        orbs=[first, second],
    )
    result = await Runner.run(router, "who?")
    assert result.last_agent is first
    assert result.final_output == "first here"
    ignored = result.new_items[3]
    assert isinstance(ignored, SwordCallOutputItem)
    assert "this one was ignored" in ignored.raw_item["output"]


async def test_swords_and_an_orb_in_one_turn(script: Script) -> None:
    closer = Agent("Closer", model=script("Booked."))
    agent = Agent(
        "Planner",
        model=script([call("get_weather", city="Nice"), call("transfer_to_closer")]),
        swords=[get_weather],
        orbs=[closer],
    )
    result = await Runner.run(agent, "Plan a trip")
    assert result.last_agent is closer
    kinds = [type(i) for i in result.new_items]
    assert kinds == [
        SwordCallItem,
        OrbCallItem,
        SwordCallOutputItem,
        OrbOutputItem,
        MessageOutputItem,
    ]


async def test_stop_on_first_sword(script: Script) -> None:
    agent = Agent(
        "a",
        model=script(call("get_weather", city="Bergen")),
        swords=[get_weather],
        sword_use_behavior="stop_on_first_sword",
    )
    result = await Runner.run(agent, "x")
    assert result.final_output == "Bergen: sunny, 21C"


async def test_stop_at_swords(script: Script) -> None:
    agent = Agent(
        "a",
        model=script(call("get_weather", city="X"), call("get_time", city="Y")),
        swords=[get_weather, get_time],
        sword_use_behavior=StopAtSwords(["get_time"]),
    )
    result = await Runner.run(agent, "x")
    assert result.final_output == "Y: 14:05"
    assert result.usage.requests == 2


async def test_sword_use_behavior_function(script: Script) -> None:
    def decide(
        ctx: RunContextWrapper[Any], results: list[SwordResult]
    ) -> SwordsToFinalOutputResult:
        texts = [r.output_text for r in results]
        if any("Z" in t for t in texts):
            return SwordsToFinalOutputResult(True, " | ".join(texts))
        return SwordsToFinalOutputResult(False)

    agent = Agent(
        "a",
        model=script(call("get_weather", city="X"), call("get_weather", city="Z")),
        swords=[get_weather],
        sword_use_behavior=decide,
    )
    result = await Runner.run(agent, "x")
    assert result.final_output == "Z: sunny, 21C"


async def test_reasoning_becomes_an_item_and_result_reasoning(script: Script) -> None:
    agent = Agent(
        "thinker",
        model=script(
            Turn(reasoning="Need the weather first.", calls=[call("get_weather", city="Kyiv")]),
            Turn(reasoning="It is sunny, say so.", text="Sunny in Kyiv."),
        ),
        swords=[get_weather],
    )
    result = await Runner.run(agent, "Kyiv?")
    reasoning = [i.text for i in result.new_items if isinstance(i, ReasoningItem)]
    assert reasoning == ["Need the weather first.", "It is sunny, say so."]
    assert result.reasoning == "It is sunny, say so."
    assert result.final_output == "Sunny in Kyiv."


async def test_context_reaches_swords_charms_shields_and_instructions() -> None:
    from drusilla import AgentCharms, RunCharms, ShieldResult, input_shield, output_shield

    @dataclass
    class Account:
        owner: str
        touched_by: list[str]

    def instructions(ctx: RunContextWrapper[Account], agent: Agent[Account]) -> str:
        ctx.context.touched_by.append("instructions")
        return f"Serve {ctx.context.owner}."

    @sword
    async def balance(ctx: RunContextWrapper[Account]) -> str:
        ctx.context.touched_by.append("sword")
        return "42"

    @input_shield
    def check_in(ctx: RunContextWrapper[Account], agent: Agent[Any], value: Any) -> ShieldResult:
        ctx.context.touched_by.append("input_shield")
        return ShieldResult()

    @output_shield
    async def check_out(
        ctx: RunContextWrapper[Account], agent: Agent[Any], value: Any
    ) -> ShieldResult:
        ctx.context.touched_by.append("output_shield")
        return ShieldResult()

    class Charm(RunCharms[Account]):
        async def on_agent_start(self, ctx: RunContextWrapper[Account], agent: Any) -> None:
            ctx.context.touched_by.append("run_charm")

    class MyAgentCharm(AgentCharms[Account]):
        async def on_end(self, ctx: RunContextWrapper[Account], agent: Any, output: Any) -> None:
            ctx.context.touched_by.append("agent_charm")

    model = ScriptedModel([call("balance"), "Your balance is 42."])
    agent = Agent(
        "bank",
        instructions=instructions,
        model=model,
        swords=[balance],
        input_shields=[check_in],
        output_shields=[check_out],
        charms=MyAgentCharm(),
    )
    account = Account("ada", [])
    result = await Runner.run(agent, "balance?", context=account, charms=Charm())
    assert result.context.context is account
    assert account.touched_by == [
        "input_shield",
        "run_charm",
        "instructions",
        "sword",
        "instructions",
        "output_shield",
        "agent_charm",
    ]
    assert model.requests[0].instructions == "Serve ada."


async def test_async_dynamic_instructions_and_clone() -> None:
    async def instructions(ctx: RunContextWrapper[str], agent: Agent[str]) -> str:
        await asyncio.sleep(0)
        return f"You are {agent.name}, helping {ctx.context}."

    model = ScriptedModel(["hi", "hello"])
    base = Agent("Base", instructions=instructions, model=model)
    twin = base.clone(name="Twin")
    assert twin.instructions is base.instructions and twin.name == "Twin"
    await Runner.run(base, "x", context="bob")
    await Runner.run(twin, "x", context="eve")
    assert [r.instructions for r in model.requests] == [
        "You are Base, helping bob.",
        "You are Twin, helping eve.",
    ]


async def test_input_list_and_to_input_list_feed_the_next_run() -> None:
    model = ScriptedModel(["My name is Bot.", "You told me: Ada."])
    agent = Agent("bot", model=model)
    first = await Runner.run(agent, [{"role": "user", "content": "I am Ada."}])
    follow_up = [*first.to_input_list(), {"role": "user", "content": "Who am I?"}]
    await Runner.run(agent, follow_up)
    assert model.requests[1].input == [
        {"role": "user", "content": "I am Ada."},
        {"role": "assistant", "content": "My name is Bot."},
        {"role": "user", "content": "Who am I?"},
    ]


def test_misconfiguration_is_a_user_error_saying_what_to_change() -> None:
    with pytest.raises(UserError, match="not an Agent or an orb"):
        Agent("a", orbs=["billing"])  # type: ignore[list-item]
    with pytest.raises(UserError, match="orb\\(\\) needs an Agent"):
        orb("billing")  # type: ignore[type-var]

    class Opaque:
        pass

    with pytest.raises(UserError, match="cannot be turned into a JSON schema"):
        Agent("a", output_type=Opaque)
    with pytest.raises(UserError, match="non-empty name"):
        Agent("")
    with pytest.raises(UserError, match="sword_use_behavior"):
        Agent("a", sword_use_behavior="sometimes")  # type: ignore[call-overload]  # deliberately
    with pytest.raises(UserError, match="instructions function must accept"):
        # deliberately wrong: an instructions function without (ctx, agent)
        Agent("a", instructions=lambda: "x")  # type: ignore[arg-type, misc]


async def test_duplicate_sword_names_are_a_user_error_naming_both() -> None:
    @sword(name="get_weather")
    def other_weather(city: str) -> str:
        return city

    agent = Agent("a", model=ScriptedModel(), swords=[get_weather, other_weather])
    with pytest.raises(UserError, match="two swords named 'get_weather'"):
        await Runner.run(agent, "x")

    target = Agent("Target")
    clash = Agent(
        "b",
        model=ScriptedModel(),
        swords=[sword(name="transfer_to_target")(lambda: "x")],
        orbs=[target],
    )
    with pytest.raises(UserError) as caught:
        await Runner.run(clash, "x")
    assert "the sword 'transfer_to_target'" in str(caught.value)
    assert "the orb to agent 'Target'" in str(caught.value)


async def test_bad_run_arguments_are_user_errors() -> None:
    agent = Agent("a", model=ScriptedModel())
    with pytest.raises(UserError, match="needs an Agent"):
        await Runner.run("agent", "x")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="max_turns=0"):
        await Runner.run(agent, "x", max_turns=0)
    with pytest.raises(UserError, match="not a conversation item"):
        await Runner.run(agent, [42])
    with pytest.raises(UserError, match="must be a string or a list"):
        await Runner.run(agent, 42)


async def test_model_errors_propagate_as_themselves_with_run_data() -> None:
    from drusilla import ModelError

    failure = ModelError("server said no", status=400, code="bad", server_message="no")
    agent = Agent(
        "a", model=ScriptedModel([call("get_weather", city="X"), failure]), swords=[get_weather]
    )
    with pytest.raises(ModelError) as caught:
        await Runner.run(agent, "x")
    assert caught.value is failure
    assert caught.value.run_data is not None
    assert len(caught.value.run_data.new_items) == 2


async def test_run_config_model_overrides_every_agent() -> None:
    model = ScriptedModel(["from the override"])
    agent = Agent("a", model=ScriptedModel())
    result = await Runner.run(agent, "x", run_config=RunConfig(model=model))
    assert result.final_output == "from the override"


async def test_settings_are_layered_env_agent_run_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from drusilla import ModelSettings
    from drusilla.util.settings import reload_settings

    monkeypatch.setenv("DRUSILLA_TEMPERATURE", "0.1")
    monkeypatch.setenv("DRUSILLA_MAX_TOKENS", "100")
    monkeypatch.setenv("DRUSILLA_TOP_P", "0.5")
    reload_settings()
    model = ScriptedModel(["ok"])
    agent = Agent("a", model=model, model_settings=ModelSettings(temperature=0.2, max_tokens=200))
    config = RunConfig(model_settings=ModelSettings(max_tokens=300, seed=7), top_p=0.9)
    await Runner.run(agent, "x", run_config=config)
    settings = model.requests[0].settings
    assert (settings.temperature, settings.max_tokens, settings.top_p, settings.seed) == (
        0.2,
        300,
        0.9,
        7,
    )


async def test_timeout_stops_the_run_with_its_partial_state() -> None:
    from drusilla import RunTimeoutError

    @sword
    async def wait_forever() -> str:
        await asyncio.sleep(30)
        return "never"

    agent = Agent("a", model=ScriptedModel([call("wait_forever")]), swords=[wait_forever])
    with pytest.raises(RunTimeoutError, match=r"timeout=0\.1") as caught:
        await Runner.run(agent, "x", timeout=0.1)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.run_data is not None
    assert len(caught.value.run_data.model_responses) == 1


async def test_cancelling_a_run_during_a_sword_leaves_no_task_behind() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    @sword
    async def long_job() -> str:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    @sword
    async def other_job() -> str:
        await asyncio.sleep(30)
        return "never"

    agent = Agent(
        "a",
        model=ScriptedModel([[call("long_job"), call("other_job")]]),
        swords=[long_job, other_job],
    )
    before = asyncio.all_tasks()
    task = asyncio.create_task(Runner.run(agent, "x"))
    await asyncio.wait_for(started.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before


async def test_cancelling_during_a_sync_sword_returns_promptly() -> None:
    import threading
    import time

    release = threading.Event()

    @sword
    def blocking_job() -> str:
        release.wait(5)
        return "late"

    agent = Agent("a", model=ScriptedModel([call("blocking_job")]), swords=[blocking_job])
    before = asyncio.all_tasks()
    task = asyncio.create_task(Runner.run(agent, "x"))
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.perf_counter() - started < 0.5
    release.set()
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before


async def test_calls_sharing_one_call_id_each_get_their_result() -> None:
    # Some local servers number every call "call_0"; no result may be lost.
    first, second = call("get_weather", city="A"), call("get_weather", city="B")
    first["call_id"] = second["call_id"] = "call_0"
    agent = Agent("a", model=ScriptedModel([[first, second], "ok"]), swords=[get_weather])
    result = await Runner.run(agent, "x")
    outputs = [i.output for i in result.new_items if isinstance(i, SwordCallOutputItem)]
    assert outputs == ["A: sunny, 21C", "B: sunny, 21C"]
