"""What a traced turn costs: only its new items are encoded, the file is opened once, and the
viewer and OpenTelemetry still see every model call's whole input."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from drusilla import Agent, Runner, sword
from drusilla.testing import ScriptedModel, call
from drusilla.tracing import (
    InMemoryTraceProcessor,
    JSONLTraceExporter,
    add_trace_processor,
    item_texts,
    lines,
    read_spans,
)
from drusilla.tracing.inputs import full_inputs
from drusilla.tracing.jsonable import dumps_lines, plain_texts, to_jsonable

HISTORY = 1000
TURNS = 5


@sword
def ping(n: int) -> str:
    """Answer a ping."""
    return f"pong {n}"


def history() -> list[dict[str, Any]]:
    return [
        {"role": "user" if n % 2 == 0 else "assistant", "content": f"message {n}"}
        for n in range(HISTORY)
    ]


def count_encoded(monkeypatch: pytest.MonkeyPatch, seen: list[int]) -> None:
    """Put into `seen` how many conversation items each call of the exporter's encoders got."""

    def items_texts(values: list[Any], secrets: tuple[str, ...]) -> list[bytes] | None:
        seen.append(encoded_items(values))
        return plain_texts(values, secrets)

    def span_lines(values: list[Any]) -> bytes | None:
        seen.append(encoded_items(values))
        return dumps_lines(values)

    monkeypatch.setattr(item_texts, "plain_texts", items_texts)
    monkeypatch.setattr(lines, "dumps_lines", span_lines)


def pinging_agent() -> Agent[Any]:
    steps: list[Any] = [call("ping", n=n) for n in range(TURNS - 1)] + ["done"]
    return Agent("pinger", model=ScriptedModel(steps), swords=[ping])


def encoded_items(value: Any) -> int:
    """How many conversation items (dicts with a role or a type) `value` holds."""
    if isinstance(value, dict):
        own = 1 if ("role" in value or "type" in value) else 0
        return own + sum(encoded_items(v) for v in value.values())
    if isinstance(value, list):
        return sum(encoded_items(v) for v in value)
    return 0


async def test_a_traced_turn_encodes_only_the_items_it_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "trace.jsonl"
    add_trace_processor(JSONLTraceExporter(target))
    memory = InMemoryTraceProcessor()
    add_trace_processor(memory)
    # Count the conversation items the exporter hands to the JSON encoder: spies that call
    # through on what it encodes with (a batch of span lines, a long input's items).
    seen: list[int] = []
    count_encoded(monkeypatch, seen)

    result = await Runner.run(pinging_agent(), history())
    assert result.final_output == "done"

    spans, skipped = read_spans(target)
    assert skipped == 0
    models = [s for s in spans if s["kind"] == "model"]
    assert len(models) == TURNS
    # The first call carries the history; each later one only what the last turn added.
    assert len(models[0]["attributes"]["input"]) == HISTORY
    assert "input_base" not in models[0]["attributes"]
    for previous, model in itertools.pairwise(models):
        assert model["attributes"]["input_base"]["span_id"] == previous["span_id"]
        assert len(model["attributes"]["input"]) == 2  # the sword call and its result
    (run,) = [s for s in spans if s["kind"] == "run"]
    assert run["attributes"]["input"] == []
    assert run["attributes"]["input_base"] == {"span_id": models[0]["span_id"], "items": HISTORY}

    # What went to the encoder in all: the history once, then each turn's own new items.
    new_per_turn = 2 + 1  # the input's call + result, the output's call (or final message)
    assert sum(seen) <= HISTORY + 1 + TURNS * new_per_turn + 2 * TURNS
    assert sum(seen) < 2 * HISTORY
    assert sum(seen) >= HISTORY  # the spy saw the history go out once

    # Rebuilt, every model call shows its whole input, exactly as the run sent it.
    rebuilt = {s["span_id"]: s for s in full_inputs(spans)}
    in_memory = [s for s in memory.spans if s.kind == "model"]
    for live in in_memory:
        assert rebuilt[live.span_id]["attributes"]["input"] == to_jsonable(live.attributes["input"])
    assert len(rebuilt[models[-1]["span_id"]]["attributes"]["input"]) == HISTORY + 2 * (TURNS - 1)
    assert rebuilt[run["span_id"]]["attributes"]["input"] == history()


