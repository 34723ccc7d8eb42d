"""`drusilla serve FILE [--agent NAME] [--host H] [--port P]`: an agent over HTTP, on every
protocol of `drusilla.serve.app` (AG-UI, Vercel AI, A2A, MCP, OpenAI), with uvicorn.

One log line per request (uvicorn's access log). Ctrl-C stops at once: runs in flight are
cancelled (a session keeps whole turns only), then the server closes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from .common import (
    EXIT_OK,
    CommandLineError,
    Commands,
    add_model_options,
    apply_environment_options,
)

__all__ = ["add_serve_command", "serve_command"]


def add_serve_command(commands: Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve an agent over HTTP: AG-UI, Vercel AI, A2A, MCP and the OpenAI API",
        description="Serve an agent on /ag-ui, /vercel-ai, /a2a, /mcp and /v1 (OpenAI) until "
        "Ctrl-C. Needs the serve extra: pip install 'drusilla[serve]'.",
    )
    serve.add_argument(
        "target",
        metavar="FILE_OR_MODULE[:AGENT]",
        help="where the agent is, as for `drusilla run`",
    )
    serve.add_argument("--agent", metavar="NAME", help="the agent's attribute in the module")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument(
        "--port", type=int, default=8000, help="the port to listen on (0: any free port)"
    )
    serve.add_argument(
        "--db",
        type=Path,
        help="keep conversations in this SQLite file, one session per thread/conversation id "
        "(default: none; each request carries its conversation)",
    )
    add_model_options(serve)
    serve.set_defaults(handler=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    from .run import run_config_from
    from .target import load_context, load_target

    apply_environment_options(args)
    target = load_target(f"{args.target.split(':')[0]}:{args.agent}" if args.agent else args.target)
    context = load_context(args.context) if args.context else None
    application = _application(target.agent, args, run_config_from(args), context)
    server = _server(application, args.host, args.port)
    asyncio.run(server.serve())
    return EXIT_OK


def _application(agent: Any, args: argparse.Namespace, run_config: Any, context: Any) -> Any:
    try:
        from ..serve.combined import app
    except ModuleNotFoundError as exc:
        raise CommandLineError(
            f"drusilla serve needs {exc.name!r}: pip install 'drusilla[serve]'."
        ) from None
    sessions = None
    if args.db is not None:
        from ..sessions.sqlite import SQLiteSession

        db = args.db

        def sessions(conversation: str) -> SQLiteSession:
            return SQLiteSession(conversation, db)

    return app(
        agent,
        run_config=run_config,
        max_turns=args.max_turns,
        context=(lambda: context) if context is not None else None,
        session=sessions,
    )


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, its access lines on stderr too: stdout stays free for the user."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return config


def _server(application: Any, host: str, port: int) -> Any:
    import uvicorn

    from ..serve.http import cancel_in_flight

    class Server(uvicorn.Server):
        """Ctrl-C cancels the runs in flight at once, instead of waiting for them to end."""

        loop: asyncio.AbstractEventLoop | None = None

        async def startup(self, sockets: Any = None) -> None:
            self.loop = asyncio.get_running_loop()
            await super().startup(sockets)
            for server in self.servers:
                for sock in server.sockets:
                    bound_host, bound_port = sock.getsockname()[:2]
                    print(
                        f"drusilla: serving on http://{bound_host}:{bound_port} (Ctrl-C to stop)",
                        file=sys.stderr,
                        flush=True,
                    )

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            if self.loop is not None:
                self.loop.call_soon_threadsafe(cancel_in_flight)

    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        log_level="info",
        access_log=True,
        lifespan="on",
        timeout_graceful_shutdown=30,
        log_config=_log_config(),
    )
    return Server(config)
