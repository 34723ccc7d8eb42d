"""Built-in trace processors: in memory, and JSON Lines files on the local disk.

Nothing is uploaded anywhere by default: spans only leave the process through processors the
user registers, or the JSONL exporter that `DRUSILLA_TRACE_DIR` switches on.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from ..util.errors import UserError
from ..util.logging import get_logger
from ..util.masking import secrets_generation
from .background import Chunk, request_write, write_lines
from .item_texts import LONG, shared_count
from .jsonable import known_secrets
from .lines import Ended, encode_lines, ended
from .spans import (
    Span,
    TraceProcessor,
    add_trace_processor,
    remove_trace_processor,
    trace_processors,
    trace_started_at,
)

__all__ = [
    "InMemoryTraceProcessor",
    "JSONLTraceExporter",
    "configure_from_settings",
    "format_tree",
    "read_spans",
]


class InMemoryTraceProcessor:
    """Keeps every finished span (and the ones still open) in memory: for tests and notebooks."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        """Finished spans, in the order they ended."""
        self.open_spans: dict[str, Span] = {}
        self._start_order: dict[str, int] = {}
        self._lock = threading.Lock()

    def on_span_start(self, span: Span) -> None:
        with self._lock:
            self.open_spans[span.span_id] = span
            self._start_order[span.span_id] = len(self._start_order)

    def on_span_end(self, span: Span) -> None:
        with self._lock:
            self.open_spans.pop(span.span_id, None)
            self.spans.append(span)

    def clear(self) -> None:
        with self._lock:
            self.spans.clear()
            self.open_spans.clear()
            self._start_order.clear()

    def traces(self) -> dict[str, list[Span]]:
        """Finished spans by trace id, each trace's spans in the order they started."""
        grouped: dict[str, list[Span]] = {}
        order = self._start_order
        for span in sorted(self.spans, key=lambda s: order.get(s.span_id, len(order))):
            grouped.setdefault(span.trace_id, []).append(span)
        return grouped

    def tree(self, trace_id: str | None = None) -> str:
        """An indented outline of one trace (the latest by default): `kind name` per span."""
        traces = self.traces()
        if not traces:
            return ""
        spans = traces[trace_id] if trace_id is not None else list(traces.values())[-1]
        return format_tree(spans)


def format_tree(spans: list[Span]) -> str:
    """`kind name` per span, children indented under their parent, siblings in start order."""
    ids = {span.span_id for span in spans}
    children: dict[str | None, list[Span]] = {}
    for span in sorted(spans, key=lambda s: s.started_at):
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for child in children.get(parent, []):
            label = (
                child.name if child.name.startswith(child.kind) else f"{child.kind} {child.name}"
            )
            lines.append(f"{'  ' * depth}{label}")
            walk(child.span_id, depth + 1)

    walk(None, 0)
    return "\n".join(lines)


