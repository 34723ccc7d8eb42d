"""Run records: one JSON file per root run, written atomically, whatever the outcome."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import (
    Agent,
    MaxTurnsError,
    ModelSettings,
    RunConfig,
    Runner,
    SQLiteSession,
    UserError,
    sword,
)
from drusilla.testing import ScriptedModel, Turn, call
from drusilla.tracing import (
    InMemoryTraceProcessor,
    JSONLTraceExporter,
    add_trace_processor,
    read_spans,
)
from drusilla.util.settings import reload_settings

from .scenarios import three_agents


def only_record(directory: Path) -> dict[str, Any]:
    (path,) = directory.glob("*.json")
    assert not list(directory.glob(".*")), "a temporary file was left behind"
    return json.loads(path.read_text())  # type: ignore[no-any-return]


async def test_record_run_writes_one_record_with_the_whole_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = RunConfig(
        record_run=True,
        workflow_name="census",
        tags=["nightly"],
        metadata={"ticket": 12},
        temperature=0.3,
        input_source={"type": "dataset", "name": "cities", "row": 3},
    )
    result = await Runner.run(three_agents(), "How many people live in Paris?", run_config=config)

    record = only_record(tmp_path / ".drusilla" / "runs")  # the default directory
    assert record["record_version"] == 2
    assert record["input_source"] == {"type": "dataset", "name": "cities", "row": 3}
    assert (record["run_id"], record["parent_run_id"]) == (result.run_id, None)
    assert record["status"] == "completed" and record["interruptions"] == []
    assert record["status"] == "completed" and record["error"] is None
    assert record["workflow_name"] == "census"
    assert record["tags"] == ["nightly"] and record["metadata"] == {"ticket": 12}
    assert record["input"] == "How many people live in Paris?"
    assert record["final_output"] == "About 2.1 million people."
    assert record["starting_agent"] == "triage" and record["last_agent"] == "specialist"
    assert record["started_at"] <= record["ended_at"] and record["duration_ms"] >= 0
    assert record["trace_id"] is None  # no tracing set up
    assert record["usage"]["total_tokens"] == result.usage.total_tokens == 209
    assert record["turns"] == 3
    assert record["history"] == []

    # The full message trace: every item, with the agent that produced it.
    assert [(i["agent"], i["type"]) for i in record["new_items"]] == [
        ("triage", "orb_call_item"),
        ("triage", "orb_output_item"),
        ("specialist", "sword_call_item"),
        ("specialist", "sword_call_item"),
        ("specialist", "sword_call_output_item"),
        ("specialist", "sword_call_output_item"),
        ("specialist", "message_output_item"),
    ]
    assert [i["item"] for i in record["new_items"]] == result.to_input_list()[1:]

    # Model calls, including the nested run's (run 1), with instructions, usage and timing.
    calls = record["model_calls"]
    assert [(c["run"], c["agent"], c["model"]) for c in calls] == [
        (0, "triage", "triage-model"),
        (0, "specialist", "specialist-model"),
        (1, "researcher", "researcher-model"),
        (0, "specialist", "specialist-model"),
    ]
    assert calls[2]["instructions"] == "Answer with facts."
    assert calls[2]["usage"]["reasoning_tokens"] == 8
    assert all(c["provider"] == "scripted" and c["duration_ms"] >= 0 for c in calls)
    assert record["models"] == [
        {"model": m, "provider": "scripted"}
        for m in ("triage-model", "specialist-model", "researcher-model")
    ]

    agents = {a["name"]: a for a in record["agents"]}
    assert set(agents) == {"triage", "specialist", "researcher"}
    assert agents["specialist"]["swords"] == ["researcher", "convert"]
    assert agents["triage"]["orbs"] == ["specialist"]
    assert agents["researcher"]["settings"] == {"temperature": 0.3}
    assert agents["researcher"]["instructions"] == "Answer with facts."
    assert record["settings"]["temperature"] == 0.3
    assert record["settings"]["max_turns"] == 10


async def test_runs_dir_setting_and_opting_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUSILLA_RUNS_DIR", str(tmp_path / "records"))
    reload_settings()
    agent = Agent("a", model=ScriptedModel(["one", "two"]))
    await Runner.run(agent, "first")
    await Runner.run(agent, "second", run_config=RunConfig(record_run=False))
    assert only_record(tmp_path / "records")["input"] == "first"
    # Given to the trace viewer by mistake, a record gets a clear message.
    (record,) = (tmp_path / "records").glob("*.json")
    with pytest.raises(UserError, match=r"is a run record .* not a trace"):
        read_spans(record)


async def test_a_failed_run_is_recorded_with_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    looping = ScriptedModel([call("nothing"), call("nothing")])
    with pytest.raises(MaxTurnsError):
        await Runner.run(
            Agent("a", model=looping), "go", max_turns=2, run_config=RunConfig(record_run=True)
        )
    record = only_record(tmp_path / ".drusilla" / "runs")
    assert record["status"] == "failed"
    assert record["error"]["type"] == "MaxTurnsError"
    assert "max_turns=2" in record["error"]["message"]
    assert record["turns"] == 2 and len(record["model_calls"]) == 2


async def test_a_cancelled_run_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUSILLA_RUNS_DIR", str(tmp_path))
    reload_settings()
    started = asyncio.Event()

    @sword
    async def slow() -> str:
        """Slow."""
        started.set()
        await asyncio.sleep(30)
        return "never"

    agent = Agent("a", model=ScriptedModel([call("slow")]), swords=[slow])
    task = asyncio.create_task(Runner.run(agent, "go"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    record = only_record(tmp_path)
    assert record["status"] == "cancelled"
    assert [i["type"] for i in record["new_items"]] == ["sword_call_item"]


async def test_record_holds_session_history_structured_output_and_reasoning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUSILLA_RUNS_DIR", str(tmp_path / "runs"))
    reload_settings()

    class City(BaseModel):
        name: str
        population: int

    session = SQLiteSession("conv", tmp_path / "s.db")
    await session.add_items([{"role": "user", "content": "earlier"}])
    model = ScriptedModel(
        [Turn(text='{"name": "Paris", "population": 2100000}', reasoning="Census data.")]
    )
    agent = Agent(
        "a",
        model=model,
        output_type=City,
        model_settings=ModelSettings(extra_headers={"Authorization": "Bearer sk-secret-value"}),
    )
    await Runner.run(agent, "Biggest French city?", session=session)
    record = only_record(tmp_path / "runs")
    assert record["session_id"] == "conv"
    assert record["history"] == [{"role": "user", "content": "earlier"}]
    assert record["final_output"] == {"name": "Paris", "population": 2100000}
    assert record["reasoning"] == "Census data."
    assert record["agents"][0]["output_type"] == "City"
    assert "sk-secret-value" not in json.dumps(record)


async def test_a_traced_run_links_its_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spans: InMemoryTraceProcessor
) -> None:
    monkeypatch.setenv("DRUSILLA_RUNS_DIR", str(tmp_path))
    reload_settings()
    result = await Runner.run(three_agents(), "hi")
    record = only_record(tmp_path)  # one record: the nested run wrote none
    root = next(s for s in spans.spans if s.parent_id is None)
    assert record["trace_id"] == root.trace_id == result.trace_id
    assert record["run_id"] == result.run_id != record["trace_id"]
    # The nested run (an agent used as a sword) shares the trace and names its parent.
    (nested,) = record["runs"]
    assert nested["parent_run_id"] == result.run_id
    assert nested["run_id"] not in (result.run_id, None)
    run_spans = [s for s in spans.spans if s.kind == "run"]
    assert {s.trace_id for s in run_spans} == {root.trace_id}
    assert {s.attributes.get("parent_run_id") for s in run_spans} == {None, result.run_id}


async def test_unusable_runs_dir_fails_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("DRUSILLA_RUNS_DIR", str(tmp_path / "file" / "runs"))
    reload_settings()
    model = ScriptedModel(["never used"])
    with pytest.raises(UserError, match="DRUSILLA_RUNS_DIR"):
        await Runner.run(Agent("a", model=model), "go")
    assert model.requests == []


def kill_a_writer_mid_write(directory: Path) -> None:
    """A process makes its temporary record file as the writer does, then is SIGKILLed."""
    code = (
        "import os, signal, tempfile; "
        f"tempfile.mkstemp(dir={str(directory)!r}, prefix=f'.r.pid{{os.getpid()}}.', "
        "suffix='.tmp'); os.kill(os.getpid(), signal.SIGKILL)"
    )
    killed = subprocess.run([sys.executable, "-c", code], check=False)
    assert killed.returncode == -signal.SIGKILL


async def test_temporary_files_of_a_killed_writer_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record writer killed mid-write leaves its temporary file; the next run in the
    directory removes it (issue 16, defect 8), and leaves a live writer's alone."""
    runs = tmp_path / "runs"
    runs.mkdir()
    kill_a_writer_mid_write(runs)
    (orphan,) = runs.glob(".*.tmp")
    live = runs / f".other.pid{os.getpid()}.x.tmp"
    live.write_text("being written")
    monkeypatch.setenv("DRUSILLA_RUNS_DIR", str(runs))
    reload_settings()
    config = RunConfig(record_run=True)
    await Runner.run(Agent("a", model=ScriptedModel(["ok"])), "hi", run_config=config)
    assert not orphan.exists()
    assert live.exists()
    assert len(list(runs.glob("*.json"))) == 1


async def test_an_unwritable_trace_directory_warns_once_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    add_trace_processor(JSONLTraceExporter(blocker / "traces"))
    await Runner.run(three_agents(), "How many people live in Paris?")
    warnings = [r.getMessage() for r in caplog.records if r.getMessage().startswith("trace.")]
    assert len(warnings) == 1, warnings
    assert "trace.write_failed" in warnings[0] and str(blocker / "traces") in warnings[0]
