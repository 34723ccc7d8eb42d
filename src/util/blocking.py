"""Blocking entry points (`Runner.run_sync`): run a coroutine to completion from sync code on
an event loop that outlives the call.

`asyncio.run` per call would make a new loop each time, and with it new HTTP clients and
connections (the client pool keys clients by loop): every call would pay a client build and a
TCP (TLS) setup. Instead each thread keeps one `asyncio.Runner` for its blocking calls, and
code already inside a running loop (a notebook) hands its calls to one background loop thread.
Both loops live as long as their thread; the main thread's is closed at exit, which closes its
pooled clients.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["on_background_loop", "run_blocking"]

T = TypeVar("T")

_lock = threading.Lock()
_local = threading.local()
_background: asyncio.AbstractEventLoop | None = None
_background_pid: int | None = None


def run_blocking(job: Callable[[], Awaitable[T]]) -> T:
    """`await job()` from sync code, on this thread's own loop, or on the background loop when
    the thread already runs one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _thread_runner().run(_as_coroutine(job))
    return _on_background_loop(job)


def on_background_loop() -> bool:
    """Whether the caller runs on the background loop (a blocking call there would deadlock)."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        return False
    return running is _background


async def _as_coroutine(job: Callable[[], Awaitable[T]]) -> T:
    return await job()


def _thread_runner() -> asyncio.Runner:
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


def _background_loop() -> asyncio.AbstractEventLoop:
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

    future = asyncio.run_coroutine_threadsafe(call(), _background_loop())
    try:
        return future.result()
    except KeyboardInterrupt:
        future.cancel()
        finished.wait()
        raise
