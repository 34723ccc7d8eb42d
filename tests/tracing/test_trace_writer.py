"""The JSONL exporter's writes, counted (never timed): none on a turn's path — the trace writer
thread writes what ended, in batches — one on the run's thread when the run ends, so the file
is whole when the run returns, the rest at the interpreter's exit, and a full queue by the
thread that fills it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from drusilla import Agent, Runner, sword
from drusilla.testing import ScriptedModel, call
from drusilla.tracing import JSONLTraceExporter, add_trace_processor, read_spans

TURNS = 6


class WriteLog:
    """Every `os.write` / `os.writev` of the process: which thread, to which file (inode)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, int]] = []
        for name in ("write", "writev"):
            monkeypatch.setattr(os, name, self._spy(getattr(os, name)))

    def _spy(self, real: Any) -> Any:
        def spied(fd: int, data: Any) -> int:
            self.calls.append((threading.current_thread().name, os.fstat(fd).st_ino))
            return int(real(fd, data))

        return spied

    def to(self, path: Path) -> list[str]:
        """The threads that wrote to `path`, one entry per system call."""
        inode = path.stat().st_ino
        return [thread for thread, written in self.calls if written == inode]


async def test_no_trace_write_on_a_turns_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "trace.jsonl"
    add_trace_processor(JSONLTraceExporter(target))
    writes = WriteLog(monkeypatch)
    run_thread = threading.current_thread().name

    @sword
    async def wait_for_the_writer(n: int) -> str:
        """Wait until the writer thread has written the model span that asked for this call
        (the run's thread writes nothing until the run ends)."""
        # Another thread writes the file: there is no event to wait on, only its lines.
        while not target.exists() or target.read_text().count('"kind":"model"') <= n:  # noqa: ASYNC110
            await anyio.sleep(0.005)
        return "seen"

    steps: list[Any] = [call("wait_for_the_writer", n=n) for n in range(TURNS - 1)] + ["done"]
    agent = Agent("a", model=ScriptedModel(steps), swords=[wait_for_the_writer])
    result = await Runner.run(agent, "go")

    assert result.final_output == "done"
    threads = writes.to(target)
    assert threads.count(run_thread) == 1  # the run's end: what was still queued, and the run
    assert threads[-1] == run_thread
    assert set(threads) == {run_thread, "drusilla-trace-writer"}
    spans, skipped = read_spans(target)
    assert skipped == 0
    assert len(threads) < len(spans)  # batched: fewer writes than lines
    assert [s["kind"] for s in spans].count("model") == TURNS


EXITING_WITH_SPANS_QUEUED = """
    import sys
    from drusilla.tracing import JSONLTraceExporter, add_trace_processor, span

    add_trace_processor(JSONLTraceExporter(sys.argv[1]))
    outer = span("run", "never closed")
    outer.__enter__()
    for n in range(200):
        with span("sword", f"step {n}"):
            pass
    sys.exit(0)  # at once: the writer thread writes a moment after the first span ended
"""


def test_an_ordinary_exit_writes_every_queued_span(tmp_path: Path) -> None:
    target = tmp_path / "trace.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(EXITING_WITH_SPANS_QUEUED), str(target)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    spans, skipped = read_spans(target)
    assert skipped == 0
    assert [s["name"] for s in spans] == [f"step {n}" for n in range(200)]


def test_a_full_queue_is_written_by_the_thread_that_fills_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drusilla.tracing import span

    target = tmp_path / "trace.jsonl"
    exporter = JSONLTraceExporter(target, batch_bytes=2_000)
    add_trace_processor(exporter)
    writes = WriteLog(monkeypatch)
    with span("run", "outer"):
        for n in range(100):
            with span("sword", f"step {n}"):
                pass
        written_in_the_run = len(read_spans(target)[0])
        # The queue never holds more than a bound: the spans' own thread wrote it down.
        assert written_in_the_run >= 100 - 2_000 // 150
    assert set(writes.to(target)) == {threading.current_thread().name}
    assert len(read_spans(target)[0]) == 101
