"""drusilla's pytest plugin as a user's project meets it: a pytest session in a fresh project
directory, with the plugin loaded from its entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

USER_TESTS = """
import sys

import pytest

from drusilla import Agent, Runner, UserError


def test_a_forgotten_model_is_blocked():
    with pytest.raises(UserError, match="request to https://api.openai.com/v1 was blocked"):
        Runner.run_sync(Agent("a", model="openai/gpt-4.1"), "hi")


@pytest.mark.allow_model_requests
def test_a_marked_test_gets_past_the_guard():
    with pytest.raises(Exception) as caught:
        Runner.run_sync(Agent("a", model="llamacpp/m"), "hi")  # nothing listens there
    assert "blocked" not in str(caught.value)


def test_the_local_server_is_allowed(openai_server):
    openai_server.add("scripted")
    agent = Agent("a", model=openai_server.model())
    assert Runner.run_sync(agent, "hi").final_output == "scripted"


def test_a_subprocess_may_use_the_local_server_too(openai_server, tmp_path):
    import subprocess
    openai_server.add("from a child")
    script = tmp_path / "child.py"
    script.write_text(
        "from drusilla import Agent, Runner\\n"
        f"print(Runner.run_sync(Agent('a', model='llamacpp/m'), 'hi').final_output)\\n"
    )
    env = {**__import__("os").environ, "DRUSILLA_LLAMACPP_BASE_URL": openai_server.base_url}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert done.stdout.strip() == "from a child", done.stderr
"""

LAZY_CHECK = """
import sys

def test_the_plugin_did_not_import_drusilla():
    assert "drusilla_pytest" in sys.modules
    assert [m for m in sys.modules if m == "drusilla" or m.startswith("drusilla.")] == []
"""


def run_pytest(project: Path, source: str) -> subprocess.CompletedProcess[str]:
    (project / "test_user.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRUSILLA_")}
    env["DRUSILLA_ENV_FILE"] = ""
    env["DRUSILLA_MAX_RETRIES"] = "0"
    env["OPENAI_API_KEY"] = "sk-a-developers-real-key"  # as a developer's .env would have it
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_the_guard_blocks_real_requests_and_lets_scripted_ones_through(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, USER_TESTS)
    assert "4 passed" in done.stdout, done.stdout + done.stderr


def test_loading_the_plugin_does_not_import_drusilla(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, LAZY_CHECK)
    assert "1 passed" in done.stdout, done.stdout + done.stderr
