"""The first hour of a new user with no model server: the README's example fails in a few lines
that say what to do, and runs offline on the test model — as a script and through the CLI."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from drusilla import Agent, ModelError, ModelSettings, OpenAIChatModel, Runner

from .helpers import EXAMPLES, ROOT, cli_env, closed_port, run_cli


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## An agent in 15 lines", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    return found.group(1)


def run_script(source: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "agent.py"
    script.write_text(source, encoding="utf-8")
    variables = cli_env(**env)
    variables.pop("DRUSILLA_MODEL")  # as on a fresh machine: nothing configured
    variables.update(env)
    return subprocess.run(
        [sys.executable, str(script)],
        env=variables,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


def _ollama_port_is_free() -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", 11434)) != 0


@pytest.mark.skipif(not _ollama_port_is_free(), reason="something listens on Ollama's port")
def test_the_readme_example_with_no_server_fails_in_a_few_lines_that_say_what_to_do(
    tmp_path: Path,
) -> None:
    done = run_script(readme_example(), tmp_path)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) <= 25, done.stderr
    assert "httpcore" not in done.stderr and "httpx" not in done.stderr
    last = "\n".join(lines[-3:])
    assert "ModelError: Could not connect to http://localhost:11434/v1" in last
    assert 'Agent(model="test")' in last and "DRUSILLA_MODEL=test" in last
    assert "`drusilla demo`" in last
    assert "DRUSILLA_BASE_URL" in last and "OPENAI_API_KEY" in last


def test_the_readme_example_runs_offline_on_the_test_model(tmp_path: Path) -> None:
    done = run_script(readme_example(), tmp_path, DRUSILLA_MODEL="test")
    assert done.returncode == 0, done.stderr
    reasoning, answer = done.stdout.splitlines()
    assert reasoning == "Now I answer."
    assert answer.startswith("The test model called get_weather (Clear skies and 29 °C in ")


@pytest.mark.parametrize("how", ["--model", "DRUSILLA_MODEL"])
def test_drusilla_run_with_model_test_runs_offline(how: str) -> None:
    """The README's command line, on the test model by option or by environment."""
    command = ["run", str(EXAMPLES / "summer_chaser.py"), "Is it summer in Tokyo?"]
    if how == "--model":
        done = run_cli(*command, "--model", "test")
    else:
        done = run_cli(*command, env=cli_env(DRUSILLA_MODEL="test"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("The test model called get_weather (")
    assert "— test: 2 model calls" in done.stderr


def test_the_cause_stays_inspectable_behind_the_short_traceback() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    model = OpenAIChatModel("m", base_url=url)
    agent = Agent("a", model=model, model_settings=ModelSettings(max_retries=0))
    with pytest.raises(ModelError) as caught:
        Runner.run_sync(agent, "hi")
    error = caught.value
    assert isinstance(error.__cause__, openai.APIConnectionError)
    assert error.__cause__.__traceback__ is None  # printed as one line
    assert type(error.__cause__.__context__).__name__ == "ConnectError"  # the chain is kept
    assert error.__cause__.__suppress_context__
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert frames[-1] == "run_sync" and len(frames) == 2  # this test's frame and run_sync's
