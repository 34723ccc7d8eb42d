"""A batch's progress output, on stderr.

On a terminal: a live `tqdm` bar (done/total, rate, ETA; failed runs and tokens after it), from
the `drusilla[batch]` extra. Elsewhere (a log file, CI, a terminal that reports no width), or
without tqdm: a plain line at every tenth of the batch and at least every `PLAIN_EVERY` seconds,
then a summary line. Failures and tokens count the whole batch, the runs read back from the
results file too, as `BatchResult` does.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Collection
from typing import Any, Protocol, TextIO

from .items import BatchItem

__all__ = ["PLAIN_EVERY", "Progress", "progress_for"]

PLAIN_EVERY = 30.0
"""Seconds between plain progress lines when a tenth of the batch takes longer."""


class Progress(Protocol):
    def advance(self, item: BatchItem) -> None: ...

    def close(self) -> None: ...


def progress_for(
    enabled: bool, total: int, resumed: Collection[BatchItem], stream: TextIO | None = None
) -> Progress:
    """The progress output a batch of `total` inputs shows (`resumed`: the items already done,
    read back from the results file)."""
    if not enabled:
        return _Silent()
    out = stream or sys.stderr
    if _has_width(out):
        try:
            return _Bar(total, resumed, out)
        except ImportError:
            pass
    return _Lines(total, resumed, out)


def _has_width(out: TextIO) -> bool:
    """A terminal with columns: a bar on one that reports 0 (some containers' terminals, a
    serial console) would be drawn at no width, so those get the plain lines."""
    if not out.isatty():
        return False
    try:
        return os.get_terminal_size(out.fileno()).columns > 0
    except (OSError, ValueError):
        return False


class _Silent:
    def advance(self, item: BatchItem) -> None:
        pass

    def close(self) -> None:
        pass


class _Counts:
    def __init__(self, total: int, resumed: Collection[BatchItem]) -> None:
        self.total = total
        self.seen = self.failed = self.tokens = 0
        for item in resumed:
            self.count(item)
        self.resumed = len(resumed)
        self.started = time.monotonic()

    def count(self, item: BatchItem) -> None:
        self.seen += 1
        self.failed += item.error is not None
        self.tokens += item.usage.total_tokens

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return (self.seen - self.resumed) / elapsed if elapsed > 0 else 0.0


class _Bar:
    def __init__(self, total: int, resumed: Collection[BatchItem], out: TextIO) -> None:
        tqdm = importlib.import_module("tqdm").tqdm  # no type stubs

        self.counts = counts = _Counts(total, resumed)
        self.bar: Any = tqdm(
            total=total,
            initial=counts.resumed,
            unit="run",
            file=out,
            dynamic_ncols=True,
            smoothing=0.1,
            postfix={"failed": counts.failed, "tokens": counts.tokens},
        )

    def advance(self, item: BatchItem) -> None:
        counts = self.counts
        counts.count(item)
        self.bar.set_postfix(failed=counts.failed, tokens=counts.tokens, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class _Lines:
    def __init__(self, total: int, resumed: Collection[BatchItem], out: TextIO) -> None:
        self.counts = counts = _Counts(total, resumed)
        self.out = out
        self.step = max(1, total // 10)
        self.last_line = time.monotonic()
        if counts.resumed:
            self._print(
                f"batch: {counts.resumed}/{total} already done (results_path), resuming: "
                f"{counts.failed} failed, {counts.tokens} tokens so far"
            )

    def advance(self, item: BatchItem) -> None:
        counts = self.counts
        counts.count(item)
        now = time.monotonic()
        if counts.seen % self.step == 0 or now - self.last_line >= PLAIN_EVERY:
            self.last_line = now
            self._print(self._line())

    def close(self) -> None:
        counts = self.counts
        elapsed = time.monotonic() - counts.started
        again = f" ({counts.resumed} read back from results_path)" if counts.resumed else ""
        self._print(
            f"batch: finished {counts.seen}/{counts.total} in {elapsed:.1f}s{again}, "
            f"{counts.failed} failed, {counts.tokens} tokens"
        )

    def _line(self) -> str:
        counts = self.counts
        rate = counts.rate()
        left = counts.total - counts.seen
        eta = f"{left / rate:.0f}s" if rate > 0 else "?"
        percent = 100 * counts.seen // max(1, counts.total)
        return (
            f"batch: {counts.seen}/{counts.total} ({percent}%), {counts.failed} failed, "
            f"{rate:.1f} runs/s, eta {eta}, {counts.tokens} tokens"
        )

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)
