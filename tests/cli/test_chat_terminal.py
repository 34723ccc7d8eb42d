"""`drusilla chat` in a pseudo-terminal, as a person at a keyboard meets it: line editing and
history with the arrow keys, Markdown answers, typing during an answer, and a restart that
shows the earlier turns."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect  # type: ignore[import-untyped]
import pytest

from drusilla.testing import Hold, OpenAIServer

from .helpers import EXAMPLES, cli_env, closed_port, drusilla_command

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


def test_earlier_answers_are_shown_as_markdown_on_restart(tmp_path: Path) -> None:
    with OpenAIServer("# Title\n\n- **one**\n- two\n") as server:
        chat = start_chat(server, tmp_path)
        wait_for_prompt(chat)
        chat.send("list\r")
        chat.expect_exact("model call")
        wait_for_prompt(chat)
        chat.sendeof()
        chat.expect(pexpect.EOF)
        again = start_chat(server, tmp_path)
        wait_for_prompt(again)
        shown = again.before
        again.sendeof()
        again.expect(pexpect.EOF)
    earlier = shown.split("Earlier in this conversation:", 1)[1]
    assert "Title" in earlier and "one" in earlier
    assert "**one**" not in earlier and "# Title" not in earlier


def test_a_spinner_waits_for_the_first_token(tmp_path: Path) -> None:
    hold = Hold("Here it comes.", after=0)
    with OpenAIServer(hold) as server:
        chat = start_chat(server, tmp_path)
        wait_for_prompt(chat)
        chat.send("question\r")
        chat.expect_exact("waiting for the model")
        assert hold.wait_reached(TIMEOUT)
        hold.release()
        chat.expect_exact("Here it comes.")
        chat.expect_exact("model call")
        wait_for_prompt(chat)
        chat.sendeof()
        chat.expect(pexpect.EOF)


def test_the_chat_says_at_once_when_its_model_does_not_answer(tmp_path: Path) -> None:
    command, *args = drusilla_command()
    url = f"http://127.0.0.1:{closed_port()}/v1"
    env = cli_env(DRUSILLA_BASE_URL=url, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    chat = pexpect.spawn(
        command,
        [*args, "chat", TARGET],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 200),
    )
    chat.expect_exact("/help shows this.")
    wait_for_prompt(chat)
    before_any_message = " ".join(chat.before.split())
    chat.sendeof()
    chat.expect(pexpect.EOF)
    assert (
        f"The model 'test-model' does not answer: nothing answers at {url} (connection refused)."
        in before_any_message
    )
    assert "--model test" in before_any_message


def test_drusilla_run_shows_a_spinner_until_the_first_token(tmp_path: Path) -> None:
    command, *args = drusilla_command()
    hold = Hold("Here it comes.", after=0)
    with OpenAIServer(hold) as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url, TERM="xterm")
        run = pexpect.spawn(
            command,
            [*args, "run", TARGET, "question"],
            cwd=str(tmp_path),
            env=env,
            encoding="utf-8",
            timeout=TIMEOUT,
        )
        run.expect_exact("waiting for the model")
        assert hold.wait_reached(TIMEOUT)
        hold.release()
        run.expect_exact("Here it comes.")
        run.expect(pexpect.EOF)
