"""How structured output is asked of a model: the four modes and what `auto` picks.

| mode                | the request carries                                              |
|---------------------|------------------------------------------------------------------|
| `json_schema`       | `response_format` json_schema (strict variant where possible)    |
| `sword`             | a forced final-output sword (`final_result`) via `tool_choice`   |
| `json_instructions` | the schema in the system prompt, nothing else                    |
| `json_object`       | `response_format` json_object and the schema in the system prompt |

`auto` takes the model's profile's choice (`ModelProfile.output_mode`: the family's if it has
one, else the server's, `profiles.SERVER_OUTPUT_MODES`). See docs/structured-output.md.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple, TypeAlias

from ..models.interface import OutputSpec, SwordSpec
from ..models.profiles import model_profile
from ..models.settings import OutputMode
from .output import OutputSchema

__all__ = ["OutputPlan", "ResolvedOutputMode", "plan_output", "resolve_output_mode"]


ResolvedOutputMode: TypeAlias = Literal["json_schema", "sword", "json_instructions", "json_object"]


def resolve_output_mode(setting: OutputMode | None, model: Any) -> ResolvedOutputMode:
    """The mode to use: the setting, unless it is unset or "auto"; then the model's profile's
    (for OpenAI-protocol models, the family's or else the server's); else `json_schema` (the
    request's `output`, for models that are not OpenAI-protocol clients)."""
    if setting is not None and setting != "auto":
        return setting
    preferred = model_profile(model).output_mode
    if preferred is not None and preferred != "auto":
        return preferred
    return "json_schema"


class OutputPlan(NamedTuple):
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
