"""Instructions from context: one agent, many voices, chosen per run.

    python examples/dissociative_identity.py [STYLE] ["your message"]

The agent's instructions are a function of the run's context, so the same agent answers as a
pirate in one run and as a noir detective in the next.
"""

import sys
from enum import Enum

from drusilla import Agent, RunContextWrapper, Runner


class Style(Enum):
    HAIKU = "haiku"
    PIRATE = "pirate"
    ROBOT = "robot"
    DETECTIVE = "detective"
    SHAKESPEARE = "shakespeare"


VOICES = {
    Style.HAIKU: "Only respond in haikus: three lines of five, seven and five syllables.",
    Style.PIRATE: "Respond as a pirate: 'arr matey', 'aye', 'shiver me timbers'.",
    Style.ROBOT: "Respond as a robot: say 'beep boop', speak in precise, mechanical terms.",
    Style.DETECTIVE: "Respond as a hard-boiled noir detective: rain, shadows, cynicism.",
    Style.SHAKESPEARE: "Respond in Shakespearean English: thee, thou, dost, hath.",
}


def voice(ctx: RunContextWrapper[Style | None], agent: Agent[Style | None]) -> str:
    """Called before every model call: the context picks the voice (a pirate by default)."""
    return VOICES[ctx.context or Style.PIRATE]


agent: Agent[Style | None] = Agent(name="Dissociative Identity", instructions=voice)

MESSAGE = "Tell me about the weather today."


def main(styles: list[Style], message: str = MESSAGE) -> None:
    for style in styles:
        result = Runner.run_sync(agent, message, context=style)
        print(f"[{style.value}]\n{result.final_output}\n")


OFFLINE_REPLAY = [
    "Arr matey, the skies be grey as a cannon's belly, and the wind be blowin' fit to "
    "shiver me timbers. Batten down yer hatches, aye!",
    "The rain came down like a confession nobody asked for. Grey skies, wet streets, and a "
    "forecast as crooked as the last guy who lied to me.",
]

if __name__ == "__main__":
    arguments = sys.argv[1:]
    chosen = [Style.PIRATE, Style.DETECTIVE]
    if arguments and arguments[0] in {style.value for style in Style}:
        chosen = [Style(arguments.pop(0))]
    main(chosen, " ".join(arguments) or MESSAGE)
