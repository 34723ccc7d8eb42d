"""drusilla's pytest plugin: the test guard, and the `scripted_model` / `openai_server` fixtures.

Registered through an entry point for every pytest session of every project that has drusilla
installed, so it costs next to nothing: the entry point imports this package as the top-level
`drusilla_pytest` (pyproject.toml maps it), which does not import `drusilla`; the fixtures import
`drusilla.testing` when a test first uses them.

The guard: `DRUSILLA_ALLOW_MODEL_REQUESTS` is false for the session unless already set, so a
test whose model is not scripted fails instead of reaching a real server (docs/testing.md).
`@pytest.mark.allow_model_requests` lets one test through.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from drusilla.testing.scripted import ScriptedModel, Step
    from drusilla.testing.server import OpenAIServer

__all__ = ["ALLOW_VARIABLE", "MARKER", "openai_server", "pytest_configure", "scripted_model"]

ALLOW_VARIABLE = "DRUSILLA_ALLOW_MODEL_REQUESTS"  # the same name as drusilla.models.guard's
MARKER = "allow_model_requests"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: let this test make real model requests (drusilla's test guard)"
    )
    os.environ.setdefault(ALLOW_VARIABLE, "false")


@pytest.fixture(autouse=True)
def _drusilla_model_request_guard(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.node.get_closest_marker(MARKER) is not None:
        monkeypatch.setenv(ALLOW_VARIABLE, "true")


@pytest.fixture
def scripted_model() -> Iterator[Callable[..., ScriptedModel]]:
    """A factory of `ScriptedModel`s; the test fails if any of them has steps left unused."""
    from drusilla.testing.scripted import ScriptedModel

    created: list[ScriptedModel] = []

    def make(*steps: Step, **kwargs: Any) -> ScriptedModel:
        model = ScriptedModel(steps, **kwargs)
        created.append(model)
        return model

    yield make
    for model in created:
        model.assert_all_used()


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A running local OpenAI-protocol server (`server.base_url`, `server.add(...)`,
    `server.model(...)`). It runs in its own thread, so sync tests, `Runner.run_sync` and
    async tests can all use it. The test fails if scripted steps were left unplayed."""
    from drusilla.testing.server import OpenAIServer

    with OpenAIServer() as server:
        yield server
    server.assert_all_used()
