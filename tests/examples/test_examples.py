"""Every example runs offline, chosen by the environment alone.

Each example is run as `python examples/<name>.py`, with DRUSILLA_BASE_URL pointing at the local
OpenAI-protocol server playing the example's OFFLINE_REPLAY — the same way `drusilla demo`
runs them offline, and the way a user points them at a real model.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from typing import Any

import pytest

from drusilla.cli.demo import REPLAY_ATTRIBUTE, Example, find_examples
from drusilla.testing import OpenAIServer

from ..cli.helpers import EXAMPLES, cli_env

ALL = find_examples(EXAMPLES)


def replay(example: Example) -> list[Any]:
    module = importlib.import_module(f"drusilla.examples.{example.name}")
    steps = getattr(module, REPLAY_ATTRIBUTE, None)
    assert isinstance(steps, list), f"{example.path} needs an {REPLAY_ATTRIBUTE} list"
    return steps


def run_offline(example: Example, *args: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    with OpenAIServer(*replay(example)) as server:
        done = subprocess.run(
            [sys.executable, str(example.path), *args],
            env=cli_env(DRUSILLA_BASE_URL=server.base_url, DRUSILLA_MODEL="offline-replay"),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    return done, server


def test_the_examples_are_all_here() -> None:
    names = {example.name for example in ALL}
    assert {
        "cypherpunk_love",
        "dissociative_identity",
        "summer_chaser",
        "world_traveler",
        "friend_with_benefits",
        "cypherpunk_storyteller",
    } <= names
    assert all(example.title != example.name for example in ALL)  # each has a docstring title


@pytest.mark.parametrize("example", ALL, ids=lambda example: example.name)
def test_example_runs_offline(example: Example) -> None:
    done, server = run_offline(example)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.strip()
    server.assert_all_used()  # the replay matches what the example asked, step for step


def test_cypherpunk_love_keeps_reasoning_apart() -> None:
    done, server = run_offline(Example("cypherpunk_love", EXAMPLES / "cypherpunk_love.py", ""))
    assert "[Dr. Love thought]\nA haiku: five, seven, five" in done.stdout
    assert "love, end-to-end true." in done.stdout
    assert server.model_requests[0].input[-1]["content"].startswith("Write a haiku")


def test_dissociative_identity_voices_come_from_the_context() -> None:
    done, server = run_offline(
        Example("dissociative_identity", EXAMPLES / "dissociative_identity.py", "")
    )
    pirate, detective = (request.instructions for request in server.model_requests)
    assert "pirate" in pirate and "noir detective" in detective
    assert "[pirate]\nArr matey" in done.stdout


def test_summer_chaser_swords_answer_the_model() -> None:
    done, server = run_offline(Example("summer_chaser", EXAMPLES / "summer_chaser.py", ""))
    assert '  sword call: get_weather({"city": "Lisbon"})' in done.stdout
    assert "  sword result: True" in done.stdout
    results = [item["output"] for item in server.model_requests[1].input if "output" in item]
    assert results == [
        '{"city":"Lisbon","low_c":18,"high_c":29,"conditions":"clear skies"}',
        "true",
    ]
    assert [sword.name for sword in server.model_requests[0].swords] == ["get_weather", "is_summer"]


def test_world_traveler_translators_are_nested_runs() -> None:
    done, server = run_offline(Example("world_traveler", EXAMPLES / "world_traveler.py", ""))
    instructions = sorted(request.instructions for request in server.model_requests[1:3])
    assert "Japanese" in instructions[0] and "Portuguese" in instructions[1]
    assert "(4 model calls, translators included)" in done.stdout


def test_friend_with_benefits_filter_shows_agent_three_only_the_sentence() -> None:
    for _ in range(3):  # the number is random: the replay follows it
        done, server = run_offline(
            Example("friend_with_benefits", EXAMPLES / "friend_with_benefits.py", "")
        )
        assert done.returncode == 0, done.stderr
        three = server.model_requests[-1]
        assert len(three.input) == 1 and three.input[0]["role"] == "user"
        two_said = done.stdout.splitlines()[0].removeprefix("Agent Two: ")
        drawn = int(server.model_requests[2].input[2]["output"])
        assert len(two_said.split()) == drawn
        assert three.input[0]["content"] == two_said
        assert "The last word was Agent Three's: True" in done.stdout


def test_friend_with_benefits_sentences_have_the_right_length() -> None:
    module = importlib.import_module("drusilla.examples.friend_with_benefits")
    for words, sentence in module.SENTENCES.items():
        assert len(sentence.split()) == words and "write" in sentence


def test_cypherpunk_storyteller_passes_typed_output_along() -> None:
    done, server = run_offline(
        Example("cypherpunk_storyteller", EXAMPLES / "cypherpunk_storyteller.py", "")
    )
    assert "Outline: The Last Clean Key\n  1. A courier" in done.stdout
    assert "Check: good quality: True, genre: cyberpunk" in done.stdout
    _, check, _ = server.model_requests
    assert "Title: The Last Clean Key" in check.input[-1]["content"]


def test_careful_janitor_asks_before_deleting_outside_scratch() -> None:
    done, server = run_offline(Example("careful_janitor", EXAMPLES / "careful_janitor.py", ""))
    assert done.returncode == 0, done.stderr
    line = "Allow delete_file({'path': '/home/ada/notes.txt'})? approved automatically"
    assert line in done.stdout
    assert "/scratch/old.log'})?" not in done.stdout  # scratch files need no approval
    last = server.model_requests[-1].input
    outputs = [item["output"] for item in last if item.get("type") == "function_call_output"]
    assert outputs[-2:] == ["deleted /scratch/old.log", "deleted /home/ada/notes.txt"]
    assert done.stdout.strip().endswith("Deleted /scratch/old.log and /home/ada/notes.txt.")


def test_serve_weather_answers_as_an_openai_model() -> None:
    done, server = run_offline(Example("serve_weather", EXAMPLES / "serve_weather.py", ""))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Clear skies and 29 °C in Lisbon: a beach day."
    assert server.model_requests[1].input[-1]["output"] == "clear skies, 29 °C"
