"""Real llama.cpp traffic, recorded by `pytest tests/conformance --record`, replayed offline:
every request drusilla sent passes OpenAI's request types, and every reply reads back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pytest

from drusilla.models.openai.chat_wire import ChatStream, chat_response
from drusilla.models.openai.responses_wire import ResponsesStream, responses_response
from drusilla.testing.request_check import check_request

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"
FILES = sorted(RECORDED.glob("llama_*.json"))


def _events(sse: str) -> list[Any]:
    return [
        json.loads(line[len("data: ") :])
        for line in sse.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_recorded_llama_cpp_exchange(path: Path) -> None:
    interactions = json.loads(path.read_text())["interactions"]
    assert interactions
    for interaction in interactions:
        request, response = interaction["request"], interaction["response"]
        api: Literal["chat", "responses"] = (
            "chat" if request["path"].endswith("/chat/completions") else "responses"
        )
        check_request(api, request["body"])
        assert response["status"] < 400, response
        if "sse" in response:
            stream: Any = ChatStream() if api == "chat" else ResponsesStream()
            for event in _events(response["sse"]):
                stream.feed(event)
            stream.finish()
            reply = stream.response()
        else:
            read = chat_response if api == "chat" else responses_response
            reply = read(response["json"])
        assert reply.output or reply.finish_reason == "length"
