"""Blocking entry points (`Runner.run_sync`): run a coroutine to completion from sync code on
an event loop that outlives the call.

`asyncio.run` per call would make a new loop each time, and with it new HTTP clients and
connections (the client pool keys clients by loop): every call would pay a client build and a
TCP (TLS) setup. Instead each thread keeps one `asyncio.Runner` for its blocking calls, and
code already inside a running loop (a notebook) hands its calls to one background loop thread.
Both loops live as long as their thread; the main thread's is closed at exit, which closes its
pooled clients.

A call on the thread's loop is `asyncio.Runner.run` without its cost: Runner installs and
restores a SIGINT handler through `signal.signal`, whose conversion of handlers to enums formats
the repr of the task (and so of the run's result) on every call — more than a whole in-process
run. Here the handler is installed through the C-level `_signal` functions, with the same
behaviour: the first Ctrl-C cancels the run and raises KeyboardInterrupt once it has wound down,
a second one raises at once.
"""

from __future__ import annotations

import atexit
import importlib
import os
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio


def _c_signal() -> Any:
    """The C functions behind `signal`, without its enum conversions (see above)."""
    try:
        return importlib.import_module("_signal")
    except ImportError:  # pragma: no cover - an interpreter without it
        return signal


_raw_signal = _c_signal()

__all__ = ["on_background_loop", "run_blocking"]

T = TypeVar("T")

_lock = threading.Lock()
_local = threading.local()
_background: asyncio.AbstractEventLoop | None = None
_background_pid: int | None = None


def run_blocking(job: Callable[[], Awaitable[T]]) -> T:
    """`await job()` from sync code, on this thread's own loop, or on the background loop when
    the thread already runs one."""
    import asyncio  # loaded by the first blocking call, not with `import drusilla`

    if asyncio._get_running_loop() is None:  # no exception raised and caught, as get_running_loop
        return _run_here(_thread_runner().get_loop(), job)
    return _on_background_loop(job)


def on_background_loop() -> bool:
    """Whether the caller runs on the background loop (a blocking call there would deadlock)."""
    import asyncio

    running = asyncio._get_running_loop()
    return running is not None and running is _background


def _thread_runner() -> asyncio.Runner:
    import asyncio

    runner: asyncio.Runner | None = getattr(_local, "runner", None)
    if (
        runner is None
        or getattr(_local, "pid", None) != os.getpid()
        or runner.get_loop().is_closed()  # closed by someone else (a test harness)
    ):
        runner = _local.runner = asyncio.Runner()
        _local.pid = os.getpid()
        if threading.current_thread() is threading.main_thread():
            atexit.register(runner.close)
    return runner


def _run_here(loop: asyncio.AbstractEventLoop, job: Callable[[], Awaitable[T]]) -> T:
    import asyncio

    task = loop.create_task(_stopping_when_done(loop, job))
    task.add_done_callback(_stop_loop)  # a job cancelled before it started stops the loop here
    interrupt = _Interrupt.install(loop, task)
    try:
        while not task.done():  # something else stopped the loop: go on
            loop.run_forever()
        return task.result()
    except asyncio.CancelledError:
        if interrupt is not None and interrupt.count and task.uncancel() == 0:
            raise KeyboardInterrupt() from None
        raise
    finally:
        if interrupt is not None:
            interrupt.remove()


async def _stopping_when_done(
    loop: asyncio.AbstractEventLoop, job: Callable[[], Awaitable[T]]
) -> T:
    """`await job()`, then stop the loop in the same iteration: `run_until_complete` stops it
    from a done callback, one more turn of the loop (a select call) per blocking call."""
    import asyncio

    try:
        return await job()
    finally:
        task = asyncio.current_task()
        if task is not None:
            task.remove_done_callback(_stop_loop)
        loop.stop()


def _stop_loop(task: asyncio.Task[Any]) -> None:
    task.get_loop().stop()


class _Interrupt:
    """Ctrl-C during a blocking call on the main thread: cancel the call, as asyncio.Runner."""

    __slots__ = ("count", "loop", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
        self.loop, self.task, self.count = loop, task, 0

    @classmethod
    def install(cls, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> _Interrupt | None:
        """Only over Python's default handler, only where signals can be handled."""
        if threading.current_thread() is not threading.main_thread():
            return None
        if _raw_signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return None
        handler = cls(loop, task)
        try:
            _raw_signal.signal(signal.SIGINT, handler)
        except ValueError:  # an embedded interpreter without signals
            return None
        return handler

    def remove(self) -> None:
        if _raw_signal.getsignal(signal.SIGINT) is self:
            _raw_signal.signal(signal.SIGINT, signal.default_int_handler)

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.count == 1 and not self.task.done():
            self.task.cancel()
            self.loop.call_soon_threadsafe(lambda: None)  # wake a select() with a long timeout
            return
        raise KeyboardInterrupt()


def _background_loop() -> asyncio.AbstractEventLoop:
    import asyncio

    global _background, _background_pid
    with _lock:
        if _background is None or _background_pid != os.getpid():
            _background = asyncio.new_event_loop()
            _background_pid = os.getpid()
            threading.Thread(
                target=_serve, args=(_background,), name="drusilla-loop", daemon=True
            ).start()
        return _background


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    import asyncio

    asyncio.set_event_loop(loop)
    loop.run_forever()


def _on_background_loop(job: Callable[[], Awaitable[T]]) -> T:
    """Ctrl-C while waiting cancels the job and waits for it to wind down."""
    finished = threading.Event()

    async def call() -> T:
        try:
            return await job()
        finally:
            finished.set()

    import asyncio

    future = asyncio.run_coroutine_threadsafe(call(), _background_loop())
    try:
        return future.result()
    except KeyboardInterrupt:
        future.cancel()
        finished.wait()
        raise
