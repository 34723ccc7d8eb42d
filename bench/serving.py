"""The worker's side of the model server: start `python -m bench.server`, stop it, check it.

Each worker job that needs HTTP starts its own server process, so the server's state (its
request log, its connections) never carries over from one framework or round to the next, and
`--quick` and `--profile` work without the harness doing anything special. This module does
not import drusilla: a peer's worker stays free of it (the server process imports drusilla,
not the worker).
"""

from __future__ import annotations

import json
import subprocess
import sys
from types import TracebackType
from typing import Any

from .harness import ROOT, worker_env

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
        self._process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> ServerProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.server", json.dumps(self.spec)],
            cwd=ROOT,
            env=worker_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self._process.kill()
            raise RuntimeError(f"bench.server did not start (printed {self.base_url!r})")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        process.stdin.close()
        last = process.stdout.read().strip().splitlines()
        process.wait(timeout=60)
        self.report = json.loads(last[-1]) if last else {}
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
