"""`drusilla run` as a subprocess against the local OpenAI-protocol server."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from drusilla.testing import Hold, HTTPError, OpenAIServer, Turn, call

from ..wire_items import content_text, function_output, output_text
from .helpers import EXAMPLES, Watched, cli_env, closed_port, run_cli

AGENTS = '''
from drusilla import Agent, sword


@sword
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


accountant = Agent("Accountant", instructions="Check the sums.")
agent = Agent(
    "Calculator", instructions="Use your swords.", swords=[add], orbs=[accountant]
)
not_an_agent = 42


def make_agent():
    return Agent("Made", instructions="Made by a function.")
'''


@pytest.fixture
def agents_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_agents.py"
    path.write_text(AGENTS)
    return path


@pytest.fixture
def server() -> object:
    with OpenAIServer() as running:
        yield running
    running.assert_all_used()


def test_streamed_output_appears_before_the_run_ends(
    server: OpenAIServer, agents_file: Path
) -> None:
    # role chunk, three reasoning chunks, "The" — then the server holds the rest back.
    hold = Hold(Turn("The answer is 42.", reasoning="Think about it"), after=5)
    server.add(hold)
    env = cli_env(DRUSILLA_BASE_URL=server.base_url)
    command = Watched("run", f"{agents_file}:make_agent", "What is the answer?", env=env)
    try:
        assert command.out.wait_for("The") == "The"
        stderr = command.err.wait_for("Think about it")
        assert hold.reached and command.process.poll() is None  # the run is still going
        assert "[thinking]" in stderr  # reasoning is marked, and kept off stdout
    finally:
        hold.release()
        code = command.finish()
    assert code == 0
    assert command.out.rest() == "The answer is 42.\n"
    assert "— test-model: 1 model call, 10 input + 7 output tokens (3 reasoning)" in (
        command.err.rest()
    )


def test_swords_and_orbs_are_shown_as_they_happen(server: OpenAIServer, agents_file: Path) -> None:
    server.add(
        Turn("Adding up.", calls=[call("add", a=2, b=3)]),
        call("transfer_to_accountant"),
        "2 + 3 = 5, checked.",
    )
    env = cli_env(DRUSILLA_BASE_URL=server.base_url)
    done = run_cli("run", str(agents_file), "2 + 3?", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Adding up.\n2 + 3 = 5, checked.\n"
    lines = done.stderr.splitlines()
    assert lines[:3] == ["⚔ add(a=2, b=3)", "  ↳ add → 5", "⇢ Calculator → Accountant"]
    assert lines[3].startswith("— test-model: 3 model calls")


def test_model_and_base_url_options(agents_file: Path) -> None:
    # Qwen3 reasons (its profile requires reasoning by default), so the reply carries some.
    with OpenAIServer(Turn("Hi.", reasoning="A greeting.")) as server:
        done = run_cli(
            "run",
            f"{agents_file}:agent",
            "Hello",
            "--model",
            "qwen3:8b",
            "--base-url",
            server.base_url,
            "--max-turns",
            "3",
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hi.\n"
    assert server.model_requests[0].model == "qwen3:8b"


def test_input_from_stdin(server: OpenAIServer, agents_file: Path) -> None:
    server.add("Piped in.")
    env = cli_env(DRUSILLA_BASE_URL=server.base_url)
    done = run_cli("run", str(agents_file), env=env, input="a question on stdin\n")
    assert done.returncode == 0, done.stderr
    assert content_text(server.model_requests[0].input[-1]) == "a question on stdin"


def test_json_result(server: OpenAIServer, agents_file: Path) -> None:
    server.add(call("add", a=1, b=1), Turn("2", reasoning="1 + 1"))
    env = cli_env(DRUSILLA_BASE_URL=server.base_url)
    done = run_cli("run", str(agents_file), "1 + 1?", "--json", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True
    assert (result["final_output"], result["reasoning"]) == ("2", "1 + 1")
    assert result["usage"]["requests"] == 2 and result["last_agent"] == "Calculator"
    assert [item.get("type", item.get("role")) for item in result["items"]] == [
        "user",
        "function_call",
        "function_call_output",
        "reasoning",
        "assistant",
    ]


def test_json_failure_is_json_too(server: OpenAIServer, agents_file: Path) -> None:
    server.add(HTTPError(400, "Unknown model.", code="model_not_found"))
    env = cli_env(DRUSILLA_BASE_URL=server.base_url)
    done = run_cli("run", str(agents_file), "hi", "--json", env=env)
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["type"] == "ModelError"
    assert done.stderr.count("\n") == 1 and "Unknown model." in done.stderr


def test_a_failed_run_exits_1_with_one_line(server: OpenAIServer, agents_file: Path) -> None:
    server.add(HTTPError(400, "This model does not support tools.", code="bad_request"))
    env = cli_env(DRUSILLA_BASE_URL=server.base_url)
    done = run_cli("run", str(agents_file), "hi", env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("drusilla: error: ModelError: The model 'test-model' at ")
    assert "HTTP 400 (bad_request): This model does not support tools." in done.stderr


def test_an_unreachable_endpoint_is_one_line_naming_the_url(agents_file: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    done = run_cli("run", str(agents_file), "hi", env=cli_env(DRUSILLA_BASE_URL=url))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr  # no retry warnings, no traceback
    assert f"Could not connect to {url} (model 'test-model'): connection refused." in done.stderr
    assert "DRUSILLA_BASE_URL" in done.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing.py:agent", "No such file: 'missing.py'."),
        ("no_such_module:agent", "No file or module named 'no_such_module'"),
        ("{file}:nobody", "has no 'nobody'. It has: accountant, agent."),
        ("{file}:not_an_agent", ":not_an_agent is int, not an Agent."),
        (":agent", "names no file or module"),
    ],
)
def test_a_wrong_target_is_a_usage_error(agents_file: Path, target: str, message: str) -> None:
    done = run_cli("run", target.format(file=agents_file), "hi", cwd=agents_file.parent)
    assert done.returncode == 2
    assert done.stderr.startswith("drusilla: error: ") and message in done.stderr
    assert done.stderr.count("\n") == 1


def test_usage_errors_exit_2(agents_file: Path) -> None:
    assert run_cli("run").returncode == 2  # no target
    assert run_cli("run", str(agents_file), "hi", "--max-turns", "0").returncode == 2
    empty = run_cli("run", str(agents_file), input="  \n")
    assert empty.returncode == 2 and "The input is empty." in empty.stderr
    assert run_cli("bogus").returncode == 2
    assert run_cli().returncode == 2


def test_a_module_that_fails_to_import(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("from drusilla import Agent\n\nagent = Agent('a', swords=[print])\n")
    done = run_cli("run", str(broken), "hi")
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert f"Importing '{broken}' failed: UserError: Agent 'a':" in done.stderr
    assert f"({broken}, line 3)" in done.stderr
    traced = run_cli("--traceback", "run", str(broken), "hi")
    assert "Traceback (most recent call last)" in traced.stderr


def test_a_module_target_and_an_example(server: OpenAIServer, agents_file: Path) -> None:
    server.add("From a module.", "Arr, sunny.")
    env = cli_env(DRUSILLA_BASE_URL=server.base_url)
    done = run_cli("run", "my_agents:make_agent", "hi", env=env, cwd=agents_file.parent)
    assert (done.returncode, done.stdout) == (0, "From a module.\n"), done.stderr
    example = run_cli("run", str(EXAMPLES / "dissociative_identity.py"), "Weather?", env=env)
    assert (example.returncode, example.stdout) == (0, "Arr, sunny.\n"), example.stderr
    assert "pirate" in (server.model_requests[1].instructions or "")


def test_ctrl_c_ends_the_run_and_its_http_stream(server: OpenAIServer, agents_file: Path) -> None:
    hold = Hold("Hello there, how are you?", after=2)
    server.add(hold)
    env = cli_env(DRUSILLA_BASE_URL=server.base_url)
    command = Watched("run", str(agents_file), "hi", env=env)
    try:
        command.out.wait_for("Hello")
        command.process.send_signal(signal.SIGINT)
        code = command.finish()
    finally:
        hold.release()
        command.kill()
    assert code == 130
    assert command.err.rest().endswith("drusilla: interrupted\n")
    assert server.model_requests[0].hung_up


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"


def test_escape_sequences_from_the_model_and_swords_reach_the_terminal_inert(
    tmp_path: Path,
) -> None:
    """Text, reasoning, sword results and the error line never carry control characters to
    the terminal (issue 16, defect 6): they are shown as visible symbols."""
    agent_file = tmp_path / "echo_agent.py"
    agent_file.write_text(
        "from drusilla import Agent, sword\n\n"
        "@sword\ndef echo(text: str) -> str:\n    return text\n\n"
        "agent = Agent('a', swords=[echo])\n"
    )
    with OpenAIServer(
        Turn(f"calling{ESCAPES}", calls=[call("echo", text=ESCAPES)], reasoning=f"hm{ESCAPES}"),
        f"done{ESCAPES}",
        HTTPError(400, f"bad{ESCAPES}"),
    ) as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        done = run_cli("run", str(agent_file), "go", env=env)
        failed = run_cli("run", str(agent_file), "go", env=env)
    assert done.returncode == 0, done.stderr
    assert failed.returncode == 1
    for output in (done.stdout, done.stderr, failed.stderr):
        assert "\x1b" not in output and "\x07" not in output
    assert "done␛]0;pwned␇" in done.stdout
    assert "␛[2J" in done.stderr  # the sword result, shown inert
    assert "bad␛]0;pwned␇" in failed.stderr


GATED = '''
from drusilla import Agent, sword

deleted = []


@sword(needs_approval=True)
def delete(path: str) -> str:
    """Delete a file."""
    return f"deleted {path}"


agent = Agent("Ops", instructions="Clean up.", swords=[delete])
'''


def test_a_call_needing_approval_without_a_terminal_saves_the_run(tmp_path: Path) -> None:
    agents = tmp_path / "ops.py"
    agents.write_text(GATED)
    gated = call("delete", path="/tmp/x")
    with OpenAIServer([gated], "Deleted it.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        waiting = run_cli("run", str(agents), "Clean up", env=env, cwd=tmp_path)
        assert waiting.returncode == 3, waiting.stderr
        assert "wait for approval and there is no terminal" in waiting.stderr
        (saved,) = (tmp_path / ".drusilla" / "states").glob("run_*.json")
        assert f"--resume {Path('.drusilla/states') / saved.name}" in waiting.stderr
        done = run_cli("run", str(agents), "--resume", str(saved), "--yes", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "Deleted it.\n"
        assert 'Ops wants to call delete({"path": "/tmp/x"}): approved (--yes)' in done.stderr
        answer = server.model_requests[1].input[-1]
        assert (function_output(answer)["call_id"], output_text(answer)) == (
            gated["call_id"],
            "deleted /tmp/x",
        )


PAYING = '''
from pathlib import Path

from drusilla import Agent, sword


@sword(needs_approval=True)
def pay(amount: int) -> str:
    """Send money."""
    with open(Path(__file__).with_name("payments.log"), "a") as log:
        log.write(f"{amount}\\n")
    return f"paid {amount}"


agent = Agent("Till", instructions="Pay.", swords=[pay])
'''


@pytest.mark.parametrize("mode", [[], ["--json"]])
def test_a_saved_state_resumes_once(tmp_path: Path, mode: list[str]) -> None:
    agents = tmp_path / "till.py"
    agents.write_text(PAYING)
    state = tmp_path / "state.json"
    with OpenAIServer([call("pay", amount=5)], "Paid.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        waiting = run_cli("run", str(agents), "Pay", "--state-file", str(state), env=env)
        assert waiting.returncode == 3, waiting.stderr
        resume = ("run", str(agents), "--resume", str(state), "--yes", *mode)
        done = run_cli(*resume, env=env)
        assert done.returncode == 0, done.stderr
        again = run_cli(*resume, env=env)
    assert (tmp_path / "payments.log").read_text() == "5\n"  # paid once, never again
    assert again.returncode == 1
    assert "already finished" in again.stderr
    assert json.loads(state.read_text())["status"] == "completed"


def test_a_state_file_claimed_by_a_run_that_never_ended_is_refused(tmp_path: Path) -> None:
    agents = tmp_path / "till.py"
    agents.write_text(PAYING)
    state = tmp_path / "state.json"
    with OpenAIServer([call("pay", amount=5)]) as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        run_cli("run", str(agents), "Pay", "--state-file", str(state), env=env)
        saved = json.loads(state.read_text())
        state.write_text(json.dumps({**saved, "status": "running", "resumed_by": {"pid": 7}}))
        refused = run_cli("run", str(agents), "--resume", str(state), "--yes", env=env)
    assert refused.returncode == 1
    assert "was already resumed" in refused.stderr and "by process 7" in refused.stderr
    assert not (tmp_path / "payments.log").exists()


def test_yes_approves_in_json_mode(tmp_path: Path) -> None:
    agents = tmp_path / "ops.py"
    agents.write_text(GATED)
    with OpenAIServer([call("delete", path="/a")], "Done.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        done = run_cli("run", str(agents), "Clean", "--json", "--yes", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["final_output"] == "Done."


def test_at_a_terminal_each_call_is_asked_about(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess

    from .helpers import drusilla_command

    agents = tmp_path / "ops.py"
    agents.write_text(GATED)
    first, second = call("delete", path="/a"), call("delete", path="/b")
    with OpenAIServer([first, second], "Deleted /a only.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        controller, terminal = pty.openpty()
        process = subprocess.Popen(
            [*drusilla_command(), "run", str(agents), "Clean"],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp_path,
            text=True,
        )
        os.close(terminal)
        os.write(controller, b"y\nn\n")  # the answers wait in the terminal until read
        out, err = process.communicate(timeout=120)
        os.close(controller)
    assert process.returncode == 0, err
    assert out == "Deleted /a only.\n"
    assert 'Ops wants to call delete({"path": "/a"}). Allow it? [y/N]' in err
    answers = server.model_requests[1].input
    outputs = {
        function_output(i)["call_id"]: output_text(i)
        for i in answers
        if i.get("type") == "function_call_output"
    }
    assert outputs[first["call_id"]] == "deleted /a"
    assert "did not approve" in outputs[second["call_id"]]
