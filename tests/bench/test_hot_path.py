"""Per-turn costs the benchmark found and removed stay removed."""

from __future__ import annotations

from drusilla import Agent, Model, RunConfig, Runner, sword
from drusilla.testing import ScriptedModel
from drusilla.testing.scripted import call


class CountingProvider:
    """A provider that records every model lookup."""

    def __init__(self, models: dict[str, Model]) -> None:
        self.models = models
        self.lookups: list[str | None] = []

    def get_model(self, name: str | None) -> Model:
        self.lookups.append(name)
        return self.models[name or ""]


@sword
def ping(n: int) -> str:
    """Answer a ping."""
    return f"pong {n}"


async def test_a_model_name_is_resolved_once_per_agent_per_run_not_per_turn() -> None:
    triage_model = ScriptedModel([call("ping", n=1), call("transfer_to_expert")])
    expert_model = ScriptedModel([call("ping", n=2), call("ping", n=3), "done"])
    provider = CountingProvider({"triage-model": triage_model, "expert-model": expert_model})
    expert = Agent("expert", model="expert-model", swords=[ping])
    triage = Agent("triage", model="triage-model", swords=[ping], orbs=[expert])

    result = await Runner.run(triage, "go", run_config=RunConfig(model_provider=provider))

    assert result.final_output == "done"
    assert len(result.model_responses) == 5
    assert provider.lookups == ["triage-model", "expert-model"]
    triage_model.assert_all_used()
    expert_model.assert_all_used()
