"""Model profiles: what a model *family* does, whichever server runs it.

A profile says whether the model reasons before it answers, whether its replies start inside an
unopened `<think>` (the chat template opened it, and `starts_in_reasoning` is the one rule),
how to turn its thinking off in the prompt, and which structured-output mode suits it. Servers
differ too — that is the dialect's business (`chat_wire.ChatDialect`, picked from the base URL
or `server=`); a family profile never depends on the server. A model's `profile` (the profile
part of the `Model` protocol, `ProfiledModel`) is its family's `on_server` its server: the
family's own structured-output mode, else the server's.

Profiles are found by model name (`profile_for`); `register_profile(pattern, profile)` adds
your own rules ahead of the built-in ones, and `OpenAIChatModel(..., profile=...)` sets one
model's profile outright.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from .chat_strategy import ChatStrategy
from .interface import ModelRequest
from .settings import ModelSettings, OutputMode

__all__ = [
    "DEFAULT_PROFILE",
    "SERVER_OUTPUT_MODES",
    "ModelProfile",
    "ProfiledModel",
    "model_profile",
    "profile_for",
    "register_profile",
    "unregister_profiles",
]


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """What a model family needs from drusilla: reasoning, `<think>` handling, output mode."""

    reasoning: bool = False
    """The model thinks before it answers (DeepSeek-R1, QwQ, Qwen3, o-series …): a
    `thinking_prompt` is sent with the one call instead of a separate thinking call."""
    implicit_think: bool = False
    """Replies start inside a `<think>` the chat template opened, so only `</think>` arrives."""
    thinking_off_prompt: str | None = None
    """Appended to the instructions when `ModelSettings(thinking=False)` (Qwen3: "/no_think")."""
    output_mode: OutputMode | None = None
    """The structured-output mode `auto` picks for this family; None: the server's choice."""
    reasoning_capable: bool = False
    """Its replies carry reasoning drusilla can read (DeepSeek-R1 and its distills, QwQ,
    Qwen3 thinking …), so reasoning is required by default: a final answer without any is a
    `ModelBehaviorError` — not after sword calls, not with thinking switched off, not for
    structured output where `reasoning_optional_for_structured_output`, and never with
    `Agent(require_reasoning=False)`. See docs/reasoning.md."""
    reasoning_optional_for_structured_output: bool = False
    """Structured output may come without reasoning (R1's small distills often skip it)."""
    tuned_chat_strategy: ChatStrategy | None = None
    """The chat strategy this family was tuned to (a fine-tune); `auto` picks it when the agent
    has a thinking prompt, unless it is `single_turn`."""
    request_formatter: str | None = None
    """The request formatter (`register_request_formatter`) applied to the model input before
    each request, e.g. "qwen3_style_no_think"."""

    def on_server(self, server: str) -> ModelProfile:
        """This family's profile as served by `server` (a `ServerKind`): the structured-output
        mode is the family's if it has one, else the server's (`SERVER_OUTPUT_MODES`)."""
        if self.output_mode is not None and self.output_mode != "auto":
            return self
        return replace(self, output_mode=SERVER_OUTPUT_MODES.get(server, "json_instructions"))

    def starts_in_reasoning(
        self, settings: ModelSettings, server_separates: bool, told: bool | None = None
    ) -> bool:
        """The one rule for "may a streamed reply start inside an unopened `<think>`": as the
        model was told (`implicit_think=`) if it was; else never with thinking turned off or on
        servers that report reasoning in a field; else as the family does."""
        if told is not None:
            return told
        if settings.thinking is False or server_separates:
            return False
        return self.implicit_think

    def adjust(self, request: ModelRequest) -> ModelRequest:
        """The request with this family's adjustments (the request itself when there are none)."""
        if self.thinking_off_prompt and request.settings.thinking is False:
            instructions = request.instructions
            marker = self.thinking_off_prompt
            return replace(
                request, instructions=f"{instructions}\n\n{marker}" if instructions else marker
            )
        return request


