"""How structured output is asked of a model: the four modes and what `auto` picks.

| mode                | the request carries                                              |
|---------------------|------------------------------------------------------------------|
| `json_schema`       | `response_format` json_schema (strict variant where possible)    |
| `sword`             | a forced final-output sword (`final_result`) via `tool_choice`   |
| `json_instructions` | the schema in the system prompt, nothing else                    |
| `json_object`       | `response_format` json_object and the schema in the system prompt |

`auto` takes the model family's choice (`ModelProfile.output_mode`) if it has one, else the
server's (`AUTO_MODES`, by the model's `server_kind`). See docs/structured-output.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from ..models.interface import OutputSpec, SwordSpec
from ..models.profiles import model_profile
from ..models.settings import OutputMode
from .output import OutputSchema

__all__ = ["AUTO_MODES", "OutputPlan", "ResolvedOutputMode", "plan_output", "resolve_output_mode"]


ResolvedOutputMode: TypeAlias = Literal["json_schema", "sword", "json_instructions", "json_object"]

AUTO_MODES: dict[str | None, ResolvedOutputMode] = {
    "openai": "json_schema",
    "ollama": "json_schema",
    "vllm": "json_schema",
    "llama.cpp": "json_schema",  # sent as llama.cpp's json_object + schema (its dialect)
    "deepseek": "json_object",  # DeepSeek's API has JSON output but no json_schema
    "openai-compatible": "json_instructions",  # unknown server: the prompt works everywhere
    None: "json_schema",  # not an OpenAI-protocol client (ScriptedModel, your own Model)
}
"""`auto` by server kind (`model.server_kind`)."""


def resolve_output_mode(setting: OutputMode | None, model: Any) -> ResolvedOutputMode:
    """The mode to use: the setting, unless it is unset or "auto"."""
    if setting is not None and setting != "auto":
        return setting
    preferred = model_profile(model).output_mode
    if preferred is not None and preferred != "auto":
        return preferred
    return AUTO_MODES.get(getattr(model, "server_kind", None), "json_instructions")


@dataclass(frozen=True, slots=True)
class OutputPlan:
    """What every request of one agent carries for its output type, in one mode."""

    mode: ResolvedOutputMode
    response_format: OutputSpec | None = None
    final_sword: SwordSpec | None = None
    prompt: str | None = None
    """Appended to the instructions."""


def plan_output(schema: OutputSchema, mode: ResolvedOutputMode) -> OutputPlan:
    if mode == "json_schema":
        return OutputPlan(mode, response_format=schema.spec)
    if mode == "sword":
        return OutputPlan(mode, final_sword=schema.final_sword_spec)
    if mode == "json_object":
        return OutputPlan(mode, response_format=schema.json_object_spec, prompt=schema.prompt())
    return OutputPlan(mode, prompt=schema.prompt())