class JSONLTraceExporter:
    """Writes each span, when it ends, as one JSON line.

    `path` is a directory (one file per trace, named `<start time>-<trace id>.jsonl`) or a
    file ending in `.jsonl` (every trace appended to it). When a span ends, a copy of it is
    queued (`lines.Ended`); the trace writer thread (tracing/background.py) writes the queue a
    moment (`WRITE_DELAY`) after its first span, with whatever has ended by then, making the
    lines of the batch then (`lines.encode_lines`: one encoder call, one screen for secrets),
    so a turn's thread neither encodes nor waits for the disk. When a root span (a run) ends,
    its thread writes what is queued itself, so the file is whole when the run returns; so do
    `flush()`, `close()` and the interpreter's exit, and a span that finds about `batch_bytes`
    queued (the queue's bound, reckoned at the mean size of the lines written so far). A file
    stays open while its trace runs (a directory's file is closed when its root span ends).
    Writes are appends of whole lines, so a crash can at worst leave the last line of a file
    unfinished — never a garbled line in the middle; readers (`drusilla trace view`) skip it.
    In one file, a later trace's first model call that starts with a long history an earlier
    trace wrote links to it rather than writing it again (`_Anchors`).
    """

    def __init__(self, path: str | os.PathLike[str], *, batch_bytes: int = 1 << 20) -> None:
        self.path = Path(path).expanduser()
        self.batch_bytes = batch_bytes
        self._single_file = self.path.suffix == ".jsonl"
        self._ready_dirs: set[Path] = set()
        self._unwritable = False
        """Set when the directory refused a write: warned once, spans dropped from then on."""
        self._trace_files: dict[str, Path] = {}
        self._trace_secrets: dict[str, tuple[int, tuple[str, ...]]] = {}
        self._queue = _SpanQueue()
        self._queue_limit = max(1, batch_bytes // 256)
        """Spans queued at most: `batch_bytes` at the mean size of the lines written so far."""
        self._written = (0, 0)
        """Lines and bytes written so far (what `_queue_limit` is reckoned from)."""
        self._files: dict[Path, int] = {}
        self._sizes: dict[Path, int] = {}
        """Each open file's size when this exporter opened it, plus what it wrote since: a file
        found smaller was cut (a rotation)."""
        self._anchors = _Anchors()
        self._write_lock = threading.Lock()
        """Held while writing: the files, and the order in which batches reach them."""
        _live_exporters.add(self)

    def on_span_start(self, span: Span) -> None:
        if span.parent_id is None:
            self._trace_secrets[span.trace_id] = (secrets_generation(), known_secrets())

    def on_span_end(self, span: Span) -> None:
        if self._unwritable:
            return
        root = span.parent_id is None
        target = self.path if self._single_file else self.file_for(span.trace_id)
        base = None
        anchor = False
        if type(span.attributes.get("input")) is list:  # a model call, or a run
            base, anchor = self._anchors.base_for(target, span)
            if base is not None and self._cut(target):
                self._anchors.forget(target)
                base, anchor = None, True
        entry = ended(target, span, self._secrets_for(span.trace_id, root), base)
        asks, queued = self._queue.put(entry)
        if anchor:
            self._anchors.keep(target, span)
        if root or queued >= self._queue_limit:
            self._write(close=target if root and not self._single_file else None)
            if root and not self._single_file:
                self._trace_files.pop(span.trace_id, None)
        elif asks:
            request_write(self)

    def _secrets_for(self, trace_id: str, root: bool) -> tuple[str, ...]:
        # Reading the environment and settings costs more than encoding a small span: the
        # secrets are read when a trace starts and again only when one is registered since.
        known = (
            self._trace_secrets.pop(trace_id, None) if root else self._trace_secrets.get(trace_id)
        )
        if known is not None and known[0] == secrets_generation():
            return known[1]
        return known_secrets()

    def write_queued(self) -> None:
        """Write the queued spans (the writer thread calls this when asked)."""
        self._write()

    def flush(self) -> None:
        """Write every span kept so far."""
        self._write()

    def close(self) -> None:
        """Write what is kept and close the open files (they reopen if more spans come)."""
        with self._write_lock:
            self._write_taken(self._queue.take())
            for target in list(self._files):
                self._close_file(target)

    def file_for(self, trace_id: str) -> Path:
        """The file a trace's spans go to."""
        if self._single_file:
            return self.path
        target = self._trace_files.get(trace_id)
        if target is None:
            started = trace_started_at(trace_id) or time.time()
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(started))
            target = self._trace_files[trace_id] = self.path / f"{stamp}-{trace_id}.jsonl"
        return target

    def _write(self, close: Path | None = None) -> None:
        with self._write_lock:
            self._write_taken(self._queue.take())
            if close is not None:
                self._close_file(close)

    def _write_taken(self, taken: list[Ended]) -> None:
        """Make the lines of the spans taken from the queue, a batch at a time, and write them."""
        if not taken:
            return
        written = 0
        for target, lines in self._lines(taken).items():
            if self._unwritable:
                continue
            try:
                written += self._write_file(target, lines)
            except OSError as exc:
                self._broken(target, exc)
        count, total = self._written
        self._written = count, total = count + len(taken), total + written
        self._queue_limit = max(1, self.batch_bytes * count // max(total, 1))

    def _lines(self, taken: list[Ended]) -> dict[Path, list[list[Chunk]]]:
        if self._unwritable:
            return {}
        if self._single_file:
            return {self.path: encode_lines(taken)}
        by_file: dict[Path, list[Ended]] = {}
        for entry in taken:
            by_file.setdefault(entry.target, []).append(entry)
        return {target: encode_lines(batch) for target, batch in by_file.items()}

    def _cut(self, target: Path) -> bool:
        """Whether `target` is closed, or shorter than this exporter last left it."""
        fd = self._files.get(target)
        try:
            return fd is None or _size(fd) < self._sizes.get(target, 0)
        except OSError:
            return True

    def _write_file(self, target: Path, lines: list[list[Chunk]]) -> int:
        fd = self._file(target)
        written = write_lines(fd, lines)
        # at least the file's size now (others may append too): `_cut` compares with it
        self._sizes[target] += written
        return written

    def _broken(self, target: Path, exc: OSError) -> None:
        """An unwritable directory: one warning naming the file, then its spans are dropped."""
        self._unwritable = True
        self._close_file(target)
        get_logger().warning(
            "trace.write_failed",
            path=str(target),
            error=f"{type(exc).__name__}: {exc.strerror or exc}",
            fix="make the directory writable, or point DRUSILLA_TRACE_DIR elsewhere; "
            "spans for it are dropped until then",
        )

    def _file(self, target: Path) -> int:
        fd = self._files.get(target)
        if fd is None:
            if target.parent not in self._ready_dirs:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._ready_dirs.add(target.parent)
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._files[target] = fd
            self._sizes[target] = _size(fd)
        return fd

    def _close_file(self, target: Path) -> None:
        self._anchors.forget(target)
        self._sizes.pop(target, None)
        fd = self._files.pop(target, None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def _size(fd: int) -> int:
    """The size of the file open (for appending) at `fd`: a seek to its end, which costs less
    than a `stat` (it only moves the offset, which appends ignore)."""
    return os.lseek(fd, 0, os.SEEK_END)


class _SpanQueue:
    """Ended spans waiting for their lines to be made and written, in the order they ended."""

    __slots__ = ("_asked", "_ended", "_lock")

    def __init__(self) -> None:
        self._ended: list[Ended] = []
        self._asked = False
        """The writer thread has been asked to write and has not taken the queue yet."""
        self._lock = threading.Lock()

    def put(self, entry: Ended) -> tuple[bool, int]:
        """Queue `entry`; whether the writer thread should now be asked to write (the first
        span since it last took the queue), and how many spans are queued."""
        with self._lock:
            self._ended.append(entry)
            asks, self._asked = not self._asked, True
            return asks, len(self._ended)

    def take(self) -> list[Ended]:
        with self._lock:
            taken, self._ended, self._asked = self._ended, [], False
            return taken


class _Anchors:
    """The last long input each file holds whole (its span and a copy of its items).

    Runs over the same history — a chat passing its conversation back in, a batch over one
    long context — would each write that history into their first model span. When they share
    a file (a path ending in `.jsonl`), a later run's first model call whose input starts with
    most of the anchor's items links to it (`input_base`) and writes only the rest. A directory
    gives each trace a file of its own, so its traces stay whole and nothing links across them.
    An anchor is forgotten when its file is closed or found cut (a rotation).
    """

    def __init__(self) -> None:
        self._last: dict[Path, tuple[str, list[Any]]] = {}

    def base_for(self, target: Path, span: Span) -> tuple[tuple[str, int] | None, bool]:
        """The link for `span`'s input, if any; and whether `span` should be the new anchor."""
        items = span.attributes.get("input")
        if span.input_base is not None or type(items) is not list or len(items) < LONG:
            return None, False
        last = self._last.get(target)
        if last is not None:
            shared = shared_count(items, last[1])
            if shared * 2 >= len(last[1]):
                return (last[0], shared), False
        return None, True

    def keep(self, target: Path, span: Span) -> None:
        """`span`'s line, holding its whole input, is queued for `target`."""
        self._last[target] = (span.span_id, list(span.attributes["input"]))

    def forget(self, target: Path) -> None:
        self._last.pop(target, None)


_live_exporters: weakref.WeakSet[JSONLTraceExporter] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for exporter in list(_live_exporters):
        with contextlib.suppress(Exception):
            exporter.close()


def _after_fork() -> None:
    """A forked child starts with empty queues and free locks (a parent's writer thread may
    have held them): the lines queued before the fork are the parent's to write."""
    for exporter in list(_live_exporters):
        exporter._queue = _SpanQueue()
        exporter._write_lock = threading.Lock()
        exporter._anchors = _Anchors()  # the parent's anchor lines may not be written yet


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


# --- DRUSILLA_TRACE_DIR -------------------------------------------------------------------------

_auto_exporter: JSONLTraceExporter | None = None
_auto_lock = threading.Lock()


def configure_from_settings(trace_dir: str | None) -> None:
    """Keep the exporter `DRUSILLA_TRACE_DIR` asks for registered (called at each root run).

    Follows the setting when it changes (tests, `reload_settings()`); processors the user
    registered are left alone.
    """
    with _auto_lock:
        _follow_setting(trace_dir)


def _follow_setting(trace_dir: str | None) -> None:
    global _auto_exporter
    current = _auto_exporter
    if trace_dir is None:
        if current is not None:
            remove_trace_processor(current)
            _auto_exporter = None
        return
    wanted = Path(trace_dir).expanduser()
    if current is not None and current.path == wanted and _is_registered(current):
        return
    if wanted.exists() and not wanted.is_dir() and wanted.suffix != ".jsonl":
        raise UserError(
            f"DRUSILLA_TRACE_DIR={trace_dir!r} is a file, not a directory. Point it at a "
            "directory for trace files (created if missing), or at a .jsonl file."
        )
    if current is not None:
        remove_trace_processor(current)
    _auto_exporter = JSONLTraceExporter(wanted)
    add_trace_processor(_auto_exporter)


def _is_registered(processor: TraceProcessor) -> bool:
    return any(p is processor for p in trace_processors())


def read_spans(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], int]:
    """The spans of a JSONL trace file, and how many unfinished lines (a crash's) were skipped.

    Raises UserError for a file that is not a trace.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"No trace file at {str(file)!r}.") from None
    except IsADirectoryError:
        raise UserError(f"{str(file)!r} is a directory; give one .jsonl trace file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read the trace file {str(file)!r}: {exc}") from None
    spans: list[dict[str, Any]] = []
    skipped = 0
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):  # the unterminated last line a crash can leave
                skipped += 1
                continue
            if number == 1 and _is_run_record(text):
                raise UserError(
                    f"{str(file)!r} is a run record (DRUSILLA_RUNS_DIR), not a trace; traces "
                    "are the .jsonl files written to DRUSILLA_TRACE_DIR."
                ) from None
            raise UserError(
                f"{str(file)!r} line {number} is not JSON; is it a drusilla trace file "
                "(JSON Lines written by the JSONL exporter / DRUSILLA_TRACE_DIR)?"
            ) from None
        if not isinstance(data, dict) or not {"span_id", "trace_id", "kind"} <= data.keys():
            raise UserError(
                f"{str(file)!r} line {number} is not a span (it needs span_id, trace_id and "
                "kind). Give a trace file from DRUSILLA_TRACE_DIR, not a run record."
            )
        spans.append(data)
    return spans, skipped


def _is_run_record(text: str) -> bool:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and "record_version" in data
