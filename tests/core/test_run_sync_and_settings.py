"""run_sync in scripts, notebooks and loops; settings and error templates; a light import."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from drusilla import (
    Agent,
    MaxTurnsError,
    ModelBehaviorError,
    ModelError,
    Runner,
    RunnerError,
    RunTimeoutError,
    SwordError,
    UserError,
    sword,
)
from drusilla.testing import ScriptedModel, call
from drusilla.util.settings import get_settings, reload_settings


def run_python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_run_sync_in_a_plain_script() -> None:
    done = run_python(
        """
        from drusilla import Agent, Runner
        from drusilla.testing import ScriptedModel
        result = Runner.run_sync(Agent("a", model=ScriptedModel(["hello from a script"])), "hi")
        print(result.final_output)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello from a script"


def test_run_sync_many_times_in_one_process() -> None:
    model = ScriptedModel([f"answer {n}" for n in range(20)])
    agent = Agent("a", model=model)
    outputs = [Runner.run_sync(agent, f"q{n}").final_output for n in range(20)]
    assert outputs == [f"answer {n}" for n in range(20)]


async def test_run_sync_inside_a_running_event_loop_like_a_notebook() -> None:
    @sword
    async def ping() -> str:
        await asyncio.sleep(0.01)
        return "pong"

    model = ScriptedModel([call("ping"), "got pong"])
    # Called from a coroutine, as a notebook cell would: must not raise "loop already running".
    result = Runner.run_sync(Agent("a", model=model, swords=[ping]), "ping?")
    assert result.final_output == "got pong"


def test_run_sync_timeout() -> None:
    @sword
    async def stall() -> str:
        await asyncio.sleep(10)
        return "late"

    agent = Agent("a", model=ScriptedModel([call("stall")]), swords=[stall])
    started = time.perf_counter()
    with pytest.raises(RunTimeoutError):
        Runner.run_sync(agent, "x", timeout=0.2)
    assert time.perf_counter() - started < 2


def test_every_error_is_a_runner_error() -> None:
    for error in (
        UserError,
        MaxTurnsError,
        ModelError,
        ModelBehaviorError,
        SwordError,
        RunTimeoutError,
    ):
        assert issubclass(error, RunnerError)


def test_settings_are_read_when_first_needed_and_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DRUSILLA_MAX_TURNS", "many")
    with pytest.raises(UserError, match="DRUSILLA_MAX_TURNS='many' is not valid"):
        reload_settings()
    monkeypatch.setenv("DRUSILLA_MAX_TURNS", "3")
    monkeypatch.setenv("DRUSILLA_PARALLEL_SWORD_CALLS", "maybe")
    with pytest.raises(UserError, match="DRUSILLA_PARALLEL_SWORD_CALLS"):
        reload_settings()
    monkeypatch.setenv("DRUSILLA_PARALLEL_SWORD_CALLS", "no")
    settings = reload_settings()
    assert (settings.max_turns, settings.parallel_sword_calls) == (3, False)


def test_settings_come_from_dotenv_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "DRUSILLA_MODEL=ollama/qwen3\nDRUSILLA_MAX_TURNS=4\nOPENAI_API_KEY=sk-from-dotenv\n"
    )
    monkeypatch.setenv("DRUSILLA_ENV_FILE", str(env_file))
    monkeypatch.setenv("DRUSILLA_MAX_TURNS", "6")
    settings = reload_settings()
    assert settings.model == "ollama/qwen3"
    assert settings.max_turns == 6
    assert settings.api_key == "sk-from-dotenv"
    assert "sk-from-dotenv" not in repr(settings)
    assert get_settings() is settings


def test_a_bad_api_key_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only parse errors name variables; a key is never shown even then.
    monkeypatch.setenv("DRUSILLA_MAX_TOKENS", "-5")
    with pytest.raises(UserError) as caught:
        reload_settings()
    assert "DRUSILLA_MAX_TOKENS" in str(caught.value)


def test_message_templates_come_from_dotenv_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drusilla.util.messages import message

    env_file = tmp_path / ".env"
    env_file.write_text('DRUSILLA_MAX_TURNS_MESSAGE="Stopped after {max_turns} turns"\n')
    monkeypatch.setenv("DRUSILLA_ENV_FILE", str(env_file))
    reload_settings()
    assert message("max_turns", max_turns=3) == "Stopped after 3 turns"
    # A template with a placeholder we do not fill falls back instead of crashing.
    monkeypatch.setenv("DRUSILLA_MAX_TURNS_MESSAGE", "Stopped {unknown}")
    assert message("max_turns", max_turns=3).startswith("The run went past max_turns=3")


@pytest.mark.parametrize("timeout", ["5", float("nan"), 0, -1, True])
async def test_a_bad_run_timeout_is_a_user_error(timeout: object) -> None:
    agent = Agent("a", model=ScriptedModel(["never asked"]))
    with pytest.raises(UserError, match=r"timeout=.* must be a positive number of seconds"):
        await Runner.run(agent, "hi", timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([{"role": "user"}], "it has no 'content'"),
        ([{"type": "function_call_output", "output": "x"}], "it has no 'call_id'"),
        ([{"role": "user", "content": 123}], "'content' must be a string or a list"),
        ([{"type": "function_call", "name": "f", "arguments": "{}"}], "it has no 'call_id'"),
        ([{"role": "robot", "content": "hi"}], "role must be one of"),
    ],
)
async def test_malformed_input_items_are_user_errors(items: list[object], problem: str) -> None:
    agent = Agent("a", model=ScriptedModel(["never asked"]))
    with pytest.raises(UserError, match="input\\[0\\]=") as caught:
        await Runner.run(agent, items)
    assert problem in str(caught.value)
