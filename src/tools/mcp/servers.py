"""MCP servers an agent can use: `MCPServerStdio` (a subprocess) and `MCPServerStreamableHTTP`.

A server is open while someone holds it. `async with server:` (or `connect()` / `close()`)
holds it for a block of code; a run holds it from first use until the root run ends, and nested
agent-as-sword runs share the root's hold. When the last holder lets go, it closes.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import importlib.util
import os
import re
import shutil
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TextIO, TypeAlias, TypeVar
from urllib.parse import urlsplit

import anyio

from ...util.context import current_scope
from ...util.errors import RunnerError, UserError
from ...util.logging import get_logger
from ..swords import FailureErrorFunction, default_sword_error_function
from .catalog import MCPCatalog
from .connection import Connection, ConnectionLost, describe
from .elicitation import ElicitationHandler, Elicitor, check_elicitation_handler
from .noise import summarise_parse_errors
from .results import MCPToolResult, tool_result
from .sampling import CallsInFlight, Sampler, SamplingModel, check_sampling_model
from .server_log import log_level_to_ask, log_server_message

if TYPE_CHECKING:
    from typing import Self

    from mcp import Client
    from mcp.client._transport import TransportStreams
    from mcp.client.session import IncomingMessage
    from mcp.shared.dispatcher import ProgressFnT
    from mcp_types import ListToolsResult, Tool

__all__ = [
    "SAFE_ENV_VARS",
    "MCPServer",
    "MCPServerError",
    "MCPServerStdio",
    "MCPServerStreamableHTTP",
    "RequireApproval",
    "StepRunner",
    "ToolFilter",
]

T = TypeVar("T")

ToolFilter: TypeAlias = Callable[["Tool"], bool | Awaitable[bool]]
"""Decides which of a server's tools the agent sees: `fn(tool) -> bool` (sync or async)."""
RequireApproval: TypeAlias = (
    Literal["always", "never"] | bool | Collection[str] | Callable[["Tool"], bool] | None
)
"""Which tools of a server wait for approval: "always" (or True), "never" (None, False), the
names of those that do (the server's own tool names, before any tool_prefix), or a rule
`fn(tool) -> bool` given the MCP `Tool` with its annotations (e.g. `is_destructive`)."""
StepRunner: TypeAlias = Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[Any]]
"""How a durable engine runs a server's requests: `step(what, call)` awaits `call()` as one
step; `what` is "list_tools" or the tool's name (see `MCPServer.through_steps`)."""

SAFE_ENV_VARS: tuple[str, ...] = (
    (
        "APPDATA", "HOMEDRIVE", "HOMEPATH", "LOCALAPPDATA", "PATH", "PATHEXT",
        "PROCESSOR_ARCHITECTURE", "SYSTEMDRIVE", "SYSTEMROOT", "TEMP", "TMP", "USERNAME",
        "USERPROFILE",
    )
    if sys.platform == "win32"
    else ("HOME", "LOGNAME", "USER", "PATH", "SHELL", "TERM", "TMPDIR", "TZ")
) + (
    "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
)  # fmt: skip
"""What a stdio server inherits from this process's environment unless told otherwise: where
things are, locale and CA bundles — no credentials. Pass more with `env=` or `inherit_env=`."""

_CATALOG_NOTIFICATIONS = ("notifications/resources/", "notifications/prompts/")
_HOLD = "drusilla.mcp.hold"
_TOOLS = "drusilla.mcp.tools"
_MAX_TOOL_PAGES = 100
_BACKSTOP = 2.0
"""Seconds past `timeout` after which a request is abandoned even if the SDK is still waiting."""
_PREFIX = re.compile(r"^[A-Za-z0-9_-]+$")
_MIN_SECRET = 4
"""Shorter values are not redacted from messages (they would blank out ordinary words)."""


