"""Properties of the two readers of saved text (issue 26): `RunState.from_json` and the batch
results-file reader, given random text, random JSON and mutations of real saved data, either
succeed or raise `UserError` — never another exception."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drusilla import Agent, Runner, RunState, UserError, sword
from drusilla.runners.batch.results import ResultsFile
from drusilla.testing import ScriptedModel, call

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(alphabet=st.characters(codec=None), max_size=20)  # lone surrogates included
scalars = st.none() | st.booleans() | st.integers() | st.floats() | text
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=20,
)


@sword(needs_approval=True)
def transfer(to: str, amount: int) -> str:
    """Send money."""
    return f"sent {amount} to {to}"


@functools.cache
def bank() -> Agent[Any]:
    return Agent("Bank", swords=[transfer])


@functools.cache
def saved_state() -> str:
    """A real saved state: an interrupted run with a call waiting, a reasoning item and usage."""
    model = ScriptedModel([call("transfer", to="a", amount=1)])
    result = Runner.run_sync(bank().clone(model=model), "Pay a")
    return result.to_state().to_json()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (the value itself first)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found.extend(paths(item, (*prefix, position)))
    return found


@st.composite
def mutated(draw: st.DrawFn, original: str) -> str:
    """`original` JSON with one place replaced by a random value, or removed."""
    data = json.loads(original)
    path = draw(st.sampled_from(paths(data)[1:]))
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if draw(st.booleans()):
        parent[path[-1]] = draw(json_values)
    elif isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])
    return json.dumps(data)


@st.composite
def damaged_text(draw: st.DrawFn, original: str) -> bytes:
    """`original` with bytes flipped, cut or inserted."""
    data = bytearray(original.encode())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        if not data:
            break
    return bytes(data)


def load(given_text: str | bytes) -> None:
    try:
        state = RunState.from_json(bank(), given_text)
    except UserError as exc:
        assert str(exc)  # a message saying what is wrong
    else:
        assert state.current_agent is bank()


@SETTINGS
@given(json_values)
def test_from_json_of_random_json_is_a_state_or_a_user_error(value: Any) -> None:
    load(json.dumps(value))
    if isinstance(value, dict):
        load(json.dumps({**json.loads(saved_state()), **value}))


@SETTINGS
@given(st.data())
def test_from_json_of_a_mutated_state_is_a_state_or_a_user_error(data: st.DataObject) -> None:
    load(data.draw(mutated(saved_state())))
    load(data.draw(damaged_text(saved_state())))


@SETTINGS
@given(st.text() | st.binary())
def test_from_json_of_random_text_is_a_user_error(given_text: str | bytes) -> None:
    load(given_text)


INPUTS = ["first", "second", {"role": "user", "content": "third"}]


@functools.cache
def results_lines() -> list[str]:
    """Real lines of a results file for INPUTS."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "results.jsonl"
        agent = Agent("echo", model=ScriptedModel(["one", "two", "three"]))
        Runner.run_batch_sync(agent, INPUTS, concurrency=1, progress=False, results_path=path)
        return path.read_text().splitlines()


def read_results(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "results.jsonl"
        path.write_bytes(content)
        try:
            store = ResultsFile.open(path, INPUTS)
        except UserError:
            return
        store.close()
        for index, item in store.finished.items():
            assert 0 <= index < len(INPUTS) and item.resumed


@SETTINGS
@given(st.lists(json_values, max_size=4), st.lists(st.binary(max_size=40), max_size=3))
def test_the_results_reader_takes_random_lines(values: list[Any], raw: list[bytes]) -> None:
    lines = [json.dumps(value).encode() for value in values] + raw
    read_results(b"\n".join(lines) + b"\n")


@SETTINGS
@given(st.data())
def test_the_results_reader_takes_mutated_lines(data: st.DataObject) -> None:
    lines = results_lines()
    broken = [
        data.draw(mutated(line)).encode()
        if data.draw(st.booleans())
        else data.draw(damaged_text(line))
        for line in lines
    ]
    read_results(b"\n".join(broken) + b"\n")
