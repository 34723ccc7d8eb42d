"""A request's instructions, swords, settings and output as a Gemini `GenerateContentConfig`.

Structured output goes as Gemini's own JSON output (`response_mime_type` and
`response_json_schema`) where the model takes it; Gemini models before 3 refuse JSON output
together with function calling, so with swords they get a forced final-output function instead,
whose call comes back as the answer's text (`OUTPUT_FUNCTION`, read in reply.py).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from ...util.settings import get_settings
from ..interface import ModelRequest, OutputSpec, SwordSpec
from ..settings import ModelSettings, Thinking
from ..wire import checked_sword_choice

__all__ = ["OUTPUT_FUNCTION", "GeminiConfig", "gemini_config", "is_gemini_3"]

OUTPUT_FUNCTION = "final_result"
_OUTPUT_DESCRIPTION = "Give your final answer with this; it ends the conversation."
_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}
_BUDGETS = {"low": 1024, "medium": 8192, "high": 24576}
"""Thinking levels as token budgets, for Gemini 2.5 (Gemini 3 takes the level itself)."""


class GeminiConfig(NamedTuple):
    config: dict[str, Any]
    output_function: str | None
    """The final-output function standing in for JSON output, if there is one."""


def is_gemini_3(model: str) -> bool:
    """Gemini 3 and later: JSON output with functions, thinking levels, signatures required."""
    found = re.search(r"gemini-(\d+)", model.lower())
    return found is not None and int(found.group(1)) >= 3


def gemini_config(request: ModelRequest, model: str) -> GeminiConfig:
    settings = request.settings
    config: dict[str, Any] = {"automatic_function_calling": {"disable": True}}
    if request.instructions:
        config["system_instruction"] = request.instructions
    config.update(_sampling(settings))
    swords = list(request.swords)
    choice = checked_sword_choice(settings.sword_choice, swords)
    output_function = None
    if request.output is not None:
        if swords and not is_gemini_3(model):
            output_function = _free_name(swords)
            swords.append(_output_sword(request.output, output_function))
            choice = "required" if choice in (None, "auto") else choice
        else:
            config.update(_json_output(request.output))
    if swords:
        config["tools"] = [{"function_declarations": [_declaration(spec) for spec in swords]}]
    if choice is not None:
        config["tool_config"] = {"function_calling_config": _calling(choice)}
    if settings.thinking is not None:
        config["thinking_config"] = _thinking(settings.thinking, model)
    config["http_options"] = _http_options(settings)
    if settings.extra_body:
        config.update(settings.extra_body)
    return GeminiConfig(config, output_function)


def _sampling(settings: ModelSettings) -> dict[str, Any]:
    stop = settings.stop
    values = {
        "temperature": settings.temperature,
        "top_p": settings.top_p,
        "max_output_tokens": settings.max_tokens,
        "stop_sequences": [stop] if isinstance(stop, str) else stop,
        "seed": settings.seed,
        "presence_penalty": settings.presence_penalty,
        "frequency_penalty": settings.frequency_penalty,
    }
    return {name: value for name, value in values.items() if value is not None}


def _declaration(spec: SwordSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "description": spec.description,
        "parameters_json_schema": spec.parameters,
    }


def _calling(choice: str) -> dict[str, Any]:
    if choice in _MODES:
        return {"mode": _MODES[choice]}
    return {"mode": "ANY", "allowed_function_names": [choice]}


def _json_output(output: OutputSpec) -> dict[str, Any]:
    config: dict[str, Any] = {"response_mime_type": "application/json"}
    if output.mode == "json_schema":
        config["response_json_schema"] = output.schema
    return config


def _output_sword(output: OutputSpec, name: str) -> SwordSpec:
    schema = output.schema if output.mode == "json_schema" else {"type": "object"}
    return SwordSpec(name, _OUTPUT_DESCRIPTION, schema)


def _free_name(swords: list[SwordSpec]) -> str:
    taken = {spec.name for spec in swords}
    name, number = OUTPUT_FUNCTION, 1
    while name in taken:
        number += 1
        name = f"{OUTPUT_FUNCTION}_{number}"
    return name


def _thinking(thinking: Thinking, model: str) -> dict[str, Any]:
    """Gemini's thinking config: thoughts included whenever thinking is on. Gemini 3 cannot
    turn thinking off; False asks it for the least ("low")."""
    if thinking is False or (thinking == 0 and not isinstance(thinking, str)):
        return {"thinking_level": "LOW"} if is_gemini_3(model) else {"thinking_budget": 0}
    config: dict[str, Any] = {"include_thoughts": True}
    if isinstance(thinking, str):
        if is_gemini_3(model):
            config["thinking_level"] = thinking.upper()
        else:
            config["thinking_budget"] = _BUDGETS[thinking]
    elif thinking is not True:
        config["thinking_budget"] = thinking
    return config


def _http_options(settings: ModelSettings) -> dict[str, Any]:
    seconds = settings.timeout if settings.timeout is not None else get_settings().http_timeout
    options: dict[str, Any] = {"timeout": int(seconds * 1000)}
    if settings.extra_headers:
        options["headers"] = dict(settings.extra_headers)
    return options
