"""The JSONL exporter: DRUSILLA_TRACE_DIR, one whole line per span, and crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from drusilla import Agent, Runner, UserError
from drusilla.testing import ScriptedModel
from drusilla.tracing import JSONLTraceExporter, add_trace_processor, read_spans, span
from drusilla.tracing.spans import trace_processors
from drusilla.util.settings import reload_settings

from .scenarios import TREE, three_agents


def tree_of(path: Path) -> str:
    from drusilla.tracing import Span, format_tree

    spans, skipped = read_spans(path)
    assert skipped == 0
    return format_tree([Span(**{k: v for k, v in s.items()}) for s in spans])


async def test_trace_dir_setting_writes_one_file_per_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUSILLA_TRACE_DIR", str(tmp_path / "traces"))
    reload_settings()
    await Runner.run(three_agents(), "How many people live in Paris?")
    await Runner.run(Agent("solo", model=ScriptedModel(["hi"])), "hello")

    files = sorted((tmp_path / "traces").glob("*.jsonl"))
    assert len(files) == 2
    first = files[0]
    lines = first.read_text().splitlines()
    assert len(lines) == len(TREE.splitlines()) == 16
    records = [json.loads(line) for line in lines]
    assert {r["trace_id"] for r in records} == {first.stem.split("-")[-1]}
    assert set(records[0]) == {
        "kind",
        "name",
        "trace_id",
        "span_id",
        "parent_id",
        "started_at",
        "ended_at",
        "attributes",
        "error",
    }
    assert records[-1]["kind"] == "run" and records[-1]["parent_id"] is None  # the root ends last
    assert tree_of(first) == TREE
    assert first.name[:8].isdigit() and first.name[8] == "-"  # YYYYmmdd-HHMMSS-<trace id>

    # Unset: the exporter goes away at the next run; user processors are left alone.
    mine = JSONLTraceExporter(tmp_path / "mine.jsonl")
    add_trace_processor(mine)
    monkeypatch.delenv("DRUSILLA_TRACE_DIR")
    reload_settings()
    await Runner.run(Agent("solo", model=ScriptedModel(["hi"])), "hello")
    assert trace_processors() == [mine]
    assert len(list((tmp_path / "traces").glob("*.jsonl"))) == 2
    assert len((tmp_path / "mine.jsonl").read_text().splitlines()) == 4


async def test_trace_dir_that_is_a_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "taken").write_text("x")
    monkeypatch.setenv("DRUSILLA_TRACE_DIR", str(tmp_path / "taken"))
    reload_settings()
    with pytest.raises(UserError, match=r"DRUSILLA_TRACE_DIR=.* is a file"):
        await Runner.run(Agent("a", model=ScriptedModel(["x"])), "hi")


def test_single_file_mode_appends_every_trace(tmp_path: Path) -> None:
    target = tmp_path / "all.jsonl"
    add_trace_processor(JSONLTraceExporter(target))
    for _ in range(3):
        with span("run", "r"), span("model", "m", usage={"total_tokens": 3}):
            pass
    spans, skipped = read_spans(target)
    assert skipped == 0 and len(spans) == 6
    assert len({s["trace_id"] for s in spans}) == 3


def test_reading_a_torn_last_line_and_bad_files(tmp_path: Path) -> None:
    good = {"kind": "run", "name": "r", "trace_id": "t", "span_id": "s", "parent_id": None}
    torn = tmp_path / "torn.jsonl"
    torn.write_text(json.dumps(good) + "\n" + json.dumps(good)[:25])
    spans, skipped = read_spans(torn)
    assert (len(spans), skipped) == (1, 1)

    middle = tmp_path / "middle.jsonl"
    middle.write_text("{not json\n" + json.dumps(good) + "\n")
    with pytest.raises(UserError, match="line 1 is not JSON"):
        read_spans(middle)
    record = tmp_path / "record.jsonl"
    record.write_text(json.dumps({"run_id": "x", "status": "completed"}) + "\n")
    with pytest.raises(UserError, match="not a span"):
        read_spans(record)
    with pytest.raises(UserError, match="No trace file"):
        read_spans(tmp_path / "missing.jsonl")


CRASHING_RUN = """
    import asyncio, os, sys
    from pathlib import Path
    from drusilla import Agent, Runner, sword
    from drusilla.testing import ScriptedModel, call

    ready = Path(sys.argv[1])

    @sword
    def step(n: int) -> str:
        '''One step, with a big result to make big lines.'''
        return "x" * 200_000

    @sword
    async def hang() -> str:
        '''The parent kills the process here, once the writer thread has written the spans
        that ended before this sword (nothing here asks it to: the model span's end did).'''
        trace_dir = Path(os.environ["DRUSILLA_TRACE_DIR"])
        while not any(t.read_text().count('"kind":"model"') == 21 for t in trace_dir.glob("*")):
            await asyncio.sleep(0.01)
        ready.touch()
        await asyncio.sleep(3600)
        return "unreachable"

    steps = [call("step", n=n) for n in range(20)] + [call("hang"), "never"]
    agent = Agent("worker", model=ScriptedModel(steps), swords=[step, hang])
    Runner.run_sync(agent, "go", max_turns=50)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")
def test_a_killed_run_leaves_a_readable_trace(tmp_path: Path) -> None:
    traces, ready = tmp_path / "traces", tmp_path / "ready"
    env = {**os.environ, "DRUSILLA_TRACE_DIR": str(traces)}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CRASHING_RUN), str(ready)],
        env=env,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)

    (trace,) = traces.glob("*.jsonl")
    text = trace.read_text()
    assert text.endswith("\n")
    lines = text.splitlines()
    for line in lines:
        json.loads(line)  # every line whole
    spans, skipped = read_spans(trace)
    assert skipped == 0
    kinds = [s["kind"] for s in spans]
    assert kinds.count("sword") == 20 and kinds.count("model") == 21
    assert "run" not in kinds  # still open when killed: never written
