"""`app(agent)`: every protocol in one ASGI app, at /v1 (OpenAI) ..."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from ..runners.config import RunConfig
from .ag_ui import ag_ui_routes
from .mcp_app import mcp_endpoint
from .openai_app import openai_routes
from .options import Agents, ContextFactory, SessionFactory, served
from .vercel_ai import vercel_ai_routes

__all__ = ["app"]


def app(
    agent: Agents,
    *,
    run_config: RunConfig | None = None,
    max_turns: int | None = None,
    context: ContextFactory | None = None,
    session: SessionFactory | None = None,
) -> Starlette:
    """All the protocols for `agent`: OpenAI at /v1."""
    options = served(
        agent, run_config=run_config, max_turns=max_turns, context=context, session=session
    )
    routes: list[Any] = [
        *openai_routes(options, "/v1"),
        *vercel_ai_routes(options, "/vercel-ai"),
        *ag_ui_routes(options, "/ag-ui"),
    ]
    mcp = mcp_endpoint(options)
    routes.append(mcp.route("/mcp"))
    return Starlette(routes=routes, lifespan=mcp.lifespan)
