"""Settings from the environment and `.env`, prefix `DRUSILLA_`, validated by pydantic-settings.

Read when first needed (never at import), cached, and validated with ranges: a bad value raises
`UserError` naming the variable, the value and the fix. Variables already in the environment win
over `.env`. The `.env` of the working directory is read unless `DRUSILLA_ENV_FILE` says
otherwise (a path, or empty for none) or `reload_settings(load_dotenv=False)` turned it off.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from .errors import UserError
from .masking import set_settings_source

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_OLLAMA_BASE_URL",
    "DEFAULT_OPENAI_MODEL",
    "LOG_LEVELS",
    "SERVER_KINDS",
    "SWORD_CHOICES",
    "ServerKind",
    "configured_model",
    "dotenv_values_cached",
    "env_file",
    "env_value",
    "forget_settings",
    "get_settings",
    "reload_settings",
]

DEFAULT_MODEL = "deepseek-r1"
"""The model when DRUSILLA_MODEL is unset and no API key is: DeepSeek-R1 on a local Ollama."""
DEFAULT_OPENAI_MODEL = "gpt-4.1"
"""The model when DRUSILLA_MODEL and DRUSILLA_BASE_URL are unset but an API key is set
(OPENAI_API_KEY, DRUSILLA_API_KEY): the key goes to OpenAI, so an OpenAI model."""
DEFAULT_OLLAMA_BASE_URL = "http://localhost:11434/v1"
SWORD_CHOICES = ("auto", "required", "none")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

ServerKind = Literal[
    "openai", "ollama", "deepseek", "vllm", "llama.cpp", "llama-cpp-python", "openai-compatible"
]
SERVER_KINDS: tuple[ServerKind, ...] = (
    "openai",
    "ollama",
    "deepseek",
    "vllm",
    "llama.cpp",
    "llama-cpp-python",
    "openai-compatible",
)
"""The one list of server kinds (DRUSILLA_SERVER and the Chat dialects read it)."""

_dotenv_enabled = True

# field name -> what a good value looks like, for the error message
_HINTS: dict[str, str] = {
    "model": "a model name",
    "base_url": "a URL",
    "server": "openai, ollama, deepseek, vllm, llama.cpp, llama-cpp-python or openai-compatible",
    "api_key": "a key",
    "max_turns": "a whole number from 1 to 100000",
    "max_tokens": "a whole number, 1 or more",
    "temperature": "a number from 0 to 2, such as 0.7",
    "top_p": "a number from 0 to 1",
    "sword_choice": "auto, required, none or a sword name",
    "parallel_sword_calls": "true or false",
    "log_level": "DEBUG, INFO, WARNING, ERROR or CRITICAL",
    "http_timeout": "seconds above 0, e.g. 600",
    "http_connect_timeout": "seconds above 0, e.g. 10",
    "max_retries": "a whole number from 0 to 100",
    "sword_max_retries": "a whole number from 0 to 100",
    "retry_base_delay": "seconds from 0 to 3600, e.g. 0.5",
    "retry_max_delay": "seconds from 0 to 3600, e.g. 30",
    "trace_dir": "a directory path",
    "runs_dir": "a directory path",
    "user": "a user name",
}


@functools.cache
def _settings_class() -> type[Any]:
    """Built on first use so that `import drusilla` never imports pydantic-settings."""
    from pydantic import AliasChoices, Field, field_validator
    from pydantic_settings import BaseSettings, SettingsConfigDict

    finite = {"allow_inf_nan": False}

    class Settings(BaseSettings):
        model_config = SettingsConfigDict(
            env_prefix="DRUSILLA_", env_ignore_empty=True, extra="ignore", frozen=True
        )

        model: str = DEFAULT_MODEL
        base_url: str | None = None
        server: str | None = None
        api_key: str | None = Field(
            default=None,
            repr=False,  # never in a log line through repr()
            validation_alias=AliasChoices("DRUSILLA_API_KEY", "OPENAI_API_KEY"),
        )
        max_turns: Annotated[int, Field(ge=1, le=100_000)] = 10
        max_tokens: Annotated[int, Field(ge=1)] | None = None

        def __repr__(self) -> str:  # a password in base_url is masked like everywhere else
            from .masking import mask_text

            return mask_text(super().__repr__())

        temperature: Annotated[float, Field(ge=0, le=2, **finite)] | None = None
        top_p: Annotated[float, Field(ge=0, le=1, **finite)] | None = None
        sword_choice: str | None = None
        parallel_sword_calls: bool | None = None
        log_level: str | None = None
        http_timeout: Annotated[float, Field(gt=0, **finite)] = 600.0
        http_connect_timeout: Annotated[float, Field(gt=0, **finite)] = 10.0
        max_retries: Annotated[int, Field(ge=0, le=100)] = 3
        sword_max_retries: Annotated[int, Field(ge=0, le=100)] = 1
        retry_base_delay: Annotated[float, Field(ge=0, le=3600, **finite)] = 0.5
        retry_max_delay: Annotated[float, Field(ge=0, le=3600, **finite)] = 30.0
        trace_dir: str | None = None
        runs_dir: str | None = None
        user: str | None = None

        @field_validator("server")
        @classmethod
        def _known_server(cls, value: str | None) -> str | None:
            if value is None:
                return None
            kind = value.strip().lower()
            if kind not in SERVER_KINDS:
                raise ValueError(f"must be one of {', '.join(SERVER_KINDS)}")
            return kind

        @field_validator("log_level")
        @classmethod
        def _known_level(cls, value: str | None) -> str | None:
            if value is None:
                return None
            level = value.strip().upper()
            if level not in LOG_LEVELS:
                raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
            return level

        @field_validator("sword_choice")
        @classmethod
        def _some_choice(cls, value: str | None) -> str | None:
            if value is not None and not value.strip():
                raise ValueError(f"must be one of {', '.join(SWORD_CHOICES)} or a sword name")
            return value.strip() if value is not None else None

    return Settings


if TYPE_CHECKING:

    class Settings:
        """The process settings (a frozen pydantic-settings model; see `_settings_class`)."""

        model: str
        base_url: str | None
        server: str | None
        api_key: str | None
        max_turns: int
        max_tokens: int | None
        temperature: float | None
        top_p: float | None
        sword_choice: str | None
        parallel_sword_calls: bool | None
        log_level: str | None
        http_timeout: float
        http_connect_timeout: float
        max_retries: int
        sword_max_retries: int
        retry_base_delay: float
        retry_max_delay: float
        trace_dir: str | None
        runs_dir: str | None
        user: str | None
        model_fields_set: set[str]

        def __init__(self, **values: Any) -> None: ...

else:

    def __getattr__(name: str) -> Any:
        if name == "Settings":
            return _settings_class()
        raise AttributeError(name)


def configured_model(settings: Settings) -> str:
    """The model name for agents that name none: DRUSILLA_MODEL when set; else an OpenAI model
    when only an API key is configured (plain names then go to OpenAI); else deepseek-r1."""
    chosen_by_user = "model" in settings.model_fields_set
    if not chosen_by_user and settings.api_key and not settings.base_url:
        return DEFAULT_OPENAI_MODEL
    return settings.model


def env_file() -> Path | None:
    """The `.env` drusilla reads: `DRUSILLA_ENV_FILE` (empty: none), else `./.env`."""
    if not _dotenv_enabled:
        return None
    configured = os.environ.get("DRUSILLA_ENV_FILE")
    if configured is not None and not configured.strip():
        return None
    path = Path(configured or ".env")
    return path if path.is_file() else None


@functools.cache
def dotenv_values_cached() -> dict[str, str]:
    """The values of `env_file()`, read once."""
    path = env_file()
    if path is None:
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def env_value(name: str) -> str | None:
    """`name` from the environment, else from `.env`; None when unset or blank."""
    value = os.environ.get(name)
    if value is None:
        value = dotenv_values_cached().get(name)
    if value is None or value.strip() == "":
        return None
    return value


@functools.cache
def get_settings() -> Settings:
    """The process settings, read on first call."""
    from pydantic import ValidationError

    try:
        settings: Settings = _settings_class()(_env_file=env_file())
    except ValidationError as exc:
        raise UserError(_describe(exc)) from None
    return settings


def _describe(exc: ValidationError) -> str:
    """One line per bad variable: its name, the value, what is wrong, what to write instead."""
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "?"
        env_name = "DRUSILLA_API_KEY" if name == "api_key" else f"DRUSILLA_{name.upper()}"
        shown = "***" if name == "api_key" else repr(error.get("input"))
        problem = error["msg"].removeprefix("Value error, ")
        lines.append(
            f"{env_name}={shown} is not valid: expected {_HINTS.get(name, 'a valid value')} "
            f"({problem}). Fix {env_name} in the environment or in {_source_name()}."
        )
    return "\n".join(lines)


def _source_name() -> str:
    path = env_file()
    return str(path) if path is not None else ".env"


def _configured_secrets() -> tuple[str | None, str | None]:
    settings = get_settings()
    return settings.api_key, settings.base_url


set_settings_source(_configured_secrets)  # masking (util/masking.py) hides these everywhere


def forget_settings() -> None:
    """Drop cached settings and `.env` values; the next `get_settings()` reads them again."""
    get_settings.cache_clear()
    dotenv_values_cached.cache_clear()


def reload_settings(*, load_dotenv: bool | None = None) -> Settings:
    """Read settings (and `.env`) again now. `load_dotenv=False` stops reading `.env` from
    here on (the environment alone counts); `True` turns it back on."""
    global _dotenv_enabled
    if load_dotenv is not None:
        _dotenv_enabled = load_dotenv
    forget_settings()
    return get_settings()