SERVER_OUTPUT_MODES: dict[str, OutputMode] = {
    "openai": "json_schema",
    "ollama": "json_schema",
    "vllm": "json_schema",
    "llama.cpp": "json_schema",  # sent as llama.cpp's json_object + schema (its dialect)
    "llama-cpp-python": "json_schema",  # likewise
    "deepseek": "json_object",  # DeepSeek's API has JSON output but no json_schema
    "openai-compatible": "json_instructions",  # unknown server: the prompt works everywhere
}
"""The structured-output mode `auto` picks on each server kind, for families without one."""

DEFAULT_PROFILE = ModelProfile()
_THINKS_UNOPENED = ModelProfile(reasoning=True, implicit_think=True, reasoning_capable=True)
_REASONS = ModelProfile(reasoning=True)
"""Reasons, but its reasoning is often hidden by the API (OpenAI's o-series): not required."""

# First match wins; matched (re.search) against the lower-cased model name.
_FAMILIES: list[tuple[re.Pattern[str], ModelProfile]] = [
    # DeepSeek-R1's small distills (Qwen and Llama based; Ollama's deepseek-r1:<size>), which,
    # as Kiln's model list records, often answer structured output without reasoning.
    (
        re.compile(r"r1.*distill|distill.*r1|deepseek-r1:(?!671)\d|r1-0528-qwen3"),
        replace(_THINKS_UNOPENED, reasoning_optional_for_structured_output=True),
    ),
    # DeepSeek-R1 and its other kin (the Qwen3 distill), deepseek-reasoner.
    (re.compile(r"(^|[/:_.-])r1([/:_.-]|$)|reasoner"), _THINKS_UNOPENED),
    (re.compile(r"qwq"), _THINKS_UNOPENED),
    # "-thinking" models (Qwen3-…-Thinking-2507, Kimi-K2-Thinking …): thinking only.
    (re.compile(r"thinking"), _THINKS_UNOPENED),
    # Qwen3 hybrids think by default and obey /no_think; the 2507 Instruct and Coder models
    # never think.
    (
        re.compile(r"qwen3(?!.*(instruct|coder))"),
        ModelProfile(True, False, "/no_think", reasoning_capable=True),
    ),
    # OpenAI's o-series and gpt-5 (not gpt-5-chat), gpt-oss; Magistral, Phi-4-reasoning.
    (re.compile(r"(^|/)o[1-9](\b|-|$)|(^|/)gpt-5(?!-chat)|gpt-oss"), _REASONS),
    (re.compile(r"magistral|[-_]reasoning"), _REASONS),
]
_registered: list[tuple[re.Pattern[str], ModelProfile]] = []


def register_profile(pattern: str, profile: ModelProfile) -> None:
    """Use `profile` for models whose (lower-cased) name matches the regex `pattern`.

    Registered rules are tried before the built-in ones, the latest first.
    """
    if not isinstance(profile, ModelProfile):
        from ..util.errors import UserError

        raise UserError(f"register_profile({pattern!r}, ...) needs a ModelProfile.")
    _registered.insert(0, (re.compile(pattern, re.IGNORECASE), profile))
    _profile_cache.clear()


def unregister_profiles() -> None:
    """Forget every registered profile rule (tests)."""
    _registered.clear()
    _profile_cache.clear()


_profile_cache: dict[str, ModelProfile] = {}


def profile_for(model_name: str) -> ModelProfile:
    """The profile of the model family `model_name` belongs to (DEFAULT_PROFILE if unknown)."""
    profile = _profile_cache.get(model_name)
    if profile is None:
        name = model_name.lower()
        profile = next(
            (found for pattern, found in (*_registered, *_FAMILIES) if pattern.search(name)),
            DEFAULT_PROFILE,
        )
        _profile_cache[model_name] = profile
    return profile


@runtime_checkable
class ProfiledModel(Protocol):
    """The profile part of the `Model` protocol, optional for your own models: what the model
    (its family, on its server) does. drusilla's OpenAI models have it; for any other model
    the profile is found by its name (`model_profile`)."""

    @property
    def profile(self) -> ModelProfile: ...


def model_profile(model: Any) -> ModelProfile:
    """The one way the runtime reads what a model does: its own `profile` (`ProfiledModel`),
    else the profile for its name."""
    own = getattr(model, "profile", None)
    if isinstance(own, ModelProfile):
        return own
    return profile_for(str(getattr(model, "model_name", "")))
