"""Run records: one JSON file per root run, written atomically when the run ends.

Asked for with `RunConfig(record_run=True)` (into `DRUSILLA_RUNS_DIR`, default
`./.drusilla/runs`) or by setting `DRUSILLA_RUNS_DIR` (`record_run=False` opts a run out).
Runs nested in another (an agent used as a sword) write no file of their own: their model
calls and agents go into the root run's record, and their own records (linked by `run_id` and
`parent_run_id`) into its `runs`. The recorder watches a run through the public `RunObserver`
hook and reads its `RunState`. The file is written to a temporary name and renamed, so a reader
never sees half a record; see docs/tracing.md for the fields.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ..models.provider import resolve_model
from ..tools.orbs import as_orb
from ..tracing.describe import usage_dict
from ..tracing.jsonable import known_secrets, to_jsonable
from ..util.errors import UserError
from ..util.logging import get_logger

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..models.interface import ModelResponse
    from ..util.settings import Settings
    from .config import RunConfig
    from .state import RunState

__all__ = [
    "DEFAULT_RUNS_DIR",
    "RECORD_VERSION",
    "RecordedSetup",
    "RunObserver",
    "default_input_source",
    "run_record",
    "runs_dir_for",
]

RECORD_VERSION = 2
DEFAULT_RUNS_DIR = ".drusilla/runs"

_active: ContextVar[_Recorder | None] = ContextVar("drusilla_run_recorder", default=None)


def runs_dir_for(config: RunConfig, settings: Settings) -> Path | None:
    """Where this run's record goes, or None when no record is wanted."""
    if config.record_run is False or (config.record_run is None and not settings.runs_dir):
        return None
    return Path(settings.runs_dir or DEFAULT_RUNS_DIR).expanduser()


class RunObserver(Protocol):
    """Watches a run's model calls (the hook run records use; the loop calls every observer
    it was given, synchronously, around each model call)."""

    def model_call_started(
        self, state: RunState, agent: Agent[Any], instructions: str | None, output_mode: str | None
    ) -> None: ...

    def model_call_ended(
        self, state: RunState, agent: Agent[Any], response: ModelResponse
    ) -> None: ...


class RecordedSetup(NamedTuple):
    """What a record says about how a run was set up (besides its `RunState`)."""

    config: RunConfig
    settings: Settings
    session_id: str | None


@contextmanager
def run_record(
    state: RunState, setup: RecordedSetup, observers: list[RunObserver], nested: bool
) -> Iterator[None]:
    """Record the run of `state`: a root run writes its record on the way out, however it ends;
    a nested run adds itself to the enclosing root run's record. The recorder joins
    `observers`, the run's list of observers."""
    if nested:
        parent = _active.get()
        if parent is not None:
            observers.append(parent.watch(state, nested=True))
        yield
        return
    directory = runs_dir_for(setup.config, setup.settings)
    recorder = _Recorder(state, setup, directory) if directory is not None else None
    if recorder is not None:
        observers.append(recorder.watch(state, nested=False))
    token = _active.set(recorder)
    try:
        yield
    except BaseException as exc:
        if recorder is not None:
            recorder.write(state, exc)
        raise
    else:
        if recorder is not None:
            recorder.write(state, None)
    finally:
        _active.reset(token)


