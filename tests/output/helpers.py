"""Shared bits of the structured-output tests."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from drusilla import sword
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.responses import OpenAIResponsesModel
from drusilla.testing import OpenAIServer


class City(BaseModel):
    city: str
    country: str


def chat(http: OpenAIServer, name: str = "test-model", **kwargs: Any) -> OpenAIChatModel:
    """A Chat Completions model on the local server (`server=` names a server kind)."""
    return OpenAIChatModel(name, base_url=http.base_url, api_key="sk-test", **kwargs)


def responses(http: OpenAIServer, name: str = "test-model", **kwargs: Any) -> OpenAIResponsesModel:
    return OpenAIResponsesModel(name, base_url=http.base_url, api_key="sk-test", **kwargs)


def system_prompt(body: dict[str, Any]) -> str:
    """The system message of a Chat Completions body ("" when there is none)."""
    first = body["messages"][0]
    return first["content"] if first["role"] == "system" else ""


def tool_names(body: dict[str, Any]) -> list[str]:
    return [tool["function"]["name"] for tool in body.get("tools", [])]


@sword
def get_user_country() -> str:
    """Get the user's country."""
    return "Mexico"