async def test_the_trace_file_is_opened_once_not_per_span(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "trace.jsonl"
    exporter = JSONLTraceExporter(target)
    add_trace_processor(exporter)
    opened: list[str] = []
    real_open = os.open

    def counting_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path) == str(target):
            opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_open)
    for _ in range(3):
        await Runner.run(pinging_agent(), "go")
    spans, _ = read_spans(target)
    assert len(spans) == 3 * (1 + 1 + TURNS * 2 + (TURNS - 1))  # run, agent, turns+models, swords
    assert opened == [str(target)]
    exporter.close()


def open_files() -> set[str]:
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
            found.add(os.readlink(f"/proc/self/fd/{fd}"))
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc")
async def test_a_directory_trace_file_is_closed_when_its_run_ends(tmp_path: Path) -> None:
    exporter = JSONLTraceExporter(tmp_path / "traces")
    add_trace_processor(exporter)
    await Runner.run(pinging_agent(), "go")
    (trace,) = (tmp_path / "traces").glob("*.jsonl")
    assert str(trace) not in open_files()
    assert json.loads(trace.read_text().splitlines()[-1])["kind"] == "run"


def test_a_missing_base_leaves_the_items_it_has_marked_incomplete() -> None:
    spans = [
        {
            "span_id": "b",
            "kind": "model",
            "attributes": {
                "input": [{"role": "user", "content": "new"}],
                "input_base": {"span_id": "gone", "items": 3},
            },
        }
    ]
    (rebuilt,) = full_inputs(spans)
    assert rebuilt["attributes"]["input"] == [{"role": "user", "content": "new"}]
    assert rebuilt["attributes"]["input_incomplete"] is True


async def test_opentelemetry_still_gets_each_model_calls_whole_input() -> None:
    pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from drusilla.tracing import OpenTelemetryExporter

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    add_trace_processor(OpenTelemetryExporter(provider))
    await Runner.run(pinging_agent(), history())
    chats = [s for s in exported.get_finished_spans() if s.name.startswith("chat ")]
    sizes = [len(json.loads(str((s.attributes or {})["gen_ai.input.messages"]))) for s in chats]
    # the history's messages, then per earlier turn one tool call (the first joins the
    # history's closing assistant message) and one tool result
    assert sizes == [HISTORY] + [HISTORY - 1 + 2 * turn for turn in range(1, TURNS)]


def test_the_jsonl_line_masks_what_to_dict_masks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drusilla.tracing import span
    from drusilla.util.settings import reload_settings

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
    reload_settings()
    target = tmp_path / "trace.jsonl"
    add_trace_processor(JSONLTraceExporter(target))
    quoted = {"role": "user", "content": "my key is sk-test-0123456789"}
    with span("run", "r") as root, span("model", "m") as model:
        model.set(settings={"X-Api-Key": "abc", "temperature": 0.5}, plain={"tokens": 3})
        model.set_data(input=[quoted, {"role": "user", "content": "fine"}])
        root.set_data(input="sk-test-0123456789")
    text = target.read_text()
    assert "sk-test-0123456789" not in text and "abc" not in text
    spans, _ = read_spans(target)
    attributes = spans[0]["attributes"]
    assert attributes["settings"] == {"X-Api-Key": "***", "temperature": 0.5}
    assert attributes["plain"] == {"tokens": 3}
    assert attributes["input"][0]["content"] == "my key is ***"
    monkeypatch.delenv("OPENAI_API_KEY")
    reload_settings()


async def test_runs_over_the_same_history_encode_and_join_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As an application does: the same history items, passed back with a new user message.
    earlier = history()
    monkeypatch.setattr(item_texts, "table", item_texts.ItemTexts())
    encoded: list[int] = []
    joins: list[int] = []
    count_encoded(monkeypatch, encoded)

    class CountingJoined(item_texts.Joined):
        def __init__(self, items: list[Any], texts: list[bytes]) -> None:
            joins.append(len(items))
            super().__init__(items, texts)

    monkeypatch.setattr(item_texts, "Joined", CountingJoined)
    add_trace_processor(JSONLTraceExporter(tmp_path / "traces"))
    per_run = []
    for n in range(3):
        encoded.clear()
        given = [*earlier, {"role": "user", "content": f"question {n}"}]
        await Runner.run(pinging_agent(), given)
        per_run.append(sum(encoded))

    # The first run encodes the history; later ones only their own new items.
    new_items = 1 + TURNS * 3 + 2 * TURNS
    assert HISTORY <= per_run[0] <= HISTORY + new_items
    assert per_run[1] <= new_items and per_run[2] <= new_items
    # Its text is joined once, then spliced uncopied into each later run's first model span.
    assert joins == [HISTORY + 1]
    history_bytes = len(",".join(json.dumps(item, separators=(",", ":")) for item in earlier))
    for trace in sorted((tmp_path / "traces").glob("*.jsonl")):
        assert history_bytes < trace.stat().st_size < history_bytes + 20_000  # once per trace
        spans, skipped = read_spans(trace)
        (first, *_) = [s for s in full_inputs(spans) if s["kind"] == "model"]
        assert skipped == 0 and first["attributes"]["input"][:HISTORY] == earlier


