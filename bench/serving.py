"""The worker's side of the model server: start `python -m bench.server`, stop it, check it.

Each worker job that needs HTTP starts its own server process, so the server's state (its
request log, its connections) never carries over from one framework or round to the next, and
`--quick` and `--profile` work without the harness doing anything special. This module does
not import drusilla: a peer's worker stays free of it (the server process imports drusilla,
not the worker).
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any

from .harness import ChildServer

FINAL = "done"
"""What the model answers at the end of a run (bench/scenarios.py checks every run for it)."""


WARM_STAGE = 50
"""New connections a warm-up burst may open at once: a burst of 200 fresh connections overflows
a listen queue (asyncio's default backlog is 100) and, on a loaded machine, the dropped
connects wait out TCP's retransmission timers until a client's connect timeout ends the job."""


def warm_stages(total: int, stage: int = WARM_STAGE) -> list[int]:
    """Burst sizes that grow a connection pool `stage` connections at a time up to `total`."""
    return [min(size, total) for size in range(stage, total + stage, stage)]


def stream_text(deltas: int) -> str:
    """The answer the server streams in exactly `deltas` text deltas (it streams word by word,
    each word with the space before it)."""
    return " ".join(["tok"] * deltas)


class ServerProcess:
    """`with ServerProcess(spec) as server:` serves at `server.base_url`; on a clean exit the
    server must have answered exactly the requests it was given steps for."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.report: dict[str, Any] = {}
        self._child = ChildServer("bench.server", json.dumps(spec))
        self.base_url = ""

    def __enter__(self) -> ServerProcess:
        self.base_url = self._child.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.report = self._child.stop()
        if exc_type is None:
            self._check()

    def _check(self) -> None:
        expected = self.spec["requests"]
        answered = self.report.get("answered")
        if answered != expected or self.report.get("unanswered") or self.report.get("left"):
            raise AssertionError(
                f"the model server expected {expected} requests and got {self.report}: the "
                "framework made more or fewer model calls than the scenario needs"
            )
