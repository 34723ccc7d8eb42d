"""One masking rule at every exit (issue 16, defect 3): a marker API key, a secret header and a
base-URL password, planted and then looked for in everything a user or operator can see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from drusilla import Agent, ModelError, ModelSettings, RunConfig, Runner
from drusilla.cli.common import describe_error
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.testing import HTTPError, OpenAIServer
from drusilla.tracing import JSONLTraceExporter, OpenTelemetryExporter, add_trace_processor
from drusilla.tracing.processors import read_spans
from drusilla.tracing.viewer import render_html

from ..cli.helpers import cli_env, run_cli

KEY = "sk-MARKERKEY-0123456789"
HEADER = "MARKERHEADER-abcdef"
PASSWORD = "MARKERPASS-xyz"
MARKERS = (KEY, HEADER, PASSWORD, "MARKER")


def with_password(base_url: str) -> str:
    return base_url.replace("http://", f"http://user:{PASSWORD}@")


def quoting_error(base_url: str) -> HTTPError:
    """A server error whose body quotes everything back, as some servers do."""
    return HTTPError(
        500, f"bad request: key {KEY}, header X-Api-Key={HEADER}, at {with_password(base_url)}"
    )


def assert_clean(where: str, text: str, markers: tuple[str, ...] = MARKERS) -> None:
    for marker in markers:
        assert marker not in text, f"{marker!r} leaked into {where}: {text[:2000]}"


async def test_no_secret_reaches_any_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DRUSILLA_RETRY_BASE_DELAY", "0.01")
    monkeypatch.setenv("DRUSILLA_RUNS_DIR", str(tmp_path / "runs"))
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    add_trace_processor(OpenTelemetryExporter(provider))
    add_trace_processor(JSONLTraceExporter(tmp_path / "traces"))

    async with OpenAIServer() as server:
        server.add(quoting_error(server.base_url), quoting_error(server.base_url), "fine")
        model = OpenAIChatModel("m", base_url=with_password(server.base_url), api_key=KEY)
        settings = ModelSettings(max_retries=1, extra_headers={"X-Api-Key": HEADER})
        agent = Agent("a", model=model, model_settings=settings)
        config = RunConfig(model_settings=settings, record_run=True)
        with pytest.raises(ModelError) as caught:
            await Runner.run(agent, "hi", run_config=config)
        result = await Runner.run(agent, "hi", run_config=config)
        assert result.final_output == "fine"
        assert server.model_requests[0].headers["x-api-key"] == HEADER  # it was sent

    error = caught.value
    assert "bad request" in str(error)
    exits: dict[str, Any] = {
        "str(error)": str(error),
        "repr(error)": repr(error),
        "server_message": error.server_message,
        "CLI error line": describe_error(error),
        "repr(agent)": repr(agent),
        "repr(settings)": repr(settings),
        "repr(config)": repr(config),
        "repr(model)": repr(model),
        "repr(result)": repr(result),
        "retry log": caplog.text,  # drusilla's loggers at their default level (WARNING)
    }
    traces = list((tmp_path / "traces").glob("*.jsonl"))
    assert len(traces) == 2
    exits["trace JSONL"] = " ".join(trace.read_text() for trace in traces)
    exits["viewer HTML"] = " ".join(render_html(read_spans(trace)[0]) for trace in traces)
    records = list((tmp_path / "runs").glob("*.json"))
    assert len(records) == 2
    exits["run records"] = " ".join(path.read_text() for path in records)
    exits["OTel spans"] = " ".join(
        f"{span.attributes} {span.events} {span.status}" for span in exporter.get_finished_spans()
    )
    assert "model.retry" in exits["retry log"]
    for where, text in exits.items():
        assert_clean(where, str(text))


def test_no_secret_in_the_cli_error_line(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text("from drusilla import Agent\nagent = Agent('a')\n")
    with OpenAIServer() as server:
        server.add(*[quoting_error(server.base_url)] * 2)
        done = run_cli(
            "run",
            str(tmp_path / "agent.py"),
            "hi",
            "--base-url",
            with_password(server.base_url),
            env=cli_env(DRUSILLA_API_KEY=KEY, DRUSILLA_MAX_RETRIES="1"),
        )
    assert done.returncode == 1
    assert "drusilla: error:" in done.stderr and "bad request" in done.stderr
    # The CLI sends no extra header, so only the key and the password are secrets there.
    assert_clean("the CLI's stdout and stderr", done.stdout + done.stderr, (KEY, PASSWORD))


async def test_a_secret_registered_mid_run_is_masked_in_the_trace_file(tmp_path: Path) -> None:
    # The JSONL exporter reads the known secrets when a trace starts; a secret learnt later (a
    # provider's key resolved by a model built during the run) must still be masked.
    from drusilla import sword
    from drusilla.testing import ScriptedModel, call
    from drusilla.util.masking import register_secret

    late = "sk-LATEMARKER-9876543210"

    @sword
    def fetch_key() -> str:
        """Learn a key and echo it."""
        register_secret(late)
        return f"the key is {late}"

    target = tmp_path / "trace.jsonl"
    add_trace_processor(JSONLTraceExporter(target))
    agent = Agent(
        "keeper", model=ScriptedModel([call("fetch_key"), f"done {late}"]), swords=[fetch_key]
    )
    result = await Runner.run(agent, "go")
    assert late in str(result.final_output)  # the run itself is untouched
    spans, _ = read_spans(target)
    assert {span["kind"] for span in spans} >= {"sword", "model", "run"}
    assert_clean("the JSONL trace", target.read_text(), (late,))
