"""A model endpoint that cannot be reached: one clear message naming the URL and what to set."""

from __future__ import annotations

import socket

import pytest

from drusilla import Agent, ModelError, ModelSettings, Runner
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.testing import DropMidStream, OpenAIServer

from .helpers import closed_port

NO_RETRIES = ModelSettings(max_retries=0)


async def test_refused_connection_names_the_url_and_the_setting() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    agent = Agent("a", model=OpenAIChatModel("m", base_url=url), model_settings=NO_RETRIES)
    with pytest.raises(ModelError) as caught:
        await Runner.run(agent, "hi")
    assert str(caught.value) == (
        f"Could not connect to {url} (model 'm'): connection refused. Is the server running at "
        "that address? Check DRUSILLA_BASE_URL (in the environment or .env), or the base_url "
        "the model was given."
    )
    assert caught.value.status is None


def _ollama_port_is_free() -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", 11434)) != 0


@pytest.mark.skipif(not _ollama_port_is_free(), reason="something listens on Ollama's port")
async def test_the_unconfigured_default_says_how_to_start_ollama() -> None:
    agent = Agent("a", model_settings=NO_RETRIES)  # nothing configured: the local Ollama
    with pytest.raises(ModelError) as caught:
        await Runner.run(agent, "hi")
    message = str(caught.value)
    assert message.startswith(
        "Could not connect to http://localhost:11434/v1 (model 'deepseek-r1'): "
    )
    assert "`ollama serve`, then `ollama pull deepseek-r1`" in message
    assert "set DRUSILLA_BASE_URL and DRUSILLA_MODEL" in message


async def test_a_connection_that_breaks_says_so() -> None:
    async with OpenAIServer(DropMidStream("Hello there", after=1)) as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        agent = Agent("a", model=model, model_settings=NO_RETRIES)
        with pytest.raises(ModelError) as caught:
            await Runner.run(agent, "hi")  # not streamed: the JSON body is cut off
    assert str(caught.value).startswith(f"The connection to {server.base_url} (model 'm') broke: ")
