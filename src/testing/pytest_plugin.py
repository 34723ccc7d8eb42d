"""pytest fixtures shipped with drusilla (registered automatically through an entry point)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .scripted import ScriptedModel, Step
from .server import OpenAIServer


@pytest.fixture
def scripted_model() -> Iterator[Callable[..., ScriptedModel]]:
    """A factory of `ScriptedModel`s; the test fails if any of them has steps left unused."""
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
    with OpenAIServer() as server:
        yield server
    server.assert_all_used()
