"""Each bad setting is a `UserError` naming the variable, the value and the fix; `.env` is read
only where the user lets it be."""

from __future__ import annotations

from pathlib import Path

import pytest

from drusilla import Agent, Runner, UserError
from drusilla.util.settings import get_settings, reload_settings

BAD_VALUES = [
    ("DRUSILLA_HTTP_TIMEOUT", "nan", "seconds above 0"),
    ("DRUSILLA_HTTP_TIMEOUT", "0", "seconds above 0"),
    ("DRUSILLA_HTTP_CONNECT_TIMEOUT", "inf", "seconds above 0"),
    ("DRUSILLA_TEMPERATURE", "nan", "a number from 0 to 2"),
    ("DRUSILLA_TEMPERATURE", "9", "a number from 0 to 2"),
    ("DRUSILLA_TOP_P", "7", "a number from 0 to 1"),
    ("DRUSILLA_TOP_P", "-0.1", "a number from 0 to 1"),
    ("DRUSILLA_MAX_RETRIES", "5000", "a whole number from 0 to 100"),
    ("DRUSILLA_MAX_RETRIES", "-1", "a whole number from 0 to 100"),
    ("DRUSILLA_MAX_TURNS", "many", "a whole number from 1"),
    ("DRUSILLA_MAX_TOKENS", "0", "a whole number, 1 or more"),
    ("DRUSILLA_RETRY_BASE_DELAY", "nan", "seconds from 0 to 3600"),
    ("DRUSILLA_RETRY_MAX_DELAY", "1e9", "seconds from 0 to 3600"),
    ("DRUSILLA_PARALLEL_SWORD_CALLS", "maybe", "true or false"),
    ("DRUSILLA_LOG_LEVEL", "loud", "DEBUG, INFO"),
    ("DRUSILLA_SERVER", "tgi", "openai, ollama"),
    ("DRUSILLA_SWORD_CHOICE", "  ", "auto, required, none"),
]


@pytest.mark.parametrize(("name", "value", "expected"), BAD_VALUES)
def test_a_bad_value_names_the_variable_the_value_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(UserError) as caught:
        reload_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}={value!r} is not valid: expected {expected}")
    assert f"Fix {name} in the environment or in .env." in message


def test_a_bad_value_fails_the_run_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUSILLA_TOP_P", "7")
    with pytest.raises(UserError, match="DRUSILLA_TOP_P='7'"):
        Runner.run_sync(Agent("a", model="gpt-4.1"), "hi")


def test_every_bad_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUSILLA_TOP_P", "7")
    monkeypatch.setenv("DRUSILLA_TEMPERATURE", "nan")
    with pytest.raises(UserError) as caught:
        reload_settings()
    assert "DRUSILLA_TOP_P='7'" in str(caught.value)
    assert "DRUSILLA_TEMPERATURE='nan'" in str(caught.value)


def test_good_values_in_range_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in [("TOP_P", "1"), ("TEMPERATURE", "2"), ("MAX_RETRIES", "0")]:
        monkeypatch.setenv(f"DRUSILLA_{name}", value)
    monkeypatch.setenv("DRUSILLA_PARALLEL_SWORD_CALLS", "off")
    settings = reload_settings()
    assert (settings.top_p, settings.temperature, settings.max_retries) == (1.0, 2.0, 0)
    assert settings.parallel_sword_calls is False


def test_the_api_key_falls_back_to_openai_api_key_and_is_not_in_repr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-marker-123")
    settings = reload_settings()
    assert settings.api_key == "sk-marker-123"
    assert "sk-marker-123" not in repr(settings)
    monkeypatch.setenv("DRUSILLA_API_KEY", "sk-drusilla")
    assert reload_settings().api_key == "sk-drusilla"


@pytest.fixture
def dotenv_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DRUSILLA_ENV_FILE")
    (tmp_path / ".env").write_text("DRUSILLA_MAX_TURNS=7\n")
    return tmp_path


def test_dotenv_of_the_working_directory_is_read_by_default(dotenv_in_cwd: Path) -> None:
    assert reload_settings().max_turns == 7


def test_an_empty_drusilla_env_file_reads_no_dotenv(
    dotenv_in_cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUSILLA_ENV_FILE", "")
    assert reload_settings().max_turns == 10


def test_drusilla_env_file_points_elsewhere(
    dotenv_in_cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = dotenv_in_cwd / "prod.env"
    other.write_text("DRUSILLA_MAX_TURNS=3\nDRUSILLA_TOP_P=2\n")
    monkeypatch.setenv("DRUSILLA_ENV_FILE", str(other))
    with pytest.raises(UserError, match=f"Fix DRUSILLA_TOP_P in the environment or in {other}"):
        reload_settings()


def test_load_dotenv_false_reads_the_environment_only(dotenv_in_cwd: Path) -> None:
    try:
        assert reload_settings(load_dotenv=False).max_turns == 10
        assert get_settings().max_turns == 10
    finally:
        assert reload_settings(load_dotenv=True).max_turns == 7
