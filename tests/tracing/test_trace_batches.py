"""The JSONL exporter makes its lines a batch at a time, counted (never timed): a span's end only
keeps a copy of it, nothing is encoded while a run's turns go on, and the run's spans become
their lines in one call of the encoder when it ends; a batch screened as a whole still masks
exactly what `Span.to_dict` masks, span by span."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from drusilla import Agent, Runner, sword
from drusilla.testing import ScriptedModel, call
from drusilla.tracing import JSONLTraceExporter, add_trace_processor, lines, processors, span
from drusilla.tracing.inputs import TracedInputChain
from drusilla.tracing.jsonable import dumps_lines, to_jsonable
from drusilla.tracing.processors import read_spans
from drusilla.tracing.spans import Span
from drusilla.util.masking import json_bytes_need_masking, json_needs_masking

TURNS = 5


async def test_a_runs_spans_are_encoded_together_when_it_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "trace.jsonl"
    add_trace_processor(JSONLTraceExporter(target))
    # The writer thread stays out (it would write a batch of whatever ended in its moment):
    # what is left is the run's own write when it ends.
    monkeypatch.setattr(processors, "request_write", lambda owner: None)
    batches: list[int] = []
    real = dumps_lines

    def counting(values: list[Any]) -> bytes | None:
        batches.append(len(values))
        return real(values)

    monkeypatch.setattr(lines, "dumps_lines", counting)
    encoded_during_turns: list[int] = []

    @sword
    def probe(n: int) -> str:
        """Note how many batches were encoded so far."""
        encoded_during_turns.append(len(batches))
        return "noted"

    steps: list[Any] = [call("probe", n=n) for n in range(TURNS - 1)] + ["done"]
    result = await Runner.run(Agent("a", model=ScriptedModel(steps), swords=[probe]), "go")

    assert result.final_output == "done"
    assert encoded_during_turns == [0] * (TURNS - 1)  # nothing encoded on a turn's path
    spans, skipped = read_spans(target)
    assert skipped == 0
    assert batches == [len(spans)]  # every span of the run in one call of the encoder
    assert len(spans) == 2 + TURNS * 2 + (TURNS - 1)


def test_a_span_is_written_as_it_was_when_it_ended(tmp_path: Path) -> None:
    target = tmp_path / "trace.jsonl"
    add_trace_processor(JSONLTraceExporter(target))
    with span("run", "r"):
        with span("sword", "s") as step:
            step.set(before=1)
        step.set(after=2)  # the line is made later, from what the span held when it ended
    spans, _ = read_spans(target)
    assert spans[0]["attributes"] == {"before": 1}


def test_a_secret_looking_name_sends_the_batch_span_by_span_and_stays(tmp_path: Path) -> None:
    target = tmp_path / "trace.jsonl"
    add_trace_processor(JSONLTraceExporter(target))
    with span("run", "r"):
        with span("sword", "get_token") as named:  # screened as a whole, this looks like a key
            named.set(arguments='{"user": "ann"}')
        with span("sword", "login") as login:
            login.set(settings={"api_key": "sk-abcdefghij", "temperature": 0.5})
    spans, _ = read_spans(target)
    assert [s["name"] for s in spans] == ["get_token", "login", "r"]  # names are never masked
    assert spans[0]["attributes"] == {"arguments": '{"user": "ann"}'}
    assert spans[1]["attributes"]["settings"] == {"api_key": "***", "temperature": 0.5}
    assert "sk-abcdefghij" not in target.read_text()


NEEDING_MASKS: list[Any] = [
    {"api_key": "x"},
    {"X-Api-Key": "x"},
    {"nested": [{"Authorization": "x"}]},
    {"refresh_token": "x"},
    {"set-cookie": "x"},
    {"PASSWORD": "x"},
    {"my_secret": "x"},
    {"extra_headers": {"a": "b"}},
    {"api_\u212aey": "x"},  # a Kelvin sign lowers to "k"
    {"note": "at https://user:hunter2@example.com/x"},
    {"note": "Authorization: Bearer abcdefghijklmnop1234"},
    {"note": "the key sk-KNOWN-0123456789 quoted back"},
    {"note": 'a "sk-KNOWN-0123456789" in quotes'},
    {"é": "Bearer abcdefghijklmnop1234"},
]
PLAIN: list[Any] = [
    {"role": "user", "content": "Key points: tokens are cheap; the secret is patience."},
    {"type": "function_call", "name": "ping", "arguments": '{"token": 1}'},
    {"note": "see https://example.com/a/b and the Bearer instrument"},
    {"city": "Zürich", "ids": [1, 2.5, None, True]},
]
SECRETS = ("sk-KNOWN-0123456789",)


@pytest.mark.parametrize("value", NEEDING_MASKS + PLAIN)
def test_the_bytes_screen_finds_whatever_masking_would_change(value: Any) -> None:
    text = orjson.dumps(value)
    masks = to_jsonable(value, SECRETS) != value
    assert masks == (value in NEEDING_MASKS)
    if masks:  # never a miss; a word as a key (a false alarm) only costs the slow path
        assert json_bytes_need_masking(text, SECRETS)
        assert json_needs_masking(text.decode(), SECRETS)
    # in a batch, a span needing masks is found among plain ones
    batch = b"\n".join([orjson.dumps(plain) for plain in PLAIN] + [text])
    assert json_bytes_need_masking(batch, SECRETS) == json_bytes_need_masking(text, SECRETS)


def test_the_plain_values_here_pass_the_bytes_screen() -> None:
    found = [value for value in PLAIN if json_bytes_need_masking(orjson.dumps(value), SECRETS)]
    # '{"token": 1}' is a string's content, not a key: the bytes screen looks at keys only
    assert found == []
    assert json.loads(orjson.dumps(PLAIN)) == PLAIN


def model_span(items: list[Any]) -> Span:
    return Span(
        "model", "m", "t" * 32, f"{len(items):016x}", "p" * 16, 0.0, attributes={"input": items}
    )


def test_a_model_input_is_linked_only_to_an_input_it_starts_with() -> None:
    trail = TracedInputChain()
    history = [{"role": "user", "content": f"m{n}"} for n in range(100)]
    first = model_span(list(history))
    trail.add(first, first.attributes["input"])
    grown = [*history, {"role": "assistant", "content": "a"}]
    second = model_span(grown)
    trail.add(second, grown)
    assert first.input_base is None and second.input_base == (first.span_id, 100)
    # an item in the middle replaced: not a continuation, whatever the length
    changed = [*grown[:50], {"role": "user", "content": "other"}, *grown[51:], {"role": "x"}]
    third = model_span(changed)
    trail.add(third, changed)
    assert third.input_base is None
    fourth = model_span([*changed, {"role": "y"}])
    trail.add(fourth, fourth.attributes["input"])
    assert fourth.input_base == (third.span_id, len(changed))
    shorter = model_span(changed[:10])
    trail.add(shorter, shorter.attributes["input"])
    assert shorter.input_base is None
