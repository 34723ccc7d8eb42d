"""Shields (input before the first call, in parallel, output) and the exact charm order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from drusilla import (
    Agent,
    AgentCharms,
    InputShieldTripwireTriggered,
    ModelResponse,
    OutputShieldTripwireTriggered,
    RunCharms,
    RunConfig,
    RunContextWrapper,
    Runner,
    ShieldResult,
    Sword,
    input_shield,
    output_shield,
    sword,
)
from drusilla.testing import ScriptedModel, call


@input_shield
def no_homework(ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any) -> ShieldResult:
    if "homework" in str(value):
        return ShieldResult(success=False, message="homework requests are not allowed")
    return ShieldResult(data={"checked": True})


async def test_tripped_input_shield_spends_no_model_call() -> None:
    model = ScriptedModel()
    agent = Agent("tutor", model=model, input_shields=[no_homework])
    with pytest.raises(InputShieldTripwireTriggered, match="homework requests") as caught:
        await Runner.run(agent, "Do my homework")
    assert model.requests == []
    assert caught.value.shield_result.shield is no_homework
    assert caught.value.run_data is not None
    assert caught.value.run_data.usage.requests == 0
    assert caught.value.run_data.input_shield_results[0].tripped


async def test_passing_shield_results_are_recorded() -> None:
    @input_shield(name="size")
    async def small_enough(
        ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
    ) -> ShieldResult:
        return ShieldResult(message="fine")

    agent = Agent("tutor", model=ScriptedModel(["4"]), input_shields=[no_homework, small_enough])
    result = await Runner.run(agent, "2+2?")
    assert [r.shield.name for r in result.input_shield_results] == ["no_homework", "size"]
    assert result.input_shield_results[0].output.data == {"checked": True}
    assert not any(r.tripped for r in result.input_shield_results)


async def test_parallel_input_shield_races_the_first_call_and_cancels_it_on_a_trip() -> None:
    call_started = asyncio.Event()
    call_cancelled = asyncio.Event()

    class SlowModel(ScriptedModel):
        async def get_response(self, request: Any) -> ModelResponse:
            call_started.set()
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                call_cancelled.set()
                raise
            return await super().get_response(request)

    @input_shield(run_in_parallel=True)
    async def slow_check(
        ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
    ) -> ShieldResult:
        await call_started.wait()  # the model call is under way before the verdict
        return ShieldResult(tripwire_triggered=True, message="blocked late")

    agent = Agent("a", model=SlowModel(), input_shields=[slow_check])
    with pytest.raises(InputShieldTripwireTriggered, match="blocked late"):
        await asyncio.wait_for(Runner.run(agent, "x"), 2)
    assert call_cancelled.is_set()


async def test_parallel_input_shield_that_passes_lets_the_run_finish() -> None:
    @input_shield(run_in_parallel=True)
    async def fine(ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any) -> ShieldResult:
        await asyncio.sleep(0.01)
        return ShieldResult()

    result = await Runner.run(Agent("a", model=ScriptedModel(["ok"]), input_shields=[fine]), "x")
    assert result.final_output == "ok"
    assert len(result.input_shield_results) == 1


async def test_output_shield_trip_carries_the_result() -> None:
    @output_shield
    def no_secrets(ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any) -> ShieldResult:
        return ShieldResult(tripwire_triggered="password" in output, message="leaks a secret")

    agent = Agent(
        "a", model=ScriptedModel(["the password is hunter2"]), output_shields=[no_secrets]
    )
    with pytest.raises(OutputShieldTripwireTriggered, match="leaks a secret") as caught:
        await Runner.run(agent, "secret?")
    result = caught.value.shield_result
    assert result.agent_output == "the password is hunter2"
    assert result.agent is agent
    assert caught.value.run_data is not None
    assert caught.value.run_data.output_shield_results == [result]


async def test_run_config_shields_apply_too() -> None:
    model = ScriptedModel()
    config = RunConfig(input_shields=[no_homework])
    with pytest.raises(InputShieldTripwireTriggered):
        await Runner.run(Agent("a", model=model), "homework!", run_config=config)


async def test_a_shield_returning_something_else_is_a_user_error() -> None:
    from drusilla import UserError

    @input_shield
    def sloppy(ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any) -> ShieldResult:
        return True  # type: ignore[return-value]

    with pytest.raises(UserError, match="must return ShieldResult"):
        await Runner.run(Agent("a", model=ScriptedModel(), input_shields=[sloppy]), "x")


# --- charms --------------------------------------------------------------------------------------


class RecordingRunCharms(RunCharms[list[str]]):
    async def on_agent_start(self, ctx: RunContextWrapper[list[str]], agent: Agent[Any]) -> None:
        ctx.context.append(f"run.agent_start {agent.name}")

    async def on_agent_end(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], output: Any
    ) -> None:
        ctx.context.append(f"run.agent_end {agent.name} {output!r}")

    async def on_orb(
        self, ctx: RunContextWrapper[list[str]], from_agent: Agent[Any], to_agent: Agent[Any]
    ) -> None:
        ctx.context.append(f"run.orb {from_agent.name}->{to_agent.name}")

    async def on_sword_start(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], sword: Sword
    ) -> None:
        ctx.context.append(f"run.sword_start {agent.name} {sword.name}")

    async def on_sword_end(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], sword: Sword, result: Any
    ) -> None:
        ctx.context.append(f"run.sword_end {agent.name} {sword.name} {result!r}")

    async def on_llm_start(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], system_prompt: Any, items: Any
    ) -> None:
        ctx.context.append(f"run.llm_start {agent.name} {system_prompt!r} {len(items)}")

    async def on_llm_end(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], response: ModelResponse
    ) -> None:
        ctx.context.append(f"run.llm_end {agent.name}")


class RecordingAgentCharms(AgentCharms[list[str]]):
    async def on_start(self, ctx: RunContextWrapper[list[str]], agent: Agent[Any]) -> None:
        ctx.context.append(f"{agent.name}.start")

    async def on_end(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], output: Any
    ) -> None:
        ctx.context.append(f"{agent.name}.end")

    async def on_orb(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], source: Agent[Any]
    ) -> None:
        ctx.context.append(f"{agent.name}.orb from {source.name}")

    async def on_sword_start(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], sword: Sword
    ) -> None:
        ctx.context.append(f"{agent.name}.sword_start {sword.name}")

    async def on_sword_end(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], sword: Sword, result: Any
    ) -> None:
        ctx.context.append(f"{agent.name}.sword_end {sword.name}")

    async def on_llm_start(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], system_prompt: Any, items: Any
    ) -> None:
        ctx.context.append(f"{agent.name}.llm_start")

    async def on_llm_end(
        self, ctx: RunContextWrapper[list[str]], agent: Agent[Any], response: ModelResponse
    ) -> None:
        ctx.context.append(f"{agent.name}.llm_end")


@sword
def roll() -> int:
    """Roll a die."""
    return 4


async def test_exact_charm_sequence_for_a_run_with_a_sword_and_an_orb() -> None:
    charms = RecordingAgentCharms()
    closer = Agent("Closer", instructions="Close.", model=ScriptedModel(["bye"]), charms=charms)
    opener = Agent(
        "Opener",
        instructions="Open.",
        model=ScriptedModel([call("roll"), call("transfer_to_closer")]),
        swords=[roll],
        orbs=[closer],
        charms=charms,
    )
    log: list[str] = []
    await Runner.run(opener, "hi", context=log, charms=RecordingRunCharms())
    assert log == [
        "run.agent_start Opener",
        "Opener.start",
        "run.llm_start Opener 'Open.' 1",
        "Opener.llm_start",
        "run.llm_end Opener",
        "Opener.llm_end",
        "run.sword_start Opener roll",
        "Opener.sword_start roll",
        "run.sword_end Opener roll 4",
        "Opener.sword_end roll",
        "run.llm_start Opener 'Open.' 3",
        "Opener.llm_start",
        "run.llm_end Opener",
        "Opener.llm_end",
        "run.orb Opener->Closer",
        "Closer.orb from Opener",
        "run.agent_start Closer",
        "Closer.start",
        "run.llm_start Closer 'Close.' 5",
        "Closer.llm_start",
        "run.llm_end Closer",
        "Closer.llm_end",
        "run.agent_end Closer 'bye'",
        "Closer.end",
    ]


async def test_charms_must_be_the_right_kind() -> None:
    from drusilla import UserError

    with pytest.raises(UserError, match="AgentCharms instance"):
        # deliberately wrong: RunCharms where AgentCharms belong
        Agent("a", charms=RecordingRunCharms())  # type: ignore[call-overload]
    with pytest.raises(UserError, match="RunCharms instance"):
        await Runner.run(Agent("a"), "x", charms=RecordingAgentCharms())  # type: ignore[arg-type]
