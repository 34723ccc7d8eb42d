"""Recorded model replies served back, in process (an `httpx.MockTransport`) or over HTTP.

A sword round trip on each wire, from the real recordings in the shared fixtures folder
(`DRUSILLA_RECORDED`, default /work/shared/fixtures/recorded): the model calls
`get_user_country` (no arguments); once the sword's result ("Mexico") is in the request, it
answers in text. The replies are the recorded bytes of the real APIs (chat: OpenAI gpt-4o;
messages: Claude; gemini: Gemini), chosen by what the request holds, so every framework and
the bare SDKs get the same bytes whatever their request looks like.

    python -m bench.replay      # serves over HTTP/1.1 (keep-alive) and prints its base URL;
                                # stops when stdin closes
"""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from .harness import ChildServer

RECORDED = Path(os.environ.get("DRUSILLA_RECORDED", "/work/shared/fixtures/recorded"))
SWORD = "get_user_country"
SWORD_RESULT = "Mexico"
MODELS = {"chat": "gpt-4o", "messages": "claude-sonnet-4-5", "gemini": "gemini-2.0-flash"}
_FILES = {
    "chat": [("openai_json_schema_output.json", 0), ("openai_json_schema_output.json", 1)],
    "messages": [("anthropic/tool_output.json", 0), ("anthropic/model_instructions.json", 0)],
    "gemini": [("google/tool_output.json", 0), ("google/model.json", 0)],
}
ANSWERS = {
    "chat": '{"city":"Mexico City","country":"Mexico"}',
    "messages": "The capital of France is Paris.",
    "gemini": "Hello! How can I help you today?",
}
"""The recorded final answer of each wire (what a round trip must end with)."""


def recorded_replies(wire: str) -> tuple[bytes, bytes]:
    """The recorded sword-call reply and final reply of `wire`, as the bytes the API sent."""
    replies = []
    for name, index in _FILES[wire]:
        exchange = json.loads((RECORDED / name).read_text(encoding="utf-8"))
        replies.append(json.dumps(exchange["interactions"][index]["response"]["json"]).encode())
    return replies[0], replies[1]


def wire_of(path: str) -> str:
    if path.endswith("/chat/completions"):
        return "chat"
    return "messages" if path.endswith("/v1/messages") else "gemini"


class Replies:
    """The reply to a request: the sword call first, the answer once the result is sent."""

    def __init__(self) -> None:
        self._replies = {wire: recorded_replies(wire) for wire in _FILES}

    def reply(self, path: str, body: bytes) -> tuple[bytes, str]:
        """The reply's bytes and content type: a Messages request asking for a stream (Pydantic
        AI's Claude model always does) gets the recorded reply as the API streams it."""
        wire = wire_of(path)
        call, answer = self._replies[wire]
        chosen = answer if SWORD_RESULT.encode() in body else call
        if wire == "messages" and b'"stream":true' in body.replace(b" ", b""):
            return claude_events(json.loads(chosen)), "text/event-stream"
        return chosen, "application/json"


def claude_events(message: dict[str, Any]) -> bytes:
    """A recorded Messages reply as the event stream the API sends for it."""
    start = dict(message, content=[], stop_reason=None)
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(message["content"]):
        if block["type"] == "tool_use":
            opened = dict(block, input={})
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        else:
            opened, delta = dict(block, text=""), {"type": "text_delta", "text": block["text"]}
        events += [
            {"type": "content_block_start", "index": index, "content_block": opened},
            {"type": "content_block_delta", "index": index, "delta": delta},
            {"type": "content_block_stop", "index": index},
        ]
    stop = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    usage = {"output_tokens": message["usage"]["output_tokens"]}
    events += [{"type": "message_delta", "delta": stop, "usage": usage}, {"type": "message_stop"}]
    text = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return text.encode()


def mock_transport(httpx: Any) -> Any:
    """An in-process transport of the `httpx` module given (httpx or its fork httpx2) answering
    with the recorded bytes (no socket, no server)."""
    replies = Replies()

    def handle(request: Any) -> Any:
        content, kind = replies.reply(request.url.path, request.content)
        return httpx.Response(200, content=content, headers={"content-type": kind})

    return httpx.MockTransport(handle)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse their connection
    wbufsize = -1  # head and body in one write, flushed after the request ...
    disable_nagle_algorithm = True  # ... and sent at once (else 40 ms delayed-ACK stalls)
    replies: Replies
    connections = 0

    def setup(self) -> None:
        type(self).connections += 1  # one handler per connection: keep-alive shows here
        super().setup()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        content, kind = self.replies.reply(self.path.split("?")[0], body)
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # many clients connecting at once are queued, not reset


def serve() -> None:
    _Handler.replies = Replies()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.read()
    server.shutdown()
    print(json.dumps({"connections": _Handler.connections}), flush=True)


class ReplayServer:
    """`with ReplayServer() as url:` serves the recorded replies from a process of its own (so
    its CPU is not charged to the client measured)."""

    def __init__(self) -> None:
        self._child = ChildServer("bench.replay")
        self.connections = 0
        """Connections the server accepted (known once the block has ended)."""

    def __enter__(self) -> str:
        """Starts the server; its base URL."""
        return self._child.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.connections = self._child.stop().get("connections", 0)


if __name__ == "__main__":
    serve()
