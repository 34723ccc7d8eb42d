"""The trace writer thread: span lines reach their files off the runs' threads.

An exporter queues a span when it ends; the first span since the thread last took its queue
asks the thread to write, `WRITE_DELAY` later, the lines of every span queued by then (made
then, a batch at a time: tracing/lines.py), in one system call per file. A turn's thread
never waits for a disk nor wakes this thread more than once in `WRITE_DELAY`. One daemon
thread serves every exporter of the process, started with the first request (and again in a
forked child, which does not inherit threads).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Iterable
from typing import Protocol

__all__ = ["WRITE_DELAY", "Chunk", "Queued", "request_write", "write_lines"]

Chunk = bytes | memoryview
"""A piece of a span line: a long input's joined items are spliced in uncopied."""


class Queued(Protocol):
    """What the thread writes for: an exporter holding queued lines."""

    def write_queued(self) -> None: ...


class _WriterThread:
    __slots__ = ("_lock", "_requests", "_thread")

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[Queued] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def request(self, owner: Queued) -> None:
        if self._thread is None:
            self._start()
        self._requests.put(owner)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="drusilla-trace-writer")
                thread.daemon = True  # the exit flush (atexit) writes what is left
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while True:
            owners = [self._requests.get()]
            time.sleep(WRITE_DELAY)  # this thread's own pace: what ends meanwhile goes along
            with contextlib.suppress(queue.Empty):
                while True:
                    owners.append(self._requests.get_nowait())
            for owner in owners:
                # An unwritable file is the exporter's to report; this thread must live on.
                with contextlib.suppress(Exception):
                    owner.write_queued()


WRITE_DELAY = 0.05
"""Seconds from a queue's first line to its write: what a `kill -9` can lose is the spans that
ended in about the last `WRITE_DELAY`."""

_writer = _WriterThread()


def request_write(owner: Queued) -> None:
    """Have the writer thread call `owner.write_queued()`, `WRITE_DELAY` from now."""
    _writer.request(owner)


def _after_fork() -> None:
    global _writer
    _writer = _WriterThread()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


_IOV_MAX = 512
"""Buffers per `writev` (POSIX guarantees at least 16; Linux takes 1024)."""


def write_lines(fd: int, lines: Iterable[list[Chunk]]) -> int:
    """Append `lines` (each a list of byte chunks ending with a newline) to `fd`, whole lines
    to each system call, so a crash or another process appending to the file can at worst cut
    the last line, never one in the middle. Returns the bytes written."""
    batch: list[Chunk] = []
    written = 0
    for line in lines:
        if batch and len(batch) + len(line) > _IOV_MAX:
            written += _write_whole(fd, batch)
            batch = []
        batch.extend(line)
    if batch:
        written += _write_whole(fd, batch)
    return written


_LARGE = 1 << 16
"""A batch holding a chunk this large (a long history's joined items) is written chunk by
chunk (`writev`), not copied into one buffer first."""


def _write_whole(fd: int, chunks: list[Chunk]) -> int:
    if not hasattr(os, "writev") or max(map(len, chunks)) < _LARGE:
        # one buffer: a buffer costs the kernel more than copying a few hundred bytes (Windows
        # has no writev)
        chunks = [b"".join(chunks)]
    written = os.writev(fd, chunks) if len(chunks) > 1 else os.write(fd, chunks[0])
    whole = sum(map(len, chunks)) if len(chunks) > 1 else len(chunks[0])
    if written < whole:  # a short write (a full disk, a signal): the remainder, in order
        view = memoryview(b"".join(chunks))[written:]
        while view:
            view = view[os.write(fd, view) :]
    return whole
