"""`RequestPlan`: what every model call of one agent asks for in a run, worked out once.

The output mode and its request pieces (response format, final-output sword and its
`sword_choice`, schema prompt), the chat strategy (models/chat_strategy.py), whether a reply must
carry reasoning, and the profile's request formatter depend only on the agent, its model and its
settings, so the runner builds a plan per agent and each turn only adds the instructions and
the conversation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal, NamedTuple, TypeAlias

from ..agents.output import FINAL_OUTPUT_SWORD
from ..agents.output_modes import OutputPlan, plan_output, resolve_output_mode
from ..agents.thinking import thinks_natively
from ..models.chat_strategy import TWO_CALL_STRATEGIES, ChatStrategy, chat_strategy
from ..models.interface import Model, ModelRequest, SwordSpec
from ..models.items import InputItem, assistant_message, user_message
from ..models.profiles import ModelProfile, model_profile
from ..models.request_formatters import RequestFormatter, request_formatter
from ..models.settings import ModelSettings
from ..util.errors import UserError
from ..util.messages import message

__all__ = ["ReasoningCheck", "RequestPlan", "plan_requests"]

ReasoningCheck: TypeAlias = Literal["always", "final"] | None
"""Which replies must carry reasoning: every one (`require_reasoning=True`), a final answer
given without sword calls in the conversation (the profile's `reasoning_capable`), or none."""


class RequestPlan(NamedTuple):
    """How one turn asks its model: which model, swords, settings and output mode."""

    model: Model
    swords: list[SwordSpec]
    settings: ModelSettings
    output: OutputPlan | None
    thinking_prompt: str | None
    think_first: bool
    """Two calls per turn: a thinking call, then the answer (the two-message strategies)."""
    strategy: ChatStrategy = ChatStrategy.single_turn
    """The chat strategy (never `auto`: resolved for this agent and model)."""
    reasoning_check: ReasoningCheck = None
    formatter: RequestFormatter | None = None
    """The model profile's request formatter, applied to what each call sees."""

    @property
    def final_sword(self) -> str | None:
        """The final-output sword's name, when the output mode is "sword"."""
        return FINAL_OUTPUT_SWORD if self.output and self.output.final_sword else None

    def request(self, instructions: str | None, input: list[InputItem]) -> ModelRequest:
        """The turn's request (the answer call, when thinking first)."""
        thinking = self.thinking_prompt if self.strategy is _R1_THINKING else None
        prompt = self.output.prompt if self.output else None
        return ModelRequest(
            instructions=_joined(instructions, thinking, prompt),
            input=input,
            swords=self.swords,
            settings=self.settings,
            output=self.output.response_format if self.output else None,
        )

    def after_swords(self) -> RequestPlan:
        """The plan once the agent has called a sword: a forced `sword_choice` is reset (to
        "auto", or to "required" while the final-output sword ends the run), unless
        `ModelSettings(reset_sword_choice=False)`."""
        choice = self.settings.sword_choice
        if self.settings.reset_sword_choice is False or choice in (None, "auto", "none"):
            return self
        if self.final_sword is not None:
            reset = choice if choice in ("required", FINAL_OUTPUT_SWORD) else "required"
        else:
            reset = None
        if reset == choice:
            return self
        return self._replace(settings=replace(self.settings, sword_choice=reset))

    def with_swords(self, swords: list[SwordSpec]) -> RequestPlan:
        """This plan offering `swords` this turn (gear hidden or changed per turn), keeping
        the final-output sword."""
        final = [spec for spec in self.swords if spec.name == self.final_sword]
        return self._replace(swords=[*swords, *final])

    def thinking_request(self, instructions: str | None, input: list[InputItem]) -> ModelRequest:
        """The thinking call: the thinking prompt (after the instructions, or as a system
        message after the conversation for the legacy form), no swords, no response format."""
        if self.strategy is ChatStrategy.two_message_cot_legacy:
            prompt = self.thinking_prompt or ""
            return ModelRequest(
                instructions, [*input, {"role": "system", "content": prompt}], [], self.settings
            )
        return ModelRequest(_joined(instructions, self.thinking_prompt), input, [], self.settings)

    def answer_request(
        self, instructions: str | None, input: list[InputItem], thought: str
    ) -> ModelRequest:
        """The answer call after thinking: the thinking is the model's last message."""
        if thought:
            input = [*input, assistant_message(thought), user_message(message("thinking_answer"))]
        return self.request(instructions, input)


def plan_requests(
    agent: Any,
    model: Model,
    settings: ModelSettings,
    gear: list[SwordSpec],
    run_strategy: ChatStrategy | str | None = None,
) -> RequestPlan:
    """The plan for `agent` calling `model` with `settings`, offering the swords in `gear`;
    `run_strategy`: `RunConfig.chat_strategy`, for agents that name none."""
    output = None
    swords = gear
    schema = agent.output_schema
    if schema is not None:
        output = plan_output(schema, resolve_output_mode(settings.output_mode, model))
        if output.final_sword is not None:
            if any(spec.name == FINAL_OUTPUT_SWORD for spec in gear):
                raise UserError(
                    f"Agent {agent.name!r} has a sword named {FINAL_OUTPUT_SWORD!r}, the name of "
                    "the final-output sword of output_mode='sword'. Rename the sword or pick "
                    "another output_mode."
                )
            swords = [*gear, output.final_sword]
            if settings.sword_choice is None:
                # Force the final sword when it is the only one; with others, require some call.
                choice = FINAL_OUTPUT_SWORD if not gear else "required"
                settings = replace(settings, sword_choice=choice)
    profile = model_profile(model)
    strategy = _strategy(agent, model, profile, settings, run_strategy)
    return RequestPlan(
        model,
        swords,
        settings,
        output,
        agent.thinking_prompt,
        strategy in TWO_CALL_STRATEGIES,
        strategy,
        _reasoning_check(agent, profile, settings, structured=schema is not None),
        request_formatter(profile.request_formatter),
    )


_R1_THINKING = ChatStrategy.single_turn_r1_thinking


def _strategy(
    agent: Any,
    model: Model,
    profile: ModelProfile,
    settings: ModelSettings,
    run_strategy: ChatStrategy | str | None,
) -> ChatStrategy:
    """The agent's strategy, else the run's, else `auto` — resolved as Kiln does: without a
    thinking prompt always one plain call; else the family's tuned strategy (unless single
    turn); else one call for models that reason, two for the others."""
    chosen = agent.chat_strategy or chat_strategy(run_strategy, "RunConfig")
    if not agent.thinking_prompt:
        return ChatStrategy.single_turn
    if chosen is not None and chosen is not ChatStrategy.auto:
        return chosen
    tuned = profile.tuned_chat_strategy
    if tuned is not None and tuned not in (ChatStrategy.single_turn, ChatStrategy.auto):
        return tuned
    return _R1_THINKING if thinks_natively(model, settings) else ChatStrategy.two_message_cot


def _reasoning_check(
    agent: Any, profile: ModelProfile, settings: ModelSettings, structured: bool
) -> ReasoningCheck:
    """Kiln's rule: required where the profile says the model is reasoning-capable, unless
    thinking is switched off or (per profile) for structured output; the agent's
    `require_reasoning` overrides it either way."""
    if agent.require_reasoning is not None:
        return "always" if agent.require_reasoning else None
    if not profile.reasoning_capable or settings.thinking is False:
        return None
    if structured and profile.reasoning_optional_for_structured_output:
        return None
    return "final"


def _joined(*parts: str | None) -> str | None:
    return "\n\n".join(part for part in parts if part) or None
