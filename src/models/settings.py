"""`ModelSettings`: how to call the model, layered from settings to agent to run."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from ..util.errors import UserError
from ..util.masking import mask_headers, mask_mapping, register_headers
from ..util.peer_names import hint_peer_keywords

__all__ = ["ModelSettings", "OutputMode", "Thinking"]


OutputMode = Literal["auto", "json_schema", "sword", "json_instructions", "json_object"]
_OUTPUT_MODES = ("auto", "json_schema", "sword", "json_instructions", "json_object")
Thinking = bool | int | Literal["low", "medium", "high"]
"""`ModelSettings.thinking`: on or off, a token budget, or a level."""
_THINKING_LEVELS = ("low", "medium", "high")


@hint_peer_keywords
@dataclass(frozen=True)
class ModelSettings:
    """Optional model parameters; None means "not set here, use the next layer's value".

    Layers, lowest first: settings from the environment, `Agent.model_settings`,
    `RunConfig.model_settings`, then the direct `RunConfig` fields (max_tokens, temperature ...).
    """

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    sword_choice: str | None = None
    """"auto", "required", "none", or the name of one sword the model must call."""
    parallel_sword_calls: bool | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    top_logprobs: int | None = None
    """Ask for this many alternatives per token; kept on `ModelResponse.logprobs`."""
    reasoning_effort: str | None = None
    include_reasoning: bool | None = None
    """Send earlier reasoning back to the model (off by default: it costs tokens)."""
    thinking: Thinking | None = None
    """Turn a hybrid model's thinking on or off where the model family allows it, and how much:
    True or False, a level ("low", "medium", "high") or a token budget (an int; 0 is off). On
    Claude: extended thinking with that budget (levels: 1024, 4096, 16384 tokens), or adaptive
    thinking for True on the models that have it; on Gemini: `thinking_config` (a budget or a
    level); the OpenAI-protocol wires read any value but False and 0 as "on"."""
    prompt_cache: bool | str | None = None
    """Ask the server to cache the prompt: on Claude, the instructions, swords and the
    conversation so far are marked `cache_control`; on OpenAI-compatible servers it is sent as
    `prompt_cache_key` (a string given here is the key; True derives one from the
    instructions and swords)."""
    output_mode: OutputMode | None = None
    extra_body: dict[str, Any] | None = None
    extra_headers: dict[str, str] | None = None
    timeout: float | None = None
    """Seconds the server may stay silent in one attempt (before it answers, and between
    streamed bytes), overriding DRUSILLA_HTTP_TIMEOUT; not a limit on the whole call (a run's
    `timeout=` is)."""
    max_retries: int | None = None
    """Retries after a 429, 5xx, timeout or dropped connection, overriding DRUSILLA_MAX_RETRIES."""
    reset_sword_choice: bool | None = None
    """Once the agent has called a sword, stop forcing `sword_choice` ("required" or a name) so
    the model can answer instead of calling swords until max_turns. None means True."""

    def __post_init__(self) -> None:
        register_headers(self.extra_headers)
        if self.output_mode is not None and self.output_mode not in _OUTPUT_MODES:
            raise UserError(
                f"ModelSettings(output_mode={self.output_mode!r}) is not a known mode; "
                f"use one of {', '.join(_OUTPUT_MODES)}."
            )
        if not _valid_thinking(self.thinking):
            raise UserError(
                f"ModelSettings(thinking={self.thinking!r}) must be True, False, a token budget "
                f"(a whole number) or one of {', '.join(_THINKING_LEVELS)}."
            )
        for name in ("temperature", "top_p", "frequency_penalty", "presence_penalty", "timeout"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, int | float):
                raise UserError(f"ModelSettings({name}={value!r}) must be a number.")
        for name in ("max_tokens", "top_logprobs", "max_retries", "seed"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise UserError(f"ModelSettings({name}={value!r}) must be a whole number.")

    def __repr__(self) -> str:
        """The fields set; secret-looking headers and `extra_body` entries masked."""
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "extra_headers":
                value = mask_headers(value)
            elif f.name == "extra_body":
                value = mask_mapping(value)
            shown.append(f"{f.name}={value!r}")
        return f"ModelSettings({', '.join(shown)})"

    def resolve(self, override: ModelSettings | None) -> ModelSettings:
        """These settings with every field `override` sets taken from it (dicts are merged)."""
        if override is None:
            return self
        changes: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(override, f.name)
            if value is None:
                continue
            mine = getattr(self, f.name)
            if isinstance(value, dict) and isinstance(mine, dict):
                value = {**mine, **value}
            changes[f.name] = value
        return replace(self, **changes) if changes else self

    def to_dict(self) -> dict[str, Any]:
        """The fields set, for traces and run records (headers left out: they may hold keys)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) is not None and f.name != "extra_headers"
        }


def _valid_thinking(value: object) -> bool:
    return value is None or isinstance(value, bool | int) or value in _THINKING_LEVELS
