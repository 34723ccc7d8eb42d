"""Worker threads for sync swords: at most `size` calls running at once, overdue ones aside.

A sync function cannot be interrupted: when its await is cancelled (the sword's timeout, the
run's timeout, a cancelled run), the thread runs on until the function returns. Such an
*overdue* call gives its slot back at once, so it never holds up other swords or runs; the pool
starts another thread for the next call and logs a warning naming the sword. Threads are
reused; idle ones are kept.
"""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .logging import get_logger

if TYPE_CHECKING:
    import asyncio
    from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["SWORD_THREADS", "WorkerThreads", "sword_threads"]

SWORD_THREADS = 40
"""Sync sword calls running at once, process-wide (overdue calls not counted)."""
_MAX_THREADS = 10_000
"""A backstop on threads, overdue ones included."""


class WorkerThreads:
    """Runs sync callables in threads, `size` at a time, for any event loop of the process."""

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._executor: ThreadPoolExecutor | None = None  # made with the first call
        self._lock = threading.Lock()
        self._running = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        self.overdue = 0
        """Calls whose caller stopped waiting but whose thread still runs them."""

    async def run(self, call: Callable[[], Any], what: str) -> Any:
        """`call()` in a worker thread with the caller's contextvars; `what` names it in the
        overdue warning."""
        import asyncio

        await self._take_slot()
        context = contextvars.copy_context()
        try:
            work = self._pool().submit(context.run, call)
            try:
                return await asyncio.wrap_future(work)
            except asyncio.CancelledError:
                if not work.done():  # running: the thread cannot be stopped
                    self._mark_overdue(work, what)
                raise
        finally:
            self._give_slot()

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor  # loaded by the first sync sword

            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(_MAX_THREADS, thread_name_prefix=self._name)
        return self._executor

    async def _take_slot(self) -> None:
        with self._lock:
            if self._running < self._size:
                self._running += 1
                return
            import asyncio

            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
        try:
            await waiter  # _give_slot hands a slot over by resolving it
        except asyncio.CancelledError:
            with self._lock:
                handed = waiter.done() and not waiter.cancelled()
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
            if handed:
                self._give_slot()
            raise

    def _give_slot(self) -> None:
        with self._lock:
            while self._waiting:
                waiter = self._waiting.popleft()
                if not waiter.get_loop().is_closed():
                    waiter.get_loop().call_soon_threadsafe(self._hand_over, waiter)
                    return
            self._running -= 1

    def _hand_over(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_result(None)
        else:  # cancelled meanwhile, so its owner took no slot: pass it on
            self._give_slot()

    def _mark_overdue(self, work: Future[Any], what: str) -> None:
        with self._lock:
            self.overdue += 1
            overdue = self.overdue
        get_logger().warning(
            "sword.overdue",
            sword=what,
            overdue_threads=overdue,
            note="a sync sword outlived its caller; its thread runs on until it returns, "
            "outside the pool of running calls",
        )
        work.add_done_callback(self._overdue_done)

    def _overdue_done(self, _work: Future[Any]) -> None:
        with self._lock:
            self.overdue -= 1


sword_threads = WorkerThreads(SWORD_THREADS, "drusilla-sword")
"""The process's pool for sync swords."""
