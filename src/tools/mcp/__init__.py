"""MCP servers as swords: an agent's `mcp_servers` offer their tools to the model; the servers
also publish resources and prompts, and may ask the client's model (sampling) or the person
(elicitation) for something.

This package imports the `mcp` SDK only when a server is first connected, so `import drusilla`
stays light. See docs/mcp.md.
"""

from .catalog import MCPBlob, MCPPrompt, MCPResource
from .elicitation import ElicitationHandler, ElicitationRequest, ElicitationResult
from .gear import MCPSword, MCPToolFilter, is_destructive, mcp_swords
from .results import MCPAudio, MCPImage, MCPToolError, MCPToolResult
from .sampling import SamplingModel
from .server_log import LOGGER_NAME
from .servers import (
    SAFE_ENV_VARS,
    MCPServer,
    MCPServerError,
    MCPServerStdio,
    MCPServerStreamableHTTP,
    RequireApproval,
    ToolFilter,
)

__all__ = [
    "LOGGER_NAME",
    "SAFE_ENV_VARS",
    "ElicitationHandler",
    "ElicitationRequest",
    "ElicitationResult",
    "MCPAudio",
    "MCPBlob",
    "MCPImage",
    "MCPPrompt",
    "MCPResource",
    "MCPServer",
    "MCPServerError",
    "MCPServerStdio",
    "MCPServerStreamableHTTP",
    "MCPSword",
    "MCPToolError",
    "MCPToolFilter",
    "MCPToolResult",
    "RequireApproval",
    "SamplingModel",
    "ToolFilter",
    "is_destructive",
    "mcp_swords",
]
