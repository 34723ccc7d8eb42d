"""Run records: one JSON file per root run, written atomically when the run ends.

Asked for with `RunConfig(record_run=True)` (into `DRUSILLA_RUNS_DIR`, default
`./.drusilla/runs`) or by setting `DRUSILLA_RUNS_DIR` (`record_run=False` opts a run out).
Runs nested in another (an agent used as a sword) write no record of their own: their model
calls and agents go into the root run's record. The file is written to a temporary name and
renamed, so a reader never sees half a record; see docs/tracing.md for the fields.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models.provider import resolve_model
from ..tools.charms import RunCharms
from ..tools.orbs import as_orb
from ..util.errors import UserError
from ..util.logging import get_logger
from .describe import usage_dict
from .jsonable import known_secrets, to_jsonable
from .spans import current_span, new_trace_id

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..models.interface import ModelResponse
    from ..models.items import InputItem
    from ..runners.config import RunConfig
    from ..runners.context import RunContextWrapper
    from ..runners.run import _Run
    from ..tools.swords import Sword
    from ..util.settings import Settings

RECORD_VERSION = 1
DEFAULT_RUNS_DIR = ".drusilla/runs"

_active: ContextVar[_Recorder | None] = ContextVar("drusilla_run_recorder", default=None)


def runs_dir_for(config: RunConfig, settings: Settings) -> Path | None:
    """Where this run's record goes, or None when no record is wanted."""
    if config.record_run is False or (config.record_run is None and not settings.runs_dir):
        return None
    return Path(settings.runs_dir or DEFAULT_RUNS_DIR).expanduser()


@contextmanager
def run_record(run: _Run, nested: bool) -> Iterator[None]:
    """Record `run`: a root run writes its record on the way out, however it ends; a nested run
    adds its model calls and agents to the enclosing root run's record."""
    if nested:
        parent = _active.get()
        if parent is not None:
            parent.watch(run)
        yield
        return
    directory = runs_dir_for(run.config, run.settings)
    recorder = _Recorder(run, directory) if directory is not None else None
    token = _active.set(recorder)
    try:
        yield
    except BaseException as exc:
        if recorder is not None:
            recorder.write(run, exc)
        raise
    else:
        if recorder is not None:
            recorder.write(run, None)
    finally:
        _active.reset(token)


