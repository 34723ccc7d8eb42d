"""Shared test setup: every test runs with a clean drusilla environment."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from typing import TypeAlias

import pytest

from drusilla.testing import OpenAIServer, ScriptedModel, ServedModel
from drusilla.testing.scripted import Step
from drusilla.util.logging import reset_logger
from drusilla.util.settings import forget_settings
from tests.durable.temporal_dev_server import temporal_address

# drusilla's pytest plugin: the test guard, and the local servers it lets through
KEEP = ("DRUSILLA_ALLOW_MODEL_REQUESTS", "DRUSILLA_TEST_SERVER_URLS")
# One Temporal dev server per session for tests/durable and tests/durable_temporal alike.
__all__ = ["temporal_address"]

_VENDOR_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")


def pytest_configure(config: pytest.Config) -> None:
    """drusilla's own suite makes real requests on purpose in many places (refused ports,
    unreachable hosts, the real llama.cpp servers of the conformance suite), so the test guard
    the plugin turns on for every project is off here; tests/testing/ checks the guard in a
    user's pytest session of its own."""
    os.environ["DRUSILLA_ALLOW_MODEL_REQUESTS"] = "true"
    # Tests press Ctrl-C on CLI processes they start. A shell that runs the suite in the
    # background starts it with SIGINT ignored, and an ignored signal stays ignored in every
    # child: give the suite (and so its children) the default disposition back.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """No developer .env, API key or DRUSILLA_* variable leaks into a test."""
    for name in list(os.environ):
        if name in KEEP:
            continue
        if name.startswith("DRUSILLA_") or name in _VENDOR_VARIABLES:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DRUSILLA_ENV_FILE", str(tmp_path_factory.getbasetemp() / "no.env"))
    forget_settings()
    reset_logger()
    yield
    forget_settings()
    reset_logger()


Script: TypeAlias = Callable[..., ScriptedModel | ServedModel]
"""The `script` fixture: `script(*steps)` makes a model that records its `.requests`."""


@pytest.fixture(params=["scripted", "chat", "responses", "messages", "gemini"])
def script(request: pytest.FixtureRequest) -> Iterator[Script]:
    """A factory `script(*steps) -> Model` playing ScriptedModel steps.

    Parametrized by transport: in-process ("scripted"), and over real HTTP with the real
    `openai` client against the local OpenAI-protocol server, as `OpenAIChatModel` ("chat")
    and `OpenAIResponsesModel` ("responses"). The HTTP models have the same `.requests`
    (with `.input`, `.instructions`, `.swords`, `.settings`, `.output`) as a ScriptedModel.
    """
    made: list[ScriptedModel | ServedModel] = []
    server = OpenAIServer() if request.param != "scripted" else None

    def make(*steps: Step) -> ScriptedModel | ServedModel:
        model: ScriptedModel | ServedModel = (
            ScriptedModel(steps) if server is None else server.model(*steps, api=request.param)
        )
        made.append(model)
        return model

    if server is None:
        yield make
    else:
        with server:
            yield make
    for model in made:
        model.assert_all_used()


OBJECT_ARGUMENT_WIRES = ("messages", "gemini")
"""Wires whose replies carry a sword call's arguments as a JSON object (Claude's `tool_use`
`input`, Gemini's `functionCall` `args`), not as the string the OpenAI wires send."""


def wire_of(model: object) -> str:
    """The `script` fixture's param that made `model`."""
    return model.api if isinstance(model, ServedModel) else "scripted"


def skip_unless_the_wire_carries(model: object, arguments: str) -> None:
    """Skip where a model could never send these sword-call arguments: on the Messages and
    Gemini wires they are a JSON object, so text that is not JSON, or JSON that is not an
    object, cannot come back from the model."""
    if wire_of(model) not in OBJECT_ARGUMENT_WIRES:
        return
    try:
        is_object = isinstance(json.loads(arguments), dict)
    except ValueError:
        is_object = False
    if not is_object:
        skip_wire(model, f"the {wire_of(model)} wire carries sword-call arguments as a JSON object")


def skip_wire(model: object, reason: str) -> None:
    """Skip a test of the `script` fixture that cannot run on `model`'s wire (its steps are
    dropped: they were never meant to be played)."""
    if isinstance(model, ServedModel):
        model.server.clear()
    pytest.skip(reason)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record",
        action="store_true",
        help="tests/conformance: write the real servers' exchanges to tests/fixtures/recorded/",
    )
