"""`drusilla serve`: one log line per request, and Ctrl-C stops at once, cancelling runs in
flight (the session keeps whole turns only)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import httpx

from ..cli.helpers import BACKSTOP, run_cli
from .conftest import AGENT_FILE, Served, start_server


def test_each_request_is_one_log_line(server: Served) -> None:
    httpx.get(f"{server.url}/v1/models")
    text = server.wait_for_log('"GET /v1/models HTTP/1.1" 200')
    assert text.count('"GET /v1/models HTTP/1.1" 200') >= 1


def test_ctrl_c_cancels_the_runs_in_flight_and_stops(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    served = start_server("--db", str(db))
    try:
        body = {"model": "helper", "input": "weather in oslo", "conversation": "c1"}
        done = httpx.post(f"{served.url}/v1/responses", json=body, timeout=BACKSTOP)
        assert done.json()["output"][-1]["content"][0]["text"] == "Sunny in Oslo."
        waiting = {"model": "helper", "input": "wait ctrl-c", "conversation": "c1", "stream": True}
        thread = threading.Thread(target=_stream_until_closed, args=(served.url, waiting))
        thread.start()
        served.wait_for_log("wait_forever: started ctrl-c")
        served.process.process.send_signal(signal.SIGINT)
        served.wait_for_log("wait_forever: cancelled ctrl-c")
        assert served.process.finish() == 130  # interrupted, as every command (docs/cli.md)
        thread.join(BACKSTOP)
        assert "Traceback" not in served.process.err.rest()
    finally:
        served.process.kill()
    _assert_whole_turns(db)


def _stream_until_closed(url: str, body: dict[str, object]) -> None:
    try:
        with httpx.stream("POST", f"{url}/v1/responses", json=body, timeout=BACKSTOP) as reply:
            for _ in reply.iter_lines():
                pass
    except httpx.HTTPError:
        pass  # the server went away mid-stream: expected


def _assert_whole_turns(db: Path) -> None:
    import anyio

    from drusilla import SQLiteSession

    async def items() -> list[dict[str, object]]:
        return [dict(item) for item in await SQLiteSession("c1", db).get_items()]

    stored = anyio.run(items)
    # the first run whole; of the cancelled one, nothing: its turn never finished
    assert [item.get("role") or item.get("type") for item in stored] == [
        "user",
        "function_call",
        "function_call_output",
        "assistant",
    ]


def test_a_missing_agent_is_a_command_line_error() -> None:
    done = run_cli("serve", str(AGENT_FILE), "--agent", "nobody", "--port", "0")
    assert done.returncode == 2 and "nobody" in done.stderr
