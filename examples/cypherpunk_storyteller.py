"""Structured output across agents: typed results passed from one agent to the next.

    python examples/cypherpunk_storyteller.py [GENRE]

An outliner returns an `Outline` (a pydantic model, not text), a checker judges it and returns
an `OutlineCheck`, and only a good outline in the asked-for genre goes on to the writer. Each
`final_output` is an instance of the agent's `output_type`, validated by drusilla.
"""

import sys

from pydantic import BaseModel

from drusilla import Agent, Runner


class Outline(BaseModel):
    title: str
    beats: list[str]
    """The plot points, in order."""


class OutlineCheck(BaseModel):
    good_quality: bool
    genre: str


outliner = Agent(
    name="Story Outline Generator",
    instructions="Outline a very short story in the genre the user asks for: a title and three "
    "to five plot points with a clear turn.",
    output_type=Outline,
)

checker = Agent(
    name="Outline Quality Checker",
    instructions="Judge a story outline: is it coherent and creative (good_quality), and which "
    "genre is it really (one or two words, lower case)?",
    output_type=OutlineCheck,
)

writer = Agent(
    name="Story Writer",
    instructions="Write a short story (at most 150 words) from the outline, keeping its plot "
    "points and adding vivid detail.",
)

agent = outliner  # what `drusilla run examples/cypherpunk_storyteller.py` runs

GENRE = "cyberpunk"


def main(genre: str = GENRE) -> None:
    outline = Runner.run_sync(outliner, f"A {genre} story.").final_output_as(Outline)
    print(f"Outline: {outline.title}")
    for number, beat in enumerate(outline.beats, start=1):
        print(f"  {number}. {beat}")

    beats = "\n".join(f"- {beat}" for beat in outline.beats)
    request = f"Asked-for genre: {genre}\nTitle: {outline.title}\n{beats}"
    check = Runner.run_sync(checker, request).final_output_as(OutlineCheck)
    print(f"\nCheck: good quality: {check.good_quality}, genre: {check.genre}")
    if not check.good_quality or check.genre.lower() != genre.lower():
        print("The outline did not pass; no story this time.")
        return

    story = Runner.run_sync(writer, f"Title: {outline.title}\n{beats}").final_output
    print(f"\n{outline.title}\n\n{story}")


OFFLINE_REPLAY = [
    '{"title": "The Last Clean Key", "beats": ['
    '"A courier in Neo-Lisbon carries a private key sewn into her jacket.", '
    '"The city\'s data brokers put a bounty on her head.", '
    '"Her old mentor offers shelter, then sells her out.", '
    '"She broadcasts the key to everyone, so it protects no one and everyone."]}',
    '{"good_quality": true, "genre": "cyberpunk"}',
    "Rain hissed on the neon as Ines ran, the key stitched into her lining like a second "
    "heartbeat. Every broker in Neo-Lisbon wanted it; every camera knew her face. Marco, who "
    "had taught her to split a cipher, opened his door and his arms — and, an hour later, "
    "his comms. She heard the drones before she saw them. On the roof she did the one thing "
    "no broker had priced in: she gave the key away, to everyone at once. By morning it "
    "guarded every message in the city, and it was worth nothing to anyone who wanted to sell "
    "her.",
]

if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or GENRE)
