"""One adapter per framework: the same agent, model and tools, in each framework's own terms.

The registry names modules rather than importing them, so a process only ever imports the one
framework it benchmarks.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from .base import Framework


@dataclass(frozen=True)
class FrameworkInfo:
    key: str
    """What the command line and the results call it (the PyPI distribution name)."""
    title: str
    module: str
    """The import name (what scenario 2 times)."""
    distributions: tuple[str, ...]
    """Whose versions the report lists."""
    adapter: str

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def load(self) -> Framework:
        module = importlib.import_module(self.adapter)
        framework: Framework = module.FRAMEWORK
        return framework


FRAMEWORKS: dict[str, FrameworkInfo] = {
    info.key: info
    for info in (
        FrameworkInfo(
            "drusilla",
            "drusilla",
            "drusilla",
            ("drusilla", "pydantic", "anyio"),
            "bench.adapters.drusilla_adapter",
        ),
        FrameworkInfo(
            "openai-agents",
            "OpenAI Agents SDK",
            "agents",
            ("openai-agents", "openai"),
            "bench.adapters.openai_agents_adapter",
        ),
        FrameworkInfo(
            "pydantic-ai",
            "Pydantic AI",
            "pydantic_ai",
            ("pydantic-ai", "pydantic-ai-slim"),
            "bench.adapters.pydantic_ai_adapter",
        ),
    )
}
BASELINE = "drusilla"
PEERS = tuple(key for key in FRAMEWORKS if key != BASELINE)
