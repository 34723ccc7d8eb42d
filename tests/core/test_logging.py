"""drusilla logs through the standard library, as an application configures it: each case runs
a real script in a fresh interpreter (logging configuration is process-wide) whose model call
is rate-limited once by the local server, so drusilla logs a `model.retry` warning."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = """
import logging, sys
from drusilla import Agent, Runner
from drusilla.testing import OpenAIServer, rate_limited

{setup}

with OpenAIServer() as server:
    agent = Agent("a", model=server.model(rate_limited(retry_after=0), "fine"))
    print("answer:", Runner.run_sync(agent, "hi").final_output)
"""


def run_script(tmp_path: Path, setup: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "app.py"
    script.write_text(SCRIPT.format(setup=textwrap.dedent(setup)))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DRUSILLA_")}
    clean.update(DRUSILLA_ENV_FILE="", DRUSILLA_RETRY_BASE_DELAY="0", **env)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=clean, timeout=120
    )
    assert "answer: fine" in done.stdout, done.stderr
    return done


def test_the_applications_handler_receives_drusilla_events(tmp_path: Path) -> None:
    setup = """
    logging.basicConfig(stream=sys.stdout, format="%(name)s|%(levelname)s|%(message)s")
    """
    done = run_script(tmp_path, setup)
    assert "drusilla.models.retry|WARNING|model.retry model=" in done.stdout
    assert done.stderr == ""


def test_structured_handlers_get_the_event_and_its_fields(tmp_path: Path) -> None:
    setup = """
    class Collect(logging.Handler):
        def emit(self, record):
            print("event", record.event, sorted(record.event_fields))
    logging.getLogger().addHandler(Collect())
    """
    done = run_script(tmp_path, setup)
    assert "event model.retry ['attempt'," in done.stdout


def test_setting_the_drusilla_logger_level_silences_retry_warnings(tmp_path: Path) -> None:
    setup = """
    logging.basicConfig(stream=sys.stdout, format="%(name)s|%(message)s")
    logging.getLogger("drusilla").setLevel(logging.ERROR)
    """
    done = run_script(tmp_path, setup)
    assert "model.retry" not in done.stdout + done.stderr


def test_an_unconfigured_application_sees_nothing(tmp_path: Path) -> None:
    done = run_script(tmp_path, "")
    assert done.stderr == ""  # the NullHandler: no "No handlers could be found", no last resort


def test_drusilla_log_level_prints_to_stderr_when_logging_is_not_configured(
    tmp_path: Path,
) -> None:
    done = run_script(tmp_path, "", DRUSILLA_LOG_LEVEL="debug")
    assert "[WARNING] model.retry model=" in done.stderr
    assert "[DEBUG] run.start" in done.stderr
