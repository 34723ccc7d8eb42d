"""@sword: schemas from hints and docstrings, context injection, execution and failures."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from drusilla import (
    Agent,
    RunContextWrapper,
    Runner,
    SwordContext,
    SwordError,
    UserError,
    sword,
)
from drusilla.testing import ScriptedModel, Turn, call

from ..wire_items import output_text


def test_google_docstring_gives_description_and_parameter_docs() -> None:
    @sword
    def get_weather(city: str, days: int = 1) -> str:
        """Look up the weather.

        Args:
            city: The city to look up.
            days (int): How many days
                to forecast.

        Returns:
            A forecast.
        """
        return city

    assert get_weather.description == "Look up the weather."
    props = get_weather.params_json_schema["properties"]
    assert props["city"] == {"type": "string", "description": "The city to look up."}
    assert props["days"]["description"] == "How many days to forecast."
    assert props["days"]["default"] == 1
    assert get_weather.params_json_schema["required"] == ["city"]


def test_numpy_docstring() -> None:
    @sword
    def scale(value: float, factor: float) -> float:
        """Scale a value.

        Parameters
        ----------
        value : float
            The value.
        factor : float
            What to multiply by.

        Returns
        -------
        float
        """
        return value * factor

    props = scale.params_json_schema["properties"]
    assert scale.description == "Scale a value."
    assert props["value"]["description"] == "The value."
    assert props["factor"]["description"] == "What to multiply by."


def test_sphinx_docstring() -> None:
    @sword
    def search(query: str, limit: int) -> list[str]:
        """Search the archive.

        :param query: Words to look for.
        :param int limit: At most this many hits.
        :returns: The hits.
        """
        return []

    props = search.params_json_schema["properties"]
    assert search.description == "Search the archive."
    assert props["query"]["description"] == "Words to look for."
    assert props["limit"]["description"] == "At most this many hits."


def test_pydantic_types_and_strict_schema_when_every_parameter_is_required() -> None:
    class Address(BaseModel):
        street: str
        zip_code: Annotated[str, Field(pattern=r"^\d{5}$")]

    @sword
    def ship(to: Address, mode: Literal["air", "sea"]) -> str:
        """Ship a parcel."""
        return "ok"

    assert ship.spec.strict is True
    params = ship.spec.parameters
    assert params["additionalProperties"] is False
    assert params["properties"]["mode"]["enum"] == ["air", "sea"]
    address = params["$defs"]["Address"]
    assert address["additionalProperties"] is False
    assert set(address["required"]) == {"street", "zip_code"}


def test_optional_parameters_keep_a_non_strict_schema() -> None:
    @sword
    def greet(name: str = "you") -> str:
        return name

    assert greet.spec.strict is False
    assert greet.spec.parameters["properties"]["name"]["default"] == "you"


def test_context_parameter_is_injected_and_hidden_from_the_schema() -> None:
    @sword
    def whoami(ctx: RunContextWrapper[dict[str, str]], greeting: str) -> str:
        return f"{greeting} {ctx.context['user']}"

    assert list(whoami.params_json_schema["properties"]) == ["greeting"]


def test_names_description_override_and_reserved_parameter_names() -> None:
    @sword(name="lookup", description="Find a record.")
    def find(json: str, schema: int) -> str:  # names that shadow BaseModel attributes
        return f"{json}:{schema}"

    assert find.name == "lookup"
    assert find.description == "Find a record."
    assert set(find.params_json_schema["properties"]) == {"json", "schema"}


def test_misuse_is_a_clear_user_error() -> None:
    with pytest.raises(UserError, match=r"\*args"):

        @sword
        def variadic(*args: int) -> int:
            return 0

    with pytest.raises(UserError, match="must come first"):

        @sword
        def late(x: int, ctx: RunContextWrapper[Any]) -> int:
            return x

    with pytest.raises(UserError, match="positive number"):
        sword(timeout=-1)(lambda: None)
    with pytest.raises(UserError, match="Decorate it with @sword"):
        Agent("a", swords=[lambda: None])  # type: ignore[list-item]


async def test_sync_swords_run_in_worker_threads_and_async_swords_on_the_loop() -> None:
    loop_thread = threading.get_ident()
    seen: dict[str, int] = {}

    @sword
    def blocking() -> str:
        seen["sync"] = threading.get_ident()
        return "sync done"

    @sword
    async def nonblocking() -> str:
        seen["async"] = threading.get_ident()
        return "async done"

    model = ScriptedModel([[call("blocking"), call("nonblocking")], "done"])
    agent = Agent("a", model=model, swords=[blocking, nonblocking])
    result = await Runner.run(agent, "go")

    assert seen["sync"] != loop_thread
    assert seen["async"] == loop_thread
    outputs = [
        output_text(item.raw_item)
        for item in result.new_items
        if item.type == "sword_call_output_item"
    ]
    assert outputs == ["sync done", "async done"]
    model.assert_all_used()


async def test_structured_arguments_are_validated_and_passed_as_models() -> None:
    @dataclass
    class Point:
        x: int
        y: int

    received: list[Any] = []

    @sword
    def plot(points: list[Point], label: str) -> str:
        received.extend(points)
        return f"{label}: {len(points)} points"

    model = ScriptedModel(
        [call("plot", points=[{"x": 1, "y": 2}, {"x": "3", "y": 4}], label="L"), "plotted"]
    )
    result = await Runner.run(Agent("a", model=model, swords=[plot]), "plot it")
    assert received == [Point(1, 2), Point(3, 4)]  # "3" coerced by validation
    assert output_text(result.new_items[1].raw_item) == "L: 2 points"


async def test_return_values_reach_the_model_as_text() -> None:
    class Forecast(BaseModel):
        city: str
        degrees: int

    @sword
    def forecast() -> Forecast:
        return Forecast(city="Oslo", degrees=-3)

    @sword
    def numbers() -> dict[str, list[int]]:
        return {"n": [1, 2]}

    model = ScriptedModel([[call("forecast"), call("numbers")], "ok"])
    result = await Runner.run(Agent("a", model=model, swords=[forecast, numbers]), "x")
    outputs = [
        output_text(i.raw_item) for i in result.new_items if i.type == "sword_call_output_item"
    ]
    assert outputs == ['{"city":"Oslo","degrees":-3}', '{"n":[1,2]}']
    typed = [i.output for i in result.new_items if i.type == "sword_call_output_item"]
    assert typed[0] == Forecast(city="Oslo", degrees=-3)


async def test_timeout_turns_into_an_error_the_model_sees() -> None:
    @sword(timeout=0.05)
    async def slow() -> str:
        await asyncio.sleep(5)
        return "never"

    model = ScriptedModel([call("slow"), "gave up"])
    result = await Runner.run(Agent("a", model=model, swords=[slow]), "x")
    assert result.final_output == "gave up"
    assert (
        output_text(result.new_items[1].raw_item) == "The sword slow timed out after 0.05 seconds."
    )


async def test_custom_failure_function_and_sword_context() -> None:
    def explain(ctx: RunContextWrapper[Any], error: Exception) -> str:
        assert isinstance(ctx, SwordContext)
        return f"{ctx.sword_name} ({ctx.call_id}) broke: {error}"

    @sword(failure_error_function=explain)
    def fragile() -> str:
        raise ValueError("disk full")

    failing_call = call("fragile")
    model = ScriptedModel([failing_call, "sorry"])
    result = await Runner.run(Agent("a", model=model, swords=[fragile]), "x")
    expected = f"fragile ({failing_call['call_id']}) broke: disk full"
    assert output_text(result.new_items[1].raw_item) == expected


async def test_failure_function_none_ends_the_run_with_sword_error() -> None:
    @sword(failure_error_function=None)
    def strict_sword() -> str:
        raise KeyError("missing")

    model = ScriptedModel([call("strict_sword")])
    with pytest.raises(SwordError) as caught:
        await Runner.run(Agent("a", model=model, swords=[strict_sword]), "x")
    assert caught.value.sword_name == "strict_sword"
    assert isinstance(caught.value.__cause__, KeyError)
    assert caught.value.run_data is not None
    assert len(caught.value.run_data.new_items) == 1  # the call that failed


async def test_a_sword_that_raises_and_a_model_that_recovers() -> None:
    attempts: list[int] = []

    @sword
    def divide(a: int, b: int) -> float:
        attempts.append(b)
        return a / b

    model = ScriptedModel([call("divide", a=1, b=0), call("divide", a=1, b=2), "Half: 0.5"])
    result = await Runner.run(Agent("a", model=model, swords=[divide]), "1/0?")
    assert attempts == [0, 2]
    error_text = model.requests[1].input[-1]
    assert error_text["output"] == (  # type: ignore[typeddict-item]
        "An error occurred while running the sword divide: division by zero"
    )
    assert result.final_output == "Half: 0.5"


async def test_failure_message_template_can_be_overridden_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DRUSILLA_SWORD_ERROR_MESSAGE", "Tool {sword} failed -> {error}")

    @sword
    def boom() -> str:
        raise RuntimeError("kaput")

    model = ScriptedModel([call("boom"), "ok"])
    result = await Runner.run(Agent("a", model=model, swords=[boom]), "x")
    assert output_text(result.new_items[1].raw_item) == "Tool boom failed -> kaput"


async def test_two_sync_swords_sleeping_run_concurrently() -> None:
    import time

    @sword
    def nap(seconds: float) -> str:
        time.sleep(seconds)
        return "rested"

    model = ScriptedModel([[call("nap", seconds=0.2), call("nap", seconds=0.2)], "done"])
    started = time.perf_counter()
    await Runner.run(Agent("a", model=model, swords=[nap]), "rest")
    elapsed = time.perf_counter() - started
    assert elapsed < 0.35, f"two 0.2 s swords took {elapsed:.3f} s: they did not overlap"


async def test_parallel_sword_calls_false_runs_them_one_at_a_time() -> None:
    import time

    from drusilla import ModelSettings

    @sword
    def nap() -> str:
        time.sleep(0.1)
        return "rested"

    model = ScriptedModel([[call("nap"), call("nap")], "done"])
    agent = Agent(
        "a", model=model, swords=[nap], model_settings=ModelSettings(parallel_sword_calls=False)
    )
    started = time.perf_counter()
    await Runner.run(agent, "rest")
    assert time.perf_counter() - started >= 0.2
    assert model.requests[0].settings.parallel_sword_calls is False


def test_turn_helper_keeps_text_and_calls() -> None:
    response = Turn(text="hi", calls=[call("x")], reasoning="think").to_response()
    assert response.text == "hi"
    assert response.reasoning == "think"
    assert [c["name"] for c in response.sword_calls] == ["x"]


async def test_sync_swords_see_the_callers_contextvars() -> None:
    import contextvars

    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

    @sword
    def which_request() -> str:
        return request_id.get()

    request_id.set("req-42")
    model = ScriptedModel([call("which_request"), "ok"])
    result = await Runner.run(Agent("a", model=model, swords=[which_request]), "x")
    assert result.new_items[1].raw_item["output"] == "req-42"  # type: ignore[typeddict-item]


async def test_overdue_sync_swords_do_not_starve_other_runs() -> None:
    """40 sync calls that outlived their timeout still hold their threads; an instant sync
    sword in another run must answer anyway (issue 16, defect 2)."""
    release = threading.Event()
    started = threading.Semaphore(0)

    @sword(timeout=0.05)
    def stuck() -> str:
        started.release()
        release.wait(timeout=120)
        return "late"

    @sword(timeout=60)
    def instant() -> str:
        return "instant"

    try:
        stuck_model = ScriptedModel([[call("stuck") for _ in range(40)], "gave up"])
        stuck_run = await Runner.run(Agent("a", model=stuck_model, swords=[stuck]), "go")
        assert stuck_run.final_output == "gave up"
        for _ in range(40):  # all 40 really hold a thread
            assert await asyncio.to_thread(started.acquire, True, 60)

        other_model = ScriptedModel([call("instant"), "done"])
        other = await Runner.run(Agent("b", model=other_model, swords=[instant]), "go")
        outputs = [
            output_text(i.raw_item) for i in other.new_items if i.type == "sword_call_output_item"
        ]
        assert outputs == ["instant"]
    finally:
        release.set()
