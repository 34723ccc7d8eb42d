"""`drusilla chat`: a REPL on an SQLite session whose history survives restarts."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from pathlib import Path

from drusilla.testing import Hold, HTTPError, OpenAIServer

from .helpers import BACKSTOP, EXAMPLES, cli_env, drusilla_command, run_cli

TARGET = str(EXAMPLES / "cypherpunk_love.py")


def contents(request: object) -> list[str]:
    return [item["content"] for item in request.input]  # type: ignore[attr-defined]


def test_history_survives_a_restart(tmp_path: Path) -> None:
    with OpenAIServer("Nice to meet you, Ada.", "You are Ada.", "Hello, stranger.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        first = run_cli("chat", TARGET, env=env, input="I am Ada.\n", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert first.stdout == "Nice to meet you, Ada.\n"
        assert "session 'cypherpunk_love:agent' in .drusilla/sessions.db)" in first.stderr

        # A new process: the conversation is read back from the SQLite file.
        second = run_cli("chat", TARGET, env=env, input="Who am I?\n/reset\nHi\n", cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        assert second.stdout == "You are Ada.\nHello, stranger.\n"
        assert "2 earlier items" in second.stderr
        assert "The conversation is forgotten" in second.stderr
        server.assert_all_used()

    first_call, second_call, after_reset = server.model_requests
    assert contents(first_call) == ["I am Ada."]
    assert contents(second_call) == ["I am Ada.", "Nice to meet you, Ada.", "Who am I?"]
    assert contents(after_reset) == ["Hi"]
    stored = sqlite3.connect(tmp_path / ".drusilla" / "sessions.db").execute(
        "SELECT count(*) FROM drusilla_items WHERE session_id = 'cypherpunk_love:agent'"
    )
    assert stored.fetchone() == (2,)  # "Hi" and its answer (/reset left a high-water row)


def test_a_failed_turn_is_reported_and_not_kept(tmp_path: Path) -> None:
    with OpenAIServer(HTTPError(400, "Context too long."), "Fine now.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        db = tmp_path / "chats.db"
        done = run_cli(
            "chat",
            TARGET,
            "--session",
            "s1",
            "--db",
            str(db),
            env=env,
            input="first\n/help\nsecond\n/exit\nnever sent\n",
        )
        server.assert_all_used()
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Fine now.\n"
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "HTTP 400" in errors[0] and "Context too long." in errors[0]
    assert "/reset forgets this conversation" in done.stderr
    assert contents(server.model_requests[1]) == ["second"]  # the failed turn was not stored


def test_chat_usage_errors(tmp_path: Path) -> None:
    assert run_cli("chat").returncode == 2
    missing = run_cli("chat", str(tmp_path / "nope.py"))
    assert missing.returncode == 2 and "No such file" in missing.stderr


def test_ctrl_c_stops_the_answer_and_keeps_nothing_of_it(tmp_path: Path) -> None:
    hold = Hold("This answer never finishes", after=2)
    db = tmp_path / "chats.db"
    with OpenAIServer(hold, "Second answer.") as server:
        chat = subprocess.Popen(
            [*drusilla_command(), "chat", TARGET, "--db", str(db)],
            env=cli_env(DRUSILLA_BASE_URL=server.base_url),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert chat.stdin is not None
            chat.stdin.write("first\n")
            chat.stdin.flush()
            assert hold.wait_reached(180)  # a backstop: starting the CLI on a busy machine is slow
            chat.send_signal(signal.SIGINT)  # Ctrl-C while the answer streams
            chat.stdin.write("second\n/exit\n")
            chat.stdin.flush()
            out, err = chat.communicate(timeout=BACKSTOP)
        finally:
            hold.release()
            if chat.poll() is None:
                chat.kill()
    assert chat.returncode == 0, err
    assert "(stopped; this turn was not kept)" in err
    assert out.endswith("Second answer.\n")
    interrupted, second = server.model_requests
    assert interrupted.hung_up  # the HTTP stream was closed, so the server stops generating
    assert contents(second) == ["second"]
    rows = sqlite3.connect(db).execute("SELECT item FROM drusilla_items ORDER BY id").fetchall()
    assert [json.loads(row[0])["content"] for row in rows] == ["second", "Second answer."]
