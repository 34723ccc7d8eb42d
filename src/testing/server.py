"""A local OpenAI-protocol server for tests: the real `openai` client, real HTTP, on loopback.

    async with OpenAIServer("Hello!") as server:           # in the test's event loop
        model = OpenAIChatModel("any", base_url=server.base_url)
        ...
    with OpenAIServer(Turn("4", reasoning="2+2")) as server:  # its own thread and loop
        Runner.run_sync(Agent("a", model=OpenAIChatModel("any", base_url=server.base_url)), "?")

It serves `/v1/chat/completions` and `/v1/responses` (any path ending so), Anthropic's
`/v1/messages` (anthropic_render.py), JSON or SSE as the request asks, `GET /v1/models`, and
the Gemini API's `…/models/{model}:generateContent` and `:streamGenerateContent`
(gemini_render.py; give `GeminiModel` the server's `url`). Each model request plays the next
*step*, in the same vocabulary as `ScriptedModel` — a string, `Turn(text, calls, reasoning,
usage)`, `call(...)`, a list of calls, a `ModelResponse`, an exception (an error reply), a
function of the request — plus the faults of `drusilla.testing.faults` and recorded replies
(`replay`).

Every request is kept in `requests` as a `ReceivedRequest` (parsed body, headers, and the
request in drusilla's terms); its repr never shows the Authorization header.

Written on asyncio streams (no web framework): the faults need control over the socket —
dropping it mid-body, cutting an event in half, holding a stream open — that frameworks hide.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from ..models.guard import TEST_SERVERS_VARIABLE
from ..models.interface import (
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    OutputSpec,
    SwordSpec,
)
from ..models.items import InputItem
from ..models.openai.server_probe import forget_detected
from ..models.settings import ModelSettings
from ..util.errors import ModelError
from .anthropic_render import MessagesRenderer, check_messages_request, neutral_messages_request
from .faults import (
    DropMidStream,
    Hold,
    HTTPError,
    NotJSON,
    Recorded,
    SlowFirstByte,
    TruncatedStream,
)
from .gemini_render import (
    GeminiRenderer,
    check_gemini_request,
    gemini_error_body,
    gemini_route,
    neutral_gemini_request,
)
from .request_check import InvalidRequest, check_request
from .scripted import response_for
from .wire_render import (
    REASONING_SHAPES,
    ChatRenderer,
    ReasoningShape,
    ResponsesRenderer,
    dumps,
    neutral_request,
)

__all__ = [
    "EMULATED",
    "Api",
    "Emulated",
    "Headers",
    "OpenAIServer",
    "ReceivedRequest",
    "ServedModel",
]

Api = Literal["chat", "responses", "messages", "gemini"]
_VENDORS = {"messages": "Anthropic's", "gemini": "google-genai's"}
_connection: ContextVar[tuple[asyncio.StreamReader, ReceivedRequest]] = ContextVar(
    "drusilla_server_connection"
)
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_BACKLOG = 1024
_MAX_HEADER_BYTES = 64 * 1024


class Headers(dict[str, str]):
    """Request headers (lower-case names); repr hides credentials."""

    _SECRET = frozenset({"authorization", "api-key", "x-api-key", "proxy-authorization"})

    def __repr__(self) -> str:
        shown = {k: ("***" if k in self._SECRET else v) for k, v in self.items()}
        return repr(shown)


@dataclass(eq=False)
class ReceivedRequest:
    """One request the server received.

    `input`, `instructions`, `swords`, `settings` and `output` read the body back in drusilla's
    terms, like `ScriptedModel.requests`, so a step function or an assertion can work with
    either.
    """

    method: str
    path: str
    headers: Headers
    body: Any
    """The parsed JSON body (or the raw text if it was not JSON; None without a body)."""
    hung_up: bool = False
    """The client closed the connection before the reply was complete."""

    @property
    def api(self) -> Api | None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path.endswith("/chat/completions"):
            return "chat"
        if path.endswith("/responses"):
            return "responses"
        if path.endswith("/messages"):
            return "messages"
        return "gemini" if gemini_route(path) else None

    @property
    def model(self) -> str | None:
        route = gemini_route(self.path)
        if route is not None:
            return route[0]
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def stream(self) -> bool:
        route = gemini_route(self.path)
        if route is not None:
            return route[1]
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    @cached_property
    def model_request(self) -> ModelRequest:
        if self.api == "messages":
            neutral = neutral_messages_request(self.body)
        elif self.api == "gemini":
            neutral = neutral_gemini_request(self.body)
        else:
            neutral = neutral_request(self.api or "", self.body)
        return neutral if neutral is not None else ModelRequest(None, [])

    @property
    def instructions(self) -> str | None:
        return self.model_request.instructions

    @property
    def input(self) -> list[InputItem]:
        return self.model_request.input

    @property
    def swords(self) -> list[SwordSpec]:
        return self.model_request.swords

    @property
    def settings(self) -> ModelSettings:
        return self.model_request.settings

    @property
    def output(self) -> OutputSpec | None:
        return self.model_request.output

    def __repr__(self) -> str:
        return f"ReceivedRequest({self.method} {self.path}, headers={self.headers!r})"


@dataclass
class _Cut:
    kind: Literal["drop", "truncate", "hold"]
    after: int
    hold: Hold | None = None


@dataclass
class _Script:
    steps: deque[Any] = field(default_factory=deque)


Emulated = Literal["llama-server", "llama-cpp-python"]
EMULATED: tuple[Emulated, ...] = ("llama-server", "llama-cpp-python")
# What the real servers answer to GET /v1/models (tests/conformance), in the parts that tell.
_SERVER_HEADERS: dict[Emulated | None, dict[str, str]] = {
    None: {},
    "llama-server": {"Server": "llama.cpp"},
    "llama-cpp-python": {"Server": "uvicorn"},
}
_MODEL_ENTRIES: dict[Emulated | None, dict[str, Any]] = {
    None: {"owned_by": "drusilla"},
    "llama-server": {"owned_by": "llamacpp", "created": 0},
    "llama-cpp-python": {"owned_by": "me", "permissions": []},
}


class OpenAIServer:
    """The local server; see the module docstring.

    `reasoning_shape`: how reasoning is sent (see `wire_render.ReasoningShape`);
    `chunk_size`: stream text this many characters at a time instead of word by word;
    `escape_html`: write `<`, `>`, `&` as `\\u003c` … in JSON, as Go servers (Ollama) do;
    `stream_delay`: seconds between stream events;
    `check_requests`: validate every model request against the OpenAI API's own request types
    (`request_check`) and answer one they reject with HTTP 400 (code `invalid_request_body`),
    also kept in `invalid_requests`; `allow_fields`: further top-level body keys to accept (a
    test's own `extra_body` fields);
    `emulate`: answer `GET /v1/models` as that llama.cpp server does ("llama-server": header
    `Server: llama.cpp`, models `owned_by: "llamacpp"`; "llama-cpp-python": models
    `owned_by: "me"` with `permissions`), so drusilla's server detection (server_probe.py)
    takes it for that server.
    """

    def __init__(
        self,
        *steps: Any,
        reasoning_shape: ReasoningShape = "reasoning_content",
        chunk_size: int | None = None,
        escape_html: bool = False,
        stream_delay: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        check_requests: bool = True,
        allow_fields: Iterable[str] = (),
        emulate: Emulated | None = None,
    ) -> None:
        if reasoning_shape not in REASONING_SHAPES:
            raise ValueError(f"reasoning_shape must be one of {REASONING_SHAPES}")
        if emulate not in (None, *EMULATED):
            raise ValueError(f"emulate must be one of {EMULATED} or None")
        self.emulate = emulate
        self.reasoning_shape: ReasoningShape = reasoning_shape
        self.chunk_size = chunk_size
        self.escape_html = escape_html
        self.stream_delay = stream_delay
        self.requests: list[ReceivedRequest] = []
        self.check_requests = check_requests
        self.allow_fields = frozenset(allow_fields)
        self.invalid_requests: list[tuple[ReceivedRequest, str]] = []
        """Model requests OpenAI's request types reject, with what was wrong."""
        self.unanswered: list[ReceivedRequest] = []
        """Model requests that found no step left (they got an HTTP 400 saying so)."""
        self._host = host
        self._port = port
        self._scripts: dict[str | None, _Script] = {None: _Script(deque(steps))}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._lock = threading.Lock()
        self._server: asyncio.Server | None = None
        self._bound_port: int | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._thread: threading.Thread | None = None
        self._thread_stop: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None

    # --- scripting -----------------------------------------------------------------------------

    def add(self, *steps: Any, model: str | None = None) -> OpenAIServer:
        """Queue steps; with `model`, only requests for that model name play them."""
        with self._lock:
            self._scripts.setdefault(model, _Script()).steps.extend(steps)
        return self

    def replay(
        self, recording: str | Path | dict[str, Any], *, model: str | None = None
    ) -> list[Recorded]:
        """Queue the replies of a recording (format: tests/fixtures/recorded/README.md)."""
        data = recording if isinstance(recording, dict) else json.loads(Path(recording).read_text())
        interactions = data["interactions"]
        for download in [i for i in interactions if _is_download(i)]:
            self._files[download["request"]["path"]] = _file_of(download["response"])
        steps = [
            Recorded(interaction["response"], interaction.get("request"))
            for interaction in interactions
            if not _is_download(interaction)
        ]
        self.add(*steps, model=model)
        return steps

    def remaining(self, model: str | None = None) -> int:
        with self._lock:
            script = self._scripts.get(model)
            return len(script.steps) if script else 0

    def clear(self) -> None:
        """Forget the steps not yet played."""
        with self._lock:
            for script in self._scripts.values():
                script.steps.clear()

    def assert_all_used(self) -> None:
        with self._lock:
            left = {name: list(s.steps) for name, s in self._scripts.items() if s.steps}
        if left:
            raise AssertionError(f"OpenAIServer: scripted steps never played: {left!r}")
        if self.unanswered:
            raise AssertionError(
                f"OpenAIServer: {len(self.unanswered)} request(s) came after the script ran out: "
                f"{self.unanswered!r}"
            )

    def requests_for(self, model: str) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.model == model]

    @property
    def model_requests(self) -> list[ReceivedRequest]:
        """The chat/responses requests (leaving out e.g. GET /v1/models)."""
        return [request for request in self.requests if request.api is not None]

    def model(self, *steps: Any, api: Api = "chat", name: str | None = None) -> ServedModel:
        """A model served by this server that plays `steps` (and only its own steps).

        Like a `ScriptedModel` over real HTTP: `.requests` are the requests it made (in
        drusilla's terms), `.add()` queues more steps, `.assert_all_used()` checks they played.
        """
        with self._lock:
            base = name or "test-model"
            wire_name, n = base, 1
            while wire_name in self._scripts:
                n += 1
                wire_name = f"{base}-{n}"
            self._scripts[wire_name] = _Script(deque(steps))
        return ServedModel(self, wire_name, api)

    def _next_step(self, request: ReceivedRequest) -> tuple[bool, Any]:
        with self._lock:
            script = self._scripts.get(request.model)
            if script is None or not script.steps:
                script = self._scripts[None]
            if not script.steps:
                return False, None
            return True, script.steps.popleft()

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._bound_port is None:
            raise RuntimeError("the server was never started; use `async with` or `with`")
        return self._bound_port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL to give a client: http://127.0.0.1:<port>/v1."""
        return f"{self.url}/v1"

    async def start(self) -> OpenAIServer:
        self._server = await asyncio.start_server(
            self._on_connection,
            self._host,
            self._port,
            limit=_MAX_HEADER_BYTES,
            # asyncio's default (100) drops connects beyond it: 200 clients connecting at once
            # (bench scenario 4) then wait out TCP's retransmission timers
            backlog=_BACKLOG,
        )
        self._bound_port = int(self._server.sockets[0].getsockname()[1])
        forget_detected(self.base_url)  # a server that ran on this port before may differ
        _list_test_server(self.base_url, add=True)
        _list_test_server(self.url, add=True)  # the Gemini API's base URL
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        forget_detected(self.base_url)
        _list_test_server(self.base_url, add=False)
        _list_test_server(self.url, add=False)
        server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        await server.wait_closed()

    async def __aenter__(self) -> OpenAIServer:
        return await self.start()

    async def __aexit__(self, *_: Any) -> None:
        await self.stop()

    def __enter__(self) -> OpenAIServer:
        """Serve from a background thread with its own event loop (for sync code, `run_sync`,
        subprocesses, or a test loop that may block)."""
        ready = threading.Event()
        failure: list[BaseException] = []

        async def serve() -> None:
            try:
                await self.start()
                stop = asyncio.Event()
                self._thread_stop = (asyncio.get_running_loop(), stop)
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            await stop.wait()
            await self.stop()

        self._thread = threading.Thread(
            target=asyncio.run, args=(serve(),), name="drusilla-openai-server", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def __exit__(self, *_: Any) -> None:
        if self._thread_stop is not None:
            loop, stop = self._thread_stop
            loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None
        self._thread_stop = None

    # --- HTTP ----------------------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                _connection.set((reader, request))
                if not await self._answer(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            current = _connection.get(None)
            if current is not None:
                current[1].hung_up = True
        except asyncio.CancelledError:
            # The server is stopping. Not re-raised: asyncio's stream callback would report a
            # cancelled connection task as an error.
            writer.transport.abort()
        finally:
            self._connections.discard(task)
            writer.close()

    async def _answer(self, request: ReceivedRequest, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection must not be reused."""
        if request.api is None:
            if request.method == "GET" and request.path in self._files:
                content_type, data = self._files[request.path]
                await _write_raw(writer, 200, content_type, data)
                return True
            if request.method == "GET" and request.path.rstrip("/").endswith("/models"):
                return await _write_json(
                    writer,
                    200,
                    self._models_list(),
                    self.escape_html,
                    _SERVER_HEADERS[self.emulate],
                )
            return await _write_json(
                writer, 404, HTTPError(404, f"No route {request.method} {request.path}").body()
            )
        if self.check_requests:
            try:
                if request.api == "messages":
                    check_messages_request(request.body, allow=self.allow_fields)
                elif request.api == "gemini":
                    check_gemini_request(request.body)
                else:
                    check_request(request.api, request.body, allow=self.allow_fields)
            except InvalidRequest as invalid:
                self.invalid_requests.append((request, str(invalid)))
                vendor = _VENDORS.get(request.api or "", "OpenAI's")
                error = HTTPError(
                    400,
                    f"drusilla OpenAIServer: {vendor} request types reject this body: {invalid}",
                    code="invalid_request_body",
                )
                return await _write_json(writer, 400, _error_body(error, request))
        found, step = self._next_step(request)
        if not found:
            self.unanswered.append(request)
            error = HTTPError(
                400,
                f"drusilla OpenAIServer: no scripted reply left for request "
                f"{len(self.model_requests)} (model {request.model!r}). Add more steps.",
                code="script_exhausted",
            )
            return await _write_json(writer, 400, _error_body(error, request))
        return await self._play(step, request, writer, None)

    @property
    def _emulated_default(self) -> list[str]:
        """A real server always lists the model it serves."""
        return ["model"] if self.emulate else []

    def _models_list(self) -> dict[str, Any]:
        with self._lock:
            names = [name for name in self._scripts if name is not None]
        entry = _MODEL_ENTRIES[self.emulate]
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", **entry} for name in names or self._emulated_default
            ],
        }

    async def _play(
        self, step: Any, request: ReceivedRequest, writer: asyncio.StreamWriter, cut: _Cut | None
    ) -> bool:
        while callable(step) and not isinstance(step, type | BaseException | Hold):
            step = step(request)
        if isinstance(step, SlowFirstByte):
            await asyncio.sleep(step.seconds)
            return await self._play(step.step, request, writer, cut)
        if isinstance(step, DropMidStream):
            return await self._play(step.step, request, writer, _Cut("drop", step.after))
        if isinstance(step, TruncatedStream):
            return await self._play(step.step, request, writer, _Cut("truncate", step.after))
        if isinstance(step, Hold):
            return await self._play(step.step, request, writer, _Cut("hold", step.after, step))
        if isinstance(step, BaseException):
            step = _error_for(step)
        if isinstance(step, HTTPError):
            error = _error_body(step, request)
            return await _write_json(writer, step.status, error, headers=step.all_headers())
        if isinstance(step, NotJSON):
            body = step.body if isinstance(step.body, bytes) else step.body.encode()
            await _write_raw(writer, step.status, step.content_type, body)
            return True
        if isinstance(step, Recorded):
            return await self._play_recorded(step, request, writer, cut)
        response = response_for(step, request.model_request)
        return await self._play_response(response, request, writer, cut)

    async def _play_response(
        self,
        response: ModelResponse,
        request: ReceivedRequest,
        writer: asyncio.StreamWriter,
        cut: _Cut | None,
    ) -> bool:
        top = request.settings.top_logprobs
        model = request.model or "scripted"
        options = {
            "model": model,
            "shape": self.reasoning_shape,
            "chunk_size": self.chunk_size,
            "top_logprobs": top,
        }
        body = request.body
        if request.api == "messages":
            messages = MessagesRenderer(response, model=model, chunk_size=self.chunk_size)
            if not request.stream:
                return await self._write_whole(writer, messages.whole(), cut)
            return await self._write_events(writer, messages.events(), cut)
        if request.api == "gemini":
            gemini = GeminiRenderer(response, model=model, chunk_size=self.chunk_size)
            if not request.stream:
                return await self._write_whole(writer, gemini.whole(), cut)
            events = [f"data: {dumps(chunk)}\r\n\r\n" for chunk in gemini.chunks()]
        elif request.api == "chat":
            chat = ChatRenderer(response, **options)  # type: ignore[arg-type]
            if not request.stream:
                return await self._write_whole(writer, chat.whole(), cut)
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = [
                f"data: {dumps(chunk, escape_html=self.escape_html)}\n\n"
                for chunk in chat.chunks(include_usage=include_usage)
            ]
            events.append("data: [DONE]\n\n")
        else:
            renderer = ResponsesRenderer(response, **options)  # type: ignore[arg-type]
            if not request.stream:
                return await self._write_whole(writer, renderer.whole(), cut)
            events = [
                f"event: {event['type']}\ndata: {dumps(event, escape_html=self.escape_html)}\n\n"
                for event in renderer.events()
            ]
        return await self._write_events(writer, events, cut)

    async def _play_recorded(
        self,
        step: Recorded,
        request: ReceivedRequest,
        writer: asyncio.StreamWriter,
        cut: _Cut | None,
    ) -> bool:
        recorded = step.response
        if step.streamed != request.stream:
            error = HTTPError(
                400,
                f"drusilla OpenAIServer: the recorded reply is {'' if step.streamed else 'not '}"
                f"streamed but the request has stream={request.stream}. Use Runner."
                f"{'run_streamed' if step.streamed else 'run'} for this recording.",
                code="recording_mismatch",
            )
            return await _write_json(writer, 400, error.body())
        status = int(recorded.get("status", 200))
        if step.streamed:
            events = [event + "\n\n" for event in recorded["sse"].split("\n\n") if event.strip()]
            return await self._write_events(writer, events, cut, status=status)
        if status >= 400 or cut is None:
            return await _write_json(writer, status, recorded.get("json"))
        return await self._write_whole(writer, recorded.get("json"), cut)

    async def _write_whole(self, writer: asyncio.StreamWriter, data: Any, cut: _Cut | None) -> bool:
        if cut is None:
            return await _write_json(writer, 200, data, self.escape_html)
        body = dumps(data, escape_html=self.escape_html).encode()
        half = body[: len(body) // 2]
        if cut.kind == "drop":
            writer.write(_head(200, "application/json", {"Content-Length": str(len(body))}))
            writer.write(half)
            await writer.drain()
            writer.transport.abort()
            return False
        if cut.kind == "truncate":
            await _write_raw(writer, 200, "application/json", half)
            return True
        assert cut.hold is not None
        cut.hold.mark_reached()
        writer.write(_head(200, "application/json", {"Content-Length": str(len(body))}))
        await writer.drain()
        if not await _hold_unless_hung_up(cut.hold):
            return False
        writer.write(body)
        await writer.drain()
        return True

    async def _write_events(
        self, writer: asyncio.StreamWriter, events: list[str], cut: _Cut | None, status: int = 200
    ) -> bool:
        headers = {"Transfer-Encoding": "chunked", "Cache-Control": "no-cache"}
        writer.write(_head(status, "text/event-stream; charset=utf-8", headers))
        for position, event in enumerate(events):
            if cut is not None and cut.hold is not None and position == max(0, cut.after - 1):
                cut.hold.mark_reached()
            if cut is not None and position == cut.after:
                if cut.kind == "drop":
                    await writer.drain()
                    writer.transport.abort()
                    return False
                if cut.kind == "truncate":
                    writer.write(_chunk(event[: len(event) // 2].encode()))
                    break
                assert cut.hold is not None
                await writer.drain()
                if not await _hold_unless_hung_up(cut.hold):
                    return False
            writer.write(_chunk(event.encode()))
            await writer.drain()
            if self.stream_delay:
                await asyncio.sleep(self.stream_delay)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "not running"
        return f"OpenAIServer({where}, requests={len(self.requests)})"


async def _hold_unless_hung_up(hold: Hold) -> bool:
    """Wait for the hold's release; False (and the request marked hung up) if the client closes
    the connection first."""
    reader, request = _connection.get()
    released = asyncio.ensure_future(hold.wait_for_release())
    hangup = asyncio.ensure_future(reader.read(1))
    done, _ = await asyncio.wait({released, hangup}, return_when=asyncio.FIRST_COMPLETED)
    for task in (released, hangup):
        task.cancel()
    # Let the cancelled read finish, or the next read of this connection finds it waiting.
    await asyncio.gather(released, hangup, return_exceptions=True)
    if hangup in done and not hangup.cancelled() and hangup.result() == b"":
        request.hung_up = True
        return False
    return True


def _error_body(error: HTTPError, request: ReceivedRequest) -> dict[str, Any]:
    """The error in the shape of the request's API (Google's for Gemini, else OpenAI's)."""
    if request.api == "gemini":
        return gemini_error_body(error.status, error.message)
    return error.body()


def _is_download(interaction: dict[str, Any]) -> bool:
    """A recorded GET of a file (an image the client downloaded), not a model request."""
    return (interaction.get("request") or {}).get("method") == "GET"


def _file_of(response: dict[str, Any]) -> tuple[str, bytes]:
    body = response.get("text", "")
    data = base64.b64decode(body["base64"]) if isinstance(body, dict) else str(body).encode()
    return str(response.get("content_type", "application/octet-stream")), data


def _error_for(exc: BaseException) -> HTTPError:
    """An exception step: its status if it is a `ModelError` with one, else 400, so the client
    fails at once with a `ModelError` carrying the exception's text."""
    if isinstance(exc, ModelError):
        return HTTPError(exc.status or 400, exc.server_message or exc.message, code=exc.code)
    return HTTPError(400, str(exc) or type(exc).__name__, code=type(exc).__name__)


# --- HTTP/1.1 plumbing ---------------------------------------------------------------------------


async def _read_request(reader: asyncio.StreamReader) -> ReceivedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = Headers()
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        raw = await _read_chunked(reader)
    else:
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
    return ReceivedRequest(method, path, headers, _parse_body(raw))


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _head(status: int, content_type: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", f"Content-Type: {content_type}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _write_json(
    writer: asyncio.StreamWriter,
    status: int,
    data: Any,
    escape_html: bool = False,
    headers: dict[str, str] | None = None,
) -> bool:
    body = dumps(data, escape_html=escape_html).encode()
    await _write_raw(writer, status, "application/json", body, headers)
    return True


async def _write_raw(
    writer: asyncio.StreamWriter,
    status: int,
    content_type: str,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> None:
    all_headers = {"Content-Length": str(len(body)), **(headers or {})}
    writer.write(_head(status, content_type, all_headers) + body)
    await writer.drain()


class ServedModel:
    """A `Model` talking to an `OpenAIServer` over HTTP with the real `openai` client,
    scripted like a `ScriptedModel` (see `OpenAIServer.model`)."""

    def __init__(self, server: OpenAIServer, name: str, api: Api) -> None:
        if api == "messages":
            from ..models.anthropic import AnthropicModel

            self.inner: Any = AnthropicModel(
                name, base_url=server.url, api_key="sk-test", provider_name="test-server"
            )
        elif api == "gemini":
            from ..models.google import GeminiModel

            self.inner = GeminiModel(
                name, base_url=server.url, api_key="test-key", provider_name="test-server"
            )
        elif api == "responses":
            from ..models.openai.responses import OpenAIResponsesModel

            self.inner = OpenAIResponsesModel(
                name, base_url=server.base_url, api_key="sk-test", provider_name="test-server"
            )
        else:
            from ..models.openai.chat import OpenAIChatModel

            self.inner = OpenAIChatModel(
                name, base_url=server.base_url, api_key="sk-test", provider_name="test-server"
            )
        self.server = server
        self.api = api
        self._name = name

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def provider_name(self) -> str:
        return "test-server"

    @property
    def server_kind(self) -> Any:
        return getattr(self.inner, "server_kind", self.api)

    @property
    def profile(self) -> Any:
        return self.inner.profile

    async def detect_server(self) -> Any:
        detect = getattr(self.inner, "detect_server", None)
        return await detect() if detect is not None else self.server_kind

    @property
    def requests(self) -> list[ReceivedRequest]:
        """The requests this model made, oldest first."""
        return self.server.requests_for(self._name)

    @property
    def remaining(self) -> int:
        return self.server.remaining(self._name)

    def add(self, *steps: Any) -> ServedModel:
        self.server.add(*steps, model=self._name)
        return self

    def assert_all_used(self) -> None:
        if self.remaining:
            raise AssertionError(
                f"ServedModel {self._name!r}: {self.remaining} scripted step(s) never played."
            )

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        return await self.inner.get_response(request)  # type: ignore[no-any-return]

    def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        return self.inner.stream_response(request)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"ServedModel({self._name!r}, api={self.api!r}, server={self.server!r})"


_listed_lock = threading.Lock()


def _list_test_server(base_url: str, *, add: bool) -> None:
    """Let the test guard (models/guard.py) allow requests to this server, here and in
    subprocesses started while it runs."""
    with _listed_lock:
        urls = os.environ.get(TEST_SERVERS_VARIABLE, "").split()
        urls = [url for url in urls if url != base_url] + ([base_url] if add else [])
        if urls:
            os.environ[TEST_SERVERS_VARIABLE] = " ".join(urls)
        else:
            os.environ.pop(TEST_SERVERS_VARIABLE, None)
