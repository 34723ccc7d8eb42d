"""The per-wire benches answer right on every wire: bench.wire_overhead's callers in process on
the recorded replies, and bench.http_floor's callers over HTTP on one kept-alive connection.
(The figures are the benches' business; these keep the code from rotting.)"""

from __future__ import annotations

import importlib.util

import pytest

from bench import http_floor, wire_overhead
from bench.replay import ANSWERS, ReplayServer


def require_peer(caller: str) -> None:
    if caller == "pydantic-ai" and importlib.util.find_spec("pydantic_ai") is None:
        pytest.skip("Pydantic AI is not installed (pip install -e '.[bench]')")


@pytest.mark.parametrize("wire", wire_overhead.WIRES)
@pytest.mark.parametrize("caller", wire_overhead.CALLERS)
async def test_every_caller_makes_the_round_trip_in_process(caller: str, wire: str) -> None:
    require_peer(caller)
    http = wire_overhead.http_client("mock", wire)
    run = wire_overhead.round_trip(caller, wire, wire_overhead.MOCK_URL, http)
    assert [await run(), await run()] == [ANSWERS[wire]] * 2
    await http.aclose()


async def test_the_http_callers_answer_on_one_kept_alive_connection() -> None:
    server = ReplayServer()
    with server as url:
        for name in http_floor.CALLERS:
            one, close = http_floor.caller_for(name, url)
            assert [await one(), await one()] == [http_floor.ANSWER] * 2
            await close()
    # each caller keeps its connection but httpx-reconnect, which opens one per request
    assert server.connections == len(http_floor.CALLERS) - 1 + 2