class MCPServerError(RunnerError):
    """An MCP server could not be reached, or failed, timed out or broke the protocol.

    In a sword call the model is told (through the sword's failure_error_function); while a run
    gathers its swords, the run fails with it. `code` and `server_message` are the server's
    JSON-RPC error, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        server_name: str,
        code: int | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.server_name = server_name
        self.code = code
        self.server_message = server_message


class MCPServer(MCPCatalog):
    """What `MCPServerStdio` and `MCPServerStreamableHTTP` share: lifetime, tools, calls,
    resources and prompts (`MCPCatalog`), sampling and elicitation.

    Subclasses say how to reach the server (`_transport`); see docs/mcp.md for the options.
    """

    def __init__(
        self,
        *,
        name: str,
        timeout: float,
        connect_timeout: float,
        tool_prefix: str | None,
        tool_filter: ToolFilter | None,
        cache_tools_list: bool,
        use_structured_content: bool,
        failure_error_function: FailureErrorFunction | None,
        require_approval: RequireApproval = None,
        sampling_model: SamplingModel | None = None,
        elicitation_handler: ElicitationHandler | None = None,
        cache_resources: bool = False,
    ) -> None:
        if importlib.util.find_spec("mcp") is None:
            raise UserError(
                "MCP servers need the official `mcp` package: pip install 'drusilla[mcp]'."
            )
        if not isinstance(name, str) or not name.strip():
            raise UserError(f"An MCP server needs a non-empty name, got name={name!r}.")
        self.name = name
        self.timeout = _positive(timeout, "timeout", name)
        self.connect_timeout = _positive(connect_timeout, "connect_timeout", name)
        if tool_prefix is not None and not (
            isinstance(tool_prefix, str) and _PREFIX.match(tool_prefix)
        ):
            raise UserError(
                f"MCP server {name!r}: tool_prefix={tool_prefix!r} must be letters, digits, "
                "'_' or '-' (sword names are sent to the model as function names)."
            )
        self.tool_prefix = tool_prefix
        if tool_filter is not None and not callable(tool_filter):
            raise UserError(
                f"MCP server {name!r}: tool_filter={tool_filter!r} must be "
                "MCPToolFilter(allowed=..., blocked=...) or a function tool -> bool."
            )
        self.tool_filter = tool_filter
        self.cache_tools_list = cache_tools_list
        self.use_structured_content = use_structured_content
        self.failure_error_function = failure_error_function
        self._approval = _approval_rule(require_approval, name)
        self.sampling_model = sampling_model
        self._sampling = check_sampling_model(sampling_model, name)
        self.elicitation_handler = check_elicitation_handler(elicitation_handler, name)
        self.cache_resources = cache_resources
        self.calls_in_flight = CallsInFlight()
        """Tool calls now running: a sampling request is answered for the newest one's run."""
        self._holders = 0
        """Who keeps the connection open: each root run using it, plus each `connect()`."""
        self._user_holds = 0
        self._connection: Connection | None = None
        self._cached_tools: list[Tool] | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._lock_obj: asyncio.Lock | None = None
        self.step_runner: StepRunner | None = None
        """Set by `through_steps()`: what listing and calling tools go through."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    def needs_approval(self, tool: Tool | str) -> bool:
        """Whether calls of this tool (an MCP `Tool`, or its name) wait for a person's approval
        (`require_approval=`)."""
        rule = self._approval
        if isinstance(rule, bool):
            return rule
        if isinstance(rule, frozenset):
            return (tool if isinstance(tool, str) else tool.name) in rule
        if isinstance(tool, str):
            raise UserError(
                f"MCP server {self.name!r}: require_approval is a rule on tools; pass the MCP "
                f"Tool (from list_tools()), not the name {tool!r}."
            )
        return bool(rule(tool))

    # --- how to reach the server (subclasses) -------------------------------------------------

    def _transport(self) -> AbstractAsyncContextManager[TransportStreams]:
        raise NotImplementedError

    def _check_can_start(self) -> None:
        """Raise UserError for a configuration that cannot work, before trying to connect."""

    def _secrets(self) -> list[str]:
        """Values that must not appear in errors and logs (tokens in headers, env, URL)."""
        return []

    def _redact(self, text: str) -> str:
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return text

    def _describe(self, exc: BaseException) -> str:
        return self._redact(describe(exc))

    # --- lifetime ------------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        return self._connection is not None and not self._connection.broken

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the connection and hold it until `close()` (runs in between share it)."""
        self._holders += 1
        self._user_holds += 1
        try:
            await self._open_connection()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Let go of the hold taken by `connect()`; the last holder closes the connection."""
        if self._user_holds > 0:
            self._user_holds -= 1
            await self._let_go()

    def hold_for_run(self) -> None:
        """Hold the server until the root run ends (once per root run): the runner calls it
        when a run first uses the server; `connect()` is the hold for code outside a run."""
        scope = current_scope()
        if scope is None:
            if self._holders == 0:
                raise UserError(
                    f"MCP server {self.name!r} is not connected. Use it in an agent run "
                    "(Agent(mcp_servers=[server])), or open it with `async with server:`."
                )
            return
        key = (_HOLD, self)
        if key not in scope.cache:
            scope.cache[key] = True
            self._holders += 1
            scope.exit_stack.push_async_callback(self._let_go)

    async def _let_go(self) -> None:
        self._holders -= 1
        if self._holders > 0:
            return
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.close()
        except Exception as exc:  # closing must never mask what the caller is doing
            get_logger().warning("mcp.close_error", server=self.name, error=self._describe(exc))
        else:
            get_logger().debug("mcp.close", server=self.name)

    async def _open_connection(self) -> Connection:
        connection = self._connection
        if connection is not None and connection.loop is not asyncio.get_running_loop():
            raise UserError(
                f"MCP server {self.name!r} is connected in another event loop (or thread); a "
                "connection can only be used where it was opened. Use one server object per loop."
            )
        if connection is not None and not connection.broken:
            return connection
        async with self._lock():
            connection = self._connection
            if connection is not None and not connection.broken:
                return connection
            if connection is not None:  # it died: reap it, then start afresh
                self._connection = None
                await connection.close()
            self._connection = await self._connect()
            return self._connection

    async def _connect(self) -> Connection:
        self._check_can_start()
        started = time.monotonic()
        try:
            connection = await Connection.open(
                self.name,
                self._client,
                self.connect_timeout,
                redact=self._redact,
                on_tools_changed=self._tools_changed if self.cache_tools_list else None,
            )
        except TimeoutError:
            raise MCPServerError(
                f"MCP server {self.name!r} did not finish connecting within "
                f"connect_timeout={self.connect_timeout} seconds.",
                server_name=self.name,
            ) from None
        except RunnerError:
            raise
        except Exception as exc:
            raise MCPServerError(
                f"Could not connect to MCP server {self.name!r}: {self._describe(exc)}",
                server_name=self.name,
            ) from exc
        get_logger().debug(
            "mcp.connect", server=self.name, seconds=round(time.monotonic() - started, 3)
        )
        return connection

    def _client(self) -> AbstractAsyncContextManager[Client]:
        import mcp
        from mcp_types import Implementation

        from ...util.version import __version__

        handler = self.elicitation_handler
        return mcp.Client(
            self._transport(),
            read_timeout_seconds=self.timeout,
            message_handler=self._on_message,
            logging_callback=functools.partial(log_server_message, self.name, self._redact),
            log_level=log_level_to_ask(),
            # Without a sampling model or a handler the client does not offer the capability.
            sampling_callback=None if self._sampling is None else self._sampler(),
            elicitation_callback=None if handler is None else Elicitor(self.name, handler),
            client_info=Implementation(name="drusilla", version=__version__),
            cache=None,  # tool lists are cached per run (and per server with cache_tools_list)
        )

    def _sampler(self) -> Sampler:
        assert self._sampling is not None
        return Sampler(self.name, self._sampling, self.calls_in_flight)

    def _tools_changed(self) -> None:
        self._cached_tools = None
        get_logger().debug("mcp.tools_changed", server=self.name)

    async def _on_message(self, message: IncomingMessage) -> None:
        method = getattr(message, "method", None)
        if method == "notifications/tools/list_changed":
            self._tools_changed()
        elif isinstance(method, str) and method.startswith(_CATALOG_NOTIFICATIONS):
            self._catalog_changed(method, getattr(message, "params", None))
        elif isinstance(message, Exception):
            get_logger().debug(
                "mcp.transport_error", server=self.name, error=self._describe(message)
            )

    def _lock(self) -> asyncio.Lock:
        """A lock for connecting, made anew per event loop (`run_sync` runs each on its own)."""
        loop = asyncio.get_running_loop()
        if self._lock_obj is None or self._lock_loop is not loop:
            self._lock_obj, self._lock_loop = asyncio.Lock(), loop
        return self._lock_obj

    # --- tools ---------------------------------------------------------------------------------

    def through_steps(self, step: StepRunner) -> Self:
        """A copy of this server whose `list_tools()` and `call_tool()` go through
        `step(what, call)`: how a durable engine (drusilla.durable) makes each one a step."""
        stepped = copy.copy(self)  # a connection of its own, opened by the run as usual
        stepped.step_runner = step
        return stepped

    async def list_tools(self) -> list[Tool]:
        """The server's tools: listed once per run (or once, with cache_tools_list=True)."""
        if self.step_runner is not None:
            tools: list[Tool] = await self.step_runner("list_tools", self._listed_tools)
            return tools
        return await self._listed_tools()

    async def _listed_tools(self) -> list[Tool]:
        scope = current_scope()
        key = (_TOOLS, self)
        if scope is not None and key in scope.cache:
            return scope.cache[key]  # type: ignore[no-any-return]
        tools = self._cached_tools if self.cache_tools_list else None
        if tools is None:
            tools = await self._fetch_tools()
            if self.cache_tools_list:
                self._cached_tools = tools
        if scope is not None:
            scope.cache[key] = tools
        return tools

    def invalidate_tools_cache(self) -> None:
        """List the tools afresh next time (the current run's agents keep the swords they have)."""
        self._cached_tools = None
        scope = current_scope()
        if scope is not None:
            scope.cache.pop((_TOOLS, self), None)

    async def _fetch_tools(self) -> list[Tool]:
        tools: list[Tool] = []
        cursor: str | None = None
        for _ in range(_MAX_TOOL_PAGES):
            page: ListToolsResult = await self._request(
                "tools/list", functools.partial(_list_tools_page, cursor=cursor)
            )
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        get_logger().debug("mcp.list_tools", server=self.name, tools=len(tools))
        return tools

    async def call_tool(
        self,
        tool_name: str,
        arguments: dict[str, Any] | None = None,
        *,
        on_progress: ProgressFnT | None = None,
    ) -> MCPToolResult:
        """Call a tool by its name on the server. A tool's own failure comes back as a result
        with `is_error=True`; an unreachable, failing or silent server raises MCPServerError.
        `on_progress(progress, total, message)` receives the server's progress notifications.

        Structured content is checked against the tool's output schema (by the `mcp` SDK); a
        result that does not match raises MCPServerError."""
        call = functools.partial(self._called_tool, tool_name, arguments, on_progress)
        if self.step_runner is not None:
            result: MCPToolResult = await self.step_runner(tool_name, call)
            return result
        return await call()

    async def _called_tool(
        self,
        tool_name: str,
        arguments: dict[str, Any] | None,
        on_progress: ProgressFnT | None,
    ) -> MCPToolResult:
        async def send(client: Client) -> Any:
            try:
                return await client.call_tool(
                    tool_name,
                    arguments,
                    read_timeout_seconds=self.timeout,
                    progress_callback=on_progress,
                )
            except RuntimeError as exc:  # the SDK's output-schema check; the connection is fine
                raise _BadResult(str(exc)) from exc

        what = f"tools/call {tool_name!r}"
        try:
            raw = await self._request(what, send)
        except _BadResult as exc:
            raise MCPServerError(
                f"MCP server {self.name!r} answered {what} with a result that does not match "
                f"the tool's output schema: {exc}",
                server_name=self.name,
            ) from None
        return tool_result(self.name, tool_name, raw, self.use_structured_content)

    async def _request(self, what: str, send: Callable[[Client], Awaitable[T]]) -> T:
        """One request on the connection, its failures turned into MCPServerError."""
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        self.hold_for_run()
        connection = await self._open_connection()
        try:
            with anyio.fail_after(self.timeout + _BACKSTOP):
                return await connection.request(send)
        except TimeoutError:
            raise self._timed_out(what) from None
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                raise self._timed_out(what) from None
            if exc.code == CONNECTION_CLOSED:
                connection.broken = True
                raise MCPServerError(
                    f"MCP server {self.name!r} closed the connection during {what} (the server "
                    "stopped or crashed; its stderr may say why).",
                    server_name=self.name,
                ) from exc
            raise MCPServerError(
                f"MCP server {self.name!r} answered {what} with an error: {exc.message} "
                f"(code {exc.code}).",
                server_name=self.name,
                code=exc.code,
                server_message=exc.message,
            ) from exc
        except ConnectionLost as exc:
            raise MCPServerError(
                f"MCP server {self.name!r} lost the connection during {what}: "
                f"{self._describe(exc.__cause__ or exc)}",
                server_name=self.name,
            ) from exc
        except (RunnerError, _BadResult):
            raise
        except Exception as exc:
            connection.broken = True  # the transport is in an unknown state: reconnect next time
            raise MCPServerError(
                f"MCP server {self.name!r} failed during {what}: {self._describe(exc)}",
                server_name=self.name,
            ) from exc

    def _timed_out(self, what: str) -> MCPServerError:
        return MCPServerError(
            f"MCP server {self.name!r} did not answer {what} within timeout={self.timeout} "
            "seconds (raise the server's timeout= if the tool needs longer).",
            server_name=self.name,
        )


