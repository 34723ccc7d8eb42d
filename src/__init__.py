"""drusilla: run LLM agents against any OpenAI-compatible server.

from drusilla import Agent, Runner, sword

@sword
def add(a: int, b: int) -> int:
    '''Add two numbers.'''
    return a + b

agent = Agent("calculator", instructions="Use your swords.", swords=[add])
print(Runner.run_sync(agent, "What is 2 + 3?").final_output)
"""

from .agents.agent import Agent
from .models.interface import (
    Model,
    ModelProvider,
    ModelRequest,
    ModelResponse,
    ReasoningDelta,
    SwordCallDelta,
    TextDelta,
)
from .models.settings import ModelSettings
from .models.usage import Usage
from .runners.config import RunConfig
from .runners.context import RunContextWrapper, SwordContext
from .runners.events import (
    AgentUpdatedStreamEvent,
    RawResponseEvent,
    RunItemStreamEvent,
    StreamEvent,
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
from .runners.result import RunResult
from .runners.run import Runner
from .runners.state import STATE_VERSION, RunState
from .runners.streaming import RunResultStreaming
from .sessions.base import Session
from .sessions.sqlite import SQLiteSession
from .tools.charms import AgentCharms, RunCharms
from .tools.mcp import (
    MCPServer,
    MCPServerError,
    MCPServerStdio,
    MCPServerStreamableHTTP,
    MCPToolError,
    MCPToolFilter,
    MCPToolResult,
)
from .tools.orbs import Orb, OrbInputData, orb, remove_all_swords
from .tools.shields import (
    InputShield,
    InputShieldResult,
    OutputShield,
    OutputShieldResult,
    ShieldResult,
    input_shield,
    output_shield,
)
from .tools.swords import (
    StopAtSwords,
    Sword,
    SwordArgumentsError,
    SwordResult,
    SwordsToFinalOutputResult,
    sword,
)
from .tracing.records import RunObserver
from .util.errors import (
    InputShieldTripwireTriggered,
    MaxTurnsError,
    ModelBehaviorError,
    ModelError,
    OutputShieldTripwireTriggered,
    RunErrorDetails,
    RunnerError,
    RunTimeoutError,
    SwordError,
    UserError,
)

__version__ = "0.1.0"

__all__ = [
    "STATE_VERSION",
    "Agent",
    "AgentCharms",
    "AgentUpdatedStreamEvent",
    "InputShield",
    "InputShieldResult",
    "InputShieldTripwireTriggered",
    "MCPServer",
    "MCPServerError",
    "MCPServerStdio",
    "MCPServerStreamableHTTP",
    "MCPToolError",
    "MCPToolFilter",
    "MCPToolResult",
    "MaxTurnsError",
    "MessageOutputItem",
    "Model",
    "ModelBehaviorError",
    "ModelError",
    "ModelProvider",
    "ModelRequest",
    "ModelResponse",
    "ModelSettings",
    "Orb",
    "OrbCallItem",
    "OrbInputData",
    "OrbOutputItem",
    "OutputShield",
    "OutputShieldResult",
    "OutputShieldTripwireTriggered",
    "RawResponseEvent",
    "ReasoningDelta",
    "ReasoningItem",
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
    "SwordResult",
    "SwordsToFinalOutputResult",
    "TextDelta",
    "Usage",
    "UserError",
    "input_shield",
    "orb",
    "output_shield",
    "remove_all_swords",
    "sword",
]
