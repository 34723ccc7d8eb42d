"""Errors of real servers that say what to change (found against llama.cpp servers)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from drusilla import Agent, ModelSettings, Runner, sword
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.responses import OpenAIResponsesModel
from drusilla.testing import OpenAIServer
from drusilla.testing.faults import HTTPError
from drusilla.util.errors import ModelError


class City(BaseModel):
    name: str


@sword
def now() -> str:
    """The time."""
    return "noon"


async def test_a_server_without_the_responses_api_is_named_as_such() -> None:
    async with OpenAIServer(HTTPError(404, "File Not Found")) as server:
        agent = Agent("a", model=OpenAIResponsesModel("m", base_url=server.base_url))
        with pytest.raises(ModelError, match=r"no Responses API.*OpenAIChatModel"):
            await Runner.run(agent, "hi")


async def test_a_base_url_without_v1_says_so() -> None:
    async with OpenAIServer(HTTPError(404, "Not Found")) as server:
        agent = Agent("a", model=OpenAIChatModel("m", base_url=server.url))
        with pytest.raises(ModelError, match="The base URL has no /v1"):
            await Runner.run(agent, "hi")


async def test_a_500_that_rejects_the_request_is_not_retried() -> None:
    said = (
        "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
        "'msg': \"Input should be 'text' or 'json_object'\"}]"
    )
    async with OpenAIServer(HTTPError(500, said), "never sent") as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        settings = ModelSettings(output_mode="json_schema")
        agent = Agent("a", model=model, output_type=City, model_settings=settings)
        with pytest.raises(ModelError, match=r"Input should be 'text'.*output_mode") as caught:
            await Runner.run(agent, "hi")
        assert caught.value.status == 500
        assert len(server.model_requests) == 1  # not retried
        server.clear()


async def test_a_rejected_sword_choice_is_reported_with_the_servers_words() -> None:
    rejection = HTTPError(500, "Automatic streaming tool choice is not supported")
    async with OpenAIServer(rejection) as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        settings = ModelSettings(sword_choice="required")
        agent = Agent("a", model=model, swords=[now], model_settings=settings)
        with pytest.raises(ModelError) as caught:
            await Runner.run(agent, "hi")
    message = str(caught.value)
    assert "Automatic streaming tool choice is not supported" in message
    assert "sword_choice" in message and "'<sword name>'" in message
    assert len(server.model_requests) == 1


async def test_a_chat_template_that_cannot_render_the_request_is_not_retried() -> None:
    async with OpenAIServer(HTTPError(500, "'dict object' has no attribute 'content'")) as server:
        agent = Agent("a", model=OpenAIChatModel("m", base_url=server.base_url))
        with pytest.raises(ModelError, match="chat template could not render"):
            await Runner.run(agent, "hi")
        assert len(server.model_requests) == 1