class _Recorder:
    def __init__(self, state: RunState, setup: RecordedSetup, directory: Path) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(
                f"Cannot create the run records directory {str(directory)!r} ({exc}). Set "
                "DRUSILLA_RUNS_DIR to a writable directory, or RunConfig(record_run=False)."
            ) from None
        self.directory = directory
        _remove_orphaned_temporaries(directory)
        self.setup = setup
        self.started_at = time.time()
        self.starting_agent = state.current_agent
        self.config = setup.config
        self._models: dict[int, tuple[str | None, str | None]] = {}
        self.model_calls: list[dict[str, Any]] = []
        self.agents: dict[int, Agent[Any]] = {id(state.current_agent): state.current_agent}
        self.nested: list[tuple[RunState, str]] = []
        self.output_modes: dict[str, str] = {}
        self.runs = 0
        self.path: Path | None = None

    def watch(self, state: RunState, nested: bool) -> _RunWatcher:
        """An observer for `state`'s run (the root's own, or a nested run's)."""
        self.agents.setdefault(id(state.current_agent), state.current_agent)
        if nested:
            self.nested.append((state, state.current_agent.name))
        self.runs += 1
        return _RunWatcher(self, self.runs - 1, state.run_id)

    def write(self, state: RunState, error: BaseException | None) -> None:
        """Write the record; a failure is logged, never raised over the run's own outcome."""
        try:
            record = to_jsonable(self.build(state, error), known_secrets())
            self.path = self.directory / f"{_stamp(self.started_at)}-{state.run_id}.json"
            _write_atomically(self.path, json.dumps(record, ensure_ascii=False, indent=1))
            get_logger().info("run.recorded", path=str(self.path))
        except Exception as exc:
            get_logger().error("run.record_failed", directory=str(self.directory), error=repr(exc))

    def build(self, state: RunState, error: BaseException | None) -> dict[str, Any]:
        for item in state.new_items:
            self.agents.setdefault(id(item.agent), item.agent)
        return {**self._header(state, error), **self._what_happened(state, error)}

    def _header(self, state: RunState, error: BaseException | None) -> dict[str, Any]:
        """Which run, when, how it ended, how it was set up."""
        ended_at = time.time()
        config = self.config
        return {
            "record_version": RECORD_VERSION,
            "run_id": state.run_id,
            "parent_run_id": state.parent_run_id,
            "trace_id": state.trace_id,
            "workflow_name": config.workflow_name,
            "status": _status(error, state),
            "started_at": _iso(self.started_at),
            "ended_at": _iso(ended_at),
            "duration_ms": round((ended_at - self.started_at) * 1000, 3),
            "tags": config.tags,
            "metadata": config.metadata,
            "input_source": config.input_source
            if config.input_source is not None
            else default_input_source(self.setup.settings),
            "session_id": self.setup.session_id,
            "settings": _run_settings(config, state.max_turns),
        }

    def _what_happened(self, state: RunState, error: BaseException | None) -> dict[str, Any]:
        return {
            "input": state.input,
            "final_output": state.final_output,
            "reasoning": state.model_responses[-1].reasoning if state.model_responses else None,
            "starting_agent": self.starting_agent.name,
            "last_agent": state.current_agent.name,
            "history": state.history[: state.from_session],
            "new_items": _items(state),
            "interruptions": [
                {"agent": i.agent.name, "call_id": i.call_id, "sword": i.sword_name}
                for i in state.interruptions
            ],
            "model_calls": self.model_calls,
            "usage": usage_dict(state.usage),
            "turns": state.turn,
            "models": _unique([(c["model"], c["provider"]) for c in self.model_calls]),
            "output_modes": self.output_modes,
            "agents": [self._describe_agent(agent, state) for agent in self.agents.values()],
            "shields": {
                "input": [_shield(r.shield.name, r.output) for r in state.input_shield_results],
                "output": [_shield(r.shield.name, r.output) for r in state.output_shield_results],
            },
            "runs": [_nested_record(nested, name) for nested, name in self.nested],
            "error": None
            if error is None
            else {"type": type(error).__name__, "message": str(error)},
        }

    def _describe_agent(self, agent: Agent[Any], state: RunState) -> dict[str, Any]:
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
            "settings": self.config.settings_for(agent, self.setup.settings).to_dict(),
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


class _RunWatcher:
    """One run's observer, writing into the root run's recorder."""

    def __init__(self, recorder: _Recorder, index: int, run_id: str) -> None:
        self.recorder = recorder
        self.index = index
        self.run_id = run_id

    def model_call_started(
        self, state: RunState, agent: Agent[Any], instructions: str | None, output_mode: str | None
    ) -> None:
        recorder = self.recorder
        recorder.agents.setdefault(id(agent), agent)
        if output_mode is not None:
            recorder.output_modes[agent.name] = output_mode
        recorder.model_calls.append(
            {
                "run": self.index,
                "run_id": self.run_id,
                "agent": agent.name,
                "model": None,
                "provider": None,
                "started_at": _iso(time.time()),
                "duration_ms": None,
                "instructions": instructions,
                "_started": time.perf_counter(),
            }
        )

    def model_call_ended(self, state: RunState, agent: Agent[Any], response: ModelResponse) -> None:
        calls = self.recorder.model_calls
        call = next(
            (c for c in reversed(calls) if c["run_id"] == self.run_id and "_started" in c), None
        )
        if call is None:
            return
        started = call.pop("_started")
        model, provider = self.recorder.model_of(agent)
        call.update(
            model=model,
            provider=provider,
            response_model=response.model,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            response_id=response.response_id,
            finish_reason=response.finish_reason,
            usage=usage_dict(response.usage),
        )


def _items(state: RunState) -> list[dict[str, Any]]:
    return [
        {"agent": item.agent.name, "type": item.type, "item": item.to_input_item()}
        for item in state.new_items
    ]


def _nested_record(state: RunState, starting_agent: str) -> dict[str, Any]:
    """A nested run's own record inside its root's (linked by run_id / parent_run_id)."""
    return {
        "run_id": state.run_id,
        "parent_run_id": state.parent_run_id,
        "status": state.status,
        "starting_agent": starting_agent,
        "last_agent": state.current_agent.name,
        "input": state.input,
        "final_output": state.final_output,
        "new_items": _items(state),
        "usage": usage_dict(state.usage),
        "turns": state.turn,
    }


# --- helpers ------------------------------------------------------------------------------------


def default_input_source(settings: Settings) -> dict[str, Any]:
    """Who supplied the input when the run does not say (`RunConfig.input_source`): a person,
    `created_by` DRUSILLA_USER, else the OS user — Kiln's default source."""
    return {"type": "human", "properties": {"created_by": settings.user or _os_user()}}


def _os_user() -> str | None:
    import getpass  # with the first record written, not with `import drusilla`

    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment nor the password database (containers)
        return None


def _run_settings(config: RunConfig, max_turns: int) -> dict[str, Any]:
    model: Any = config.model
    if isinstance(model, list):  # a fallback list: the names, in order
        model = [m if isinstance(m, str) else m.model_name for m in model]
    elif model is not None and not isinstance(model, str):
        model = model.model_name
    return {
        "max_turns": max_turns,
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


def _status(error: BaseException | None, state: RunState) -> str:
    if error is None:
        return "awaiting_approval" if state.status == "interrupted" else "completed"
    import asyncio

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
    import tempfile  # loads with the first record written, not with `import drusilla`

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
