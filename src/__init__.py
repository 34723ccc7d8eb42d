"""drusilla: run LLM agents against any OpenAI-compatible server.

from drusilla import Agent, Runner, sword

@sword
def add(a: int, b: int) -> int:
    '''Add two numbers.'''
    return a + b

agent = Agent("calculator", instructions="Use your swords.", swords=[add])
print(Runner.run_sync(agent, "What is 2 + 3?").final_output)

Everything a user needs is importable from here (`__all__`); the test kit is `drusilla.testing`,
tracing `drusilla.tracing`. Other modules are internal. The OpenAI models load on first access,
so `import drusilla` does not import `openai`.
"""

from typing import TYPE_CHECKING, Any

from .agents.agent import Agent
from .agents.charms import AgentCharms, RunCharms
from .agents.output import json_from_text
from .models.chat_strategy import ChatStrategy, chat_strategies
from .models.fallback import FallbackModel
from .models.interface import (
    Model,
    ModelProvider,
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    ReasoningDelta,
    ResponseDone,
    SwordCallDelta,
    SwordSpec,
    TextDelta,
)
from .models.prices import estimate_cost
from .models.profiles import ModelProfile, profile_for, register_profile, unregister_profiles
from .models.request_formatters import register_request_formatter, request_formatters
from .models.settings import ModelSettings
from .runners.config import RunConfig
from .runners.events import (
    AgentUpdatedStreamEvent,
    RawResponseEvent,
    RunItemStreamEvent,
    StreamEvent,
    SwordProgressEvent,
)
from .runners.items import (
    MessageOutputItem,
    OrbCallItem,
    OrbOutputItem,
    ReasoningItem,
    RunItem,
    SwordApprovalItem,
    SwordCallItem,
    SwordCallOutputItem,
)
from .runners.limits import UsageLimits
from .runners.model_input import keep_last
from .runners.records import RunObserver
from .runners.result import RunErrorDetails, RunResult
from .runners.run import Runner
from .runners.shield_results import (
    InputShieldResult,
    InputShieldTripwireTriggered,
    OutputShieldResult,
    OutputShieldTripwireTriggered,
)
from .runners.state import STATE_VERSION, RunState
from .runners.streaming import RunResultStreaming
from .sessions.base import Session
from .sessions.trim import SessionSettings
from .tools.orbs import Orb, OrbInputData, orb, remove_all_swords
from .tools.shields import InputShield, OutputShield, ShieldResult, input_shield, output_shield
from .tools.swords import (
    StopAtSwords,
    Sword,
    SwordArgumentsError,
    SwordResult,
    SwordsToFinalOutputResult,
    sword,
)
from .util.context import RunContextWrapper, SwordContext
from .util.errors import (
    MaxTurnsError,
    ModelBehaviorError,
    ModelError,
    ModelRetry,
    RunnerError,
    RunTimeoutError,
    SwordError,
    UsageLimitExceeded,
    UserError,
)
from .util.settings import get_settings, reload_settings
from .util.usage import Usage
from .util.version import __version__

if TYPE_CHECKING:
    from .agents.mcp_tool import MCPToolAgent
    from .models.anthropic import AnthropicModel
    from .models.google import GeminiModel
    from .models.openai.chat import OpenAIChatModel
    from .models.openai.provider import Endpoint, OpenAIProvider
    from .models.openai.responses import OpenAIResponsesModel
    from .runners.batch.items import BatchItem, BatchResult
    from .runners.batch.ray_cluster import RayCluster
    from .sessions.sqlite import SQLiteSession
    from .tools.mcp import (
        ElicitationRequest,
        ElicitationResult,
        MCPServer,
        MCPServerError,
        MCPServerStdio,
        MCPServerStreamableHTTP,
        MCPToolError,
        MCPToolFilter,
        MCPToolResult,
        is_destructive,
    )
    from .util.settings import Settings

