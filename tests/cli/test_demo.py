"""`drusilla demo`: the examples, online when the configured endpoint answers, else offline."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest

from drusilla.cli.demo import find_examples
from drusilla.cli.endpoint import probe_endpoint
from drusilla.testing import OpenAIServer, server_error
from drusilla.util.settings import forget_settings

from .helpers import EXAMPLES, cli_env, closed_port, run_cli

NAMES = [example.name for example in find_examples(EXAMPLES)]


def test_demo_offline_runs_every_example(tmp_path: Path) -> None:
    done = run_cli("demo", "--offline", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first == f"drusilla demo: running {len(NAMES)} examples OFFLINE, as asked (--offline)."
    assert "The replies are scripted: a local OpenAI-protocol server at http://127.0.0.1:" in (
        done.stdout
    )
    for name in NAMES:
        assert f"━━ {name} — " in done.stdout
    assert f"✓ {len(NAMES)} examples ran offline, on scripted replies." in done.stdout
    assert "Traceback" not in done.stderr


def test_demo_goes_offline_when_nothing_answers_and_says_why(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    env = cli_env(DRUSILLA_BASE_URL=url)
    done = run_cli("demo", "cypherpunk_love", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == (
        f"drusilla demo: running 1 example OFFLINE, because nothing answers at {url} "
        "(connection refused)."
    )
    assert "set DRUSILLA_BASE_URL and DRUSILLA_MODEL" in done.stdout
    assert "love, end-to-end true." in done.stdout


def test_demo_with_nothing_configured_says_that_nothing_is(tmp_path: Path) -> None:
    env = cli_env()
    env.pop("DRUSILLA_MODEL")
    done = run_cli("demo", "cypherpunk_love", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    if "no Ollama answers" not in first:  # an Ollama runs on this machine: nothing to see
        pytest.skip("something answers at Ollama's port")
    assert first.startswith(
        "drusilla demo: running 1 example OFFLINE, because no model is configured "
        "(DRUSILLA_MODEL, DRUSILLA_BASE_URL and OPENAI_API_KEY are unset) and no Ollama answers "
        "at http://localhost:11434/v1 ("
    )
    assert "set OPENAI_API_KEY for OpenAI" in done.stdout


def test_demo_on_the_test_model_plays_the_replays_and_says_so(tmp_path: Path) -> None:
    done = run_cli("demo", "cypherpunk_love", env=cli_env(DRUSILLA_MODEL="test"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == (
        "drusilla demo: running 1 example OFFLINE, because DRUSILLA_MODEL=test names the test "
        "model."
    )


def test_demo_uses_the_configured_endpoint_when_it_answers(tmp_path: Path) -> None:
    with OpenAIServer() as server:
        for name in NAMES:  # the "real" endpoint happens to answer like the replays
            server.add(*importlib.import_module(f"drusilla.examples.{name}").OFFLINE_REPLAY)
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        done = run_cli("demo", env=env, cwd=tmp_path)
        server.assert_all_used()
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith(
        f"drusilla demo: running {len(NAMES)} examples against the model 'test-model' at "
        f"{server.base_url}, as configured"
    )
    assert {request.model for request in server.model_requests} == {"test-model"}
    assert f"✓ {len(NAMES)} examples ran against 'test-model'." in done.stdout


def test_demo_online_fails_in_one_line_when_nothing_answers() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    done = run_cli("demo", "--online", env=cli_env(DRUSILLA_BASE_URL=url))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert f"The model endpoint does not answer: nothing answers at {url}" in done.stderr


def test_demo_reports_a_failing_example(tmp_path: Path) -> None:
    with OpenAIServer(server_error(500)) as server:  # answers the probe, then fails the run
        env = cli_env(DRUSILLA_BASE_URL=server.base_url, DRUSILLA_MAX_RETRIES="0")
        done = run_cli("demo", "cypherpunk_love", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert "✗ cypherpunk_love failed: ModelError: The model 'test-model' at" in done.stdout
    assert "✗ 1 of 1 example failed" in done.stdout


def test_demo_list_and_unknown_names() -> None:
    listed = run_cli("demo", "--list")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == NAMES
    unknown = run_cli("demo", "nope")
    assert unknown.returncode == 2 and "No example named 'nope'" in unknown.stderr
    assert run_cli("demo", "--offline", "--online").returncode == 2


@pytest.fixture
def settings_from(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def apply(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        forget_settings()

    return apply


def test_probe_knows_a_model_the_endpoint_does_not_serve(
    settings_from: Callable[..., None],
) -> None:
    with OpenAIServer() as server:
        server.model(name="llama3.3")  # GET /v1/models lists it
        settings_from(DRUSILLA_BASE_URL=server.base_url, DRUSILLA_MODEL="qwen3")
        missing = probe_endpoint()
        settings_from(DRUSILLA_MODEL="llama3.3")
        served = probe_endpoint()
    assert not missing.answers
    assert missing.reason == (
        f"{server.base_url} answers but does not serve 'qwen3' (it has: llama3.3); set "
        "DRUSILLA_MODEL to one it has"
    )
    assert served.answers and served.base_url == server.base_url


def test_probe_without_a_key_for_openai(settings_from: Callable[..., None]) -> None:
    settings_from(DRUSILLA_MODEL="openai/gpt-4.1")
    probe = probe_endpoint()
    assert not probe.answers and "needs an API key" in probe.reason
