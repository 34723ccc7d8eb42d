"""Run control (issue 15): per-run gear, retries, validators, limits, error handlers, trimming.

Every test takes `script` (in-process, Chat Completions and Responses over HTTP) and `run`
(plain and streamed), so each control is checked on every transport, streamed or not.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import (
    Agent,
    MaxTurnsError,
    ModelBehaviorError,
    ModelRetry,
    ModelSettings,
    RunCharms,
    RunConfig,
    RunContextWrapper,
    RunErrorDetails,
    Runner,
    SessionSettings,
    SQLiteSession,
    SwordCallOutputItem,
    SwordContext,
    SwordSpec,
    Usage,
    UsageLimitExceeded,
    UsageLimits,
    keep_last,
    orb,
    sword,
)
from drusilla.testing import Turn, call

from ..conftest import Script, skip_wire, wire_of
from ..wire_items import content_text, output_text
from .conftest import Run


def offered(model: Any, request: int) -> list[str]:
    return [spec.name for spec in model.requests[request].swords]


@sword
def lookup(term: str) -> str:
    """Look a term up."""
    return f"{term}: found"


# --- enabling and preparing gear ---------------------------------------------------------------


async def test_is_enabled_hides_swords_and_orbs_per_turn(script: Script, run: Run) -> None:
    @sword(is_enabled=lambda ctx, agent: ctx.context["admin"])
    def delete_all() -> str:
        """Delete everything."""
        return "deleted"

    @sword(is_enabled=False)
    def never() -> str:
        """Never offered."""
        return "no"

    helper = Agent("Helper", model=script())
    model = script(call("lookup", term="x"), call("delete_all"), "done")
    agent = Agent(
        "a",
        model=model,
        swords=[lookup, delete_all, never],
        orbs=[orb(helper, is_enabled=lambda ctx, agent: not ctx.context["admin"])],
    )
    context = {"admin": False}

    class Grant(RunCharms[Any]):
        async def on_sword_end(self, ctx: Any, agent: Any, sword: Any, result: Any) -> None:
            context["admin"] = True

    result = await run(agent, "go", context=context, charms=Grant())
    assert offered(model, 0) == ["lookup", "transfer_to_helper"]
    assert offered(model, 1) == ["lookup", "delete_all"]  # enabled from the second turn
    assert result.final_output == "done"


async def test_a_hidden_sword_called_anyway_is_unknown(script: Script, run: Run) -> None:
    @sword(is_enabled=False)
    def secret() -> str:
        """Hidden."""
        return "leaked"

    model = script(call("secret"), "ok")
    result = await run(Agent("a", model=model, swords=[secret]), "go")
    assert "There is no sword named secret" in output_text(model.requests[1].input[-1])
    assert result.final_output == "ok"


async def test_prepare_swords_filters_and_changes_specs(script: Script, run: Run) -> None:
    @sword
    def other() -> str:
        """Other."""
        return "o"

    async def prepare(
        ctx: RunContextWrapper[Any], agent: Any, specs: list[SwordSpec]
    ) -> list[SwordSpec]:
        return [
            dataclasses.replace(spec, description="Look it up, carefully.")
            for spec in specs
            if spec.name != "other"
        ]

    model = script(call("other"), "ok")
    agent = Agent("a", model=model, swords=[lookup, other], prepare_swords=prepare)
    await run(agent, "go")
    assert offered(model, 0) == ["lookup"]
    assert model.requests[0].swords[0].description == "Look it up, carefully."
    assert "There is no sword named other" in output_text(model.requests[1].input[-1])


# --- ModelRetry and output validators ----------------------------------------------------------


async def test_model_retry_in_a_sword_goes_back_then_fails_as_usual(
    script: Script, run: Run
) -> None:
    tries: list[int] = []

    @sword(max_retries=1)
    def book(day: int) -> str:
        """Book a day."""
        tries.append(day)
        raise ModelRetry(f"day {day} is full, pick another")

    model = script(call("book", day=1), call("book", day=2), "gave up")
    result = await run(Agent("a", model=model, swords=[book]), "go")
    first, second = (output_text(model.requests[i].input[-1]) for i in (1, 2))
    assert first.startswith("day 1 is full, pick another")  # the retry message
    assert "An error occurred while running the sword book: day 2 is full" in second
    assert tries == [1, 2] and result.final_output == "gave up"


async def test_sword_retries_default_from_settings(
    script: Script, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drusilla.util.settings import forget_settings

    monkeypatch.setenv("DRUSILLA_SWORD_MAX_RETRIES", "0")
    forget_settings()

    @sword
    def flaky() -> str:
        """Flaky."""
        raise ModelRetry("again")

    model = script(call("flaky"), "ok")
    await run(Agent("a", model=model, swords=[flaky]), "go")
    told = output_text(model.requests[1].input[-1])
    assert "An error occurred while running the sword flaky" in told


class Answer(BaseModel):
    city: str


async def test_output_validator_retries_and_transforms(script: Script, run: Run) -> None:
    seen: list[Any] = []

    def known_city(ctx: RunContextWrapper[Any], output: Answer) -> Answer:
        seen.append(output)
        if output.city != "Paris":
            raise ModelRetry(f"{output.city} is not a city we serve")
        return output

    async def shout(ctx: RunContextWrapper[Any], output: Answer) -> Answer:
        return Answer(city=output.city.upper())

    model = script('{"city": "Atlantis"}', '{"city": "Paris"}')
    agent = Agent("a", model=model, output_type=Answer, output_validators=[known_city, shout])
    result = await run(agent, "where?")
    assert result.final_output == Answer(city="PARIS")
    assert "Atlantis is not a city we serve" in content_text(model.requests[1].input[-1])
    assert len(seen) == 2


async def test_output_validator_retries_are_capped(script: Script, run: Run) -> None:
    def never(ctx: RunContextWrapper[Any], output: str) -> str:
        raise ModelRetry("not good enough")

    agent = Agent("a", model=script("one", "two"), output_validators=[never], output_retries=1)
    with pytest.raises(ModelBehaviorError, match="not good enough"):
        await run(agent, "go")


# --- sword charms see their call -----------------------------------------------------------------


async def test_sword_charms_get_call_id_and_parsed_arguments(script: Script, run: Run) -> None:
    events: list[tuple[str, str, Any]] = []

    class Watch(RunCharms[Any]):
        async def on_sword_start(self, ctx: Any, agent: Any, sword: Any) -> None:
            assert isinstance(ctx, SwordContext)
            events.append(("start", ctx.call_id, ctx.parsed_arguments))

        async def on_sword_end(self, ctx: Any, agent: Any, sword: Any, result: Any) -> None:
            events.append(("end", ctx.call_id, ctx.parsed_arguments))

    calls = [call("lookup", term="a"), call("lookup", term="b")]
    await run(Agent("a", model=script(calls, "ok"), swords=[lookup]), "go", charms=Watch())
    by_call = {c["call_id"]: {"term": "a" if i == 0 else "b"} for i, c in enumerate(calls)}
    assert sorted(events, key=lambda e: (e[1], e[0])) == sorted(
        [(kind, cid, args) for cid, args in by_call.items() for kind in ("start", "end")],
        key=lambda e: (e[1], e[0]),
    )


# --- error handlers ------------------------------------------------------------------------------


async def test_max_turns_handler_gives_the_final_output(script: Script, run: Run) -> None:
    def handler(data: RunErrorDetails) -> str:
        return f"stopped after {len(data.model_responses)} calls"

    agent = Agent("a", model=script(call("lookup", term="x"), call("lookup", term="y")))
    agent.swords.append(lookup)
    result = await run(agent, "go", max_turns=2, error_handlers={"max_turns": handler})
    assert result.final_output == "stopped after 2 calls"


async def test_without_a_handler_max_turns_still_raises(script: Script, run: Run) -> None:
    agent = Agent("a", model=script(call("lookup", term="x")), swords=[lookup])
    with pytest.raises(MaxTurnsError):
        await run(agent, "go", max_turns=1, error_handlers={})


# --- usage limits and cost ----------------------------------------------------------------------


async def test_request_limit_stops_before_the_call(script: Script, run: Run) -> None:
    model = script(call("lookup", term="x"))
    config = RunConfig(usage_limits=UsageLimits(request_limit=1))
    with pytest.raises(UsageLimitExceeded, match="request_limit=1") as caught:
        await run(Agent("a", model=model, swords=[lookup]), "go", run_config=config)
    assert caught.value.run_data is not None
    assert caught.value.run_data.usage.requests == 1


async def test_token_and_sword_call_limits(script: Script, run: Run) -> None:
    usage = Usage(requests=1, input_tokens=60, output_tokens=50, total_tokens=110)
    config = RunConfig(usage_limits=UsageLimits(total_tokens_limit=100))
    with pytest.raises(UsageLimitExceeded, match="total_tokens_limit=100"):
        await run(Agent("a", model=script(Turn(text="hi", usage=usage))), "go", run_config=config)

    calls = [call("lookup", term="a"), call("lookup", term="b")]
    config = RunConfig(usage_limits=UsageLimits(sword_calls_limit=1))
    agent = Agent("b", model=script(calls), swords=[lookup])
    with pytest.raises(UsageLimitExceeded, match="sword_calls_limit=1"):
        await run(agent, "go", run_config=config)


async def test_nested_runs_count_toward_the_root_limit(script: Script, run: Run) -> None:
    inner = Agent("Inner", model=script(call("lookup", term="x")), swords=[lookup])
    outer = Agent("Outer", model=script(call("inner", input="go")), swords=[inner.as_sword()])
    config = RunConfig(usage_limits=UsageLimits(request_limit=2))
    with pytest.raises(UsageLimitExceeded, match="request_limit=2"):
        await run(outer, "go", run_config=config)


async def test_server_reported_cost_is_kept_and_added_up(script: Script, run: Run) -> None:
    first = Usage(requests=1, input_tokens=5, output_tokens=1, cost=0.25)
    second = Usage(requests=1, input_tokens=5, output_tokens=1, cost=0.5)
    model = script(Turn(calls=[call("lookup", term="x")], usage=first), Turn("ok", usage=second))
    if wire_of(model) in ("messages", "gemini"):
        skip_wire(model, "the Anthropic and Gemini APIs report no cost in their usage")
    result = await run(Agent("a", model=model, swords=[lookup]), "go")
    assert result.context.usage.cost == pytest.approx(0.75)
    assert [r.usage.cost for r in result.model_responses] == [0.25, 0.5]


# --- history trimming ---------------------------------------------------------------------------


async def test_keep_last_never_splits_a_call_from_its_result(script: Script, run: Run) -> None:
    model = script(call("lookup", term="a"), call("lookup", term="b"), "ok")
    config = RunConfig(model_input_filter=keep_last(3))
    result = await run(Agent("a", model=model, swords=[lookup]), "go", run_config=config)
    third = model.requests[2].input
    # the last three items: result a, call b, result b; result a lost its call and is dropped
    assert [item.get("type") for item in third] == ["function_call", "function_call_output"]
    assert len(result.new_items) == 5  # the run keeps everything


async def test_session_limit_reads_only_the_latest_items(
    script: Script, run: Run, tmp_path: Any
) -> None:
    session = SQLiteSession("s", tmp_path / "s.db")
    await session.add_items([{"role": "user", "content": f"old {n}"} for n in range(5)])
    model = script("ok")
    config = RunConfig(session_settings=SessionSettings(limit=2))
    await run(Agent("a", model=model), "new", session=session, run_config=config)
    texts = [content_text(item) for item in model.requests[0].input]
    if wire_of(model) in ("messages", "gemini"):  # consecutive user messages go as one turn
        assert texts == ["old 3old 4new"]
    else:
        assert texts == ["old 3", "old 4", "new"]
    assert len(await session.get_items()) == 7


# --- sword choice, reasoning, fallback ----------------------------------------------------------


async def test_a_forced_sword_choice_is_reset_after_a_sword_call(script: Script, run: Run) -> None:
    model = script(call("lookup", term="x"), "found it")
    agent = Agent(
        "a", model=model, swords=[lookup], model_settings=ModelSettings(sword_choice="required")
    )
    result = await run(agent, "go")
    assert result.final_output == "found it"
    assert model.requests[0].settings.sword_choice == "required"
    assert model.requests[1].settings.sword_choice in (None, "auto")


async def test_reset_sword_choice_false_keeps_forcing(script: Script, run: Run) -> None:
    settings = ModelSettings(sword_choice="lookup", reset_sword_choice=False)
    model = script(call("lookup", term="x"), call("lookup", term="y"))
    agent = Agent("a", model=model, swords=[lookup], model_settings=settings)
    with pytest.raises(MaxTurnsError):
        await run(agent, "go", max_turns=2)
    assert model.requests[1].settings.sword_choice == "lookup"


async def test_require_reasoning(script: Script, run: Run) -> None:
    agent = Agent("a", model=script(Turn(text="ok", reasoning="thought")), require_reasoning=True)
    assert (await run(agent, "go")).final_output == "ok"
    agent = Agent("b", model=script("no thinking"), require_reasoning=True)
    with pytest.raises(ModelBehaviorError, match="requires reasoning"):
        await run(agent, "go")


async def test_concurrent_runs_do_not_share_retries(script: Script) -> None:
    @sword(max_retries=1)
    def once() -> str:
        """Once."""
        raise ModelRetry("again")

    def agent() -> Agent[Any]:
        return Agent("a", model=script(call("once"), "ok"), swords=[once])

    results = await asyncio.gather(*(Runner.run(agent(), "go") for _ in range(2)))
    assert all(r.final_output == "ok" for r in results)
    for result in results:
        retried = result.new_items[1]
        assert isinstance(retried, SwordCallOutputItem)
        assert retried.output.startswith("again")


async def test_a_custom_model_input_filter_sees_the_agent_and_items(
    script: Script, run: Run
) -> None:
    seen: list[tuple[str, int]] = []

    async def only_user(ctx: Any, agent: Any, items: list[Any]) -> list[Any]:
        seen.append((agent.name, len(items)))
        return [item for item in items if item.get("role") == "user"]

    model = script(call("lookup", term="x"), "ok")
    config = RunConfig(model_input_filter=only_user)
    await run(Agent("a", model=model, swords=[lookup]), "go", run_config=config)
    assert seen == [("a", 1), ("a", 3)]
    assert model.requests[1].input == [{"role": "user", "content": "go"}]


async def test_model_retry_from_a_validator_answers_the_final_output_sword(
    script: Script, run: Run
) -> None:
    def no_atlantis(ctx: Any, output: Answer) -> Answer:
        if output.city == "Atlantis":
            raise ModelRetry("Atlantis is a myth")
        return output

    model = script(call("final_result", city="Atlantis"), call("final_result", city="Rome"))
    agent = Agent(
        "a",
        model=model,
        output_type=Answer,
        output_validators=[no_atlantis],
        model_settings=ModelSettings(output_mode="sword"),
    )
    result = await run(agent, "where?")
    assert result.final_output == Answer(city="Rome")
    assert output_text(model.requests[1].input[-1]).startswith("Atlantis is a myth")


def test_misuse_is_a_user_error() -> None:
    from drusilla import UserError

    with pytest.raises(UserError, match="UsageLimits"):
        UsageLimits(request_limit=-1)
    with pytest.raises(UserError, match="is_enabled"):
        sword(is_enabled="yes")(lambda: None)  # type: ignore[call-overload]
    with pytest.raises(UserError, match="max_retries"):
        sword(max_retries=-1)(lambda: None)
    with pytest.raises(UserError, match="keep_last"):
        keep_last(0)
    with pytest.raises(UserError, match="SessionSettings"):
        SessionSettings(limit=0)
    with pytest.raises(UserError, match="output_validators"):
        Agent("a", output_validators=["nope"])  # type: ignore[list-item]


async def test_bad_returns_and_keys_are_user_errors(script: Script) -> None:
    from drusilla import UserError

    def bad(ctx: Any, agent: Any, specs: list[SwordSpec]) -> Any:
        return [SwordSpec("invented", "made up", {"type": "object", "properties": {}})]

    agent = Agent("a", model=script(), swords=[lookup], prepare_swords=bad)
    with pytest.raises(UserError, match="not one of the swords offered"):
        await Runner.run(agent, "go")
    with pytest.raises(UserError, match="unknown key 'max_tokens'"):
        await Runner.run(agent, "go", error_handlers={"max_tokens": lambda data: None})
