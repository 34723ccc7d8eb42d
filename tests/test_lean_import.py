"""`import drusilla` loads only what defining agents and starting a run need; what a feature
alone needs (its optional dependency, its modules) loads on first use. docs/architecture.md,
"What `import drusilla` loads"."""

from __future__ import annotations

import pytest

from .lean_import import loaded_by

CORE_ONLY = [
    "openai",  # the OpenAI models and provider: exported lazily
    "opentelemetry",
    "mcp",
    "ray",
    "tqdm",
    "genai_prices",
    "dbos",
    "structlog",  # the logging setup, the settings and the chat's libraries load when used
    "pydantic_settings",
    "dotenv",
    "prompt_toolkit",
    "rich",
    "jsonschema",
    "anyio.streams.memory",  # a streamed run's queue
    "drusilla.runners.batch",
    "drusilla.models.known_providers",
    "drusilla.testing",
    "anthropic",  # the native wires load their SDKs when a model is used
    "google.genai",
    "drusilla.runners.state_schema",  # reading a saved RunState loads it
    "tempfile",  # the first run record written loads it
    "pydantic",  # the first @sword, typed output or structured input loads it
    "pydantic_core",
    "asyncio",  # the first run (or sword call, streamed run, blocking call) loads it
    "concurrent.futures",  # the first sync sword's worker thread
    "orjson",  # the first span, run record or session item written
    "drusilla.sessions.sqlite",  # SQLiteSession: exported lazily
    "anyio",  # a sword's timeout, a streamed run's shielded wait, a session's worker thread
    "logging",  # the first event logger (a run's) adds drusilla's NullHandler then
    "getpass",  # the first run record written asks for the OS user
]

CASES = [
    pytest.param("import drusilla", CORE_ONLY, id="import drusilla"),
    pytest.param(
        "import drusilla.testing, drusilla.tracing",
        ["openai", "opentelemetry"],
        id="the test kit and tracing",
    ),
    pytest.param(
        "import drusilla; drusilla.AnthropicModel; drusilla.models.AnthropicModel",
        ["anthropic"],
        id="AnthropicModel named, not yet used",
    ),
    pytest.param(
        "from drusilla.models import GeminiModel; GeminiModel('gemini-2.5-flash', api_key='k')",
        ["google.genai", "openai"],
        id="a GeminiModel made, not yet used",
    ),
    pytest.param(
        "import drusilla; drusilla.MCPServerStdio('python', ['server.py'])",
        ["mcp", "mcp_types", "httpx2", "jsonschema", "openai"],
        id="an MCP server defined, not yet connected",
    ),
]


@pytest.mark.parametrize(("code", "absent"), CASES)
def test_what_a_program_does_not_use_is_not_loaded(code: str, absent: list[str]) -> None:
    assert loaded_by(code, absent) == []


def test_the_probe_sees_what_is_loaded() -> None:
    code = "import drusilla; drusilla.OpenAIChatModel"  # a lazy export loads on first use
    assert loaded_by(code, ["openai", "drusilla.runners.run", "ray"]) == [
        "openai",
        "drusilla.runners.run",
    ]


def test_pydantic_loads_with_the_first_sword_not_with_the_import() -> None:
    code = (
        "from drusilla import Agent, sword\n"
        "@sword\n"
        "def add(a: int, b: int) -> int:\n"
        "    '''Add two numbers.'''\n"
        "    return a + b\n"
        "Agent('calculator', swords=[add])\n"
    )
    assert loaded_by(code, ["pydantic", "asyncio"]) == ["pydantic"]
