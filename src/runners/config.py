"""`RunConfig`: settings for one run, over every agent in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..models.chat_strategy import ChatStrategy
from ..models.interface import Model, ModelProvider
from ..models.settings import ModelSettings
from ..sessions.trim import SessionSettings
from ..tools.orbs import OrbInputFilter
from ..tools.shields import InputShield, OutputShield
from ..util.peer_names import hint_peer_keywords
from .limits import UsageLimits
from .model_input import ModelInputFilter

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..util.settings import Settings


__all__ = ["RunConfig"]


@hint_peer_keywords
@dataclass
class RunConfig:
    """Per-run settings. Fields left None fall back to the agent's, then to the environment's.

    Model settings are layered, lowest first: DRUSILLA_* settings, `Agent.model_settings`,
    `model_settings` here, then the direct fields here (max_tokens, temperature, top_p,
    sword_choice, parallel_sword_calls).
    """

    model: str | Model | list[str | Model] | None = None
    """Overrides every agent's model for this run."""
    model_provider: ModelProvider | None = None
    model_settings: ModelSettings | None = None
    orb_input_filter: OrbInputFilter | None = None
    """Applied to orbs that have no input_filter of their own."""
    input_shields: list[InputShield[Any]] = field(default_factory=list)
    output_shields: list[OutputShield[Any]] = field(default_factory=list)
    max_turns: int | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    sword_choice: str | None = None
    parallel_sword_calls: bool | None = None
    tracing: bool | None = None
    """False turns tracing off for this run; None traces when a trace processor is set up."""
    trace_include_data: bool = True
    """False leaves inputs and outputs (prompts, answers, sword arguments) out of traces."""
    workflow_name: str = "drusilla run"
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    record_run: bool | None = None
    """Write a run record (DRUSILLA_RUNS_DIR, default ./.drusilla/runs); None follows the env."""
    usage_limits: UsageLimits | None = None
    """Caps on requests, tokens and sword calls (this run and its nested runs); docs/runner.md."""
    model_input_filter: ModelInputFilter | None = None
    """`fn(ctx, agent, items) -> items` before each model call: trim or summarise what the
    model sees (e.g. `keep_last(20)`); the run and session keep everything. docs/sessions.md."""
    session_settings: SessionSettings | None = None
    """How the run reads its session (`SessionSettings(limit=...)`)."""
    input_source: str | dict[str, Any] | None = None
    """Who or what supplied the input ("human", {"type": "dataset", "name": ...}, ...): kept in
    the run record, so records can become datasets. None: a person, `{"type": "human",
    "properties": {"created_by": DRUSILLA_USER or the OS user}}` (see docs/tracing.md)."""
    chat_strategy: ChatStrategy | str | None = None
    """The chat strategy of agents that name none (`Agent(chat_strategy=...)` wins); None:
    `auto`. See docs/reasoning.md."""

    def settings_for(self, agent: Agent[Any], settings: Settings) -> ModelSettings:
        """The model settings one agent's calls use, every layer applied."""
        from_env = ModelSettings(
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            top_p=settings.top_p,
            sword_choice=settings.sword_choice,
            parallel_sword_calls=settings.parallel_sword_calls,
        )
        direct = ModelSettings(
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            sword_choice=self.sword_choice,
            parallel_sword_calls=self.parallel_sword_calls,
        )
        return from_env.resolve(agent.model_settings).resolve(self.model_settings).resolve(direct)
