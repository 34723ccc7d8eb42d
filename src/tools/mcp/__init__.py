"""MCP servers as swords: an agent's `mcp_servers` offer their tools to the model.

This package imports the `mcp` SDK only when a server is first connected, so `import drusilla`
stays light. See docs/mcp.md.
"""

from .gear import MCPSword, MCPToolFilter, mcp_swords
from .results import MCPImage, MCPToolError, MCPToolResult
from .servers import (
    SAFE_ENV_VARS,
    MCPServer,
    MCPServerError,
    MCPServerStdio,
    MCPServerStreamableHTTP,
    ToolFilter,
)

__all__ = [
    "SAFE_ENV_VARS",
    "MCPImage",
    "MCPServer",
    "MCPServerError",
    "MCPServerStdio",
    "MCPServerStreamableHTTP",
    "MCPSword",
    "MCPToolError",
    "MCPToolFilter",
    "MCPToolResult",
    "ToolFilter",
    "mcp_swords",
]
