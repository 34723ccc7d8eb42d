"""orb(): names, descriptions, input types, on_orb callbacks and input filters."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import (
    Agent,
    OrbInputData,
    RunConfig,
    RunContextWrapper,
    Runner,
    SwordCallOutputItem,
    orb,
    remove_all_swords,
    sword,
)
from drusilla.testing import ScriptedModel, Turn, call


@sword
def lookup(order_id: str) -> str:
    """Find an order."""
    return f"order {order_id}: shipped"


def test_default_name_and_description() -> None:
    billing = Agent("Billing Agent", orb_description="Invoices and refunds.")
    handoff = orb(billing)
    assert handoff.sword_name == "transfer_to_billing_agent"
    assert handoff.spec.description == (
        "Hand off to the Billing Agent agent to handle the request. Invoices and refunds."
    )
    assert orb(Agent("RefundDesk")).sword_name == "transfer_to_refund_desk"
    assert orb(Agent("FAQ-bot v2")).sword_name == "transfer_to_faq_bot_v2"
    assert handoff.spec.parameters == {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
        "required": [],
    }


def test_name_and_description_overrides() -> None:
    handoff = orb(Agent("Billing"), name="escalate", description="Escalate to billing.")
    assert (handoff.spec.name, handoff.spec.description) == ("escalate", "Escalate to billing.")


async def test_input_type_is_validated_and_passed_to_on_orb() -> None:
    class Escalation(BaseModel):
        reason: str
        priority: int

    received: list[Escalation] = []

    async def on_orb(ctx: RunContextWrapper[Any], data: Escalation) -> None:
        received.append(data)

    billing = Agent("Billing", model=ScriptedModel(["Refund issued."]))
    triage_model = ScriptedModel(
        [
            call("transfer_to_billing", reason="double charge"),  # priority missing
            call("transfer_to_billing", reason="double charge", priority=1),
        ]
    )
    triage = Agent(
        "Triage",
        model=triage_model,
        orbs=[orb(billing, input_type=Escalation, on_orb=on_orb)],
    )
    result = await Runner.run(triage, "I was charged twice")

    assert received == [Escalation(reason="double charge", priority=1)]
    rejected = result.new_items[1]
    assert isinstance(rejected, SwordCallOutputItem)
    assert "priority: Field required" in rejected.raw_item["output"]
    assert result.last_agent is billing
    schema = triage_model.requests[0].swords[0].parameters
    assert schema["required"] == ["reason", "priority"]


async def test_on_orb_without_input_type_gets_the_context() -> None:
    calls: list[Any] = []
    target = Agent("Target", model=ScriptedModel(["hi"]))
    source = Agent(
        "Source",
        model=ScriptedModel([call("transfer_to_target")]),
        orbs=[orb(target, on_orb=lambda ctx: calls.append(ctx.context))],
    )
    await Runner.run(source, "x", context="ctx-object")
    assert calls == ["ctx-object"]


def test_on_orb_signature_is_checked() -> None:
    from drusilla import UserError

    with pytest.raises(UserError, match="accept \\(ctx, input\\)"):
        orb(Agent("T"), input_type=int, on_orb=lambda ctx: None)


async def test_remove_all_swords_filter_hides_sword_calls_from_the_next_agent() -> None:
    support_model = ScriptedModel(["Your order has shipped."])
    support = Agent("Support", model=support_model)
    frontdesk = Agent(
        "Frontdesk",
        model=ScriptedModel(
            [
                call("lookup", order_id="A1"),
                Turn(text="Let me pass you on.", calls=[call("transfer_to_support")]),
            ]
        ),
        swords=[lookup],
        orbs=[orb(support, input_filter=remove_all_swords)],
    )
    result = await Runner.run(frontdesk, "Where is order A1?")
    seen = support_model.requests[0].input
    assert seen == [
        {"role": "user", "content": "Where is order A1?"},
        {"role": "assistant", "content": "Let me pass you on."},
    ]
    # The run's own record keeps everything that happened.
    assert len(result.new_items) == 6


async def test_run_config_filter_applies_to_orbs_without_their_own() -> None:
    def keep_last_user_message(data: OrbInputData) -> OrbInputData:
        return data.clone(input_history=data.input_history[-1:], pre_orb_items=(), new_items=())

    target_model = ScriptedModel(["done"])
    target = Agent("Target", model=target_model)
    source = Agent(
        "Source",
        model=ScriptedModel([Turn(text="thinking", calls=[call("transfer_to_target")])]),
        orbs=[target],
    )
    history: list[Any] = [
        {"role": "user", "content": "old"},
        {"role": "assistant", "content": "older answer"},
        {"role": "user", "content": "new question"},
    ]
    config = RunConfig(orb_input_filter=keep_last_user_message)
    await Runner.run(source, history, run_config=config)
    assert target_model.requests[0].input == [{"role": "user", "content": "new question"}]


async def test_a_filter_returning_the_wrong_type_is_a_user_error() -> None:
    from drusilla import UserError

    target = Agent("Target", model=ScriptedModel())
    source = Agent(
        "Source",
        model=ScriptedModel([call("transfer_to_target")]),
        orbs=[orb(target, input_filter=lambda data: list(data.input_history))],  # type: ignore[arg-type,return-value]
    )
    with pytest.raises(UserError, match="must return an OrbInputData"):
        await Runner.run(source, "x")