async def _list_tools_page(client: Client, cursor: str | None) -> ListToolsResult:
    return await client.list_tools(cursor=cursor)


class MCPServerStdio(MCPServer):
    """An MCP server run as a subprocess, spoken to over its stdin and stdout.

    Its environment is an allowlist: `SAFE_ENV_VARS` from this process, the names listed in
    `inherit_env`, then `env` on top. Nothing else (API keys included) reaches it.
    """

    def __init__(
        self,
        command: str,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        *,
        inherit_env: Sequence[str] = (),
        stderr: TextIO | None = None,
        encoding: str = "utf-8",
        name: str | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 30.0,
        tool_prefix: str | None = None,
        tool_filter: ToolFilter | None = None,
        cache_tools_list: bool = False,
        use_structured_content: bool = False,
        failure_error_function: FailureErrorFunction | None = default_sword_error_function,
        require_approval: RequireApproval = None,
        sampling_model: SamplingModel | None = None,
        elicitation_handler: ElicitationHandler | None = None,
        cache_resources: bool = False,
    ) -> None:
        if not isinstance(command, str) or not command.strip():
            raise UserError(f"MCPServerStdio needs a command to run, got command={command!r}.")
        if isinstance(args, str) or not all(isinstance(arg, str) for arg in args):
            raise UserError(
                f"MCPServerStdio({command!r}): args must be a list of strings, got {args!r} "
                "(e.g. args=['server.py', '--verbose'])."
            )
        _check_names(env or {}, "env", command)
        if isinstance(inherit_env, str) or not all(isinstance(n, str) for n in inherit_env):
            raise UserError(
                f"MCPServerStdio({command!r}): inherit_env must be a list of variable names."
            )
        self.command = command
        self.args = list(args)
        self.env = dict(env or {})
        self.cwd = cwd
        self.inherit_env = list(inherit_env)
        self.stderr = stderr
        self.encoding = encoding
        super().__init__(
            name=name or _stdio_name(command, self.args),
            timeout=timeout,
            connect_timeout=connect_timeout,
            tool_prefix=tool_prefix,
            tool_filter=tool_filter,
            cache_tools_list=cache_tools_list,
            use_structured_content=use_structured_content,
            failure_error_function=failure_error_function,
            require_approval=require_approval,
            sampling_model=sampling_model,
            elicitation_handler=elicitation_handler,
            cache_resources=cache_resources,
        )

    def environment(self) -> dict[str, str]:
        """The environment the server process gets."""
        environment = {}
        for key in (*SAFE_ENV_VARS, *self.inherit_env):
            value = os.environ.get(key)
            if value is not None and not value.startswith("()"):  # skip exported shell functions
                environment[key] = value
        environment.update(self.env)
        return environment

    def _check_can_start(self) -> None:
        if os.sep not in self.command and shutil.which(self.command) is None:
            raise UserError(
                f"MCP server {self.name!r}: command {self.command!r} was not found on PATH. "
                "Install it, or give its full path."
            )
        if self.cwd is not None and not Path(self.cwd).is_dir():
            raise UserError(f"MCP server {self.name!r}: cwd={str(self.cwd)!r} is not a directory.")

    def _transport(self) -> AbstractAsyncContextManager[TransportStreams]:
        return _stdio_transport(self)

    def _secrets(self) -> list[str]:
        return [value for value in self.env.values() if len(value) >= _MIN_SECRET]


