"""`drusilla chat` in a pseudo-terminal, as a person at a keyboard meets it: line editing and
history with the arrow keys, Markdown answers, typing during an answer, and a restart that
shows the earlier turns."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect  # type: ignore[import-untyped]
import pytest

from drusilla.testing import Hold, OpenAIServer

from .helpers import EXAMPLES, cli_env, drusilla_command

TARGET = str(EXAMPLES / "cypherpunk_love.py")
UP, LEFT = "\x1b[A", "\x1b[D"
TIMEOUT = 60  # a backstop only: every step waits for the text it expects

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def start_chat(server: OpenAIServer, cwd: Path) -> pexpect.spawn:
    command, *args = drusilla_command()
    env = cli_env(DRUSILLA_BASE_URL=server.base_url, TERM="xterm")
    env.pop("NO_COLOR")
    env["PROMPT_TOOLKIT_NO_CPR"] = "1"  # pexpect does not answer cursor-position requests
    chat = pexpect.spawn(
        command,
        [*args, "chat", TARGET],
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 120),
    )
    chat.expect_exact("/help shows this.")
    return chat


def wait_for_prompt(chat: pexpect.spawn) -> None:
    """prompt_toolkit reads a line: it has switched bracketed paste on."""
    chat.expect_exact("\x1b[?2004h")


def user_texts(server: OpenAIServer) -> list[str]:
    return [str(request.body["messages"][-1]["content"]) for request in server.model_requests]


def test_arrow_keys_edit_and_recall_and_a_restart_shows_earlier_turns(tmp_path: Path) -> None:
    replies = ["A **bold** claim.", "Said twice.", "Welcome back."]
    with OpenAIServer(*replies) as server:
        chat = start_chat(server, tmp_path)
        wait_for_prompt(chat)
        chat.send("helo" + LEFT + "l" + "\r")  # edit inside the line: "hello"
        chat.expect_exact("claim.")
        chat.expect_exact("model call")  # the usage line ends the answer
        wait_for_prompt(chat)
        chat.send(UP + "\r")  # the previous line, from history
        chat.expect_exact("Said twice.")
        wait_for_prompt(chat)
        chat.sendeof()
        chat.expect(pexpect.EOF)
        assert user_texts(server) == ["hello", "hello"]

        again = start_chat(server, tmp_path)
        wait_for_prompt(again)
        shown = again.before
        assert "Earlier in this conversation:" in shown
        assert "you> hello" in shown and "Said twice." in shown
        again.send(UP + "\r")  # the history survives the restart too
        again.expect_exact("Welcome back.")
        wait_for_prompt(again)
        again.sendeof()
        again.expect(pexpect.EOF)
    assert user_texts(server)[-1] == "hello"


def test_markdown_is_rendered_not_shown_raw(tmp_path: Path) -> None:
    with OpenAIServer("# Title\n\n- **one**\n- two\n") as server:
        chat = start_chat(server, tmp_path)
        wait_for_prompt(chat)
        chat.send("list\r")
        chat.expect_exact("model call")
        answer = chat.before
        wait_for_prompt(chat)
        chat.sendeof()
        chat.expect(pexpect.EOF)
    assert "Title" in answer and "one" in answer
    assert "**one**" not in answer and "# Title" not in answer and "- two" not in answer


def test_typing_during_an_answer_waits_for_the_next_prompt(tmp_path: Path) -> None:
    hold = Hold("The first half, and the second half.", after=2)
    with OpenAIServer(hold, "Got it.") as server:
        chat = start_chat(server, tmp_path)
        wait_for_prompt(chat)
        chat.send("question\r")
        assert hold.wait_reached(TIMEOUT)
        chat.send("typed early")  # while the answer is still streaming
        hold.release()
        chat.expect_exact("model call")
        answer = chat.before
        wait_for_prompt(chat)
        chat.send("\r")  # the early typing is the next message
        chat.expect_exact("Got it.")
        wait_for_prompt(chat)
        chat.sendeof()
        chat.expect(pexpect.EOF)
    assert "second half" in answer and "typed early" not in answer
    assert user_texts(server) == ["question", "typed early"]
