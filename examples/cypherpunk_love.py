"""Hello world: one agent, one question, and a reasoning model's thinking kept apart.

    python examples/cypherpunk_love.py ["your own request"]

With nothing configured drusilla asks DeepSeek-R1 on a local Ollama; set DRUSILLA_MODEL and
DRUSILLA_BASE_URL (or DRUSILLA_API_KEY for OpenAI) to use another model.
"""

import sys

from drusilla import Agent, Runner
from drusilla.testing import Turn

agent = Agent(
    name="Dr. Love",
    instructions="You are a cool special robot who loves. Answer with one haiku.",
)

REQUEST = "Write a haiku about love in the cypherpunk world."


def main(request: str = REQUEST) -> None:
    result = Runner.run_sync(agent, request)
    if result.reasoning:  # a reasoning model thinks first; drusilla keeps that apart
        print(f"[{agent.name} thought]\n{result.reasoning}\n")
    print(result.final_output)
    usage = result.usage
    print(f"\n({usage.requests} model call, {usage.total_tokens} tokens)")


# What `drusilla demo` and the tests play when no model endpoint is at hand.
OFFLINE_REPLAY = [
    Turn(
        "Keys whispered in dark,\ntwo hearts bound by cipher's kiss—\nlove, end-to-end true.",
        reasoning=(
            "A haiku: five, seven, five syllables. Cypherpunk means privacy, encryption, keys. "
            "Love as something only two people can decrypt: end-to-end."
        ),
    )
]

if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or REQUEST)
