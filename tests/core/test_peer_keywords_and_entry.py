"""What a user of the peer frameworks meets: their keywords answered with drusilla's, a clear
error for an un-awaited `run_streamed`, and `python -m drusilla`."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from drusilla import Agent, ModelSettings, RunConfig, Runner, UserError
from drusilla.testing import ScriptedModel


def build(cls: Any, *args: Any, **keywords: Any) -> Any:
    """Call `cls` with keywords a type checker would (rightly) reject."""
    return cls(*args, **keywords)


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (
            lambda: build(Agent, "a", tools=[]),
            "Agent(tools=...) is not a drusilla keyword: did you mean swords=?",
        ),
        (lambda: build(Agent, "a", handoffs=[]), "did you mean orbs=?"),
        (
            lambda: build(Agent, "a", tool_choice="auto"),
            "did you mean sword_choice= (in model_settings=",
        ),
        (lambda: build(ModelSettings, tool_choice="auto"), "did you mean sword_choice=?"),
        (lambda: build(Agent, "a", input_guardrails=[]), "did you mean input_shields=?"),
        (lambda: build(Agent, "a", hooks=None), "did you mean charms=?"),
        (lambda: build(RunConfig, handoff_input_filter=None), "did you mean orb_input_filter=?"),
        (lambda: Agent("a").clone(tools=[]), "did you mean swords=?"),
    ],
)
def test_a_peer_keyword_names_drusillas(make: Any, hint: str) -> None:
    with pytest.raises(UserError, match="glossary") as caught:
        make()
    assert hint in str(caught.value)


def test_an_unknown_keyword_stays_a_type_error() -> None:
    with pytest.raises(TypeError, match="colour"):
        Agent("a", colour="red")  # type: ignore[call-overload]  # deliberately unknown


async def test_run_streamed_without_await_says_how_to_call_it() -> None:
    agent = Agent("a", model=ScriptedModel(["hi"]))
    pending = Runner.run_streamed(agent, "x")
    with pytest.raises(UserError, match=r"must be awaited: `streamed = await Runner"):
        pending.stream_events()  # type: ignore[attr-defined]
    with pytest.raises(UserError, match="must be awaited"):
        async for _ in pending:
            pass
    streamed = await pending  # awaiting it still works
    assert [e async for e in streamed.stream_events()]
    assert streamed.final_output == "hi"


def test_python_dash_m_drusilla_is_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "drusilla", "demo", "--list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "summer_chaser" in done.stdout