async def run_over(earlier: list[dict[str, Any]], question: str) -> None:
    result = await Runner.run(pinging_agent(), [*earlier, {"role": "user", "content": question}])
    assert result.final_output == "done"


def first_model_spans(path: Path) -> list[dict[str, Any]]:
    spans, skipped = read_spans(path)
    assert skipped == 0
    firsts: dict[str, dict[str, Any]] = {}
    for span in spans:
        if span["kind"] == "model":
            firsts.setdefault(span["trace_id"], span)
    return list(firsts.values())


async def test_traces_in_one_file_write_a_shared_history_once(tmp_path: Path) -> None:
    target = tmp_path / "trace.jsonl"
    exporter = JSONLTraceExporter(target)
    add_trace_processor(exporter)
    earlier = history()
    sizes = []
    for n in range(3):
        await run_over(earlier, f"question {n}")
        sizes.append(target.stat().st_size)

    first, second, third = first_model_spans(target)
    assert len(first["attributes"]["input"]) == HISTORY + 1
    # Later traces link to the first one's whole input and carry only their own question.
    for later in (second, third):
        assert later["attributes"]["input_base"] == {"span_id": first["span_id"], "items": HISTORY}
        assert later["attributes"]["input"] == [{"role": "user", "content": later_question(later)}]
    history_bytes = len(",".join(json.dumps(item, separators=(",", ":")) for item in earlier))
    assert sizes[0] > history_bytes
    assert sizes[2] - sizes[1] < history_bytes / 4
    # Read back, each trace's calls show their whole input.
    rebuilt = [s for s in full_inputs(read_spans(target)[0]) if s["span_id"] == third["span_id"]]
    question = {"role": "user", "content": "question 2"}
    assert rebuilt[0]["attributes"]["input"] == [*earlier, question]
    assert "input_incomplete" not in rebuilt[0]["attributes"]
    exporter.close()


def later_question(span: dict[str, Any]) -> str:
    return str(span["attributes"]["input"][0]["content"])


async def test_a_cut_file_gets_the_history_whole_again(tmp_path: Path) -> None:
    target = tmp_path / "trace.jsonl"
    exporter = JSONLTraceExporter(target)
    add_trace_processor(exporter)
    earlier = history()
    await run_over(earlier, "before")
    os.truncate(target, 0)  # a log rotation that copies the file and truncates it
    await run_over(earlier, "after")
    (after,) = first_model_spans(target)
    assert "input_base" not in after["attributes"]
    assert len(after["attributes"]["input"]) == HISTORY + 1
    exporter.close()


def test_joined_histories_are_spliced_exactly_and_kept_within_bounds() -> None:
    texts = item_texts.ItemTexts()
    histories = [
        [{"role": "user", "content": f"history {h} message {n}"} for n in range(64)]
        for h in range(10)
    ]
    for earlier in histories:
        texts.chunks(earlier, ())
    assert len(texts._joined) == 8  # the latest ones
    # A run over a kept history plus a new message: the shared part spliced, the rest joined.
    given = [*histories[-1], {"role": "user", "content": "new"}]
    pieces = texts.chunks(given, ())
    assert len(pieces) == 3 and isinstance(pieces[0], memoryview)
    assert json.loads(b"[" + b"".join(pieces) + b"]") == given
    # One that shares less than half of a kept history's items is joined on its own.
    changed = [*histories[-1][:10], *histories[0][10:]]
    assert json.loads(b"[" + b"".join(texts.chunks(changed, ())) + b"]") == changed