@asynccontextmanager
async def _stdio_transport(server: MCPServerStdio) -> AsyncIterator[TransportStreams]:
    from mcp.client.stdio import StdioServerParameters, stdio_client

    summarise_parse_errors()
    params = StdioServerParameters(
        command=server.command,
        args=server.args,
        env=server.environment(),
        cwd=None if server.cwd is None else os.fspath(server.cwd),
        encoding=server.encoding,
    )
    with ExitStack() as files:
        errlog = server.stderr or _inherited_stderr()
        if errlog is None:  # no real stderr to share (e.g. a notebook): drop the server's
            errlog = files.enter_context(open(os.devnull, "w"))  # noqa: ASYNC230 (never blocks)
        async with stdio_client(params, errlog=errlog) as streams:
            yield streams


class MCPServerStreamableHTTP(MCPServer):
    """An MCP server reached over Streamable HTTP at `url`.

    `headers` go with every request (e.g. an Authorization header; they are never logged);
    `auth` takes an `httpx2.Auth`, such as the `mcp` SDK's OAuth provider.
    """

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        *,
        sse_read_timeout: float = 300.0,
        auth: Any = None,
        name: str | None = None,
        connect_timeout: float = 30.0,
        tool_prefix: str | None = None,
        tool_filter: ToolFilter | None = None,
        cache_tools_list: bool = False,
        use_structured_content: bool = False,
        failure_error_function: FailureErrorFunction | None = default_sword_error_function,
        require_approval: RequireApproval = None,
        sampling_model: SamplingModel | None = None,
        elicitation_handler: ElicitationHandler | None = None,
        cache_resources: bool = False,
    ) -> None:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(
                f"MCPServerStreamableHTTP needs an http(s) URL such as "
                f"'http://localhost:8000/mcp', got url={url!r}."
            )
        _check_names(headers or {}, "headers", url)
        self.url = url
        self.headers = dict(headers or {})
        self.sse_read_timeout = _positive(sse_read_timeout, "sse_read_timeout", url)
        self.auth = auth
        super().__init__(
            name=name or f"{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}",
            timeout=timeout,
            connect_timeout=connect_timeout,
            tool_prefix=tool_prefix,
            tool_filter=tool_filter,
            cache_tools_list=cache_tools_list,
            use_structured_content=use_structured_content,
            failure_error_function=failure_error_function,
            require_approval=require_approval,
            sampling_model=sampling_model,
            elicitation_handler=elicitation_handler,
            cache_resources=cache_resources,
        )

    def _transport(self) -> AbstractAsyncContextManager[TransportStreams]:
        return _http_transport(self)

    def _secrets(self) -> list[str]:
        parts = urlsplit(self.url)
        values = [*self.headers.values(), parts.password or "", parts.query]
        return [value for value in values if len(value) >= _MIN_SECRET]


