"""`drusilla batch`: its exit codes and the mistakes a user can make on its command line."""

from __future__ import annotations

import json
from pathlib import Path

from drusilla.testing import OpenAIServer

from ..cli.helpers import cli_env, closed_port, run_cli
from .echo import echo_step
from .test_batch_resume import AGENT_FILE


def test_a_failed_input_makes_exit_code_1_and_is_in_the_results_file(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(AGENT_FILE)
    (tmp_path / "in.jsonl").write_text('"a"\n\n"b"\n["not", "items"]\n')
    with OpenAIServer(*[echo_step(failing={"b"})] * 2) as server:
        done = run_cli(
            "batch", "agent.py", "in.jsonl", "-o", "out.jsonl", "--base-url", server.base_url,
            env=cli_env(DRUSILLA_API_KEY="sk-test"),
            cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    written = (tmp_path / "out.jsonl").read_text().splitlines()
    lines = {line["index"]: line for line in map(json.loads, written)}
    assert lines[0]["final_output"] == "echo: a"
    assert lines[1]["error"]["type"] == "ModelError"
    assert lines[2]["error"]["type"] == "UserError"  # a list of strings is no conversation
    assert "3 inputs, 1 done, 2 failed" in done.stderr
    assert "batch: finished 3/3" in done.stderr  # plain progress lines: stderr is a pipe
    summary = done.stderr.splitlines()[-2:]  # the failures by kind, with the first message
    assert summary[0].startswith("  1 × ModelError, first (input 1): The model 'test-model' at")
    assert summary[1].startswith("  1 × UserError, first (input 2): input[0]='not' is not a")


def test_an_inputs_line_that_is_not_json_is_a_command_line_error(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(AGENT_FILE)
    (tmp_path / "in.jsonl").write_text('"fine"\nnot json\n')
    done = run_cli("batch", "agent.py", "in.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert done.returncode == 2
    assert "line 2, is not JSON" in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_a_batch_against_a_server_that_is_down_runs_nothing(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(AGENT_FILE)
    (tmp_path / "in.jsonl").write_text('"a"\n"b"\n')
    url = f"http://127.0.0.1:{closed_port()}/v1"
    done = run_cli("batch", "agent.py", "in.jsonl", "-o", "out.jsonl", "--base-url", url,
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert f"does not answer: nothing answers at {url} (connection refused)." in done.stderr
    assert "--model test" in done.stderr and "No input was run." in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_help_says_what_progress_looks_like_without_the_batch_extra() -> None:
    done = run_cli("batch", "--help")
    text = " ".join(done.stdout.split())
    assert "a live bar on a terminal when the batch extra is installed" in text
    assert "otherwise a plain line at every tenth of the batch" in text
