"""`app(agent)`: every protocol in one ASGI app.

/v1          OpenAI (chat completions, responses, models)      openai_app
/vercel-ai   the AI SDK's UI message stream                     vercel_ai_app
/ag-ui       AG-UI                                              ag_ui_app
/a2a         A2A (its card at /a2a/.well-known/agent-card.json) a2a_app
/mcp         MCP, streamable HTTP                               mcp_app
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from typing_extensions import Unpack

from .a2a_server import a2a_routes
from .ag_ui import ag_ui_routes
from .mcp_server import mcp_endpoint
from .openai_api import openai_routes
from .options import Agents, ServeOptions, served
from .vercel_ai import vercel_ai_routes

__all__ = ["app"]


def app(agent: Agents, **run_options: Unpack[ServeOptions]) -> Starlette:
    """All the protocols for `agent`, each at its own path (above)."""
    options = served(agent, **run_options)
    routes: list[Any] = [
        *openai_routes(options, "/v1"),
        *vercel_ai_routes(options, "/vercel-ai"),
        *ag_ui_routes(options, "/ag-ui"),
        *a2a_routes(options, "/a2a"),
    ]
    mcp = mcp_endpoint(options)
    routes.append(mcp.route("/mcp"))
    return Starlette(routes=routes, lifespan=mcp.lifespan)
