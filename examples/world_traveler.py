"""Agents as swords: a coordinator calls translator agents like functions.

    python examples/world_traveler.py ["text to translate"]

Each translator is a whole agent; `as_sword()` lets the coordinator call it with a request and
get its answer back, staying in charge of the conversation (an orb would hand it over). Calls
of one turn run concurrently, and the translators' token usage adds up in the result.
"""

import sys

from drusilla import Agent, ModelRequest, Runner
from drusilla.testing import Turn, call

LANGUAGES = {"pt": "Portuguese", "ja": "Japanese", "de": "German", "fr": "French"}

translators = [
    Agent(
        name=f"{language} Translator",
        instructions=f"Translate the user's English text to {language}. Answer with the "
        "translation only.",
    ).as_sword(
        name=f"translate_to_{code}",
        description=f"Translate English text to {language}.",
    )
    for code, language in LANGUAGES.items()
]

agent = Agent(
    name="World Traveler",
    instructions=(
        "You coordinate translations. Call the translation swords for the languages the user "
        "asks for (all of them in one turn), then list each translation under its language."
    ),
    swords=translators,
)

REQUEST = "Translate 'privacy is necessary for an open society' to Portuguese and Japanese."


def main(request: str = REQUEST) -> None:
    result = Runner.run_sync(agent, request)
    print(result.final_output)
    print(f"\n({result.usage.requests} model calls, translators included)")


TRANSLATIONS = {
    "Portuguese": "A privacidade é necessária para uma sociedade aberta.",
    "Japanese": "プライバシーは開かれた社会に必要です。",
}


def translator_reply(request: ModelRequest) -> str:
    """A translator's answer, by the language its instructions name: the two translators
    run concurrently, so their requests may reach the server in either order."""
    instructions = request.instructions or ""
    return next(text for language, text in TRANSLATIONS.items() if language in instructions)


OFFLINE_REPLAY = [
    Turn(
        calls=[
            call("translate_to_pt", input="privacy is necessary for an open society"),
            call("translate_to_ja", input="privacy is necessary for an open society"),
        ]
    ),
    translator_reply,
    translator_reply,
    "Portuguese: A privacidade é necessária para uma sociedade aberta.\n"
    "Japanese: プライバシーは開かれた社会に必要です。",
]

if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or REQUEST)