class _Recorder:
    def __init__(self, run: _Run, directory: Path) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(
                f"Cannot create the run records directory {str(directory)!r} ({exc}). Set "
                "DRUSILLA_RUNS_DIR to a writable directory, or RunConfig(record_run=False)."
            ) from None
        self.directory = directory
        _remove_orphaned_temporaries(directory)
        self.started_at = time.time()
        traced = current_span()
        self.trace_id = traced.trace_id if traced is not None and traced.recording else None
        self.run_id = self.trace_id or new_trace_id()
        self.starting_agent = run.agent
        self.config = run.config
        self._models: dict[int, tuple[str | None, str | None]] = {}
        self.model_calls: list[dict[str, Any]] = []
        self.agents: dict[int, Agent[Any]] = {id(run.agent): run.agent}
        self.runs = 0
        self.path: Path | None = None
        self.watch(run)

    def watch(self, run: _Run) -> None:
        """See `run`'s model calls (the root's own, or a nested run's)."""
        run.charms = _RecordingCharms(self, self.runs, run.charms)
        self.agents.setdefault(id(run.agent), run.agent)
        self.runs += 1

    def write(self, run: _Run, error: BaseException | None) -> None:
        """Write the record; a failure is logged, never raised over the run's own outcome."""
        try:
            record = to_jsonable(self.build(run, error), known_secrets())
            self.path = self.directory / f"{_stamp(self.started_at)}-{self.run_id}.json"
            _write_atomically(self.path, json.dumps(record, ensure_ascii=False, indent=1))
            get_logger().info("run.recorded", path=str(self.path))
        except Exception as exc:
            get_logger().error("run.record_failed", directory=str(self.directory), error=repr(exc))

    def build(self, run: _Run, error: BaseException | None) -> dict[str, Any]:
        ended_at = time.time()
        for item in run.new_items:
            self.agents.setdefault(id(item.agent), item.agent)
        from_session = max(len(run.history) - len(run.input_items), 0)
        return {
            "record_version": RECORD_VERSION,
            "run_id": self.run_id,
            "trace_id": self.trace_id,
            "workflow_name": run.config.workflow_name,
            "status": _status(error),
            "started_at": _iso(self.started_at),
            "ended_at": _iso(ended_at),
            "duration_ms": round((ended_at - self.started_at) * 1000, 3),
            "tags": run.config.tags,
            "metadata": run.config.metadata,
            "session_id": getattr(run.session, "session_id", None),
            "input": run.input,
            "final_output": run.final_output,
            "reasoning": run.model_responses[-1].reasoning if run.model_responses else None,
            "starting_agent": self.starting_agent.name,
            "last_agent": run.agent.name,
            "history": run.history[:from_session],
            "new_items": [
                {"agent": item.agent.name, "type": item.type, "item": item.to_input_item()}
                for item in run.new_items
            ],
            "model_calls": self.model_calls,
            "usage": usage_dict(run.ctx.usage),
            "turns": run.turn,
            "models": _unique([(c["model"], c["provider"]) for c in self.model_calls]),
            "agents": [self._describe_agent(agent, run) for agent in self.agents.values()],
            "settings": _run_settings(run),
            "shields": {
                "input": [_shield(r.shield.name, r.output) for r in run.input_shield_results],
                "output": [_shield(r.shield.name, r.output) for r in run.output_shield_results],
            },
            "error": None
            if error is None
            else {"type": type(error).__name__, "message": str(error)},
        }

    def _describe_agent(self, agent: Agent[Any], run: _Run) -> dict[str, Any]:
        model, provider = self.model_of(agent)
        instructions = next(
            (c["instructions"] for c in reversed(self.model_calls) if c["agent"] == agent.name),
            None,
        )
        return {
            "name": agent.name,
            "model": model,
            "provider": provider,
            "instructions": instructions,
            "settings": run.config.settings_for(agent, run.settings).to_dict(),
            "swords": [sword.name for sword in agent.swords],
            "orbs": [as_orb(target).agent.name for target in agent.orbs],
            "output_type": agent.output_schema.name if agent.output_schema else None,
        }

    def model_of(self, agent: Agent[Any]) -> tuple[str | None, str | None]:
        """The name and provider of the model the agent runs on (resolved once per agent)."""
        known = self._models.get(id(agent))
        if known is None:
            try:
                model = resolve_model(agent.model, self.config)
                known = (model.model_name, model.provider_name)
            except Exception:  # unresolvable: the run itself reports that
                known = (agent.model if isinstance(agent.model, str) else None, None)
            self._models[id(agent)] = known
        return known

    # --- model calls, seen through the run's charms ----------------------------------------

    def llm_start(self, run_index: int, agent: Agent[Any], instructions: str | None) -> None:
        self.agents.setdefault(id(agent), agent)
        self.model_calls.append(
            {
                "run": run_index,
                "agent": agent.name,
                "model": None,
                "provider": None,
                "started_at": _iso(time.time()),
                "duration_ms": None,
                "instructions": instructions,
                "_started": time.perf_counter(),
            }
        )

    def llm_end(self, run_index: int, agent: Agent[Any], response: ModelResponse) -> None:
        call = next(
            (c for c in reversed(self.model_calls) if c["run"] == run_index and "_started" in c),
            None,
        )
        if call is None:
            return
        started = call.pop("_started")
        model, provider = self.model_of(agent)
        call.update(
            model=model,
            provider=provider,
            response_model=response.model,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            response_id=response.response_id,
            finish_reason=response.finish_reason,
            usage=usage_dict(response.usage),
        )


