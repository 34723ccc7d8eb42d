"""An MCP server for the tests, written with the official `mcp` SDK.

    python probe_server.py stdio            # over stdin/stdout
    python probe_server.py http             # Streamable HTTP on a free loopback port (printed)

Set PROBE_LOG to a file to have it record `start <name> <pid>` and `stop <name> <pid>` lines,
and PROBE_NAME to name the server in them.
"""

from __future__ import annotations

import atexit
import base64
import os
import socket
import sys

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS
from pydantic import BaseModel

# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
NAME = os.environ.get("PROBE_NAME", "probe")

app = MCPServer(NAME)


class Weather(BaseModel):
    city: str
    temperature: float
    sky: str


@app.tool()
def add(a: int, b: int = 0) -> int:
    """Add two whole numbers."""
    return a + b


@app.tool()
def echo(text: str) -> str:
    """Say the text back."""
    return text


@app.tool()
def weather(city: str) -> Weather:
    """The weather in a city."""
    return Weather(city=city, temperature=21.5, sky="clear")


@app.tool()
def picture() -> Image:
    """A tiny picture."""
    return Image(data=PNG, format="png")


@app.tool()
def fail(reason: str) -> str:
    """Always fails, with the given reason."""
    raise ToolError(f"cannot do that: {reason}")


@app.tool()
def picky(text: str) -> str:
    """Rejects uppercase text with a JSON-RPC "invalid params" error."""
    if text != text.lower():
        raise MCPError(INVALID_PARAMS, "text must be lowercase")
    return text


@app.tool()
def refuse() -> str:
    """Answers with a JSON-RPC error."""
    raise MCPError(INTERNAL_ERROR, "internal trouble")


@app.tool()
def crash() -> str:
    """The server process dies in the middle of the call."""
    os._exit(3)


@app.tool()
async def hang() -> str:
    """Never answers."""
    await anyio.sleep_forever()
    return "never"


@app.tool()
async def wait_for_cancel() -> str:
    """Never answers; records `called`, then `cancelled` when the client cancels the call."""
    log("called")
    try:
        await anyio.sleep_forever()
    except anyio.get_cancelled_exc_class():
        log("cancelled")
        raise
    return "never"


@app.tool()
def env(name: str) -> str:
    """The value of an environment variable of the server process, or <unset>."""
    return os.environ.get(name, "<unset>")


@app.tool(name="notes.read")
def notes_read(topic: str) -> str:
    """Read the notes on a topic (a tool name with a dot)."""
    return f"notes on {topic}"


@app.tool(name="a_tool_name_that_is_much_longer_than_the_sixty_four_characters_models_allow")
def long_name() -> str:
    """A tool whose name is too long for model APIs."""
    return "long"


@app.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@app.tool()
def header(name: str, ctx: Context) -> str:
    """The value of an HTTP request header (Streamable HTTP only), or <unset>."""
    request = ctx.request_context.request
    headers = getattr(request, "headers", None) or {}
    return str(headers.get(name, "<unset>"))


@app.tool()
async def steps(count: int, ctx: Context) -> str:
    """Report progress `count` times (step N of `count`), then say so."""
    for step in range(1, count + 1):
        await ctx.report_progress(step, count, f"step {step}\x1b]0;pwned\x07")
    return f"{count} steps done"


@app.tool()
async def grow(name: str, ctx: Context) -> str:
    """Add a tool called `name` (it echoes) and tell the client the tool list changed."""

    def grown(text: str) -> str:
        return f"{name}: {text}"

    app.add_tool(grown, name=name, description="A tool added at run time.")
    await ctx.notify_tools_changed()
    return f"added {name}"


def log(event: str) -> None:
    path = os.environ.get("PROBE_LOG")
    if path:
        with open(path, "a") as file:
            file.write(f"{event} {NAME} {os.getpid()}\n")


def serve_http() -> None:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    print(sock.getsockname()[1], flush=True)
    server = uvicorn.Server(uvicorn.Config(app.streamable_http_app(), log_level="warning"))
    anyio.run(lambda: server.serve(sockets=[sock]))


if __name__ == "__main__":
    log("start")
    atexit.register(log, "stop")
    if sys.argv[1:] == ["http"]:
        serve_http()
    else:
        app.run()
