"""The spans a run produces: the tree, the attributes, and what stays out of them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from drusilla import (
    Agent,
    InputShieldTripwireTriggered,
    ModelSettings,
    RunConfig,
    Runner,
    ShieldResult,
    SQLiteSession,
    input_shield,
    output_shield,
    sword,
)
from drusilla.testing import ScriptedModel, Turn, call
from drusilla.tracing import (
    InMemoryTraceProcessor,
    Span,
    add_trace_processor,
    current_span,
    format_tree,
    span,
)
from drusilla.tracing.spans import NOOP_SPAN, tracing_active
from drusilla.util.errors import ModelError

from .scenarios import TREE, three_agents


def by_kind(processor: InMemoryTraceProcessor, kind: str) -> list[Span]:
    return [s for s in processor.spans if s.kind == kind]


def test_without_a_processor_spans_are_free() -> None:
    assert not tracing_active()
    first, second = span("run", "a"), span("model", "b", big=object())
    assert first is second  # one shared no-op scope: nothing allocated per span
    with first as opened:
        assert opened is NOOP_SPAN and not opened.recording
        opened.set(anything=1)
        opened.set_data(prompt="x")
        assert current_span() is None
    assert NOOP_SPAN.attributes == {}
    result = Runner.run_sync(Agent("a", model=ScriptedModel(["hi"])), "hello")
    assert result.final_output == "hi"


async def test_span_tree_of_three_agents_with_an_agent_as_sword(
    spans: InMemoryTraceProcessor,
) -> None:
    result = await Runner.run(three_agents(), "How many people live in Paris?")
    assert result.final_output == "About 2.1 million people."
    assert spans.tree() == TREE
    assert not spans.open_spans

    # One trace; every parent is in it; children inside their parent's time.
    (trace,) = spans.traces().values()
    ids = {s.span_id: s for s in trace}
    root = next(s for s in trace if s.parent_id is None)
    for child in trace:
        assert child.trace_id == root.trace_id
        if child is not root:
            parent = ids[child.parent_id]  # type: ignore[index]
            assert parent.started_at <= child.started_at
            assert child.ended_at <= parent.ended_at  # type: ignore[operator]

    # The nested run sits under the sword span that ran it, and is marked nested.
    nested = [s for s in trace if s.kind == "run" and s is not root]
    assert [ids[s.parent_id].name for s in nested] == ["researcher"]  # type: ignore[index]
    assert nested[0].attributes["nested"] is True and root.attributes["nested"] is False

    # Useful attributes on each kind.
    assert root.attributes["agent"] == "triage"
    assert root.attributes["last_agent"] == "specialist"
    assert root.attributes["turns"] == 3
    assert root.attributes["usage"]["total_tokens"] == result.usage.total_tokens
    assert root.attributes["input"] == "How many people live in Paris?"
    assert root.attributes["final_output"] == "About 2.1 million people."

    research = next(s for s in by_kind(spans, "model") if s.name == "researcher-model")
    assert research.attributes["provider"] == "scripted"
    assert research.attributes["stream"] is False
    assert research.attributes["usage"] == {
        "requests": 1,
        "input_tokens": 42,
        "output_tokens": 18,
        "total_tokens": 60,
        "reasoning_tokens": 8,
        "cached_tokens": 0,
        "cache_write_tokens": 0,
        "unreported_requests": 0,
    }
    assert research.attributes["instructions"] == "Answer with facts."
    assert research.attributes["input"] == [{"role": "user", "content": "Population of Paris?"}]
    assert [i.get("type", "message") for i in research.attributes["output"]] == [
        "reasoning",
        "message",
    ]
    assert research.duration is not None and research.duration >= 0

    specialist_call = next(s for s in by_kind(spans, "model") if s.name == "specialist-model")
    assert specialist_call.attributes["swords"] == ["researcher", "convert"]

    swords = {s.name: s for s in by_kind(spans, "sword")}
    assert json.loads(swords["convert"].attributes["arguments"]) == {
        "amount": 2100000,
        "unit": "people",
    }
    assert swords["convert"].attributes["output"] == "2100.0 thousand people"
    assert swords["researcher"].attributes["agent"] == "specialist"
    assert swords["researcher"].attributes["call_id"].startswith("call_")

    (orb,) = by_kind(spans, "orb")
    assert (orb.attributes["from_agent"], orb.attributes["to_agent"]) == ("triage", "specialist")


async def test_agents_as_swords_in_a_task_group_stay_in_their_parents_trace(
    spans: InMemoryTraceProcessor,
) -> None:
    def helper(name: str) -> Agent[Any]:
        return Agent(name, model=ScriptedModel([f"{name} says hi"], name=f"{name}-model"))

    boss = Agent(
        "boss",
        model=ScriptedModel([[call("alpha", input="a"), call("beta", input="b")], "both done"]),
        swords=[helper("alpha").as_sword(), helper("beta").as_sword()],
    )
    await Runner.run(boss, "go")
    (trace,) = spans.traces().values()
    ids = {s.span_id: s for s in trace}
    for name in ("alpha", "beta"):
        nested_model = next(s for s in trace if s.name == f"{name}-model")
        chain = []
        current: Span | None = nested_model
        while current is not None:
            chain.append(f"{current.kind} {current.name}")
            current = ids.get(current.parent_id or "")
        assert chain == [
            f"model {name}-model",
            "turn turn 1",
            f"agent {name}",
            f"run {name}",
            f"sword {name}",
            "turn turn 1",
            "agent boss",
            "run drusilla run",
        ]


async def test_streamed_run_has_the_same_tree(spans: InMemoryTraceProcessor) -> None:
    result = await Runner.run_streamed(three_agents(), "How many people live in Paris?")
    await result.wait()
    assert spans.tree() == TREE
    root_model = next(s for s in by_kind(spans, "model") if s.name == "triage-model")
    assert root_model.attributes["stream"] is True


async def test_tracing_false_turns_a_run_off(spans: InMemoryTraceProcessor) -> None:
    await Runner.run(three_agents(), "hi", run_config=RunConfig(tracing=False))
    assert spans.spans == []  # nested runs included
    await Runner.run(Agent("a", model=ScriptedModel(["x"])), "hi")
    assert [s.kind for s in spans.spans] == ["model", "turn", "agent", "run"]


async def test_data_can_be_left_out_of_traces(spans: InMemoryTraceProcessor) -> None:
    shielded = three_agents()
    await Runner.run(shielded, "secret question", run_config=RunConfig(trace_include_data=False))
    text = json.dumps([s.to_dict() for s in spans.spans])
    for private in ("secret question", "Paris has about", "Answer with facts", "people"):
        assert private not in text
    for s in spans.spans:
        assert not {"input", "output", "instructions", "arguments", "final_output"} & set(
            s.attributes
        )
    model = by_kind(spans, "model")[0]
    assert model.attributes["usage"]["requests"] == 1  # the numbers stay


async def test_api_keys_never_reach_a_trace(
    spans: InMemoryTraceProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-test-0123456789abcdef"
    monkeypatch.setenv("DRUSILLA_API_KEY", key)
    from drusilla.util.settings import reload_settings

    reload_settings()

    @sword
    def leaky() -> str:
        """Returns something that quotes the key."""
        return f"the server said: invalid key {key}"

    agent = Agent(
        "a",
        instructions=f"Never say {key}.",
        model=ScriptedModel([call("leaky"), "done"]),
        swords=[leaky],
        model_settings=ModelSettings(extra_headers={"Authorization": "Bearer hunter2-token"}),
    )
    config = RunConfig(metadata={"api_key": "meta-secret-value", "user": "ada", "note": key})
    await Runner.run(agent, f"my key is {key}", run_config=config)
    exported = json.dumps([s.to_dict() for s in spans.spans])
    assert key not in exported
    assert "meta-secret-value" not in exported and "hunter2" not in exported
    assert '"user": "ada"' in exported and "***" in exported


async def test_errors_are_recorded_on_their_spans(spans: InMemoryTraceProcessor) -> None:
    @sword
    def broken() -> str:
        """Always fails."""
        raise ValueError("disk on fire")

    model = ScriptedModel(
        [[call("broken"), call("imaginary")], ModelError("server down", status=503)]
    )
    with pytest.raises(ModelError):
        await Runner.run(Agent("a", model=model, swords=[broken]), "go")
    swords = {s.name: s for s in by_kind(spans, "sword")}
    assert "disk on fire" in swords["broken"].attributes["error"]  # handled: told to the model
    assert "no sword named imaginary" in swords["imaginary"].attributes["error"]
    failed_model = by_kind(spans, "model")[-1]
    assert failed_model.error == "ModelError: server down"
    (run,) = by_kind(spans, "run")
    assert run.error == "ModelError: server down"
    assert run.ended_at is not None


async def test_shield_spans(spans: InMemoryTraceProcessor) -> None:
    @input_shield
    def polite(ctx: Any, agent: Any, value: Any) -> ShieldResult:
        return ShieldResult(success=True)

    @output_shield
    def short(ctx: Any, agent: Any, value: Any) -> ShieldResult:
        return ShieldResult(success=len(value) < 100, message="length ok")

    agent = Agent(
        "a", model=ScriptedModel(["fine"]), input_shields=[polite], output_shields=[short]
    )
    await Runner.run(agent, "hello")
    shields = {s.name: s for s in by_kind(spans, "shield")}
    assert shields["polite"].attributes["checks"] == "input"
    assert shields["short"].attributes == {
        "checks": "output",
        "agent": "a",
        "tripped": False,
        "message": "length ok",
    }

    @input_shield
    def rude(ctx: Any, agent: Any, value: Any) -> ShieldResult:
        return ShieldResult(tripwire_triggered=True, message="no")

    spans.clear()
    with pytest.raises(InputShieldTripwireTriggered):
        await Runner.run(Agent("b", model=ScriptedModel([]), input_shields=[rude]), "hey")
    assert spans.tree() == "run drusilla run\n  shield rude"
    assert by_kind(spans, "shield")[0].attributes["tripped"] is True


async def test_run_span_carries_workflow_tags_metadata_and_session(
    spans: InMemoryTraceProcessor, tmp_path: Any
) -> None:
    config = RunConfig(workflow_name="support", tags=["beta"], metadata={"customer": 7})
    session = SQLiteSession("conv-1", tmp_path / "s.db")
    await Runner.run(
        Agent("a", model=ScriptedModel(["x"])), "hi", run_config=config, session=session
    )
    (run,) = by_kind(spans, "run")
    assert run.name == "support"
    assert run.attributes["tags"] == ["beta"]
    assert run.attributes["metadata"] == {"customer": 7}
    assert run.attributes["session_id"] == "conv-1"


async def test_a_broken_processor_never_breaks_a_run(spans: InMemoryTraceProcessor) -> None:
    class Broken:
        def on_span_start(self, span: Span) -> None:
            raise RuntimeError("processor bug")

        def on_span_end(self, span: Span) -> None:
            raise RuntimeError("processor bug")

    add_trace_processor(Broken())
    result = await Runner.run(Agent("a", model=ScriptedModel(["fine"])), "hi")
    assert result.final_output == "fine"
    assert len(spans.spans) == 4


async def test_user_spans_nest_and_cross_tasks(spans: InMemoryTraceProcessor) -> None:
    with span("run", "outer") as outer:

        async def child(name: str) -> None:
            with span("sword", name):
                await asyncio.sleep(0.001)

        async with asyncio.TaskGroup() as group:
            group.create_task(child("left"))
            group.create_task(child("right"))
        outer.set(done=True)
    assert format_tree(next(iter(spans.traces().values()))) == (
        "run outer\n  sword left\n  sword right"
    )
    assert current_span() is None


def test_turn_numbers_and_turn_items(spans: InMemoryTraceProcessor) -> None:
    model = ScriptedModel([Turn(text="thinking", calls=[call("nothing")]), "ok"])
    Runner.run_sync(Agent("a", model=model), "go")
    turns = by_kind(spans, "turn")
    assert [t.attributes["turn"] for t in turns] == [1, 2]
    assert all(t.attributes["agent"] == "a" for t in turns)