class _RecordingCharms(RunCharms[Any]):
    """The run's charms, seen through by the recorder (model calls and their timing)."""

    def __init__(self, recorder: _Recorder, run_index: int, inner: RunCharms[Any] | None) -> None:
        self.recorder = recorder
        self.run_index = run_index
        self.inner = inner

    async def on_llm_start(
        self,
        ctx: RunContextWrapper[Any],
        agent: Agent[Any],
        system_prompt: str | None,
        items: list[InputItem],
    ) -> None:
        self.recorder.llm_start(self.run_index, agent, system_prompt)
        if self.inner is not None:
            await self.inner.on_llm_start(ctx, agent, system_prompt, items)

    async def on_llm_end(
        self, ctx: RunContextWrapper[Any], agent: Agent[Any], response: ModelResponse
    ) -> None:
        self.recorder.llm_end(self.run_index, agent, response)
        if self.inner is not None:
            await self.inner.on_llm_end(ctx, agent, response)

    async def on_agent_start(self, ctx: RunContextWrapper[Any], agent: Agent[Any]) -> None:
        if self.inner is not None:
            await self.inner.on_agent_start(ctx, agent)

    async def on_agent_end(
        self, ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any
    ) -> None:
        if self.inner is not None:
            await self.inner.on_agent_end(ctx, agent, output)

    async def on_orb(
        self, ctx: RunContextWrapper[Any], from_agent: Agent[Any], to_agent: Agent[Any]
    ) -> None:
        self.recorder.agents.setdefault(id(to_agent), to_agent)
        if self.inner is not None:
            await self.inner.on_orb(ctx, from_agent, to_agent)

    async def on_sword_start(
        self, ctx: RunContextWrapper[Any], agent: Agent[Any], sword: Sword
    ) -> None:
        if self.inner is not None:
            await self.inner.on_sword_start(ctx, agent, sword)

    async def on_sword_end(
        self, ctx: RunContextWrapper[Any], agent: Agent[Any], sword: Sword, result: Any
    ) -> None:
        if self.inner is not None:
            await self.inner.on_sword_end(ctx, agent, sword, result)


# --- helpers ------------------------------------------------------------------------------------


def _run_settings(run: _Run) -> dict[str, Any]:
    config = run.config
    model = config.model if isinstance(config.model, str | None) else config.model.model_name
    return {
        "max_turns": run.max_turns,
        "model": model,
        "model_settings": config.model_settings.to_dict() if config.model_settings else None,
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
        "top_p": config.top_p,
        "sword_choice": config.sword_choice,
        "parallel_sword_calls": config.parallel_sword_calls,
        "tracing": config.tracing,
        "trace_include_data": config.trace_include_data,
    }


def _shield(name: str, output: Any) -> dict[str, Any]:
    return {
        "name": name,
        "tripped": output.tripped,
        "message": output.message,
    }


def _unique(pairs: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, Any], None] = dict.fromkeys(pairs)
    return [{"model": model, "provider": provider} for model, provider in seen]


def _status(error: BaseException | None) -> str:
    if error is None:
        return "completed"
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    return "failed" if isinstance(error, Exception) else "interrupted"


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp)) + (
        f".{int(timestamp % 1 * 1000):03d}Z"
    )


def _stamp(timestamp: float) -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(timestamp))


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place.
    The temporary file's name carries the writer's pid, so one left by a killed process can be
    told from one being written (`_remove_orphaned_temporaries`)."""
    prefix = f".{path.stem}.pid{os.getpid()}."
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _remove_orphaned_temporaries(directory: Path) -> None:
    """Delete temporary record files whose writer no longer runs (a `kill -9` mid-write)."""
    for temporary in directory.glob(".*.pid*.tmp"):
        pid = temporary.name.rsplit(".pid", 1)[-1].split(".", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            temporary.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but is not ours to signal
        return True
    return True