@asynccontextmanager
async def _http_transport(server: MCPServerStreamableHTTP) -> AsyncIterator[TransportStreams]:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    timeout = httpx2.Timeout(server.timeout, read=max(server.timeout, server.sse_read_timeout))
    async with (
        httpx2.AsyncClient(headers=server.headers, timeout=timeout, auth=server.auth) as http,
        streamable_http_client(server.url, http_client=http) as streams,
    ):
        yield streams


def _inherited_stderr() -> TextIO | None:
    try:
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return sys.stderr


def _stdio_name(command: str, args: list[str]) -> str:
    """`python server.py`, `npx @scope/server`: the command and its first non-option argument."""
    first = next((arg for arg in args if not arg.startswith("-")), None)
    program = Path(command).name
    return f"{program} {Path(first).name if os.sep in first else first}" if first else program


def _check_names(values: Mapping[str, Any], what: str, owner: str) -> None:
    if not isinstance(values, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in values.items()
    ):
        raise UserError(f"MCP server {owner!r}: {what} must map names to string values.")


def _positive(value: Any, what: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise UserError(f"MCP server {owner!r}: {what}={value!r} must be a positive number.")
    return float(value)


class _BadResult(Exception):
    """A tool result the `mcp` SDK rejected (structured content against the output schema)."""


def _approval_rule(value: Any, server: str) -> bool | frozenset[str] | Callable[[Tool], bool]:
    if value is None or value is False or value == "never":
        return False
    if value is True or value == "always":
        return True
    if callable(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str) or not all(isinstance(name, str) for name in value):
        raise UserError(
            f"MCP server {server!r}: require_approval={value!r} must be 'always', 'never' or "
            "a collection of tool names (e.g. {'delete_file'})."
        )
    return frozenset(value)
