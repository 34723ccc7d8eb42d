"""Serve agents to the tools people already use: AG-UI, the Vercel AI SDK, A2A, MCP and the
OpenAI API. Each factory returns an ASGI app; `app` mounts them all. See docs/serve.md.

    from drusilla.serve import app
    uvicorn.run(app(agent))          # or: drusilla serve my_agent.py

Needs the `serve` extra (`pip install 'drusilla[serve]'`). The apps load on first access, so
importing this package loads none of starlette, the protocol SDKs or uvicorn.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .a2a_server import a2a_app
    from .ag_ui import ag_ui_app
    from .combined import app
    from .mcp_server import mcp_app
    from .openai_api import openai_app
    from .options import ServeOptions
    from .vercel_ai import vercel_ai_app

__all__ = [
    "ServeOptions",
    "a2a_app",
    "ag_ui_app",
    "app",
    "mcp_app",
    "openai_app",
    "vercel_ai_app",
]

_LAZY = {
    "a2a_app": ".a2a_server",
    "ag_ui_app": ".ag_ui",
    "app": ".combined",
    "mcp_app": ".mcp_server",
    "openai_app": ".openai_api",
    "vercel_ai_app": ".vercel_ai",
    "ServeOptions": ".options",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'drusilla.serve' has no attribute {name!r}")
    try:
        return getattr(import_module(module, __name__), name)
    except ModuleNotFoundError as exc:
        from ..util.errors import UserError

        raise UserError(
            f"drusilla.serve.{name} needs {exc.name!r}: install the serve extra, "
            "pip install 'drusilla[serve]'."
        ) from exc