_LAZY = {
    "MCPToolAgent": ".agents.mcp_tool",
    "GeminiModel": ".models.google",
    "AnthropicModel": ".models.anthropic",
    "OpenAIChatModel": ".models.openai.chat",
    "OpenAIResponsesModel": ".models.openai.responses",
    "OpenAIProvider": ".models.openai.provider",
    "Endpoint": ".models.openai.provider",
    "BatchItem": ".runners.batch.items",
    "BatchResult": ".runners.batch.items",
    "RayCluster": ".runners.batch.ray_cluster",
    "SQLiteSession": ".sessions.sqlite",
    **dict.fromkeys(
        (
            "ElicitationRequest",
            "ElicitationResult",
            "is_destructive",
            "MCPServer",
            "MCPServerError",
            "MCPServerStdio",
            "MCPServerStreamableHTTP",
            "MCPToolError",
            "MCPToolFilter",
            "MCPToolResult",
        ),
        ".tools.mcp",
    ),
}
"""Imported on first access: the models and the OpenAI provider (their SDKs load when a model
is first used), and what
only some programs use (batches, MCP servers, Ray clusters, the SQLite session with orjson)."""


def __getattr__(name: str) -> Any:
    """The names of `_LAZY`, imported on first access, and `Settings` (pydantic-settings)."""
    if name == "Settings":  # a pydantic-settings class, built on first use (util/settings.py)
        from .util import settings

        return settings.Settings
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'drusilla' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "STATE_VERSION",
    "Agent",
    "AgentCharms",
    "AgentUpdatedStreamEvent",
    "AnthropicModel",
    "BatchItem",
    "BatchResult",
    "ChatStrategy",
    "ElicitationRequest",
    "ElicitationResult",
    "Endpoint",
    "FallbackModel",
    "GeminiModel",
    "InputShield",
    "InputShieldResult",
    "InputShieldTripwireTriggered",
    "MCPServer",
    "MCPServerError",
    "MCPServerStdio",
    "MCPServerStreamableHTTP",
    "MCPToolAgent",
    "MCPToolError",
    "MCPToolFilter",
    "MCPToolResult",
    "MaxTurnsError",
    "MessageOutputItem",
    "Model",
    "ModelBehaviorError",
    "ModelError",
    "ModelProfile",
    "ModelProvider",
    "ModelRequest",
    "ModelResponse",
    "ModelRetry",
    "ModelSettings",
    "ModelStreamEvent",
    "OpenAIChatModel",
    "OpenAIProvider",
    "OpenAIResponsesModel",
    "Orb",
    "OrbCallItem",
    "OrbInputData",
    "OrbOutputItem",
    "OutputShield",
    "OutputShieldResult",
    "OutputShieldTripwireTriggered",
    "RawResponseEvent",
    "RayCluster",
    "ReasoningDelta",
    "ReasoningItem",
    "ResponseDone",
    "RunCharms",
    "RunConfig",
    "RunContextWrapper",
    "RunErrorDetails",
    "RunItem",
    "RunItemStreamEvent",
    "RunObserver",
    "RunResult",
    "RunResultStreaming",
    "RunState",
    "RunTimeoutError",
    "Runner",
    "RunnerError",
    "SQLiteSession",
    "Session",
    "SessionSettings",
    "Settings",
    "ShieldResult",
    "StopAtSwords",
    "StreamEvent",
    "Sword",
    "SwordApprovalItem",
    "SwordArgumentsError",
    "SwordCallDelta",
    "SwordCallItem",
    "SwordCallOutputItem",
    "SwordContext",
    "SwordError",
    "SwordProgressEvent",
    "SwordResult",
    "SwordSpec",
    "SwordsToFinalOutputResult",
    "TextDelta",
    "Usage",
    "UsageLimitExceeded",
    "UsageLimits",
    "UserError",
    "__version__",
    "chat_strategies",
    "estimate_cost",
    "get_settings",
    "input_shield",
    "is_destructive",
    "json_from_text",
    "keep_last",
    "orb",
    "output_shield",
    "profile_for",
    "register_profile",
    "register_request_formatter",
    "reload_settings",
    "remove_all_swords",
    "request_formatters",
    "sword",
    "unregister_profiles",
]
