"""Orbs with an input filter: three agents hand one conversation along.

    python examples/friend_with_benefits.py

Agent One draws a random number with a sword and hands over (an orb) to Agent Two, who writes
a sentence with that many words and hands over to Agent Three — through an input filter, so
Agent Three sees only the sentence: not the request, not the number, no sword calls.
"""

import random

from drusilla import Agent, MessageOutputItem, ModelRequest, OrbInputData, Runner, orb, sword
from drusilla.testing import Turn, call


@sword
def random_number() -> int:
    """A random whole number from 3 to 15."""
    return random.randint(3, 15)


def only_the_sentence(data: OrbInputData) -> OrbInputData:
    """What Agent Three sees: Agent Two's last message, as the user's request, and nothing else."""
    messages = [
        item
        for item in (*data.pre_orb_items, *data.new_items)
        if isinstance(item, MessageOutputItem) and item.text.strip()
    ]
    sentence = messages[-1].text.strip() if messages else ""
    return data.clone(
        input_history=({"role": "user", "content": sentence},), pre_orb_items=(), new_items=()
    )


agent_three = Agent(
    name="Agent Three",
    instructions="Replace exactly one word of the sentence you get with 'love', in a way that "
    "makes sense or is entertaining. Answer with the new sentence only.",
    orb_description="Puts love into a sentence.",
)

agent_two = Agent(
    name="Agent Two",
    instructions="Write one sentence about the cypherpunk world with exactly as many words as "
    "the number Agent One drew. Write the sentence, then hand it to Agent Three.",
    orb_description="Writes a sentence about the cypherpunk world with a given number of words.",
    orbs=[orb(agent_three, input_filter=only_the_sentence)],
)

agent = Agent(
    name="Agent One",
    instructions="Draw a random number with your random_number sword, say it, then hand over "
    "to Agent Two.",
    swords=[random_number],
    orbs=[agent_two],
)

REQUEST = "Let's make a cypherpunk love sentence."


def main() -> None:
    result = Runner.run_sync(agent, REQUEST)
    for item in result.new_items:
        if isinstance(item, MessageOutputItem) and item.text.strip():
            print(f"{item.agent.name}: {item.text.strip()}")
    print(f"\nThe last word was Agent Three's: {result.last_agent is agent_three}")


# --- the offline replay: replies that follow the real random number ----------------------------

SENTENCES = {
    3: "Cypherpunks write code.",
    4: "Cypherpunks write free code.",
    5: "Cypherpunks write code for freedom.",
    6: "Cypherpunks write code that guards privacy.",
    7: "Cypherpunks write code that guards our privacy.",
    8: "Cypherpunks write code that guards our private lives.",
    9: "Cypherpunks write code that guards our private lives online.",
    10: "Cypherpunks write code that guards our private lives from spies.",
    11: "Cypherpunks write code that guards our private lives from prying eyes.",
    12: "Cypherpunks write strong code that guards our private lives from prying eyes.",
    13: "Cypherpunks write strong open code that guards our private lives from prying eyes.",
    14: "Cypherpunks write strong open code that guards our private lives from all prying eyes.",
    15: "Late at night, cypherpunks write strong open code that guards private lives from "
    "prying eyes.",
}


def agent_two_reply(request: ModelRequest) -> Turn:
    drawn = next(
        int(str(item.get("output")))
        for item in request.input
        if item.get("type") == "function_call_output"
    )
    return Turn(SENTENCES[drawn], calls=[call("transfer_to_agent_three")])


def agent_three_reply(request: ModelRequest) -> str:
    sentence = str(request.input[-1].get("content"))
    return sentence.replace("write", "love", 1)


OFFLINE_REPLAY = [
    call("random_number"),
    call("transfer_to_agent_two"),
    agent_two_reply,
    agent_three_reply,
]

if __name__ == "__main__":
    main()
