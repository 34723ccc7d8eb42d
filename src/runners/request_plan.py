"""`RequestPlan`: what every model call of one agent asks for in a run, worked out once.

The output mode and its request pieces (response format, final-output sword and its
`sword_choice`, schema prompt) and the thinking strategy depend only on the agent, its model and
its settings, so the runner builds a plan per agent and each turn only adds the instructions and
the conversation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

from ..agents.output import FINAL_OUTPUT_SWORD
from ..agents.output_modes import OutputPlan, plan_output, resolve_output_mode
from ..agents.thinking import thinks_natively
from ..models.interface import Model, ModelRequest, SwordSpec
from ..models.items import InputItem, assistant_message, user_message
from ..models.settings import ModelSettings
from ..util.errors import UserError
from ..util.messages import message

__all__ = ["RequestPlan", "plan_requests"]


class RequestPlan(NamedTuple):
    """How one turn asks its model: which model, swords, settings and output mode."""

    model: Model
    swords: list[SwordSpec]
    settings: ModelSettings
    output: OutputPlan | None
    thinking_prompt: str | None
    think_first: bool
    """Two calls per turn: a thinking call, then the answer (models that do not reason)."""

    @property
    def final_sword(self) -> str | None:
        """The final-output sword's name, when the output mode is "sword"."""
        return FINAL_OUTPUT_SWORD if self.output and self.output.final_sword else None

    def request(self, instructions: str | None, input: list[InputItem]) -> ModelRequest:
        """The turn's request (the answer call, when thinking first)."""
        thinking = None if self.think_first else self.thinking_prompt
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
        """The thinking call: the thinking prompt, no swords, no response format."""
        return ModelRequest(_joined(instructions, self.thinking_prompt), input, [], self.settings)

    def answer_request(
        self, instructions: str | None, input: list[InputItem], thought: str
    ) -> ModelRequest:
        """The answer call after thinking: the thinking is the model's last message."""
        if thought:
            input = [*input, assistant_message(thought), user_message(message("thinking_answer"))]
        return self.request(instructions, input)


def plan_requests(
    agent: Any, model: Model, settings: ModelSettings, gear: list[SwordSpec]
) -> RequestPlan:
    """The plan for `agent` calling `model` with `settings`, offering the swords in `gear`."""
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
    thinking_prompt = agent.thinking_prompt
    think_first = bool(thinking_prompt) and not thinks_natively(model, settings)
    return RequestPlan(model, swords, settings, output, thinking_prompt, think_first)


def _joined(*parts: str | None) -> str | None:
    return "\n\n".join(part for part in parts if part) or None
