"""What the CLI prints from an agent's definition or a model's answer cannot drive the terminal:
no escape sequence, no bidirectional override (issue 26)."""

from __future__ import annotations

from pathlib import Path

from drusilla.testing import OpenAIServer, call

from .helpers import cli_env, run_cli

HOSTILE_NAME = '''
from drusilla import Agent, sword


@sword(needs_approval=True)
def delete(path: str) -> str:
    """Delete a file."""
    return f"deleted {path}"


agent = Agent("Ops\\x1b]0;owned\\x07\\x1b[2J", instructions="Clean up.", swords=[delete])
'''


def test_the_approval_prompt_and_the_answer_are_shown_inert(tmp_path: Path) -> None:
    agents = tmp_path / "ops.py"
    agents.write_text(HOSTILE_NAME)
    answer = "Deleted report\u202etxt.exe"
    with OpenAIServer([call("delete", path="/tmp/\u202ex")], answer) as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        done = run_cli("run", str(agents), "Clean up", "--yes", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for output in (done.stdout, done.stderr):
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
    assert "Ops␛]0;owned␇␛[2J wants to call delete" in done.stderr
    assert '{"path": "/tmp/<U+202E>x"}): approved (--yes)' in done.stderr
    assert done.stdout == "Deleted report<U+202E>txt.exe\n"


PLAIN = 'from drusilla import Agent\n\nagent = Agent("Plain", instructions="Answer.")\n'


def test_an_argument_that_is_not_utf8_is_run_not_a_unicode_error(tmp_path: Path) -> None:
    agents = tmp_path / "plain.py"
    agents.write_text(PLAIN)
    with OpenAIServer("Noted.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        # a Latin-1 byte in argv: Python reads it as a lone surrogate ("\udce9")
        done = run_cli("run", str(agents), "caf\udce9", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "Noted.\n"
        assert server.model_requests[0].input[0] == {"role": "user", "content": "caf\ufffd"}
